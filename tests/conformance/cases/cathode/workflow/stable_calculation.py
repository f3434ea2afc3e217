from perqueue.constants import DYNAMICWIDTHGROUP_KEY
from conformance_record import recorded


@recorded
def main(relaxed, energy, cfg_name, **kwargs):
    # relaxed/energy come from every column: dicts keyed by entry key.
    pairs = list(zip(relaxed.values(), energy.values()))
    stable = [s for s, e in pairs if e < -1.0]
    return True, {DYNAMICWIDTHGROUP_KEY: len(stable), 'stable': stable, 'cfg_name': cfg_name}
