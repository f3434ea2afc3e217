// MyQueue resource strings: `[s:|p:]cores[:processes][:gpusG][:nodename]:tmax[:weight]`.
// Read exactly as myqueue/resources.py (26.8.1) reads them, so that a string written for
// PerQueue/MyQueue means the same here; perqueue_lab/task_classes/util_classes.py is the Python
// twin, and both are checked against one table, tests/fixtures/resources/cases.json.
//
// MyQueue's quirks are kept because scripts rely on them: fields after the cores come in any
// order (a number is processes, a number ending in G is GPUs per node, anything else the node
// name), a repeated field overrides the earlier one, 0 cores means 1, 0 processes means "as many
// as cores", a time of 0 means 10 minutes, more processes than cores is allowed, and the weight
// prints as a whole number. Only strings that MyQueue reads into nonsense are refused although
// MyQueue takes them: signs, spaces or underscores in numbers (Python's int() takes "-3", " 8",
// "1_0") and weights that are not plain decimals ("nan", "inf", "1e3").
// PerQueue adds `local`, `N[:P]:local` and `local:T` (60 s when no time is given).
import { ResourceError } from './errors.js';

export interface Resources {
  cores: number;
  processes: number;
  /** GPUs per node (the `4G` field); 0 when not given. */
  gpus: number;
  /** Node (partition) name; 'local' runs on the local pool. Empty when not given. */
  nodename: string;
  /** Wall-time limit in seconds. */
  tmax: number;
  /** MyQueue's task weight; -1 when not given. */
  weight: number;
  /** The `s:` (true: no MPI) or `p:` (false: MPI) prefix; null when not given. */
  serial: boolean | null;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** MyQueue's default time limit (10 minutes), used for a time of 0. */
const DEFAULT_TMAX = 600;
/** PerQueue's time limit for `local` / `N:local` strings that give none. */
const LOCAL_DEFAULT_TMAX = 60;
const LOCAL_PLAIN = /^(?:(\d+):){0,2}local$/;
const LOCAL_NO_CORES = /^local:(\d+[smhd])$/;

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

function resources(partial: Partial<Resources> & { cores: number; tmax: number }): Resources {
  return { processes: partial.cores, gpus: 0, nodename: '', weight: -1, serial: null, ...partial };
}

/** Parse a resource string; throws ResourceError naming the string and what is wrong. */
export function parseResources(text: string): Resources {
  if (typeof text !== 'string')
    throw new ResourceError(`a resource string is needed (e.g. '1:local:10m'), got ${JSON.stringify(text)}`);
  const bad = (why: string) => new ResourceError(`bad resource string '${text}': ${why}`);
  if (text.trim() === '') throw bad('it is empty');

  const plain = LOCAL_PLAIN.exec(text);
  if (plain) {
    const [first, second] = text.split(':');
    const cores = second === undefined ? 1 : Math.max(1, Number(first));
    const processes = second !== undefined && second !== 'local' ? Number(second) || cores : cores;
    return resources({ cores, processes, nodename: 'local', tmax: LOCAL_DEFAULT_TMAX });
  }
  const noCores = LOCAL_NO_CORES.exec(text);
  if (noCores) return resources({ cores: 1, nodename: 'local', tmax: parseDuration(noCores[1]) });

  let s = text;
  let serial: boolean | null = null;
  if (s.startsWith('s:')) [s, serial] = [s.slice(2), true];
  else if (s.startsWith('p:')) [s, serial] = [s.slice(2), false];
  const whole = (field: string, what: string): number => {
    if (!/^\d+$/.test(field)) throw bad(`${what} '${field}' is not a whole number`);
    const n = Number(field);
    if (!Number.isSafeInteger(n)) throw bad(`${what} '${field}' is too large`);
    return n;
  };
  const parts = s.split(':');
  const cores = whole(parts.shift() as string, 'cores');
  if (parts.length === 0) throw bad('the time limit is missing (e.g. 1:10m)');
  let weight = -1;
  const last = parts[parts.length - 1];
  if (last === '') throw bad('a field is empty');
  // MyQueue's rule: a last field that does not end in a time unit is the weight.
  if (!'smhd'.includes(last[last.length - 1])) {
    if (!/^(\d+\.?\d*|\.\d+)$/.test(last)) throw bad(`'${last}' is neither a time (10m) nor a weight`);
    weight = Number(last);
    parts.pop();
  }
  const tm = parts.pop();
  if (tm === undefined) throw bad('the time limit is missing (e.g. 1:10m)');
  let tmax: number;
  try {
    tmax = parseDuration(tm);
  } catch {
    throw bad(`bad time '${tm}': use a whole number with s, m, h or d`);
  }
  let processes = 0;
  let gpus = 0;
  let nodename = '';
  for (const p of parts) {
    if (p === '') throw bad('a field is empty');
    if (/^\d/.test(p)) {
      if (p.endsWith('G')) gpus = whole(p.slice(0, -1), 'GPUs');
      else processes = whole(p, 'processes');
    } else if (/^[^\s:]+$/.test(p)) {
      nodename = p;
    } else {
      throw bad(`the node name '${p}' contains white space`);
    }
  }
  const c = cores || 1;
  return { cores: c, processes: processes || c, gpus, nodename, tmax: tmax || DEFAULT_TMAX, weight, serial };
}

/** The canonical string, as MyQueue prints it (`str(Resources)`). */
export function formatResources(r: Resources): string {
  let s = r.serial === null || r.serial === undefined ? '' : r.serial ? 's:' : 'p:';
  s += String(r.cores);
  if (r.processes !== r.cores) s += `:${r.processes}`;
  if (r.gpus) s += `:${r.gpus}G`;
  if (r.nodename) s += `:${r.nodename}`;
  s += `:${formatDuration(r.tmax)}`;
  // MyQueue prints int(weight): 2.5 prints as 2 and 0.5 as 0.
  if (r.weight > 0) s += `:${Math.trunc(r.weight)}`;
  return s;
}
