from perqueue.constants import INDEX_KW
from conformance_record import recorded


@recorded
def main(stable, cfg_name, **kwargs):
    idx, *_ = kwargs[INDEX_KW]
    return True, {'trajectory': stable[idx] + '.traj', 'temperature': 300.0}
