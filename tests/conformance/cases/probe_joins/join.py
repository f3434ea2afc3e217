from conformance_record import recorded


@recorded
def main(db_id, **kwargs):
    # As real projects unwrap a join: list(kwargs['db_id'].values()), next(iter(x.values())).
    return True, {"ids": list(db_id.values()), "first": next(iter(db_id.values())), "sorted_keys_are_ints": all(isinstance(k, int) for k in sorted(db_id))}
