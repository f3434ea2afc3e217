// The extended JSON codec against the shared vectors written by Python
// (tests/fixtures/codec/make_vectors.py), plus the TypeScript-only parts: encoding JS values,
// errors, float16, base64, number spelling and summaries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import {
  CodecError,
  Complex,
  NdArray,
  PyDateTime,
  PyFloat,
  PyPath,
  PyTuple,
  decode,
  decodeJson,
  encode,
  encodeJson,
  fromBase64,
  parseJson,
  roundToHalf,
  stringify,
  summarize,
  summarizeArray,
  toBase64,
  type DType
} from '../../core/codec.js';

const DIR = new URL('../../../tests/fixtures/codec/', import.meta.url);
const FILES = readdirSync(DIR)
  .filter(f => f.endsWith('.json'))
  .sort();

function vector(name: string): { text: string; encoded: unknown; value: unknown } {
  const text = readFileSync(new URL(`${name}.json`, DIR), 'utf8');
  const doc = parseJson(text) as { description: string; encoded: unknown };
  return { text, encoded: doc.encoded, value: decode(doc.encoded) };
}

test('there are vectors for every tag and every dtype', () => {
  assert.ok(FILES.length >= 27, FILES.join(' '));
  for (const d of [
    'bool',
    'int8',
    'uint8',
    'int16',
    'uint16',
    'int32',
    'uint32',
    'int64',
    'uint64',
    'float16',
    'float32',
    'float64',
    'complex64',
    'complex128'
  ]) {
    assert.ok(FILES.includes(`ndarray_${d}.json`), d);
  }
});

for (const file of FILES) {
  const name = file.replace(/\.json$/, '');
  test(`vector ${name}: decodes and re-encodes to the same bytes`, () => {
    const { text, encoded, value } = vector(name);
    const again = encode(value);
    assert.deepEqual(again, encoded);
    const description = (JSON.parse(text) as { description: string }).description;
    assert.equal(stringify({ description, encoded: again }, { indent: 1 }) + '\n', text);
    // The compact form matches what Python's dumps writes for the same value.
    assert.equal(encodeJson(decodeJson(stringify(encoded))), stringify(encoded));
  });
}

// ---------------------------------------------------------------------------------------------
// arrays: dtype, shape and values

const I = (n: number | bigint) => BigInt(n);
const ARRAYS: Record<DType, unknown[]> = {
  bool: [1, 0, 1, 0, 0, 1],
  int8: [-128, -1, 0, 1, 100, 127],
  uint8: [0, 1, 127, 128, 254, 255],
  int16: [-32768, -1, 0, 1, 1000, 32767],
  uint16: [0, 1, 256, 32768, 65534, 65535],
  int32: [-(2 ** 31), -1, 0, 1, 123456789, 2 ** 31 - 1],
  uint32: [0, 1, 2 ** 16, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1],
  int64: [-(I(2) ** I(63)), I(-1), I(0), I(1), I(2) ** I(53) + I(1), I(2) ** I(63) - I(1)],
  uint64: [I(0), I(1), I(2) ** I(32), I(2) ** I(53) + I(1), I(2) ** I(63), I(2) ** I(64) - I(1)],
  float16: [0.5, -0, 65504, 2 ** -24, Infinity, NaN],
  float32: [1.5, -0, 3.4028234663852886e38, 2 ** -149, -Infinity, NaN],
  float64: [1.5, -0, 1.7976931348623157e308, 5e-324, Infinity, NaN],
  complex64: [1, 2, -0.5, 0, NaN, 1, Infinity, -Infinity, 0, 0, 0, Math.fround(1e-3)],
  complex128: [1, 2, -0.5, 0, NaN, 1, Infinity, -Infinity, 0, 0, 0.1, 1e300]
};

