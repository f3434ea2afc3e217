// Extended JSON codec, the TypeScript half of perqueue_lab/codec.py (docs/contracts.md §4).
//
// Plain JSON stays plain. Values JSON cannot hold become objects with the single reserved key
// "__pq__" naming what they are:
//   {"__pq__":"ndarray","dtype":"<f8","shape":[2,3],"data":"<base64, C order, little-endian>"}
//   {"__pq__":"complex","real":R,"imag":I}       R and I are numbers or float tags
//   {"__pq__":"float","value":"nan"|"inf"|"-inf"|"-0.0"|N}   N: an integral float (2.0) kept a float for Python
//   {"__pq__":"bytes","data":"<base64>"}
//   {"__pq__":"tuple","items":[...]}
//   {"__pq__":"set","items":[...]}               items sorted, see `sortSetItems`
//   {"__pq__":"datetime","iso":"2024-05-01T12:00:00"}   also dates ("2024-05-01")
//   {"__pq__":"path","path":"/abs/file"}
//   {"__pq__":"dict","items":[[k,v],...]}        a user dict that has a "__pq__" key itself
// Python turns int dict keys into strings ({1: x} comes back as {"1": x}).
//
// What a TypeScript value decodes to: NdArray, Complex, NaN/±Infinity, Uint8Array (bytes),
// PyTuple, Set, PyDateTime, PyPath, PyFloat (an integral Python float), plain objects. Integers beyond 2^53 decode to bigint when
// the runtime gives JSON.parse the source text (Node >= 21, current browsers) so that they are
// not rounded; otherwise they are rounded like any JSON number.
//
// Text written by encodeJson is the text Python's `dumps` writes (same escapes, ASCII only, same
// float spelling) with one limit that comes from JavaScript itself: a JS object lists
// integer-like keys ("1", "2") first whatever their order in the text. (A Python float with an
// integral value, 2.0, would read as the number 2 and be written back as `2`: Python's encoder
// tags it, {"__pq__":"float","value":2}, so it reaches the next task as a float.)
//
// No I/O and no Node-only API, so this runs in the browser as well.

export const TAG = '__pq__';

/** NumPy dtype names this codec carries, with their little-endian wire spelling (`dtype.str`). */
export const DTYPES = {
  bool: '|b1',
  int8: '|i1',
  uint8: '|u1',
  int16: '<i2',
  uint16: '<u2',
  int32: '<i4',
  uint32: '<u4',
  int64: '<i8',
  uint64: '<u8',
  float16: '<f2',
  float32: '<f4',
  float64: '<f8',
  complex64: '<c8',
  complex128: '<c16'
} as const;

export type DType = keyof typeof DTYPES;

/**
 * The typed array that holds each dtype. bool holds 0/1 bytes; float16 is widened to float32
 * (exactly, bit for bit, so it narrows back to the same bytes); complex is interleaved re, im.
 */
export interface DTypeData {
  bool: Uint8Array;
  int8: Int8Array;
  uint8: Uint8Array;
  int16: Int16Array;
  uint16: Uint16Array;
  int32: Int32Array;
  uint32: Uint32Array;
  int64: BigInt64Array;
  uint64: BigUint64Array;
  float16: Float32Array;
  float32: Float32Array;
  float64: Float64Array;
  complex64: Float32Array;
  complex128: Float64Array;
}

export type NdData = DTypeData[DType];

type TypedArrayCtor = {
  new (buffer: ArrayBuffer, byteOffset?: number, length?: number): NdData;
  BYTES_PER_ELEMENT: number;
};

interface DTypeInfo {
  name: DType;
  /** Bytes per element on the wire. */
  itemsize: number;
  /** Typed-array slots per element: 2 for complex. */
  slots: number;
  ctor: TypedArrayCtor;
}

