// Storage faults: SQLite errors that say the file system or the file itself failed, as opposed
// to a bug in a statement. The bridge reacts to them (pauses on a full disk, stops on a file it
// can no longer write) instead of answering every later request with an internal error.

export type StorageProblem = 'disk_full' | 'read_only' | 'io_error' | 'corrupt';

export class StorageFault extends Error {
  constructor(
    readonly problem: StorageProblem,
    message: string,
    readonly cause?: unknown
  ) {
    super(message);
  }
}

// Primary SQLite result codes (https://sqlite.org/rescode.html).
const SQLITE_PERM = 3;
const SQLITE_READONLY = 8;
const SQLITE_IOERR = 10;
const SQLITE_CORRUPT = 11;
const SQLITE_FULL = 13;
const SQLITE_CANTOPEN = 14;
const SQLITE_NOTADB = 26;

/** The storage problem an error from node:sqlite or node:fs stands for, or null. */
export function storageProblemOf(e: unknown): StorageProblem | null {
  if (e instanceof StorageFault) return e.problem;
  const err = e as { errcode?: number; code?: string; message?: string } | null;
  if (!err || typeof err !== 'object') return null;
  if (typeof err.errcode === 'number') {
    const primary = err.errcode & 0xff;
    if (primary === SQLITE_FULL) return 'disk_full';
    if (primary === SQLITE_READONLY || primary === SQLITE_PERM) return 'read_only';
    if (primary === SQLITE_CORRUPT || primary === SQLITE_NOTADB) return 'corrupt';
    if (primary === SQLITE_IOERR || primary === SQLITE_CANTOPEN) {
      // An I/O error while the disk is full is the full disk (SQLite reports some writes that way).
      return /disk is full|no space/i.test(err.message ?? '') ? 'disk_full' : 'io_error';
    }
    return null;
  }
  switch (err.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return 'disk_full';
    case 'EROFS':
    case 'EPERM':
    case 'EACCES':
      return 'read_only';
    case 'EIO':
      return 'io_error';
    default:
      return null;
  }
}

/** What a person reads about a storage problem of `path`. */
export function describeStorageProblem(problem: StorageProblem, path: string, detail: string): string {
  switch (problem) {
    case 'disk_full':
      return `the disk holding ${path} is full (${detail}): nothing committed is lost; the bridge pauses and resumes once space is freed`;
    case 'read_only':
      return `${path} cannot be written (${detail}): it or its folder is read-only, immutable (chattr +i) or on a read-only mount`;
    case 'corrupt':
      return `${path} is damaged (${detail}): stop the bridge and run 'pql doctor' to salvage what can be read`;
    case 'io_error':
      return `the disk failed while writing ${path} (${detail})`;
  }
}
