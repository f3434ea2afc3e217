from perqueue.constants import INDEX_KW
from conformance_record import recorded


@recorded
def main(structures, cfg_name, **kwargs):
    idx, *_ = kwargs[INDEX_KW]
    return True, {'pre_relaxed': structures[idx] + '.pre', 'energy': -1.0 * idx, 'cfg_name': cfg_name}