const INFO: Record<DType, DTypeInfo> = {
  bool: { name: 'bool', itemsize: 1, slots: 1, ctor: Uint8Array as unknown as TypedArrayCtor },
  int8: { name: 'int8', itemsize: 1, slots: 1, ctor: Int8Array as unknown as TypedArrayCtor },
  uint8: { name: 'uint8', itemsize: 1, slots: 1, ctor: Uint8Array as unknown as TypedArrayCtor },
  int16: { name: 'int16', itemsize: 2, slots: 1, ctor: Int16Array as unknown as TypedArrayCtor },
  uint16: { name: 'uint16', itemsize: 2, slots: 1, ctor: Uint16Array as unknown as TypedArrayCtor },
  int32: { name: 'int32', itemsize: 4, slots: 1, ctor: Int32Array as unknown as TypedArrayCtor },
  uint32: { name: 'uint32', itemsize: 4, slots: 1, ctor: Uint32Array as unknown as TypedArrayCtor },
  int64: { name: 'int64', itemsize: 8, slots: 1, ctor: BigInt64Array as unknown as TypedArrayCtor },
  uint64: { name: 'uint64', itemsize: 8, slots: 1, ctor: BigUint64Array as unknown as TypedArrayCtor },
  float16: { name: 'float16', itemsize: 2, slots: 1, ctor: Float32Array as unknown as TypedArrayCtor },
  float32: { name: 'float32', itemsize: 4, slots: 1, ctor: Float32Array as unknown as TypedArrayCtor },
  float64: { name: 'float64', itemsize: 8, slots: 1, ctor: Float64Array as unknown as TypedArrayCtor },
  complex64: { name: 'complex64', itemsize: 8, slots: 2, ctor: Float32Array as unknown as TypedArrayCtor },
  complex128: { name: 'complex128', itemsize: 16, slots: 2, ctor: Float64Array as unknown as TypedArrayCtor }
};

const BY_WIRE = new Map<string, DType>(Object.entries(DTYPES).map(([name, wire]) => [wire, name as DType]));

/** Thrown when a JSON value is not a well-formed encoding (unknown tag, bad fields...). */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

/** A NumPy array: C-order elements of one dtype. */
export class NdArray<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: DTypeData[D];

  constructor(dtype: D, shape: readonly number[], data: DTypeData[D]) {
    const info = INFO[dtype];
    if (!info)
      throw new TypeError(`unsupported dtype ${JSON.stringify(dtype)}; use one of ${Object.keys(DTYPES).join(', ')}`);
    for (const n of shape) {
      if (!Number.isSafeInteger(n) || n < 0)
        throw new TypeError(`bad shape [${shape.join(',')}]: dimensions are whole numbers >= 0`);
    }
    if (!(data instanceof info.ctor)) {
      throw new TypeError(`${dtype} data must be a ${info.ctor.name}, got ${describeType(data)}`);
    }
    const want = sizeOf(shape) * info.slots;
    if (data.length !== want) {
      throw new TypeError(`shape [${shape.join(',')}] of ${dtype} needs ${want} values, got ${data.length}`);
    }
    this.dtype = dtype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }

  /** An array from plain numbers (bigint or number for 64-bit ints; interleaved re, im for complex). */
  static from<D extends DType>(
    dtype: D,
    shape: readonly number[],
    values: ArrayLike<number | bigint | boolean>
  ): NdArray<D> {
    const info = INFO[dtype];
    if (!info) throw new TypeError(`unsupported dtype ${JSON.stringify(dtype)}`);
    const data = new info.ctor(new ArrayBuffer(values.length * info.ctor.BYTES_PER_ELEMENT));
    const big = dtype === 'int64' || dtype === 'uint64';
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      (data as unknown as (number | bigint)[])[i] = big
        ? BigInt(v)
        : dtype === 'float16'
          ? roundToHalf(Number(v))
          : Number(v);
    }
    return new NdArray(dtype, shape, data as DTypeData[D]);
  }
}

/** A Python complex number. */
export class Complex {
  constructor(
    readonly real: number,
    readonly imag: number
  ) {}
  toString(): string {
    const sign = this.imag < 0 || Object.is(this.imag, -0) ? '-' : '+';
    return `(${formatShort(this.real)}${sign}${formatShort(Math.abs(this.imag))}j)`;
  }
}

/** A Python tuple: kept apart from lists so that it goes back to Python as a tuple. */
export class PyTuple {
  constructor(readonly items: unknown[]) {}
}

/**
 * A Python datetime or date, kept as its ISO text: a JS Date would drop microseconds and
 * could not tell a naive time from a UTC one.
 */
export class PyDateTime {
  constructor(readonly iso: string) {}
  /** Whether this is a date without a time of day. */
  get isDate(): boolean {
    return !this.iso.includes('T');
  }
  /** As a JS Date; a naive Python datetime is read as local time. */
  toDate(): Date {
    return new Date(this.iso);
  }
}

