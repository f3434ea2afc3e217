from conformance_record import recorded


@recorded
def main(width=2, **kwargs):
    return True, {"pq_dwg_width": width}
