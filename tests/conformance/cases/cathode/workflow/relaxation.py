from conformance_record import recorded


@recorded
def main(pre_relaxed, energy, cfg_name, **kwargs):
    return True, {'relaxed': pre_relaxed.replace('.pre', '.relaxed'), 'energy': energy - 0.5, 'cfg_name': cfg_name}
