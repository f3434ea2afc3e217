// The form of a manual step: a JSON Schema of the data a person gives when approving it.
// Only the part of JSON Schema (draft 2020-12) that describes a form is supported, so that
// every keyword a schema uses is one we enforce: a keyword we ignored would let data through
// that its author meant to refuse. `checkFormSchema` is run at submit time and refuses the
// rest by name; `validateAgainstForm` checks approved data (and a step's default) against it.
//
// Values arrive in the extended JSON codec (core/codec.ts): a Python tuple is read as an array
// and a non-finite float as a number; other tagged values (ndarray, bytes...) are their own
// kind, which matches no `type` and is named as such in messages.
//
// No I/O and one pure-JavaScript dependency (re2js, for patterns: core/patterns.ts): the
// engine, the bridge and the browser can all run it.

import { patternMatches, patternProblem } from './patterns.js';

/** One thing wrong, and where: a path such as `form.properties.labels` or `data.labels[2]`. */
export interface FormProblem {
  path: string;
  problem: string;
  /**
   * For a problem with data: the value it is about, as keys and indexes under the root (`[]` is
   * the root). A missing required field is told at its object (`path`) but is about the field,
   * so that a form can show it next to that field.
   */
  field?: (string | number)[];
}

/** `data.labels[2]: expected a number, got "x"` */
export function describeProblem(p: FormProblem): string {
  return `${p.path}: ${p.problem}`;
}

const TYPES = ['object', 'array', 'string', 'number', 'integer', 'boolean', 'null'] as const;
type TypeName = (typeof TYPES)[number];

/** Every keyword a form schema may use; anything else is refused at submit. */
export const FORM_KEYWORDS: readonly string[] = [
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'title',
  'description',
  'default',
  'examples',
  'format'
];

/**
 * Allowed at the root only: the dialect a schema declares (generators write one). It changes
 * nothing here: the supported keywords mean the same from draft-06 on, and draft 4's boolean
 * exclusiveMinimum/exclusiveMaximum are refused for their value anyway.
 */
const ROOT_ONLY_KEYWORDS: readonly string[] = ['$schema'];

/** Deeper than any form a person fills in; guards the recursion against absurd documents. */
const MAX_DEPTH = 64;

/** Enough errors to fix a result; a whole wrong array of 10,000 items is not listed item by item. */
const DEFAULT_LIMIT = 20;

// ------------------------------------------------------------------------------ paths

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `a.b`, or `a["two words"]` for keys that would not read as a path. */
function child(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

// ------------------------------------------------------------------------------ values

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isJson(v: unknown, depth = 0): boolean {
  if (depth > MAX_DEPTH * 4) return false;
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return true;
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(x => isJson(x, depth + 1));
  if (isPlainObject(v)) return Object.values(v).every(x => isJson(x, depth + 1));
  return false;
}

/** The codec's reserved key (core/codec.ts TAG), repeated here to keep this module standalone. */
const TAG = '__pq__';

/**
 * What a value is, for a form: its JSON Schema type, with the codec's tuples read as arrays and
 * its float tags as numbers. `kind` is a tag name ("ndarray") for other tagged values.
 */
interface Seen {
  kind: TypeName | string;
  /** The array for arrays and tuples, the number for numbers and float tags, else the value. */
  value: unknown;
}

const NON_FINITE: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };

function see(v: unknown): Seen {
  if (v === null) return { kind: 'null', value: v };
  if (Array.isArray(v)) return { kind: 'array', value: v };
  switch (typeof v) {
    case 'boolean':
    case 'string':
      return { kind: typeof v, value: v };
    case 'number':
      return { kind: Number.isInteger(v) ? 'integer' : 'number', value: v };
    case 'bigint':
      return { kind: 'integer', value: Number(v) };
  }
  if (isPlainObject(v) && typeof v[TAG] === 'string') {
    const tag = v[TAG] as string;
    if (tag === 'tuple' && Array.isArray(v.items)) return { kind: 'array', value: v.items };
    if (tag === 'float' && typeof v.value === 'string' && v.value in NON_FINITE) {
      return { kind: 'number', value: NON_FINITE[v.value] };
    }
    return { kind: tag, value: v };
  }
  return { kind: 'object', value: v };
}

