from conformance_record import recorded


@recorded
def main(cfg, traj, system_name, **kw):
    return True, {'selected': traj.replace('.traj', '_sel.traj'), 'system_name': system_name}
