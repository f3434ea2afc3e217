import ast
from perqueue.constants import INDEX_KW
from conformance_record import recorded


@recorded
def main(cfg, run_list, **kw):
    idx, *_ = kw[INDEX_KW]
    run = ast.literal_eval(run_list)[idx]
    return True, {'traj': f'{run}.traj', 'system_name': 'LiFePO4'}
