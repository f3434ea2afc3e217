// Whose a run folder is, and what to say when a run left no result. Every input.json names the
// store that wrote it (the store's random id), so a folder left by a store that was lost,
// truncated or replaced is never taken as the result of a new entry that happens to have the
// same workflow and entry ids.
import { existsSync, readFileSync, renameSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { tailLines } from './results.js';

/**
 * Who wrote a run folder's input.json: its store id and entry, undefined without one; store null
 * for folders of older versions (or an input.json being written, which is this store's).
 */
function runOwner(runDir: string): { store: string | null; entryId?: number; attempt?: number } | undefined {
  let text: string;
  try {
    text = readFileSync(join(runDir, 'input.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as { store?: unknown; entryId?: unknown; attempt?: unknown };
    return {
      store: typeof v.store === 'string' ? v.store : null,
      entryId: typeof v.entryId === 'number' ? v.entryId : undefined,
      attempt: typeof v.attempt === 'number' ? v.attempt : undefined
    };
  } catch {
    return { store: null };
  }
}

/**
 * Moves a run folder another store wrote out of the way (renamed, never deleted: it is someone's
 * results). Folders without a store id (written before stores had one) are kept as they are.
 */
export function setAsideIfForeign(
  runDir: string,
  storeId: string,
  log?: (line: string) => void,
  entry?: { id: number; attempt: number }
): boolean {
  const owner = runOwner(runDir);
  if (owner === undefined || owner.store === null) return false;
  let why: string | null = null;
  if (owner.store !== storeId) why = `belongs to another store (${owner.store}, this one is ${storeId})`;
  else if (entry && (owner.entryId !== entry.id || owner.attempt !== entry.attempt)) {
    why = `holds entry ${owner.entryId} attempt ${owner.attempt}, not entry ${entry.id} attempt ${entry.attempt}`;
  }
  if (why === null) return false;
  const aside = `${runDir}.foreign-${Date.now()}`;
  renameSync(runDir, aside);
  log?.(`run folder ${runDir} ${why}: moved to ${aside}, the entry runs afresh`);
  return true;
}

/** Free bytes on the file system holding `path`, or null when it cannot be asked. */
function freeBytes(path: string): number | null {
  try {
    const fs = statfsSync(path);
    return fs.bavail * fs.bsize;
  } catch {
    return null;
  }
}

/** Why a run's files say its disk was full, or null: its logs, a cut marker, no space left now. */
export function diskFullNote(runDir: string): string | null {
  const logs = `${tailLines(join(runDir, 'stderr'), 40)}\n${tailLines(join(runDir, 'stdout'), 40)}`;
  if (/No space left on device|ENOSPC|Disk quota exceeded/i.test(logs)) return 'it reported No space left on device';
  let markerCut = false;
  try {
    markerCut = existsSync(join(runDir, 'marker')) && !readFileSync(join(runDir, 'marker'), 'utf8').endsWith('\n');
  } catch {
    /* unreadable: no evidence */
  }
  if (markerCut) return 'its exit code could not be written';
  const free = freeBytes(runDir);
  if (free !== null && free < 1 << 20) return `${free} bytes are free`;
  return null;
}

/** The failure text of a run whose process ended without writing its result. */
export function lostRunError(runDir: string): string {
  const full = diskFullNote(runDir);
  if (full)
    return `the job ended without a result: the disk holding ${runDir} was full (${full}); retry it once space is freed`;
  return 'the job process ended without a result (killed or lost)';
}
