from perqueue.constants import DYNAMICWIDTHGROUP_KEY
from conformance_record import recorded


@recorded
def main(cfg, selected, system_name, **kw):
    return True, {'labeled': selected.replace('_sel', '_dft'), DYNAMICWIDTHGROUP_KEY: 3}
