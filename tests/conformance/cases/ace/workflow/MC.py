from conformance_record import recorded


@recorded
def main(run_path, cfg_path, CE_setting_path, ECI_path, **kw):
    return True, {'mc_db': f'{run_path}/mc.db', 'ECI_path': ECI_path}
