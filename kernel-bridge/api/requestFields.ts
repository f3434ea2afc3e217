// Checking what a request carries — query parameters and JSON body fields — before anything
// acts on it: the one place where a malformed value becomes a 400 naming the parameter or field
// and the value given, so no route falls back to a default or fails later with a 500.
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseEnvironment, type EnvVars } from '../runner/environment.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

/** A value as it appears in an error message: JSON, cut short so a huge value cannot flood it. */
function shown(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// ---- query parameters ----

/** A query parameter that must be a whole number in [min, max]; a 400 naming it otherwise. */
export function wholeNumberParam(q: URLSearchParams, name: string, min: number, max: number): number {
  const raw = q.get(name) ?? '';
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!(n >= min && n <= max)) {
    throw new HttpError(
      400,
      `query parameter '${name}' must be a whole number from ${min} to ${max}, got '${raw.slice(0, 40)}'`
    );
  }
  return n;
}

/** The same, or `fallback` when the parameter is absent. */
export function optionalWholeNumberParam(
  q: URLSearchParams,
  name: string,
  min: number,
  max: number,
  fallback: number
): number {
  return q.has(name) ? wholeNumberParam(q, name, min, max) : fallback;
}

/**
 * A waiting time in seconds (decimals allowed, as clients ask for fractions of a second), or
 * `fallback` when absent. Longer than `max` is cut to `max`, as documented for each long poll.
 */
export function secondsParam(q: URLSearchParams, name: string, max: number, fallback: number): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,9}(\.\d{1,9})?$/.test(raw)) {
    throw new HttpError(400, `query parameter '${name}' must be a number of seconds from 0, got '${raw.slice(0, 40)}'`);
  }
  return Math.min(max, Number(raw));
}

/** A query parameter that must be one of `choices`, or the first of them when absent. */
export function choiceParam<T extends string>(q: URLSearchParams, name: string, choices: readonly T[]): T {
  const raw = q.get(name);
  if (raw === null) return choices[0];
  if (!(choices as readonly string[]).includes(raw)) {
    throw new HttpError(
      400,
      `query parameter '${name}' must be one of ${choices.map(c => `'${c}'`).join(', ')}, got '${raw.slice(0, 40)}'`
    );
  }
  return raw as T;
}

/** Where a ranged log read starts: ?offset=N, a whole number of bytes; null when absent. */
export function logOffset(raw: string | null): number | null {
  if (raw === null) return null;
  if (!/^\d{1,15}$/.test(raw)) {
    throw new HttpError(400, `'offset' must be a whole number of bytes from 0, got '${raw.slice(0, 40)}'`);
  }
  return Number(raw);
}

/** The tail of a log in lines: ?tail=N, a whole number from 0 to `max` (200 when absent). */
export function logLines(raw: string | null, max: number): number {
  if (raw === null || raw === '') return 200;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) {
    throw new HttpError(400, `'tail' must be a whole number of lines from 0 to ${max}, got '${raw.slice(0, 40)}'`);
  }
  return Number(raw);
}

// ---- JSON body fields ----

/**
 * The fields of a request body: a JSON object (no body, or `null`, is an empty one). `where`
 * ('entry 5') starts every message about the body, so the answer says what was refused.
 */
export class BodyFields {
  private readonly fields: Record<string, unknown>;

  constructor(
    body: unknown,
    private readonly where = ''
  ) {
    if (body !== undefined && body !== null && (typeof body !== 'object' || Array.isArray(body))) {
      throw new HttpError(400, `${this.prefix()}the request body must be a JSON object, got ${shown(body)}`);
    }
    this.fields = (body ?? {}) as Record<string, unknown>;
  }

  private prefix(): string {
    return this.where ? `${this.where}, ` : '';
  }

  /** The raw value; absent and null both read as undefined. */
  private value(name: string): unknown {
    const v = Object.hasOwn(this.fields, name) ? this.fields[name] : undefined;
    return v === null ? undefined : v;
  }

  private refuse(name: string, expected: string): never {
    throw new HttpError(400, `${this.prefix()}field '${name}': must be ${expected}, got ${shown(this.fields[name])}`);
  }

  has(name: string): boolean {
    return this.value(name) !== undefined;
  }

  string(name: string): string | undefined {
    const v = this.value(name);
    if (v !== undefined && typeof v !== 'string') this.refuse(name, 'a string');
    return v as string | undefined;
  }

  boolean(name: string): boolean | undefined {
    const v = this.value(name);
    if (v !== undefined && typeof v !== 'boolean') this.refuse(name, 'true or false');
    return v as boolean | undefined;
  }

  /** A number; whole when `whole` (the engine checks the range it allows). */
  number(name: string, whole = true): number | undefined {
    const v = this.value(name);
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || (whole && !Number.isInteger(v)))) {
      this.refuse(name, whole ? 'a whole number' : 'a number');
    }
    return v as number | undefined;
  }

  /** A JSON object (not an array); null reads as absent unless `nullable` is false. */
  object(name: string, nullable = true): Record<string, unknown> | undefined {
    if (!nullable && this.fields[name] === null) this.refuse(name, 'a JSON object');
    const v = this.value(name);
    if (v !== undefined && (typeof v !== 'object' || Array.isArray(v))) {
      this.refuse(name, nullable ? 'a JSON object or null' : 'a JSON object');
    }
    return v as Record<string, unknown> | undefined;
  }

  /** A list of ids (whole numbers; the caller checks they exist); `what` names them in the message. */
  idList(name: string, what = 'ids'): number[] | undefined {
    const v = this.value(name);
    if (v !== undefined && (!Array.isArray(v) || !v.every(x => Number.isSafeInteger(x)))) {
      this.refuse(name, `a list of ${what}`);
    }
    return v as number[] | undefined;
  }

  /** Any JSON value, unchecked here (a spec is validated in full by the manager). */
  any(name: string): unknown {
    return this.value(name);
  }

  /** A submitter's environment (absent: null), filtered; 400 names the field. */
  environment(name = 'environment'): EnvVars | null {
    const v = this.value(name);
    if (v === undefined) return null;
    try {
      return parseEnvironment(v);
    } catch (e) {
      throw new HttpError(400, `${this.prefix()}${(e as Error).message}`);
    }
  }

  /** A submitter's working folder: an absolute path to an existing folder (absent: null). */
  cwd(name = 'cwd'): string | null {
    const v = this.value(name);
    if (v === undefined) return null;
    if (typeof v !== 'string' || !isAbsolute(v)) this.refuse(name, 'an absolute path');
    let dir = false;
    try {
      dir = statSync(v).isDirectory();
    } catch {
      throw new HttpError(400, `${this.prefix()}field '${name}': no such folder: ${v}`);
    }
    if (!dir) throw new HttpError(400, `${this.prefix()}field '${name}': not a folder: ${v}`);
    return v;
  }
}