for (const [dtype, values] of Object.entries(ARRAYS)) {
  test(`vector ndarray_${dtype}: dtype, shape and values`, () => {
    const a = vector(`ndarray_${dtype}`).value;
    assert.ok(a instanceof NdArray);
    assert.equal(a.dtype, dtype);
    assert.deepEqual(a.shape, [2, 3]);
    assert.deepEqual([...(a.data as ArrayLike<unknown> & Iterable<unknown>)], values);
  });
}

test('vector ndarray_shapes: 0-d, empty, Fortran, big-endian and strided arrays', () => {
  const v = vector('ndarray_shapes').value as Record<string, NdArray>;
  assert.deepEqual(v.scalar0d.shape, []);
  assert.deepEqual([...(v.scalar0d.data as Float64Array)], [2.5]);
  assert.deepEqual(v.empty.shape, [0]);
  assert.equal(v.empty.data.length, 0);
  assert.deepEqual(v.empty3d.shape, [2, 0, 3]);
  assert.equal(v.empty3d.dtype, 'int32');
  assert.deepEqual([...(v.fortran.data as Int16Array)], [0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...(v.bigendian.data as Int32Array)], [0, 1, 2, 3]);
  assert.deepEqual([...(v.strided.data as Uint8Array)], [0, 3, 6, 9]);
  assert.deepEqual(v.matrix.shape, [10, 20]);
  assert.equal((v.matrix.data as Float64Array)[199], 199.5);
});

// ---------------------------------------------------------------------------------------------
// the other tags

test('vector plain: big integers are exact bigints, -0.0 stays negative', () => {
  const v = vector('plain').value as Record<string, unknown>;
  assert.equal(v.big_int, 2n ** 70n);
  assert.equal(v.neg_big_int, -(2n ** 63n));
  assert.equal(v.max_safe, 2 ** 53 - 1);
  assert.ok(Object.is(v.neg_zero, -0));
  assert.equal(v.e16, 1e16);
  assert.equal(v.unicode, 'é 漢字 😀 \u2028');
});

test('vector nonfinite, complex, bytes, tuple', () => {
  assert.deepEqual(vector('nonfinite').value, [NaN, Infinity, -Infinity, { lr: NaN }]);
  const c = vector('complex').value as Complex[];
  assert.deepEqual(c, [new Complex(1.5, -2.5), new Complex(NaN, Infinity), new Complex(0.5, -0)]);
  assert.equal(c[0].toString(), '(1.5-2.5j)');
  const b = vector('bytes').value as Uint8Array[];
  assert.deepEqual(b[1], new Uint8Array([0, 255, 16, ...new TextEncoder().encode('hello')]));
  assert.equal(b[2].length, 256);
  const t = vector('tuple').value;
  assert.deepEqual(
    t,
    new PyTuple([1, 'a', new PyTuple([2.5, new PyTuple([])]), [new PyTuple([]), { k: new PyTuple([null]) }]])
  );
});

test('vector set: Sets, re-sorted the way Python sorts them', () => {
  const v = vector('set').value as Record<string, Set<unknown>>;
  assert.ok(v.ints instanceof Set);
  assert.deepEqual(v.ints, new Set([-7, 1, 2, 3, 2n ** 60n]));
  assert.deepEqual([...v.strings], ['Z', 'a', 'b', 'é', '\uffff', '😀']);
  // A fresh JS Set in any insertion order is written in the same order.
  const shuffled = new Set(['😀', 'b', '\uffff', 'Z', 'é', 'a']);
  assert.deepEqual(encode(shuffled), { __pq__: 'set', items: ['Z', 'a', 'b', 'é', '\uffff', '😀'] });
  assert.deepEqual(encode(new Set([3, 2n ** 60n, -1.5, 1])), { __pq__: 'set', items: [-1.5, 1, 3, 2n ** 60n] });
  const mixed = encode(new Set([new PyTuple([2, 3]), new Uint8Array([120]), null, 2, 'a'])) as { items: unknown[] };
  assert.deepEqual(mixed.items, (vector('set').encoded as Record<string, { items: unknown[] }>).mixed.items);
});

