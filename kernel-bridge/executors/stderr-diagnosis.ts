// Reads the end of a run folder's stderr to tell an out-of-memory kill or a wall-time kill from a
// plain failure, when the scheduler only says "failed" (MyQueue's errors.parse_stderr, plus the
// lines Slurm, PBS and LSF print themselves). Owns only reading and classifying; never changes files.
import { open } from 'node:fs/promises';
import { join } from 'node:path';

export interface StderrDiagnosis {
  outOfMemory: boolean;
  timedOut: boolean;
  /** The line that decided, for the user. */
  line?: string;
}

const TAIL_BYTES = 64 * 1024;

/**
 * MyQueue's rule, from the last line backwards: the first line that looks like an error decides,
 * and it is a memory error when it is an OOM kill, a failed malloc, a Python MemoryError or a
 * scheduler's memory-limit message.
 */
export function diagnoseStderr(text: string): StderrDiagnosis {
  const lines = text
    .split('\n')
    .map(l => l.trimEnd())
    .filter(l => l !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i];
    const ll = line.toLowerCase();
    if (
      /due to time limit \*\*\*$/.test(ll) ||
      /job killed: walltime \d+ exceeded limit/.test(ll) ||
      ll.startsWith('term_runlimit:')
    ) {
      return { outOfMemory: false, timedOut: true, line };
    }
    if (ll.startsWith('term_memlimit:') || /job killed: (v?mem|pmem|pvmem) \d+\w* exceeded limit/.test(ll)) {
      return { outOfMemory: true, timedOut: false, line };
    }
    const looksLikeError = [
      'error:',
      'memoryerror',
      'malloc',
      'memory limit',
      'oom-kill',
      'oom_kill',
      'out of memory',
      'out-of-memory',
      'assertionerror'
    ].some(x => ll.includes(x));
    if (!looksLikeError) continue;
    const oom =
      line.endsWith('memory limit at some point.') ||
      line.includes('malloc') ||
      line.startsWith('MemoryError') ||
      ll.includes('oom-kill') ||
      ll.includes('oom_kill') ||
      ll.includes('out-of-memory handler') ||
      ll.endsWith('out of memory');
    return { outOfMemory: oom, timedOut: false, line };
  }
  return { outOfMemory: false, timedOut: false };
}

/** The last 64 KiB of `<runDir>/stderr`; empty when the file is missing or unreadable. */
export async function readStderrTail(runDir: string, fileName = 'stderr'): Promise<string> {
  let handle;
  try {
    handle = await open(join(runDir, fileName), 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, TAIL_BYTES);
    const buf = Buffer.alloc(length);
    await handle.read(buf, 0, length, size - length);
    return buf.toString('utf8');
  } catch {
    return '';
  } finally {
    await handle?.close();
  }
}

export async function diagnoseRunFolder(runDir: string | undefined): Promise<StderrDiagnosis> {
  if (!runDir) return { outOfMemory: false, timedOut: false };
  return diagnoseStderr(await readStderrTail(runDir));
}
