// MyQueue resource strings: `cores[:processes][:gpus G][:nodename]:tmax[:weight]`.
// Parsing follows myqueue/resources.py so that strings written for PerQueue/MyQueue mean the
// same here; the table test in tests/core/resources.test.ts holds MyQueue's doctest cases.
//
// Where MyQueue silently turns a string into something else, this parser refuses it instead,
// because a spec is checked before anything runs and a clear error beats a surprise job:
// cores or processes of 0 (MyQueue: "use the default"), a time of 0 (MyQueue: 10 minutes),
// a field given twice (MyQueue: the last wins) and processes > cores (newer MyQueue only warns).
// Newer MyQueue's `s:`/`p:` prefix (call mpiexec or not) is refused too: the executors here
// have no use for it yet, and reading it as cores would be wrong.
import { ResourceError } from './errors.js';

export interface Resources {
  cores: number;
  processes: number;
  /** GPUs per node (MyQueue 24.10+ `4G` field); 0 when not given. */
  gpus: number;
  /** Node (partition) name; 'local' runs on the local pool. Empty when not given. */
  nodename: string;
  /** Wall-time limit in seconds. */
  tmax: number;
  weight: number;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** PerQueue's time limit for `local` / `N:local` strings that give none. */
const LOCAL_DEFAULT_TIME = '1m';

/** Seconds from "10m", "2h", "30s", "1d". */
export function parseDuration(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text);
  if (!m) throw new ResourceError(`bad time '${text}': use a whole number with s, m, h or d (e.g. 10m)`);
  const seconds = Number(m[1]) * UNIT_SECONDS[m[2]];
  if (!Number.isSafeInteger(seconds)) throw new ResourceError(`bad time '${text}': it is too large`);
  return seconds;
}

/** "7200" seconds -> "2h": the largest unit that divides evenly (MyQueue's rule). */
export function formatDuration(seconds: number): string {
  // MyQueue takes int() first, so a fractional time never prints as "90.5s".
  const n = Math.trunc(seconds);
  for (const unit of ['d', 'h', 'm'] as const) {
    const u = UNIT_SECONDS[unit];
    if (n % u === 0) return `${n / u}${unit}`;
  }
  return `${n}s`;
}

/** Parse a resource string; throws ResourceError naming the string and what is wrong. */
export function parseResources(text: string): Resources {
  const bad = (why: string) => new ResourceError(`bad resource string '${text}': ${why}`);
  if (typeof text !== 'string' || text.trim() === '') throw bad('it is empty');
  let parts = text.split(':');
  // PerQueue accepts 'local' alone and 'N[:P]:local' without a time.
  if (parts[parts.length - 1] === 'local') {
    if (parts.length === 1) parts = ['1', 'local'];
    parts = [...parts, LOCAL_DEFAULT_TIME];
  }
  const [first, ...rest] = parts;
  if (first === 's' || first === 'p') {
    throw bad(`the '${first}:' prefix (serial/MPI) is not supported; leave it out`);
  }
  if (!/^\d+$/.test(first)) throw bad(`cores '${first}' is not a whole number`);
  const cores = Number(first);
  if (cores < 1 || !Number.isSafeInteger(cores)) throw bad(`cores must be a whole number of at least 1, got ${first}`);

  let weight = 0;
  const last = rest[rest.length - 1];
  // MyQueue's rule: a last field that does not end in a time unit is the weight.
  if (last !== undefined && !/[smhd]$/.test(last)) {
    if (!/^\d+(\.\d+)?$/.test(last)) throw bad(`'${last}' is neither a time (10m) nor a weight`);
    weight = Number(last);
    rest.pop();
  }
  const tm = rest.pop();
  if (tm === undefined) throw bad('the time limit is missing (e.g. 1:10m)');
  let tmax: number;
  try {
    tmax = parseDuration(tm);
  } catch {
    throw bad(`bad time '${tm}': use a whole number with s, m, h or d`);
  }
  if (tmax === 0) throw bad('the time limit must be more than 0');

  let processes: number | undefined;
  let gpus: number | undefined;
  let nodename: string | undefined;
  for (const p of rest) {
    if (/^\d+$/.test(p)) {
      if (processes !== undefined) throw bad(`two process counts ('${processes}' and '${p}')`);
      processes = Number(p);
      if (processes < 1) throw bad('processes must be at least 1');
    } else if (/^\d+G$/.test(p)) {
      if (gpus !== undefined) throw bad(`two GPU counts ('${gpus}G' and '${p}')`);
      gpus = Number(p.slice(0, -1));
    } else if (/^[A-Za-z_][\w.-]*$/.test(p)) {
      if (nodename !== undefined) throw bad(`two node names ('${nodename}' and '${p}')`);
      nodename = p;
    } else {
      throw bad(`'${p}' is neither a process count, a GPU count (4G) nor a node name`);
    }
  }
  processes ??= cores;
  if (processes > cores) throw bad(`processes (${processes}) exceed cores (${cores})`);
  return { cores, processes, gpus: gpus ?? 0, nodename: nodename ?? '', tmax, weight };
}

/** The canonical string, as MyQueue prints it. */
export function formatResources(r: Resources): string {
  let s = String(r.cores);
  if (r.processes !== r.cores) s += `:${r.processes}`;
  if (r.gpus) s += `:${r.gpus}G`;
  if (r.nodename) s += `:${r.nodename}`;
  s += `:${formatDuration(r.tmax)}`;
  // MyQueue prints int(weight), which turns 0.5 into ":0" and so into no weight at all when read
  // back; the exact number is printed instead (MyQueue reads it with float()).
  if (r.weight > 0) s += `:${r.weight}`;
  return s;
}