/** A Python float with an integral value (2.0): kept apart from integers so that it goes back
 * to Python as a float. Plain JSON (JSON.stringify) sees the number. */
export class PyFloat {
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toJSON(): number {
    return this.value;
  }
}

/** A pathlib.Path. */
export class PyPath {
  constructor(readonly path: string) {}
}

// ---------------------------------------------------------------------------------------------
// encode

/**
 * A value as plain JSON (numbers, strings, booleans, null, arrays, objects, plus bigint for
 * integers beyond 2^53). `root` names the value in error messages: `data.models[2]`.
 * Throws TypeError naming the type and the path of anything it cannot carry.
 */
export function encode(value: unknown, root = 'data'): unknown {
  return enc(value, root, new Set());
}

function enc(v: unknown, path: string, stack: Set<object>): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'bigint':
      return v;
    case 'number':
      // -0 tagged: JSON.stringify anywhere on the way would write it as 0.
      return Object.is(v, -0) ? { [TAG]: 'float', value: '-0.0' } : encodeFloat(v);
    case 'object':
      break;
    default:
      throw cannotEncode(v, path);
  }
  if (v === null) return null;
  if (stack.has(v)) throw new TypeError(`circular reference at ${path}`);
  stack.add(v);
  try {
    if (Array.isArray(v)) return v.map((x, i) => enc(x, `${path}[${i}]`, stack));
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      const keys = Object.keys(v);
      for (const k of keys) {
        const x = (v as Record<string, unknown>)[k];
        setOwn(out, k, enc(x, keyPath(path, k), stack));
      }
      if (Object.prototype.hasOwnProperty.call(v, TAG)) {
        return { [TAG]: 'dict', items: keys.map(k => [k, out[k]]) };
      }
      return out;
    }
    if (v instanceof NdArray) return encodeArray(v);
    if (v instanceof Complex) return { [TAG]: 'complex', real: encodeFloat(v.real), imag: encodeFloat(v.imag) };
    if (v instanceof PyTuple) return { [TAG]: 'tuple', items: v.items.map((x, i) => enc(x, `${path}[${i}]`, stack)) };
    if (v instanceof Set) {
      const items = [...v].map((x, i) => enc(x, `${path}{${i}}`, stack));
      return { [TAG]: 'set', items: sortSetItems(items) };
    }
    // Any Uint8Array (Node's Buffer too) is bytes; other typed arrays need a dtype and a shape.
    if (v instanceof Uint8Array) return { [TAG]: 'bytes', data: toBase64(v) };
    if (v instanceof PyDateTime) return { [TAG]: 'datetime', iso: v.iso };
    if (v instanceof Date) {
      if (Number.isNaN(v.getTime())) throw new TypeError(`invalid Date at ${path}`);
      return { [TAG]: 'datetime', iso: v.toISOString() };
    }
    if (v instanceof PyPath) return { [TAG]: 'path', path: v.path };
    if (v instanceof PyFloat) return { [TAG]: 'float', value: v.value };
    if (ArrayBuffer.isView(v)) {
      throw new TypeError(
        `cannot encode a ${describeType(v)} at ${path}: wrap it in an NdArray (a bare Uint8Array means bytes)`
      );
    }
    throw cannotEncode(v, path);
  } finally {
    stack.delete(v);
  }
}

function encodeFloat(x: number): unknown {
  if (Number.isFinite(x)) return x;
  return { [TAG]: 'float', value: Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf' };
}

function cannotEncode(v: unknown, path: string): TypeError {
  return new TypeError(`cannot encode a value of type ${describeType(v)} at ${path}`);
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object' || typeof v === 'function') {
    const name = (v as { constructor?: { name?: string } }).constructor?.name;
    if (typeof v === 'function') return `function${v.name ? ` ${v.name}` : ''}`;
    return name || 'object';
  }
  return typeof v;
}

