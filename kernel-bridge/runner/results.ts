// Reading what a finished run left in its run folder, and turning it into the engine's outcome.
// Every bad case becomes a failure whose text says what was wrong and shows the log tail.
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Outcome } from '../../core/engine.js';
import { jsonNestingProblem, MAX_LOG_BYTES } from '../../core/limits.js';
import type { JsonObject } from '../../core/spec.js';

export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 1024 * 1024;
/** Exit code the executors report for a run they stopped at its time limit. */
export const TIMED_OUT = -124;

/** The exit code in the marker, or null while the run has not ended. */
export function readMarker(runDir: string): number | null {
  try {
    const text = readFileSync(join(runDir, 'marker'), 'utf8');
    if (!text.endsWith('\n')) return null; // being written
    return /^-?\d+$/.test(text.trim()) ? Number(text.trim()) : 255;
  } catch {
    return null;
  }
}

/**
 * The last `lines` lines of a text file (all of it when shorter), read from the end in chunks:
 * a 200 MB log costs no more than the bytes shown. At most `maxBytes` are read; a longer tail
 * starts at the first whole line inside them. A missing or unreadable file gives ''.
 */
export function tailLines(path: string, lines: number, maxBytes = MAX_LOG_BYTES): string {
  if (lines <= 0) return '';
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(path).size;
    const floor = Math.max(0, size - maxBytes);
    const chunks: Buffer[] = [];
    let pos = size;
    let newlines = 0;
    // A final newline ends the last line; it does not start another one.
    let skipLast = true;
    while (pos > floor) {
      const len = Math.min(64 * 1024, pos - floor);
      const buf = Buffer.allocUnsafe(len);
      const got = readSync(fd, buf, 0, len, pos - len);
      const chunk = buf.subarray(0, got);
      pos -= len;
      for (let i = chunk.length - 1; i >= 0; i--) {
        if (chunk[i] !== 0x0a) {
          skipLast = false;
          continue;
        }
        if (skipLast) {
          skipLast = false;
          continue;
        }
        if (++newlines === lines) {
          chunks.unshift(chunk.subarray(i + 1));
          return Buffer.concat(chunks).toString('utf8');
        }
      }
      chunks.unshift(chunk);
    }
    let out = Buffer.concat(chunks);
    if (floor > 0) {
      // Cut by the byte bound: start at a whole line, or at least at a whole character.
      const nl = out.indexOf(0x0a);
      if (nl >= 0 && nl < out.length - 1) out = out.subarray(nl + 1);
      else {
        let i = 0;
        while (i < out.length && (out[i] & 0xc0) === 0x80) i++;
        out = out.subarray(i);
      }
    }
    return out.toString('utf8');
  } catch {
    return '';
  } finally {
    closeSync(fd);
  }
}

function withTail(error: string, runDir: string): string {
  const t = tailLines(join(runDir, 'stderr'), 20, 4000).trim();
  return t ? `${error}\n--- stderr (last lines) ---\n${t}` : error;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readJson(path: string, maxBytes: number): { value?: unknown; problem?: string } {
  const size = statSync(path).size;
  if (size > maxBytes) {
    return {
      problem: `the output is ${(size / 1048576).toFixed(1)} MiB, over the limit of ${(maxBytes / 1048576).toFixed(0)} MiB`
    };
  }
  const text = readFileSync(path, 'utf8');
  // Deep nesting would overflow the stack of whatever walks the value next (and again at every
  // restart, as the run folder is read again): refuse it here, as this entry's failure.
  const deep = jsonNestingProblem(text);
  if (deep) return { problem: `the output is refused: ${deep}` };
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { problem: `the output is not JSON (${(e as Error).message})` };
  }
}

/** Signal names for the usual ways a process is killed (others are named by number only). */
const SIGNALS: Record<number, string> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  24: 'SIGXCPU',
  25: 'SIGXFSZ'
};

/**
 * How a run ended, in words. Exit codes above 128 are read as bash reports a child killed by a
 * signal (128 + signal number); the fork server reports the signal itself and the local pool
 * turns it into the same code.
 */
function describeExit(exitCode: number): string {
  if (exitCode > 128 && exitCode <= 128 + 64) {
    const sig = exitCode - 128;
    return `killed by signal ${sig}${SIGNALS[sig] ? ` (${SIGNALS[sig]})` : ''}`;
  }
  return `exit code ${exitCode}`;
}

/**
 * Whether the run's task always leaves result.json (the Python runner writes it for every
 * ending it sees, even an exception), read from the run folder's input.
 */
function expectsResult(runDir: string): boolean {
  try {
    const code = String(JSON.parse(readFileSync(join(runDir, 'input.json'), 'utf8')).code ?? '');
    return code.endsWith('.py') || code.endsWith('.ipynb');
  } catch {
    return false;
  }
}

/** Outcome of an ended run, from its exit code and result files. */
export function readOutcome(
  runDir: string,
  exitCode: number,
  tmaxSeconds: number,
  maxBytes = DEFAULT_MAX_OUTPUT_BYTES
): Outcome {
  if (exitCode === TIMED_OUT) {
    return { state: 'timed_out', error: withTail(`killed at the time limit of ${tmaxSeconds} s`, runDir) };
  }
  const resultPath = join(runDir, 'result.json');
  if (existsSync(resultPath)) {
    const { value, problem } = readJson(resultPath, maxBytes);
    if (problem) return { state: 'failed', error: withTail(problem, runDir) };
    const r = value as { ok?: unknown; data?: unknown; error?: { repr?: string } };
    if (r.error) return { state: 'failed', error: withTail(r.error.repr ?? 'the task raised an error', runDir) };
    if (exitCode !== 0) return { state: 'failed', error: withTail(describeExit(exitCode), runDir) };
    const data = r.data ?? {};
    if (!isObject(data)) return { state: 'failed', error: 'the task returned data that is not a dict' };
    return r.ok === false ? { state: 'discarded', data } : { state: 'succeeded', data };
  }
  // A Python task without result.json never got back to the runner (os._exit, a crash): whatever
  // its exit code, it has no result to give.
  if (expectsResult(runDir))
    return { state: 'failed', error: withTail(`ended without a result (${describeExit(exitCode)})`, runDir) };
  if (exitCode !== 0) return { state: 'failed', error: withTail(describeExit(exitCode), runDir) };
  const outputPath = join(runDir, 'output.json');
  if (!existsSync(outputPath)) return { state: 'succeeded', data: {} };
  const { value, problem } = readJson(outputPath, maxBytes);
  if (problem) return { state: 'failed', error: withTail(`${problem} in $PQ_OUTPUT`, runDir) };
  if (isObject(value)) return { state: 'succeeded', data: value };
  if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'boolean' && isObject(value[1])) {
    return value[0] ? { state: 'succeeded', data: value[1] } : { state: 'discarded', data: value[1] };
  }
  return { state: 'failed', error: 'the output in $PQ_OUTPUT must be a JSON object or [ok, object]' };
}