function matchesType(kind: string, t: TypeName): boolean {
  return kind === t || (t === 'number' && kind === 'integer');
}

/** A value as a message shows it: short scalars verbatim, containers by kind. */
function show(v: unknown): string {
  const s = see(v);
  switch (s.kind) {
    case 'null':
    case 'boolean':
    case 'integer':
    case 'number':
      return typeof s.value === 'number' && !Number.isFinite(s.value)
        ? showNonFinite(s.value)
        : JSON.stringify(s.value);
    case 'string': {
      const text = JSON.stringify(s.value);
      return text.length > 60 ? `${text.slice(0, 57)}..."` : text;
    }
    case 'array':
      return v !== s.value ? 'a tuple' : 'an array';
    case 'object':
      return 'an object';
    default:
      return `a value of type ${s.kind}, which a form cannot describe`;
  }
}

/** As the codec spells them (and Python prints them). */
function showNonFinite(n: number): string {
  return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
}

const ARTICLE: Record<TypeName, string> = {
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  null: 'null'
};

/** Deep equality of two values as a form sees them (tuples equal arrays, 1 equals 1.0). */
function sameValue(a: unknown, b: unknown): boolean {
  const sa = see(a);
  const sb = see(b);
  const numeric = (k: string) => k === 'number' || k === 'integer';
  if (numeric(sa.kind) && numeric(sb.kind)) return sa.value === sb.value;
  if (sa.kind !== sb.kind) return false;
  if (sa.kind === 'array') {
    const xa = sa.value as unknown[];
    const xb = sb.value as unknown[];
    return xa.length === xb.length && xa.every((x, i) => sameValue(x, xb[i]));
  }
  if (sa.kind === 'object') {
    const oa = a as Record<string, unknown>;
    const ob = b as Record<string, unknown>;
    const ka = Object.keys(oa);
    return ka.length === Object.keys(ob).length && ka.every(k => k in ob && sameValue(oa[k], ob[k]));
  }
  if (isPlainObject(a)) return JSON.stringify(a) === JSON.stringify(b); // other codec tags, as stored
  return a === b;
}

// ------------------------------------------------------------------------------ the schema

/**
 * Everything wrong with a form schema: keywords outside the supported subset, keywords with
 * values of the wrong shape, and bounds that no value can meet. Empty when the schema is usable.
 * `root` names the schema in paths (validateSpec passes "form").
 */
export function checkFormSchema(schema: unknown, root = 'form'): FormProblem[] {
  const problems: FormProblem[] = [];
  checkSchemaAt(schema, root, 0, problems);
  // Approved data is always a JSON object: a form that allows no object can never be met.
  if (problems.length === 0 && isPlainObject(schema) && schema.type !== undefined) {
    const types = typesOf(schema.type);
    if (!types.includes('object')) {
      problems.push({
        path: `${root}.type`,
        problem: `the data of a manual step is a JSON object, so the form's type must allow 'object', got ${JSON.stringify(schema.type)}`
      });
    }
  }
  return problems;
}

function typesOf(t: unknown): string[] {
  return Array.isArray(t) ? (t as string[]) : [t as string];
}