function isPlainObject(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Assign without ever touching the prototype, whatever the key (even "__proto__"). */
function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function keyPath(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/**
 * The order set items are written in, applied to encoded items so that both languages agree:
 * all numbers -> by value; all strings -> by code point; otherwise by their compact JSON text.
 */
export function sortSetItems(items: unknown[]): unknown[] {
  const isNum = (x: unknown) => typeof x === 'number' || typeof x === 'bigint';
  if (items.every(isNum)) {
    return [...items].sort((a, b) => ((a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0));
  }
  if (items.every(x => typeof x === 'string'))
    return [...items].sort((a, b) => compareCodePoints(a as string, b as string));
  const keyed = items.map(x => [stringify(x), x] as const);
  keyed.sort((a, b) => compareCodePoints(a[0], b[0]));
  return keyed.map(k => k[1]);
}

/** Python compares strings by code point; JS's default sort compares UTF-16 units. */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (astral code point) sorts above every BMP unit from U+E000 up.
    const hx = x >= 0xd800 && x <= 0xdfff;
    const hy = y >= 0xd800 && y <= 0xdfff;
    if (hx !== hy) return hx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------
// decode

/** The inverse of `encode`. Throws CodecError, naming the path, on a malformed tagged object. */
export function decode(value: unknown, root = 'data'): unknown {
  return dec(value, root);
}

function dec(v: unknown, path: string): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => dec(x, `${path}[${i}]`));
  const o = v as Record<string, unknown>;
  if (!Object.prototype.hasOwnProperty.call(o, TAG)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o)) setOwn(out, k, dec(o[k], keyPath(path, k)));
    return out;
  }
  const bad = (why: string) => new CodecError(`bad ${JSON.stringify(o[TAG])} value at ${path}: ${why}`);
  const field = <T>(name: string, check: (x: unknown) => x is T, what: string): T => {
    const x = o[name];
    if (!check(x)) throw bad(`'${name}' must be ${what}`);
    return x;
  };
  const isStr = (x: unknown): x is string => typeof x === 'string';
  const isArr = (x: unknown): x is unknown[] => Array.isArray(x);
  switch (o[TAG]) {
    case 'ndarray':
      return decodeArray(o, bad);
    case 'float': {
      if (typeof o.value === 'number') return new PyFloat(o.value); // an integral Python float
      const s = field('value', isStr, 'a string');
      if (s === 'nan') return NaN;
      if (s === 'inf') return Infinity;
      if (s === '-inf') return -Infinity;
      if (s === '-0.0') return -0;
      throw bad(`value must be "nan", "inf", "-inf", "-0.0" or a number, got ${JSON.stringify(s)}`);
    }
    case 'complex': {
      const part = (name: string) => {
        const x = dec(o[name], `${path}.${name}`);
        if (typeof x !== 'number') throw bad(`'${name}' must be a number`);
        return x;
      };
      return new Complex(part('real'), part('imag'));
    }
    case 'bytes':
      return fromBase64(field('data', isStr, 'a base64 string'), bad);
    case 'tuple':
      return new PyTuple(field('items', isArr, 'a list').map((x, i) => dec(x, `${path}[${i}]`)));
    case 'set':
      return new Set(field('items', isArr, 'a list').map((x, i) => dec(x, `${path}{${i}}`)));
    case 'datetime':
      return new PyDateTime(field('iso', isStr, 'an ISO 8601 string'));
    case 'path':
      return new PyPath(field('path', isStr, 'a string'));
    case 'dict': {
      const out: Record<string, unknown> = {};
      for (const [i, kv] of field('items', isArr, 'a list of [key, value] pairs').entries()) {
        if (!Array.isArray(kv) || kv.length !== 2 || typeof kv[0] !== 'string')
          throw bad(`items[${i}] must be a [string, value] pair`);
        setOwn(out, kv[0], dec(kv[1], keyPath(path, kv[0])));
      }
      return out;
    }
    default:
      throw bad('unknown tag');
  }
}

// ---------------------------------------------------------------------------------------------
// arrays

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function encodeArray(a: NdArray): unknown {
  const info = INFO[a.dtype];
  let bytes: Uint8Array;
  if (a.dtype === 'float16') {
    bytes = floatsToHalfBytes(a.data as Float32Array);
  } else if (a.dtype === 'bool') {
    bytes = Uint8Array.from(a.data as Uint8Array, x => (x ? 1 : 0));
  } else {
    const d = a.data;
    bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    if (!LITTLE_ENDIAN) bytes = swapBytes(bytes, info.itemsize / info.slots);
  }
  return { [TAG]: 'ndarray', dtype: DTYPES[a.dtype], shape: [...a.shape], data: toBase64(bytes) };
}

