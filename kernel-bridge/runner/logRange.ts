// Reading a log from a byte offset on, for a viewer that follows a running entry: each call
// returns what was appended since the last one and where to continue, so a 200 MB log is sent
// once, in bounded pieces, never again from the start.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The most one read returns; the client asks again from the new offset for the rest. */
export const LOG_RANGE_BYTES = 1024 * 1024;

export interface LogRange {
  /** The bytes from the asked offset, decoded; never ends inside a UTF-8 character. */
  text: string;
  /** Where the next read starts: the asked offset plus the bytes in `text`. */
  offset: number;
  /** The file's size now; `offset < size` means more is there to read at once. */
  size: number;
}

/** The asked offset is past the end of the file (it was replaced, e.g. by a retry's new run). */
export class OffsetPastEnd extends Error {
  constructor(
    readonly offset: number,
    readonly size: number
  ) {
    super(`'offset' ${offset} is past the end of the log (${size} bytes)`);
  }
}

/** Up to `maxBytes` of `path` from byte `offset`. No file (not run, not written yet) reads as empty. */
export function readLogRange(path: string | null, offset: number, maxBytes = LOG_RANGE_BYTES): LogRange {
  let fd: number;
  try {
    if (path === null) throw new Error('no log yet');
    fd = openSync(path, 'r');
  } catch {
    if (offset > 0) throw new OffsetPastEnd(offset, 0);
    return { text: '', offset: 0, size: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    if (offset > size) throw new OffsetPastEnd(offset, size);
    const len = Math.min(maxBytes, size - offset);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    // A character cut by the byte bound (or still being written) waits for the next read.
    const whole = got - incompleteTail(buf.subarray(0, got));
    return { text: buf.subarray(0, whole).toString('utf8'), offset: offset + whole, size };
  } finally {
    closeSync(fd);
  }
}

/** How many bytes at the end of `buf` begin a UTF-8 character that is not complete in it. */
function incompleteTail(buf: Buffer): number {
  // Look back over at most 3 continuation bytes for the lead byte of the last character.
  for (let back = 1; back <= Math.min(4, buf.length); back++) {
    const b = buf[buf.length - back];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? back : 0;
  }
  return 0; // only continuation bytes: not UTF-8 text; send as it is
}
