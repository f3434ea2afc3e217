from conformance_record import recorded


@recorded
def main(**kwargs):
    return True, {"from_t": kwargs.get("pq_index")}