function decodeArray(o: Record<string, unknown>, bad: (why: string) => CodecError): NdArray {
  const wire = o.dtype;
  const dtype = typeof wire === 'string' ? BY_WIRE.get(wire) : undefined;
  if (dtype === undefined)
    throw bad(`unsupported dtype ${JSON.stringify(wire)}; expected one of ${[...BY_WIRE.keys()].join(' ')}`);
  const shape = o.shape;
  if (!Array.isArray(shape) || !shape.every(n => Number.isSafeInteger(n) && n >= 0)) {
    throw bad('shape must be a list of whole numbers >= 0');
  }
  if (typeof o.data !== 'string') throw bad("'data' must be a base64 string");
  const info = INFO[dtype];
  let bytes = fromBase64(o.data, bad);
  const size = sizeOf(shape as number[]);
  if (bytes.length !== size * info.itemsize) {
    throw bad(`shape [${shape.join(',')}] of ${dtype} needs ${size * info.itemsize} bytes, got ${bytes.length}`);
  }
  if (dtype === 'float16') return new NdArray(dtype, shape as number[], halfBytesToFloats(bytes));
  if (!LITTLE_ENDIAN) bytes = swapBytes(bytes, info.itemsize / info.slots);
  // fromBase64 returns a fresh buffer starting at offset 0, so every view is aligned.
  return new NdArray(dtype, shape as number[], new info.ctor(bytes.buffer as ArrayBuffer, 0, size * info.slots));
}

function swapBytes(b: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(b.length);
  for (let i = 0; i < b.length; i += width) for (let j = 0; j < width; j++) out[i + j] = b[i + width - 1 - j];
  return out;
}

// float16 <-> float32 at the bit level, so NaN payloads and -0 survive a round trip.
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

function halfBitsToFloatBits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exp = (h >> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp === 0x1f) return (sign | 0x7f800000 | (mant << 13)) >>> 0;
  if (exp !== 0) return (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
  if (mant === 0) return sign >>> 0;
  // Subnormal half: normalise into float32's wider exponent range.
  let e = 113;
  while ((mant & 0x400) === 0) {
    mant <<= 1;
    e--;
  }
  return (sign | (e << 23) | ((mant & 0x3ff) << 13)) >>> 0;
}

function floatBitsToHalfBits(f: number): number {
  const sign = (f >>> 16) & 0x8000;
  const exp = (f >>> 23) & 0xff;
  const mant = f & 0x7fffff;
  if (exp === 0xff) {
    if (mant === 0) return sign | 0x7c00;
    const m = mant >>> 13;
    return sign | 0x7c00 | (m === 0 ? 0x200 : m); // a NaN stays a NaN
  }
  const e = exp - 112;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> ±0
    const full = mant | 0x800000;
    const shift = 14 - e;
    let m = full >>> shift;
    const rest = full & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && m & 1)) m++;
    return sign | m;
  }
  let h = sign | (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // may carry into the exponent: correct
  return h;
}

/** The nearest float16 value, as a number (round half to even). */
export function roundToHalf(x: number): number {
  F32[0] = x;
  U32[0] = halfBitsToFloatBits(floatBitsToHalfBits(U32[0]));
  return F32[0];
}

function halfBytesToFloats(bytes: Uint8Array): Float32Array {
  const n = bytes.length / 2;
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < n; i++) bits[i] = halfBitsToFloatBits(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return out;
}

