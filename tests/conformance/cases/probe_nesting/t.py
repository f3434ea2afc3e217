from conformance_record import recorded


@recorded
def main(**kwargs):
    return True, {"seen": kwargs.get("pq_index")}
