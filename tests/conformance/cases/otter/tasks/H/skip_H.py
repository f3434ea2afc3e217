from perqueue.constants import SWITCHGROUP_KEY, CYCLICALGROUP_KEY, INDEX_KW, ITER_KW
from conformance_record import recorded


def one(x):
    # OTTER unwraps a join's dict: next(iter(x.values()))
    return next(iter(x.values())) if isinstance(x, dict) else x


@recorded
def main(path_configWF, num_simulations, **kwargs):
    return True, {'path_configWF': path_configWF, 'num_simulations': num_simulations}
