// Small helpers shared by the TypeScript benchmarks: timing, medians with min and max, and
// the result rows that bench/run-all.sh turns into bench/results.md.
import { writeFileSync } from 'node:fs';

export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function spread(xs: number[]): Spread {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], n: s.length };
}

/** Milliseconds taken by fn (high resolution). */
export function timeMs(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function timeMsAsync(fn: () => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** One line of the results table. `better` says which way is good for the ratio. */
export interface Row {
  bench: string;
  metric: string;
  unit: string;
  goal: string;
  ours: Spread;
  baselineName: string;
  baseline: Spread | null;
  better: 'lower' | 'higher';
  note?: string;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}

export function fmtSpread(s: Spread | null): string {
  if (!s) return '-';
  return s.n > 1 ? `${fmt(s.median)} (${fmt(s.min)}–${fmt(s.max)})` : fmt(s.median);
}

/** ours / baseline for times, baseline / ours for rates: > 1 means slower than the baseline. */
export function ratio(r: Row): string {
  if (!r.baseline || r.baseline.median === 0 || r.ours.median === 0) return '-';
  const x = r.better === 'lower' ? r.ours.median / r.baseline.median : r.baseline.median / r.ours.median;
  return `${fmt(x)}×`;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n## ${title}`);
  console.log(
    '| metric | goal | ours: median (min–max) | baseline | baseline: median (min–max) | cost ratio ours/baseline |'
  );
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) {
    console.log(
      `| ${r.metric} [${r.unit}] | ${r.goal} | ${fmtSpread(r.ours)} | ${r.baselineName} | ${fmtSpread(r.baseline)} | ${ratio(r)} |` +
        (r.note ? ` ${r.note}` : '')
    );
  }
}

export function writeRows(path: string | undefined, rows: Row[]): void {
  if (path) writeFileSync(path, JSON.stringify(rows, null, 1));
}

export interface Args {
  smoke: boolean;
  runs: number | null;
  out: string | undefined;
  rest: string[];
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { smoke: false, runs: null, out: undefined, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    if (x === '--smoke') a.smoke = true;
    else if (x === '--runs') a.runs = Number(argv[++i]);
    else if (x === '--out') a.out = argv[++i];
    else a.rest.push(x);
  }
  return a;
}

/** The number after option `name` among the arguments parseArgs left over; undefined when not given. */
export function numberOpt(args: Args, name: string): number | undefined {
  const i = args.rest.indexOf(name);
  return i >= 0 ? Number(args.rest[i + 1]) : undefined;
}

export function mb(bytes: number): number {
  return bytes / (1024 * 1024);
}