test('vector datetime and path keep their text', () => {
  const v = vector('datetime').value as Record<string, PyDateTime>;
  assert.equal(v.naive.iso, '2024-05-01T12:30:15.123456');
  assert.equal(v.utc.iso, '2024-05-01T12:00:00+00:00');
  assert.equal(v.utc.toDate().toISOString(), '2024-05-01T12:00:00.000Z');
  assert.equal(v.offset.toDate().toISOString(), '2024-05-01T12:00:00.000Z');
  assert.ok(v.date.isDate && !v.naive.isDate);
  assert.deepEqual(vector('path').value, { script: new PyPath('/abs/train.py'), rel: new PyPath('data/x.npy') });
});

test('vector escaped_dict: user dicts with "__pq__" come back as plain objects', () => {
  assert.deepEqual(vector('escaped_dict').value, {
    outer: { __pq__: 'ndarray', note: 'a user dict, not an array' },
    deep: { __pq__: { __pq__: 1 } }
  });
});

test('vector int_keys and numpy_scalars', () => {
  assert.deepEqual(vector('int_keys').value, { '1': 'one', '2': 'two', '10': [3] });
  assert.deepEqual(vector('numpy_scalars').value, [
    2.5,
    0.10000000149011612,
    0.3330078125,
    -8,
    -(2n ** 63n),
    2n ** 64n - 1n,
    false,
    new Complex(1.5, -0.5),
    NaN,
    's'
  ]);
});

test('vector task_result', () => {
  const v = vector('task_result').value as Record<string, unknown>;
  const e = v.energies as NdArray<'float64'>;
  assert.deepEqual([...e.data], [-1.5, -1, -0.5, 0, 0.5]);
  assert.equal(v.pq_dwg_width, 5);
  assert.equal(summarize(v.positions), 'ndarray float32 [4,3] 0.125..2.875');
});

// ---------------------------------------------------------------------------------------------
// encoding JS values

test('encode JS values', () => {
  assert.deepEqual(encode({ a: [1, 'x', null, true], n: NaN }), {
    a: [1, 'x', null, true],
    n: { __pq__: 'float', value: 'nan' }
  });
  assert.deepEqual(encode(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6))), {
    __pq__: 'datetime',
    iso: '2024-01-02T03:04:05.006Z'
  });
  assert.deepEqual(encode(new Complex(Infinity, 1)), {
    __pq__: 'complex',
    real: { __pq__: 'float', value: 'inf' },
    imag: 1
  });
  assert.deepEqual(encode({ __pq__: 1, b: new PyTuple([]) }), {
    __pq__: 'dict',
    items: [
      ['__pq__', 1],
      ['b', { __pq__: 'tuple', items: [] }]
    ]
  });
  assert.deepEqual(encode(Object.assign(Object.create(null), { a: 1 })), { a: 1 });
  assert.deepEqual(encode(Buffer.from('hi')), { __pq__: 'bytes', data: 'aGk=' });
  // -0 is tagged: JSON.stringify anywhere on its way would write it as 0.
  assert.equal(
    encodeJson([0.1, 1e-5, 1e21, -0, 2n ** 64n]),
    '[0.1,1e-05,1e+21,{"__pq__":"float","value":"-0.0"},18446744073709551616]'
  );
});

test('encode refuses what it cannot carry, naming the type and the path', () => {
  const cases: [unknown, RegExp][] = [
    [{ models: [1, 2, () => 1] }, /type function at data\.models\[2\]$/],
    [{ 'a b': [{ k: undefined }] }, /type undefined at data\["a b"\]\[0\]\.k$/],
    [{ m: new Map() }, /type Map at data\.m$/],
    [{ x: new (class Model {})() }, /type Model at data\.x$/],
    [{ s: Symbol('s') }, /type symbol at data\.s$/],
    [{ f: new Float64Array(2) }, /Float64Array at data\.f: wrap it in an NdArray/],
    [{ d: new Date(NaN) }, /invalid Date at data\.d$/],
    [new Set([{}, new WeakMap()]), /type WeakMap at data\{1\}$/]
  ];
  for (const [value, says] of cases) {
    assert.throws(
      () => encode(value),
      (e: unknown) => e instanceof TypeError && says.test(e.message),
      String(says)
    );
  }
  assert.throws(() => encode([1, () => 1], 'kwargs'), /at kwargs\[1\]/);
});