function checkSchemaAt(s: unknown, path: string, depth: number, out: FormProblem[]): void {
  if (!isPlainObject(s)) {
    out.push({ path, problem: `a schema must be a JSON object, got ${describeJsonKind(s)}` });
    return;
  }
  if (depth > MAX_DEPTH) {
    out.push({ path, problem: `the schema is nested more than ${MAX_DEPTH} levels deep` });
    return;
  }
  const bad = (keyword: string, problem: string) => out.push({ path: child(path, keyword), problem });
  for (const keyword of Object.keys(s)) {
    if (depth === 0 && ROOT_ONLY_KEYWORDS.includes(keyword)) continue;
    if (!FORM_KEYWORDS.includes(keyword)) {
      bad(keyword, `the keyword '${keyword}' is not supported in a form; supported: ${FORM_KEYWORDS.join(', ')}`);
    }
  }

  if (s.type !== undefined) checkType(s.type, child(path, 'type'), out);
  if (s.properties !== undefined) {
    if (!isPlainObject(s.properties))
      bad('properties', `must be an object mapping field names to schemas, got ${describeJsonKind(s.properties)}`);
    else
      for (const [k, sub] of Object.entries(s.properties))
        checkSchemaAt(sub, child(child(path, 'properties'), k), depth + 1, out);
  }
  if (s.required !== undefined) {
    if (!Array.isArray(s.required) || !s.required.every(r => typeof r === 'string')) {
      bad('required', `must be a list of field names, got ${describeJsonKind(s.required)}`);
    } else if (new Set(s.required).size !== s.required.length) {
      bad('required', 'a field is listed twice');
    } else if (s.additionalProperties === false) {
      // Only the listed properties are allowed, so a required field outside them can never be given.
      const known = isPlainObject(s.properties) ? s.properties : {};
      const missing = (s.required as string[]).filter(r => !(r in known));
      if (missing.length > 0) {
        bad(
          'required',
          `${missing.map(m => `'${m}'`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} required but not in properties, and additionalProperties is false: no data can match`
        );
      }
    }
  }
  if (s.additionalProperties !== undefined && typeof s.additionalProperties !== 'boolean') {
    bad('additionalProperties', `only true or false is supported, got ${describeJsonKind(s.additionalProperties)}`);
  }
  if (s.items !== undefined) {
    if (Array.isArray(s.items))
      bad('items', 'must be one schema for every item; a list of schemas (tuple form) is not supported');
    else checkSchemaAt(s.items, child(path, 'items'), depth + 1, out);
  }
  if (s.enum !== undefined) {
    if (!Array.isArray(s.enum) || s.enum.length === 0)
      bad('enum', `must be a non-empty list of values, got ${describeJsonKind(s.enum)}`);
    else if (!isJson(s.enum)) bad('enum', 'the values must be JSON (numbers finite)');
  }
  if ('const' in s && !isJson(s.const)) bad('const', 'the value must be JSON (numbers finite)');
  for (const k of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']) {
    if (s[k] === undefined) continue;
    if (typeof s[k] === 'boolean')
      bad(k, `must be the bound itself, a number (JSON Schema draft 4's boolean form is not supported), got ${s[k]}`);
    else if (typeof s[k] !== 'number' || !Number.isFinite(s[k]))
      bad(k, `must be a number, got ${describeJsonKind(s[k])}`);
  }
  for (const k of ['minLength', 'maxLength', 'minItems', 'maxItems']) {
    if (s[k] !== undefined && (!Number.isInteger(s[k]) || (s[k] as number) < 0))
      bad(k, `must be a whole number >= 0, got ${describeJsonKind(s[k])}`);
  }
  if (s.pattern !== undefined) {
    if (typeof s.pattern !== 'string')
      bad('pattern', `must be a regular expression as a string, got ${describeJsonKind(s.pattern)}`);
    else {
      const problem = patternProblem(s.pattern);
      if (problem) bad('pattern', problem);
    }
  }
  for (const k of ['title', 'description', 'format', ...(depth === 0 ? ROOT_ONLY_KEYWORDS : [])]) {
    if (s[k] !== undefined && typeof s[k] !== 'string') bad(k, `must be a string, got ${describeJsonKind(s[k])}`);
  }
  if ('default' in s && !isJson(s.default)) bad('default', 'the value must be JSON (numbers finite)');
  if (s.examples !== undefined && (!Array.isArray(s.examples) || !isJson(s.examples))) {
    bad('examples', `must be a list of JSON values, got ${describeJsonKind(s.examples)}`);
  }
  checkBounds(s, path, out);
}

function checkType(t: unknown, path: string, out: FormProblem[]): void {
  const names = Array.isArray(t) ? t : [t];
  if (names.length === 0) {
    out.push({ path, problem: 'must name at least one type' });
    return;
  }
  for (const name of names) {
    if (typeof name !== 'string' || !(TYPES as readonly string[]).includes(name)) {
      out.push({
        path,
        problem: `unknown type ${JSON.stringify(name)}; expected ${TYPES.join(', ')} (or a list of them)`
      });
      return;
    }
  }
  if (new Set(names).size !== names.length) out.push({ path, problem: 'a type is listed twice' });
}

