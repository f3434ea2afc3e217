from conformance_record import recorded


@recorded
def main(**kwargs):
    return True, {"after": True}
