from conformance_record import recorded


@recorded
def main(n=0, stop_at=1, **kwargs):
    it = kwargs["pq_iteration"][-1]
    return True, {"n": n + 1, "pq_toggle_key": it >= stop_at, "pq_dwg_width": 2}
