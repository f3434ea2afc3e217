# Trains one model of the ensemble; the first training runs outside the loop (no pq_iteration).
from perqueue.constants import DYNAMICWIDTHGROUP_KEY, CYCLICALGROUP_KEY, ITER_KW, INDEX_KW
from conformance_record import recorded


@recorded
def main(cfg, **kwargs):
    idx, *_ = kwargs[INDEX_KW]
    run_list = str([f"md_{i}" for i in range(2)])
    if ITER_KW not in kwargs:
        return True, {'run_list': run_list, DYNAMICWIDTHGROUP_KEY: 2, 'model': f'model_{idx}'}
    iteration = kwargs[ITER_KW][0]
    stop_after_train = iteration >= 1
    return True, {'run_list': run_list, DYNAMICWIDTHGROUP_KEY: 2, CYCLICALGROUP_KEY: stop_after_train,
                  'model': f'model_{idx}_it{iteration}'}
