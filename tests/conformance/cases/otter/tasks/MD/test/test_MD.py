from perqueue.constants import SWITCHGROUP_KEY, CYCLICALGROUP_KEY, INDEX_KW, ITER_KW
from conformance_record import recorded


def one(x):
    # OTTER unwraps a join's dict: next(iter(x.values()))
    return next(iter(x.values())) if isinstance(x, dict) else x


@recorded
def main(path_configWF, num_simulations, **kwargs):
    out = {'path_configWF': path_configWF, 'num_simulations': num_simulations, 'tested': kwargs['equilibrated']}
    if ITER_KW in kwargs:
        out[CYCLICALGROUP_KEY] = kwargs[ITER_KW][-1] == num_simulations - 1
    return True, out
