from conformance_record import recorded


@recorded
def main(prod, div, **kwargs):
    return True, {"data": prod + div, "label": f"sum of {prod} and {div}", "div_type": type(div).__name__}
