from conformance_record import recorded


@recorded
def main(route, **kwargs):
    return True, {"pq_switch_key": route, "v": 1}