/** Lower bounds above upper bounds: a form nobody can fill in, which is surely a typo. */
function checkBounds(s: Record<string, unknown>, path: string, out: FormProblem[]): void {
  const num = (k: string) => (typeof s[k] === 'number' && Number.isFinite(s[k]) ? (s[k] as number) : undefined);
  const pair = (lo: string, hi: string, strict: boolean) => {
    const a = num(lo);
    const b = num(hi);
    if (a !== undefined && b !== undefined && (strict ? a >= b : a > b)) {
      out.push({ path: child(path, lo), problem: `${lo} ${a} is above ${hi} ${b}: no value can match` });
    }
  };
  pair('minimum', 'maximum', false);
  pair('exclusiveMinimum', 'maximum', true);
  pair('minimum', 'exclusiveMaximum', true);
  pair('exclusiveMinimum', 'exclusiveMaximum', true);
  const int = (k: string) => (Number.isInteger(s[k]) && (s[k] as number) >= 0 ? (s[k] as number) : undefined);
  for (const [lo, hi] of [
    ['minLength', 'maxLength'],
    ['minItems', 'maxItems']
  ]) {
    const a = int(lo);
    const b = int(hi);
    if (a !== undefined && b !== undefined && a > b)
      out.push({ path: child(path, lo), problem: `${lo} ${a} is above ${hi} ${b}: no value can match` });
  }
}

/** What a schema author wrote, briefly: `"x"`, `3`, `a list`, `an object`. */
function describeJsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isPlainObject(v)) return 'an object';
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v); // JSON would print null
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// ------------------------------------------------------------------------------ the data

export interface ValidateFormOptions {
  /** Stop after this many problems (default 20). */
  limit?: number;
}

/**
 * Every way `value` fails `schema`, each naming its path under `root` ("data" unless given).
 * Empty when the value matches. The schema is expected to have passed checkFormSchema; parts
 * that did not (a workflow stored before a keyword was refused) are skipped, not trusted.
 */
export function validateAgainstForm(
  schema: unknown,
  value: unknown,
  root = 'data',
  opts: ValidateFormOptions = {}
): FormProblem[] {
  const out: FormProblem[] = [];
  validateAt(schema, value, root, [], 0, out, opts.limit ?? DEFAULT_LIMIT);
  return out;
}

type Field = (string | number)[];

function validateAt(
  s: unknown,
  v: unknown,
  path: string,
  field: Field,
  depth: number,
  out: FormProblem[],
  limit: number
): void {
  if (!isPlainObject(s) || depth > MAX_DEPTH || out.length >= limit) return;
  const report: Report = (problem, at = path, about = field) => {
    if (out.length < limit) out.push({ path: at, problem, field: about });
  };
  const at: At = {
    path,
    field,
    report,
    below: (sub, value, subPath, key) => validateAt(sub, value, subPath, [...field, key], depth + 1, out, limit),
    full: () => out.length >= limit
  };
  const seen = see(v);

  if (s.type !== undefined) {
    const types = typesOf(s.type).filter((t): t is TypeName => (TYPES as readonly string[]).includes(t));
    if (types.length > 0 && !types.some(t => matchesType(seen.kind, t))) {
      // The rest describes a value of the right type: saying more would only repeat this.
      return report(`expected ${types.map(t => ARTICLE[t]).join(' or ')}, got ${show(v)}`);
    }
  }
  if ('const' in s && !sameValue(v, s.const)) report(`must be ${JSON.stringify(s.const)}, got ${show(v)}`);
  if (Array.isArray(s.enum) && s.enum.length > 0 && !s.enum.some(x => sameValue(v, x))) {
    report(`must be one of ${s.enum.map(x => JSON.stringify(x)).join(', ')}, got ${show(v)}`);
  }

  switch (seen.kind) {
    case 'integer':
    case 'number':
      return checkNumber(s, seen.value as number, report);
    case 'string':
      return checkString(s, seen.value as string, report);
    case 'array':
      return checkArray(s, seen.value as unknown[], at);
    case 'object':
      return checkObject(s, v as Record<string, unknown>, at);
  }
}

