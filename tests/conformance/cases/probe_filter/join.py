from conformance_record import recorded


@recorded
def main(**kwargs):
    return True, {"got": kwargs.get("i")}
