from conformance_record import recorded


@recorded
def main(items, pq_index, **kwargs):
    idx, *_ = pq_index
    return True, {"item": items[idx]}
