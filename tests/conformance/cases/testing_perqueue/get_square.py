from conformance_record import recorded


@recorded
def main(data, **kwargs):
    return True, {"data": data ** 2, "label": f"{data}^2"}
