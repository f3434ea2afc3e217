// MyQueue resource strings: `cores[:processes][:nodename]:tmax[:weight]`.
// Parsing follows myqueue/resources.py so that strings written for PerQueue/MyQueue mean the
// same here; the table test in tests/core/resources.test.ts holds MyQueue's doctest cases.
import { ResourceError } from './errors.js';

export interface Resources {
  cores: number;
  processes: number;
  /** Node (partition) name; 'local' runs on the local pool. Empty when not given. */
  nodename: string;
  /** Wall-time limit in seconds. */
  tmax: number;
  weight: number;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Seconds from "10m", "2h", "30s", "1d". */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new ResourceError(`bad time '${text}': use a whole number with s, m, h or d (e.g. 10m)`);
  return Number(m[1]) * UNIT_SECONDS[m[2]];
}

/** "7200" seconds -> "2h": the largest unit that divides evenly (MyQueue's rule). */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const n = UNIT_SECONDS[unit];
    if (seconds % n === 0) return `${seconds / n}${unit}`;
  }
  return `${seconds}s`;
}

/** Parse a resource string; throws ResourceError naming the string and what is wrong. */
export function parseResources(text: string): Resources {
  const bad = (why: string) => new ResourceError(`bad resource string '${text}': ${why}`);
  if (typeof text !== 'string' || text.trim() === '') throw bad('it is empty');
  // PerQueue accepts 'local' alone and 'N:local' without a time; its default time is 60 s.
  const parts = text.split(':');
  if (/^(?:\d+:){0,2}local$/.test(text)) {
    const cores = parts.length > 1 ? Number(parts[0]) : 1;
    return { cores, processes: cores, nodename: 'local', tmax: 60, weight: 0 };
  }
  if (!/^\d+$/.test(parts[0])) throw bad(`cores '${parts[0]}' is not a whole number`);
  const cores = Number(parts[0]);
  if (cores < 1) throw bad('cores must be at least 1');
  let rest = parts.slice(1);
  let weight = 0;
  const last = rest[rest.length - 1];
  if (last !== undefined && !/[smhd]$/.test(last)) {
    if (!/^\d+(\.\d+)?$/.test(last)) throw bad(`'${last}' is neither a time (10m) nor a weight`);
    weight = Number(last);
    rest = rest.slice(0, -1);
  }
  const tm = rest[rest.length - 1];
  if (tm === undefined) throw bad('the time limit is missing (e.g. 1:10m)');
  let tmax: number;
  try {
    tmax = parseDuration(tm);
  } catch {
    throw bad(`bad time '${tm}': use a whole number with s, m, h or d`);
  }
  rest = rest.slice(0, -1);
  let processes = cores;
  let nodename = '';
  for (const p of rest) {
    if (/^\d+$/.test(p)) processes = Number(p);
    else if (/^[A-Za-z_][\w.-]*$/.test(p)) nodename = p;
    else throw bad(`'${p}' is neither a process count nor a node name`);
  }
  if (rest.length > 2) throw bad('too many fields');
  if (processes > cores) throw bad(`processes (${processes}) exceed cores (${cores})`);
  return { cores, processes, nodename, tmax, weight };
}

/** The canonical string, as MyQueue prints it. */
export function formatResources(r: Resources): string {
  let s = String(r.cores);
  if (r.processes !== r.cores) s += `:${r.processes}`;
  if (r.nodename) s += `:${r.nodename}`;
  s += `:${formatDuration(r.tmax)}`;
  if (r.weight > 0) s += `:${Math.trunc(r.weight)}`;
  return s;
}
