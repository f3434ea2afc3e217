from conformance_record import recorded


@recorded
def main(**kwargs):
    return True, {"pq_dwg_width": 12}
