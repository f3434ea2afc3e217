from conformance_record import recorded


@recorded
def main(db_id, **kwargs):
    return True, {"ids": list(db_id.values())}