test('encode refuses circular references but not shared ones', () => {
  const a: unknown[] = [1];
  a.push({ back: a });
  assert.throws(() => encode(a), /circular reference at data\[1\]\.back/);
  const shared = [1];
  assert.deepEqual(encode([shared, shared]), [[1], [1]]);
});

test('"__proto__" keys are data, never a prototype', () => {
  const v = decodeJson('{"__proto__": {"polluted": 1}, "a": {"__pq__":"dict","items":[["__proto__", 2]]}}') as Record<
    string,
    unknown
  >;
  assert.equal(Object.getPrototypeOf(v), Object.prototype);
  assert.deepEqual(Object.keys(v), ['__proto__', 'a']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(encodeJson(v), '{"__proto__":{"polluted":1},"a":{"__proto__":2}}');
});

test('NdArray checks its parts', () => {
  assert.throws(() => new NdArray('float64', [2, 3], new Float64Array(5)), /needs 6 values, got 5/);
  assert.throws(
    () => new NdArray('float64', [2], new Float32Array(2) as unknown as Float64Array),
    /must be a Float64Array, got Float32Array/
  );
  assert.throws(() => new NdArray('int64', [-1], new BigInt64Array(0)), /bad shape/);
  assert.throws(() => new NdArray('object' as DType, [1], new Float64Array(1)), /unsupported dtype "object"/);
  assert.throws(() => new NdArray('complex128', [2], new Float64Array(2)), /needs 4 values/);
  const a = NdArray.from('int64', [3], [1, 2, 3]);
  assert.deepEqual([...a.data], [1n, 2n, 3n]);
  assert.deepEqual(encode(NdArray.from('bool', [3], [true, false, true])), {
    __pq__: 'ndarray',
    dtype: '|b1',
    shape: [3],
    data: 'AQAB'
  });
  assert.deepEqual(encode(NdArray.from('float64', [1], [1.5])), {
    __pq__: 'ndarray',
    dtype: '<f8',
    shape: [1],
    data: 'AAAAAAAA+D8='
  });
});

test('arrays on a sub-range of a buffer encode only their own bytes', () => {
  const big = new Float64Array([9, 1.5, 2.5, 9]);
  const a = new NdArray('float64', [2], big.subarray(1, 3));
  assert.deepEqual([...(decode(encode(a)) as NdArray<'float64'>).data], [1.5, 2.5]);
});

test('float16: every bit pattern survives decode and encode', () => {
  const bytes = new Uint8Array(65536 * 2);
  for (let h = 0; h < 65536; h++) {
    bytes[2 * h] = h & 0xff;
    bytes[2 * h + 1] = h >> 8;
  }
  const wire = { __pq__: 'ndarray', dtype: '<f2', shape: [65536], data: toBase64(bytes) };
  const a = decode(wire) as NdArray<'float16'>;
  assert.equal(a.data[0x3c00], 1);
  assert.equal(a.data[0x0001], 2 ** -24);
  assert.equal(a.data[0x7bff], 65504);
  assert.ok(Number.isNaN(a.data[0x7e00]));
  assert.deepEqual(encode(a), wire);
});

test('float16: values round to nearest, ties to even', () => {
  assert.equal(roundToHalf(1 + 2 ** -11), 1); // tie -> even
  assert.equal(roundToHalf(1 + 3 * 2 ** -11), 1 + 2 ** -9); // tie -> even (up)
  assert.equal(roundToHalf(65520), Infinity);
  assert.equal(roundToHalf(65519), 65504);
  assert.equal(roundToHalf(2 ** -25), 0);
  assert.equal(roundToHalf(2 ** -25 * 1.5), 2 ** -24);
  assert.equal(roundToHalf(0.333), 0.3330078125); // numpy: float(np.float16(0.333))
});

test('base64 agrees with Node for every length', () => {
  for (let n = 0; n < 70; n++) {
    const b = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    const text = toBase64(b);
    assert.equal(text, Buffer.from(b).toString('base64'));
    assert.deepEqual(fromBase64(text), b);
  }
  assert.throws(() => fromBase64('abc'), CodecError);
  assert.throws(() => fromBase64('ab!d'), /bad base64 character "!"/);
});

test('numbers are spelled as Python spells floats', () => {
  const cases: [number, string][] = [
    [0.1, '0.1'],
    [-0.1, '-0.1'],
    [1.5, '1.5'],
    [123.456, '123.456'],
    [1e-4, '0.0001'],
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [5e-324, '5e-324'],
    [2.2250738585072014e-308, '2.2250738585072014e-308'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [1e15 + 0.5, '1000000000000000.5'],
    [123456789012345.67, '123456789012345.67'],
    [1e16, '1e+16'],
    [1.2345e16, '1.2345e+16'],
    [1e21, '1e+21'],
    [1e22, '1e+22'],
    [9007199254740992, '9007199254740992.0'],
    [9007199254740994, '9007199254740994.0'],
    [2 ** 63, '9.223372036854776e+18'],
    [0.30000000000000004, '0.30000000000000004'],
    [1 / 3, '0.3333333333333333'],
    [-2.5e-10, '-2.5e-10'],
    [3.14159e100, '3.14159e+100'],
    [6.02214076e23, '6.02214076e+23'],
    [0.000123, '0.000123'],
    [12345678.9, '12345678.9'],
    [-0, '-0.0'],
    [42, '42'],
    [-(2 ** 53) + 1, '-9007199254740991']
  ];
  for (const [x, py] of cases) assert.equal(stringify(x), py, String(x));
  assert.throws(() => stringify(NaN), /not JSON/);
  assert.throws(() => stringify({ a: new Map() }), /not a JSON value: Map/);
});

test('strings are escaped as Python escapes them (ASCII only)', () => {
  assert.equal(
    stringify('a"b\\c\n\r\t\b\f\x01\x7f é😀\u2028'),
    '"a\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u007f \\u00e9\\ud83d\\ude00\\u2028"'
  );
  assert.equal(stringify('\ud800'), '"\\ud800"');
});

test('a bare integral float reads as a JS integer; Python tags its floats, and the tag comes back spelled 2.0', () => {
  const v = decodeJson('{"x":2.0,"y":[1.0]}');
  assert.deepEqual(v, { x: 2, y: [1] });
  assert.equal(encodeJson(v), '{"x":2,"y":[1]}');
  const tagged = decodeJson('{"x":{"__pq__":"float","value":2.0},"z":{"__pq__":"float","value":"-0.0"}}') as Record<
    string,
    unknown
  >;
  assert.ok(tagged.x instanceof PyFloat && tagged.x.value === 2 && Number(tagged.x) === 2);
  assert.ok(Object.is(tagged.z, -0));
  assert.equal(encodeJson(tagged), '{"x":{"__pq__":"float","value":2.0},"z":{"__pq__":"float","value":"-0.0"}}');
  assert.equal(JSON.stringify(tagged.x), '2');
  assert.deepEqual(summarize(tagged), { x: 2, z: -0 });
});

test('malformed input throws CodecError naming the path', () => {
  const cases: [unknown, RegExp][] = [
    [{ a: { __pq__: 'nope' } }, /bad "nope" value at data\.a: unknown tag/],
    [{ __pq__: 'float', value: 'NaN' }, /value must be "nan"/],
    [{ __pq__: 'ndarray', dtype: '<f8', shape: [2], data: 'AAAA' }, /needs 16 bytes, got 3/],
    [{ __pq__: 'ndarray', dtype: '>f8', shape: [], data: '' }, /unsupported dtype ">f8"/],
    [{ __pq__: 'ndarray', dtype: '<f8', shape: [1.5], data: '' }, /shape must be/],
    [{ __pq__: 'bytes', data: '!!!!' }, /bad base64/],
    [{ __pq__: 'dict', items: [['a']] }, /items\[0\] must be a \[string, value\] pair/],
    [{ __pq__: 'complex', real: '1', imag: 0 }, /'real' must be a number/],
    [[{ __pq__: 'tuple' }], /at data\[0\]: 'items' must be a list/]
  ];
  for (const [bad, says] of cases) {
    assert.throws(
      () => decode(bad),
      (e: unknown) => e instanceof CodecError && says.test(e.message),
      String(says)
    );
  }
});

// ---------------------------------------------------------------------------------------------
// summaries

test('summarize arrays as short strings', () => {
  assert.equal(summarizeArray(NdArray.from('float64', [2, 3], [1, -1.5, 4, 2, 3, 0])), 'ndarray float64 [2,3] -1.5..4');
  assert.equal(
    summarizeArray(NdArray.from('float32', [3], [NaN, 0.1234567, 2])),
    'ndarray float32 [3] 0.1235..2 (1 nan)'
  );
  assert.equal(summarizeArray(NdArray.from('float64', [2], [NaN, NaN])), 'ndarray float64 [2] all nan');
  assert.equal(summarizeArray(NdArray.from('float64', [0, 3], [])), 'ndarray float64 [0,3] empty');
  assert.equal(summarizeArray(NdArray.from('bool', [4], [1, 0, 1, 1])), 'ndarray bool [4] 3 true');
  assert.equal(
    summarizeArray(NdArray.from('uint64', [2], [2n ** 64n - 1n, 3n])),
    'ndarray uint64 [2] 3..18446744073709551615'
  );
  assert.equal(summarizeArray(NdArray.from('complex128', [2], [3, 4, 0, 1])), 'ndarray complex128 [2] |z| 1..5');
  assert.equal(summarizeArray(NdArray.from('int32', [1], [7])), 'ndarray int32 [1] 7..7');
  // A big array gives a short string, never its values.
  const big = new NdArray('float64', [1000, 1000], new Float64Array(1e6).fill(0.5));
  assert.equal(summarize(big), 'ndarray float64 [1000,1000] 0.5..0.5');
});

test('summarize a whole result for display', () => {
  assert.deepEqual(summarize(vector('task_result').value), {
    energies: 'ndarray float64 [5] -1.5..0.5',
    positions: 'ndarray float32 [4,3] 0.125..2.875',
    converged: true,
    pq_dwg_width: 5,
    labels: ['a', 'b'],
    model: '/abs/models/model-3.pt'
  });
  const s = summarize({
    xs: Array.from({ length: 30 }, (_, i) => i),
    t: 'x'.repeat(300),
    n: NaN,
    b: new Uint8Array(9),
    big: 2n ** 70n,
    deep: [[[[[[[1]]]]]]]
  }) as Record<string, unknown>;
  assert.equal((s.xs as unknown[]).length, 21);
  assert.equal((s.xs as unknown[])[20], '… 10 more');
  assert.equal(s.t, `${'x'.repeat(200)}… (300 chars)`);
  assert.equal(s.n, 'NaN');
  assert.equal(s.b, 'bytes[9]');
  assert.equal(s.big, '1180591620717411303424');
  assert.deepEqual(s.deep, [[[[['[… 1 item]']]]]]);
  assert.doesNotThrow(() => JSON.stringify(s));
});
