from conformance_record import recorded


@recorded
def main(strains, **kwargs):
    db_ids = list(kwargs['db_id'].values())
    barriers = list(kwargs['barrier'].values())
    return True, {'fit': list(zip(db_ids, barriers))}
