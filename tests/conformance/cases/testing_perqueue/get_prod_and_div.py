from conformance_record import recorded


def fix(f):
    def fm(*args, **kwargs):
        result = f(*args, **kwargs)
        if isinstance(result, dict):
            return True, result
        else:
            return True, {"data": result}
    fm.__code__ = fm.__code__.replace(co_filename=f.__code__.co_filename)
    return fm


@recorded
@fix
def main(x, y, **kwargs):
    return {"prod": x * y, "div": x / y}