function floatsToHalfBytes(data: Float32Array): Uint8Array {
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Uint8Array(data.length * 2);
  for (let i = 0; i < data.length; i++) {
    const h = floatBitsToHalfBits(bits[i]);
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >> 8;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// base64 (standard alphabet, padded: what Python's base64.b64encode writes)

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function toBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const x = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    chunk += B64[x >> 18] + B64[(x >> 12) & 63] + B64[(x >> 6) & 63] + B64[x & 63];
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  if (i < n) {
    const x = (bytes[i] << 16) | (i + 1 < n ? bytes[i + 1] << 8 : 0);
    chunk += B64[x >> 18] + B64[(x >> 12) & 63] + (i + 1 < n ? B64[(x >> 6) & 63] : '=') + '=';
  }
  parts.push(chunk);
  return parts.join('');
}

export function fromBase64(text: string, bad: (why: string) => Error = w => new CodecError(w)): Uint8Array {
  if (text.length % 4 !== 0) throw bad('base64 text length is not a multiple of 4');
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let x = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      let d = c < 128 ? B64_INDEX[c] : -1;
      if (c === 61 /* = */ && i + 4 === text.length && j >= 4 - pad) d = 0;
      if (d < 0) throw bad(`bad base64 character ${JSON.stringify(text[i + j])} at ${i + j}`);
      x = (x << 6) | d;
    }
    if (o < out.length) out[o++] = x >> 16;
    if (o < out.length) out[o++] = (x >> 8) & 0xff;
    if (o < out.length) out[o++] = x & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// text

export interface StringifyOptions {
  /** Spaces per level; compact when absent (Python's `separators=(',', ':')`). */
  indent?: number;
}

/** A value as JSON text, encoded first. The text Python's `perqueue_lab.codec.dumps` writes. */
export function encodeJson(value: unknown, opts: StringifyOptions = {}, root = 'data'): string {
  return stringify(encode(value, root), opts);
}

/** Parse JSON text and decode it. Large integers become bigint where the runtime allows. */
export function decodeJson(text: string, root = 'data'): unknown {
  return decode(parseJson(text), root);
}

let sourceTextSupported: boolean | undefined;

/** JSON.parse that keeps integers beyond 2^53 exact, as bigint. */
export function parseJson(text: string): unknown {
  if (sourceTextSupported === undefined) {
    sourceTextSupported = false;
    JSON.parse('1', ((_k: string, v: unknown, ctx?: { source?: string }) => {
      sourceTextSupported = ctx?.source === '1';
      return v;
    }) as (k: string, v: unknown) => unknown);
  }
  if (!sourceTextSupported) return JSON.parse(text);
  return JSON.parse(text, ((_k: string, v: unknown, ctx?: { source?: string }) => {
    if (typeof v === 'number' && !Number.isSafeInteger(v) && ctx?.source && /^-?\d+$/.test(ctx.source))
      return BigInt(ctx.source);
    return v;
  }) as (k: string, v: unknown) => unknown);
}

/**
 * JSON text of an already-encoded value, spelled the way Python's json module spells it with
 * ensure_ascii=True: non-ASCII as \uXXXX, floats as Python's repr (1e-05, 1e+16, -0.0).
 */
export function stringify(value: unknown, opts: StringifyOptions = {}): string {
  const indent = opts.indent;
  const out: string[] = [];
  const write = (v: unknown, depth: number) => {
    if (v === null) out.push('null');
    else if (typeof v === 'boolean') out.push(v ? 'true' : 'false');
    else if (typeof v === 'string') out.push(quote(v));
    else if (typeof v === 'number') out.push(formatNumber(v));
    else if (typeof v === 'bigint') out.push(v.toString());
    else if (Array.isArray(v)) {
      if (v.length === 0) return void out.push('[]');
      out.push('[');
      v.forEach((x, i) => {
        if (i) out.push(',');
        newline(depth + 1);
        write(x, depth + 1);
      });
      newline(depth);
      out.push(']');
    } else if (typeof v === 'object' && isPlainObject(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0) return void out.push('{}');
      out.push('{');
      keys.forEach((k, i) => {
        if (i) out.push(',');
        newline(depth + 1);
        out.push(quote(k), indent === undefined ? ':' : ': ');
        const x = (v as Record<string, unknown>)[k];
        // An integral Python float's tag: its value spelled as Python does (2.0), not 2.
        if (k === 'value' && (v as Record<string, unknown>)[TAG] === 'float' && Number.isSafeInteger(x))
          out.push(`${x}.0`);
        else write(x, depth + 1);
      });
      newline(depth);
      out.push('}');
    } else {
      throw new TypeError(`not a JSON value: ${describeType(v)} (encode it first)`);
    }
  };
  const newline = (depth: number) => {
    if (indent !== undefined) out.push('\n' + ' '.repeat(indent * depth));
  };
  write(value, 0);
  return out.join('');
}

const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f'
};

function quote(s: string): string {
  let r = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    r += s.slice(start, i) + (SHORT_ESCAPES[c] ?? '\\u' + c.toString(16).padStart(4, '0'));
    start = i + 1;
  }
  return r + s.slice(start) + '"';
}

