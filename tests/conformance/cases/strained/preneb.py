from conformance_record import recorded


@recorded
def main(db_id, strain, **kwargs):
    return True, {'db_id': db_id, 'strain': strain, 'images': 5}
