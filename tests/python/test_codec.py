"""perqueue_lab.codec: the shared vectors, round trips, errors and lazy numpy."""

from __future__ import annotations

import datetime as dt
import json
import math
import pathlib
import subprocess
import sys
from collections import OrderedDict, namedtuple
from enum import IntEnum

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from fixture_scripts import load_script  # noqa: E402

from perqueue_lab.codec import decode, dumps, encode, loads  # noqa: E402

np = pytest.importorskip("numpy")

VECTOR_DIR = ROOT / "tests" / "fixtures" / "codec"
VECTOR_FILES = sorted(VECTOR_DIR.glob("*.json"))


make_vectors = load_script(VECTOR_DIR / "make_vectors.py")


def same(a, b) -> bool:
    """Deep equality that also compares types, NaN == NaN, -0.0 != 0.0 and arrays by dtype."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, complex):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


# ---------------------------------------------------------------------------------------------
# shared vectors


def test_vector_files_are_up_to_date():
    names = {p.stem for p in VECTOR_FILES}
    assert names == set(make_vectors.vectors()), "run tests/fixtures/codec/make_vectors.py"
    for name in sorted(names):
        assert (VECTOR_DIR / f"{name}.json").read_text(encoding="ascii") == make_vectors.render(name), name


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_vector_decodes_and_reencodes_identically(path):
    text = path.read_text(encoding="ascii")
    doc = json.loads(text)
    assert set(doc) == {"description", "encoded"}
    value = decode(doc["encoded"])
    again = encode(value)
    assert json.dumps(again, sort_keys=False) == json.dumps(doc["encoded"])
    assert json.dumps({"description": doc["description"], "encoded": again}, indent=1) + "\n" == text
    # dumps/loads agree with the file's compact form too.
    compact = json.dumps(doc["encoded"], separators=(",", ":"))
    assert dumps(loads(compact)) == compact


@pytest.mark.parametrize("name", sorted(make_vectors.vectors()))
def test_vector_decodes_to_the_value_it_was_made_from(name):
    _, original = make_vectors.vectors()[name]
    got = decode(json.loads((VECTOR_DIR / f"{name}.json").read_text())["encoded"])
    assert expected_after_round_trip(original, got), f"{name}: {got!r}"


def expected_after_round_trip(original, got) -> bool:
    """What a value comes back as: numpy scalars -> Python, frozenset -> set, int keys -> str..."""
    if isinstance(original, np.ndarray):
        want = original.astype(original.dtype.newbyteorder("<"))
        return (
            isinstance(got, np.ndarray)
            and got.dtype == want.dtype
            and got.shape == want.shape
            and (got.tobytes() == want.tobytes(order="C"))
        )
    if isinstance(original, np.generic):
        return same(original.item(), got)
    if isinstance(original, pathlib.PurePath):
        return isinstance(got, pathlib.Path) and str(got) == str(original)
    if isinstance(original, (set, frozenset)):
        return isinstance(got, (set, frozenset)) and got == original
    if isinstance(original, bytearray):
        return got == bytes(original) and type(got) is bytes
    if isinstance(original, dict):
        keys = [str(k) for k in original]
        return list(got) == keys and all(expected_after_round_trip(v, got[str(k)]) for k, v in original.items())
    if isinstance(original, (list, tuple)):
        return (
            type(got) is type(original)
            and len(got) == len(original)
            and all(expected_after_round_trip(x, y) for x, y in zip(original, got, strict=True))
        )
    return same(original, got)


def test_array_vectors_hold_the_values():
    got = decode(json.loads((VECTOR_DIR / "ndarray_float16.json").read_text())["encoded"])
    assert got.dtype == np.float16 and got.shape == (2, 3)
    assert got[0, 2] == 65504 and got[1, 0] == 2.0**-24 and math.isinf(got[1, 1]) and math.isnan(got[1, 2])
    assert math.copysign(1, got[0, 1]) == -1
    got = decode(json.loads((VECTOR_DIR / "ndarray_uint64.json").read_text())["encoded"])
    assert got.dtype == np.uint64 and int(got[1, 2]) == 2**64 - 1
    shapes = decode(json.loads((VECTOR_DIR / "ndarray_shapes.json").read_text())["encoded"])
    assert shapes["scalar0d"].shape == () and shapes["scalar0d"] == 2.5
    assert shapes["empty3d"].shape == (2, 0, 3)
    assert shapes["fortran"].flags.c_contiguous and shapes["fortran"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert shapes["bigendian"].dtype.str == "<i4" and shapes["bigendian"].tolist() == [0, 1, 2, 3]
    assert shapes["strided"].tolist() == [0, 3, 6, 9]


# ---------------------------------------------------------------------------------------------
# round trips and spellings


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        0,
        -(2**80),
        1.5,
        -0.0,
        "x",
        [],
        {},
        {"a": [1, {"b": None}]},
        float("nan"),
        float("-inf"),
        complex(1, -1),
        b"\x00",
        (),
        (1, (2, [3])),
        {1.5, 2},
        dt.datetime(2020, 1, 1, 0, 0, 0, 1),
        dt.date(1999, 12, 31),
        pathlib.Path("/a/b c"),
        {"__pq__": "ndarray"},
        {"x": {"__pq__": 1, "y": (2,)}},
    ],
    ids=repr,
)
def test_round_trip(value):
    text = dumps(value)
    assert same(loads(text), value)
    assert dumps(loads(text)) == text


def test_dumps_is_compact_ascii_and_has_no_nan_literals():
    text = dumps({"a": [1, "\u00e9"], "b": float("nan")})
    assert text == '{"a":[1,"\\u00e9"],"b":{"__pq__":"float","value":"nan"}}'
    assert "NaN" not in dumps([float("nan"), float("inf")])
    with pytest.raises(ValueError, match="NaN is not JSON"):
        loads("[NaN]")
    with pytest.raises(ValueError, match="Infinity is not JSON"):
        loads("[-Infinity]")


def test_indent():
    assert dumps({"a": [1]}, indent=1) == '{\n "a": [\n  1\n ]\n}'


def test_numpy_scalars_become_plain_values():
    enc = encode([np.float32(0.25), np.int16(-3), np.uint64(2**64 - 1), np.bool_(True), np.float64(1.5)])
    assert enc == [0.25, -3, 2**64 - 1, True, 1.5]
    assert [type(x) for x in enc] == [float, int, int, bool, float]
    assert encode(np.complex64(1.5 + 2j)) == {"__pq__": "complex", "real": 1.5, "imag": 2.0}
    assert encode(np.float32("inf")) == {"__pq__": "float", "value": "inf"}
    assert type(encode(np.str_("s"))) is str


def test_subclasses_become_their_base_types():
    class Color(IntEnum):
        RED = 1

    Point = namedtuple("Point", "x y")
    enc = encode({"c": Color.RED, "p": Point(1, 2), "o": OrderedDict(a=1)})
    assert enc == {"c": 1, "p": {"__pq__": "tuple", "items": [1, 2]}, "o": {"a": 1}}
    assert type(enc["c"]) is int


def test_int_keys_become_strings():
    assert encode({1: "a", -2: "b", np.int64(3): "c"}) == {"1": "a", "-2": "b", "3": "c"}
    assert decode(encode({1: "a"})) == {"1": "a"}


def test_int_key_clashing_with_a_string_key():
    with pytest.raises(ValueError, match=r"key 1 at data\.m is there both as an int and as a string"):
        encode({"m": {"1": "a", 1: "b"}})


def test_other_keys_are_refused():
    with pytest.raises(TypeError, match=r"dict key of type float at data\.m"):
        encode({"m": {1.5: "x"}})
    with pytest.raises(TypeError, match=r"dict key of type tuple at data"):
        encode({(1, 2): "x"})
    with pytest.raises(TypeError, match=r"dict key of type bool"):
        encode({True: "x"})


def test_set_order():
    assert encode({3, 1, 2.5}) == {"__pq__": "set", "items": [1, 2.5, 3]}
    assert encode({"b", "a", "\U0001f600", "\uffff"})["items"] == ["a", "b", "\uffff", "\U0001f600"]
    mixed = encode({1, "a", None, (1,)})["items"]
    assert mixed == ["a", 1, None, {"__pq__": "tuple", "items": [1]}]  # '"a"' < '1' < 'null' < '{'
    # NaN is a tag after encoding, so the set falls back to text order, which is stable.
    assert encode({1.5, float("nan")})["items"] == [1.5, {"__pq__": "float", "value": "nan"}]


def test_nested_sets_come_back_hashable():
    value = {frozenset({1, 2}), (3, frozenset({4}))}
    back = loads(dumps(value))
    assert back == value and all(isinstance(x, (frozenset, tuple)) for x in back)


def test_arrays_any_layout_come_back_c_order_native():
    a = np.arange(24, dtype=">f8").reshape(2, 3, 4).transpose(2, 0, 1)[::2]
    back = loads(dumps(a))
    assert back.dtype == np.dtype("<f8") and back.shape == a.shape and np.array_equal(back, a)
    assert back.flags.writeable and back.flags.c_contiguous
    assert encode(np.array([True, False]))["dtype"] == "|b1"


def test_all_supported_dtypes():
    for name in [
        "bool",
        "int8",
        "uint8",
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "uint64",
        "float16",
        "float32",
        "float64",
        "complex64",
        "complex128",
    ]:
        a = (np.arange(7) % 2 == 0) if name == "bool" else np.arange(7).astype(name)
        enc = encode(a)
        assert enc["dtype"] == np.dtype(name).newbyteorder("<").str, name
        back = decode(enc)
        assert back.dtype == a.dtype and np.array_equal(back, a), name


def test_datetime_from_javascript():
    assert decode({"__pq__": "datetime", "iso": "2024-05-01T12:00:00.123Z"}) == dt.datetime(
        2024, 5, 1, 12, 0, 0, 123000, tzinfo=dt.timezone.utc
    )


# ---------------------------------------------------------------------------------------------
# errors


class Model:
    pass


def test_unknown_type_names_type_and_path():
    with pytest.raises(TypeError, match=r"type test_codec\.Model at data\.models\[2\]"):
        encode({"models": [1, 2, Model()]})
    with pytest.raises(TypeError, match=r'type function at result\["a b"\]\[0\]\.k'):
        encode({"a b": [{"k": lambda: 1}]}, root="result")
    with pytest.raises(TypeError, match=r"type datetime\.time at data\[1\]"):
        encode((1, dt.time(1)))
    with pytest.raises(TypeError, match=r"type object at data\.s\{0\}"):
        encode({"s": {object()}})


def test_unsupported_arrays_name_dtype_and_path():
    with pytest.raises(TypeError, match=r"ndarray of dtype object at data\.x"):
        encode({"x": np.array([1, "a"], dtype=object)})
    with pytest.raises(TypeError, match=r"ndarray of dtype <U1 at data"):
        encode(np.array(["a"]))
    with pytest.raises(TypeError, match=r"datetime64"):
        encode(np.array(["2020-01-01"], dtype="datetime64[D]"))
    with pytest.raises(TypeError, match="mask would be lost"):
        encode(np.ma.masked_array([1, 2], mask=[0, 1]))
    if hasattr(np, "longdouble") and np.dtype(np.longdouble).itemsize > 8:
        with pytest.raises(TypeError, match="lose its precision"):
            encode(np.longdouble(1) / 3)


def test_circular_reference():
    a: list = [1]
    a.append({"back": a})
    with pytest.raises(ValueError, match=r"circular reference at data\[1\]\.back"):
        encode(a)
    shared = [1]
    assert encode([shared, shared]) == [[1], [1]]  # shared, not circular


@pytest.mark.parametrize(
    "bad, says",
    [
        ({"__pq__": "nope"}, r'bad "nope" value at data: unknown tag'),
        ({"__pq__": "float", "value": "NaN"}, r"must be \"nan\""),
        ({"__pq__": "ndarray", "dtype": "<f8", "shape": [2], "data": "AAAA"}, r"needs 16 bytes, got 3"),
        ({"__pq__": "ndarray", "dtype": ">f8", "shape": [], "data": ""}, r"unsupported dtype '>f8'"),
        ({"__pq__": "ndarray", "dtype": "<f8", "shape": [-1], "data": ""}, r"shape must be"),
        ({"__pq__": "bytes", "data": "!!"}, r"bad base64"),
        ({"__pq__": "set", "items": [[1]]}, r"cannot be in a set"),
        ({"__pq__": "dict", "items": [["a"]]}, r"items\[0\] must be a \[string, value\] pair"),
        ({"__pq__": "datetime", "iso": "yesterday"}, r"bad \"datetime\" value"),
        ({"__pq__": "complex", "real": "1", "imag": 0}, r"'real' must be a number"),
        ({"x": [{"__pq__": "tuple"}]}, r"at data\.x\[0\]: 'items' must be a list"),
    ],
)
def test_malformed_input(bad, says):
    with pytest.raises(ValueError, match=says):
        decode(bad)


# ---------------------------------------------------------------------------------------------
# numpy stays unimported


def test_numpy_is_imported_only_for_arrays():
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from perqueue_lab import codec
text = codec.dumps({{"a": [1, 2.5, (3,), {{4}}, b"x", complex(1, 2), float("nan")]}})
codec.loads(text)
codec.loads(open({str(VECTOR_DIR / "set.json")!r}).read())
assert "numpy" not in sys.modules, "numpy imported without an array"
codec.loads('{{"__pq__":"ndarray","dtype":"<f8","shape":[1],"data":"AAAAAAAA+D8="}}')
assert "numpy" in sys.modules
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