/** Integers as integers; everything else as Python's repr(float) would write it. */
function formatNumber(x: number): string {
  if (!Number.isFinite(x)) throw new TypeError(`${x} is not JSON (encode it first)`);
  if (Object.is(x, -0)) return '-0.0';
  if (Number.isSafeInteger(x)) return String(x);
  // toExponential() without digits gives the shortest round-trip digits, as Python's repr does.
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential());
  if (!m) return String(x);
  const [, sign, d0, rest = '', e] = m;
  const digits = d0 + rest;
  const decpt = Number(e) + 1;
  if (decpt <= -4 || decpt > 16) {
    const exp = decpt - 1;
    return `${sign}${d0}${rest ? '.' + rest : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= digits.length) return `${sign}${digits}${'0'.repeat(decpt - digits.length)}.0`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

// ---------------------------------------------------------------------------------------------
// display

export interface SummaryOptions {
  /** List items and object keys shown per level. */
  maxItems?: number;
  /** Characters of a string shown. */
  maxString?: number;
  /** Levels shown before a container becomes "[…]" or "{…}". */
  maxDepth?: number;
}

/**
 * A short, display-only JSON view of a decoded value: arrays become strings like
 * "ndarray float64 [2,3] -1.5..4", long lists and strings are cut, and the other Python types
 * become their Python spelling. Never used for data: it does not round-trip.
 */
export function summarize(value: unknown, opts: SummaryOptions = {}): unknown {
  const maxItems = opts.maxItems ?? 20;
  const maxString = opts.maxString ?? 200;
  const maxDepth = opts.maxDepth ?? 6;
  const sum = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'boolean') return v;
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'string') return v.length > maxString ? `${v.slice(0, maxString)}… (${v.length} chars)` : v;
    if (typeof v !== 'object') return `<${describeType(v)}>`;
    if (v instanceof NdArray) return summarizeArray(v);
    if (v instanceof Complex) return v.toString();
    if (v instanceof PyDateTime) return v.iso;
    if (v instanceof PyPath) return v.path;
    if (v instanceof PyFloat) return v.value;
    if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
    if (v instanceof Uint8Array) return `bytes[${v.length}]`;
    const list = Array.isArray(v) ? v : v instanceof PyTuple ? v.items : v instanceof Set ? [...v] : undefined;
    if (list) {
      if (depth >= maxDepth) return `[… ${plural(list.length, 'item')}]`;
      const shown = list.slice(0, maxItems).map(x => sum(x, depth + 1));
      if (list.length > maxItems) shown.push(`… ${list.length - maxItems} more`);
      return shown;
    }
    if (isPlainObject(v)) {
      const keys = Object.keys(v);
      if (depth >= maxDepth) return `{… ${plural(keys.length, 'key')}}`;
      const out: Record<string, unknown> = {};
      for (const k of keys.slice(0, maxItems)) setOwn(out, k, sum(v[k], depth + 1));
      if (keys.length > maxItems) out['…'] = `${plural(keys.length - maxItems, 'more key')}`;
      return out;
    }
    return `<${describeType(v)}>`;
  };
  return sum(value, 0);
}

/** "ndarray float64 [2,3] -1.5..4", with NaN counts, the true count for bool and |z| for complex. */
export function summarizeArray(a: NdArray): string {
  const head = `ndarray ${a.dtype} [${a.shape.join(',')}]`;
  const n = a.size;
  if (n === 0) return `${head} empty`;
  if (a.dtype === 'bool') {
    let t = 0;
    for (const x of a.data as Uint8Array) if (x) t++;
    return `${head} ${t} true`;
  }
  if (a.dtype === 'int64' || a.dtype === 'uint64') {
    const d = a.data as BigInt64Array | BigUint64Array;
    let lo = d[0];
    let hi = d[0];
    for (const x of d) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    return `${head} ${lo}..${hi}`;
  }
  const complex = a.dtype === 'complex64' || a.dtype === 'complex128';
  const d = a.data as Float32Array | Float64Array | Int32Array;
  let lo = Infinity;
  let hi = -Infinity;
  let nans = 0;
  for (let i = 0; i < n; i++) {
    const x = complex ? Math.hypot(d[2 * i], d[2 * i + 1]) : d[i];
    if (Number.isNaN(x)) nans++;
    else {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
  }
  const nanNote = nans ? ` (${nans} nan)` : '';
  if (nans === n) return `${head} all nan`;
  return `${head} ${complex ? '|z| ' : ''}${formatShort(lo)}..${formatShort(hi)}${nanNote}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function formatShort(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  return String(Number(x.toPrecision(4)));
}
