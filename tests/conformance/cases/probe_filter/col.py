from conformance_record import recorded


@recorded
def main(keep=(), **kwargs):
    i = kwargs["pq_index"][-1]
    return i in keep, {"i": i}
