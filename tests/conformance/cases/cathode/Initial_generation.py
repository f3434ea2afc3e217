from perqueue.constants import DYNAMICWIDTHGROUP_KEY
from conformance_record import recorded


@recorded
def main(cif_file, ion, n_configs, cfg_name, root_dir, **kwargs):
    structures = [f"{ion}{i}_{cif_file}" for i in range(n_configs)]
    return True, {DYNAMICWIDTHGROUP_KEY: len(structures), 'structures': structures, 'cfg_name': cfg_name}
