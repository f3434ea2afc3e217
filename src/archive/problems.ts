// What is wrong with a file opened as a workflow archive, said before the reader tries it, so a
// person learns what they have (an empty file, another kind of file, a live database copied
// without its write-ahead log) and how to get a real archive. Pure: jest checks every message.
import { isSqlite } from './queries';

/** The extension `pql export` and "Export Workflow…" give archives. */
export const ARCHIVE_EXTENSION = '.pqarchive';

const HOW_TO_EXPORT =
  "Make an archive with 'pql export -w WF' or \u201cExport Workflow\u2026\u201d in the Workflows sidebar.";

/** The first bytes, as hex, to name what a non-SQLite file starts with. */
function signature(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 8);
  const printable = [...head].every(b => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable) {
    const text = new TextDecoder().decode(bytes.subarray(0, 24)).replace(/\s+/g, ' ').trim();
    return `it is text starting with \u201c${text}\u201d`;
  }
  return `it starts with the bytes ${[...head].map(b => b.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * The problem with `name`'s bytes as an archive, or null when the reader should try it.
 * `walBytes`: the size of a `NAME-wal` file beside it (null when there is none).
 */
export function fileProblem(name: string, bytes: Uint8Array, walBytes: number | null): string | null {
  if (bytes.length === 0) {
    return `${name} is empty, not a workflow archive. ${HOW_TO_EXPORT}`;
  }
  if (!isSqlite(bytes)) {
    return `${name} is not a SQLite database (${signature(bytes)}), so not a workflow archive. ${HOW_TO_EXPORT}`;
  }
  if (walBytes !== null && walBytes > 0) {
    return (
      `${name}-wal lies beside ${name}: this is a live project database copied while its bridge ran, and what is ` +
      `still in that write-ahead log (${walBytes} bytes) is missing from this file. ${HOW_TO_EXPORT}`
    );
  }
  return null;
}

/** An archive's file name from a workflow's name (as `pql export` makes it): letters, digits, '.', '_', '-'. */
export function archiveFileName(name: string, id: number): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '') || 'workflow';
  return `${safe}-${id}${ARCHIVE_EXTENSION}`;
}
