# Fits the cluster expansion; asks for more relaxations until "converged" (third fit).
from perqueue.constants import DYNAMICWIDTHGROUP_KEY, CYCLICALGROUP_KEY, ITER_KW
from conformance_record import recorded


@recorded
def main(run_path, db_path, cfg_path, initial_start, cif_file, **kwargs):
    iteration = kwargs[ITER_KW][0] + 1 if ITER_KW in kwargs else 0
    relaxed = kwargs.get('relaxed_id')
    n_done = len(relaxed) if isinstance(relaxed, dict) else int(relaxed is not None)
    converged = iteration >= 2
    return True, {DYNAMICWIDTHGROUP_KEY: 3 - iteration if not converged else 1, CYCLICALGROUP_KEY: converged,
                  'ECI_path': f'{run_path}/eci_{iteration}.json', 'CE_setting_path': f'{run_path}/setting.json',
                  'cfg_path': cfg_path, 'n_relaxed': n_done}
