// Small helpers the Slurm, PBS and LSF executors share for reading scheduler text: timestamps in
// the formats those tools print, and splitting long id lists. Pure functions, no I/O.

/** Long argument lists are split so no command line comes near the kernel's limit. */
export function chunks<T>(items: T[], size = 200): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function unique(items: string[]): string[] {
  return [...new Set(items.map(s => s.trim()).filter(s => s !== ''))];
}

/** Slurm's `2026-11-25T17:17:43` (local time, no zone); undefined for Unknown/None/N/A. */
export function parseIsoLocal(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** PBS's `Sun Mar 19 17:39:12 2017` (local time). */
export function parseCtime(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /^\w{3}\s+(\w{3})\s+(\d{1,2})\s+(\d\d):(\d\d):(\d\d)\s+(\d{4})$/.exec(text.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1].toLowerCase());
  if (month < 0) return undefined;
  return new Date(Number(m[6]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
}

/**
 * LSF's `Feb  2 07:48` (no year; a trailing ` L`, ` E` or ` X` marks an estimate or limit).
 * The year is the one that puts the time in the past (or at most a day ahead, for clock skew).
 */
export function parseLsfTime(text: string | undefined, now = Date.now()): number | undefined {
  if (!text) return undefined;
  const m = /^(\w{3})\s+(\d{1,2})\s+(\d\d):(\d\d)(?::(\d\d))?(?:\s+(\d{4}))?(?:\s+[LEX])?$/.exec(text.trim());
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1].toLowerCase());
  if (month < 0) return undefined;
  const at = (year: number) =>
    new Date(year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0)).getTime();
  if (m[6]) return at(Number(m[6]));
  const year = new Date(now).getFullYear();
  const t = at(year);
  return t > now + 86_400_000 ? at(year - 1) : t;
}
