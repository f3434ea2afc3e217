from conformance_record import recorded


@recorded
def main(**kwargs):
    i = kwargs["pq_index"][0]
    return True, {"db_id": 100 + i, "same": [1, 2], "cfg": {"k": "v"}, "only_" + str(i): i}