type Report = (problem: string, at?: string, about?: Field) => void;

/** Where a value being checked stands, and how the checks of its items and fields go on below it. */
interface At {
  path: string;
  field: Field;
  report: Report;
  /** Validates `value`, the part `key` of this one (shown as `path`), against `schema`, one level deeper. */
  below(schema: unknown, value: unknown, path: string, key: string | number): void;
  /** Whether the problems found have reached the limit. */
  full(): boolean;
}

function checkNumber(s: Record<string, unknown>, n: number, report: Report): void {
  const bound = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : undefined);
  const shown = Number.isFinite(n) ? JSON.stringify(n) : showNonFinite(n);
  // Written as "not (n meets the bound)" so that NaN, which meets none, is refused.
  const min = bound('minimum');
  if (min !== undefined && !(n >= min)) report(`must be at least ${min}, got ${shown}`);
  const max = bound('maximum');
  if (max !== undefined && !(n <= max)) report(`must be at most ${max}, got ${shown}`);
  const xmin = bound('exclusiveMinimum');
  if (xmin !== undefined && !(n > xmin)) report(`must be greater than ${xmin}, got ${shown}`);
  const xmax = bound('exclusiveMaximum');
  if (xmax !== undefined && !(n < xmax)) report(`must be less than ${xmax}, got ${shown}`);
}

function checkString(s: Record<string, unknown>, text: string, report: Report): void {
  // JSON Schema counts characters (code points), not UTF-16 units.
  const length = [...text].length;
  const chars = (k: number) => `${k} character${k === 1 ? '' : 's'}`;
  if (Number.isInteger(s.minLength) && length < (s.minLength as number)) {
    report(`must be at least ${chars(s.minLength as number)} long, got ${length}: ${show(text)}`);
  }
  if (Number.isInteger(s.maxLength) && length > (s.maxLength as number)) {
    report(`must be at most ${chars(s.maxLength as number)} long, got ${length}: ${show(text)}`);
  }
  if (typeof s.pattern === 'string') {
    // A pattern refused at submit (an older stored schema) is not held against the person.
    // Not anchored: JSON Schema's pattern matches anywhere unless the pattern says ^...$.
    if (patternProblem(s.pattern) === null && !patternMatches(s.pattern, text)) {
      report(`must match the pattern ${s.pattern}, got ${show(text)}`);
    }
  }
}

function checkArray(s: Record<string, unknown>, items: unknown[], at: At): void {
  const count = (k: number) => `${k} item${k === 1 ? '' : 's'}`;
  if (Number.isInteger(s.minItems) && items.length < (s.minItems as number))
    at.report(`must have at least ${count(s.minItems as number)}, got ${items.length}`);
  if (Number.isInteger(s.maxItems) && items.length > (s.maxItems as number))
    at.report(`must have at most ${count(s.maxItems as number)}, got ${items.length}`);
  if (isPlainObject(s.items)) {
    for (let i = 0; i < items.length && !at.full(); i++) at.below(s.items, items[i], `${at.path}[${i}]`, i);
  }
}

function checkObject(s: Record<string, unknown>, o: Record<string, unknown>, at: At): void {
  const properties = isPlainObject(s.properties) ? s.properties : {};
  if (Array.isArray(s.required)) {
    for (const r of s.required) {
      if (typeof r === 'string' && !Object.prototype.hasOwnProperty.call(o, r))
        at.report(`missing required field '${r}'`, at.path, [...at.field, r]);
    }
  }
  for (const [k, sub] of Object.entries(properties)) {
    if (Object.prototype.hasOwnProperty.call(o, k)) at.below(sub, o[k], child(at.path, k), k);
  }
  if (s.additionalProperties === false) {
    const known = Object.keys(properties);
    const allowed = known.length > 0 ? `the form has ${known.map(k => `'${k}'`).join(', ')}` : 'the form has no fields';
    for (const k of Object.keys(o)) {
      if (!Object.prototype.hasOwnProperty.call(properties, k))
        at.report(`not a field of the form (${allowed})`, child(at.path, k), [...at.field, k]);
    }
  }
}
