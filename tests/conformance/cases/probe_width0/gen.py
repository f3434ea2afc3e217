from conformance_record import recorded


@recorded
def main(width, **kwargs):
    return True, {"pq_dwg_width": width, "items": list(range(width))}
