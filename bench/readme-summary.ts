// Writes the benchmark summary into README.md, between the lines `<!-- bench:begin -->` and
// `<!-- bench:end -->`, from the rows bench/run-all.sh just wrote to bench/results/*.json, so the
// figures in the README are always those of the last full run.
// Usage: node build/bench/readme-summary.js RESULTS_DIR README [--date YYYY-MM-DD]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Row, Spread } from './stats.js';

interface CompareRow {
  shape: string;
  system: string;
  size: Record<string, number>;
  tasks: number;
  per_task_ms: { median: number; min: number; max: number; n: number } | null;
  ratio_vs_ours: number | null;
}

const BEGIN = '<!-- bench:begin -->';
const END = '<!-- bench:end -->';

function rows<T>(path: string): T[] {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T[]) : [];
}

/** 1234.5 → "1,235"; 3.21 → "3.2"; 0.0456 → "0.046". */
function num(x: number): string {
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  if (x >= 10) return x.toFixed(1);
  if (x >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function spread(s: Spread, scale = 1): string {
  const m = num(s.median * scale);
  return s.n > 1 ? `${m} (${num(s.min * scale)}–${num(s.max * scale)})` : m;
}

function find(all: Row[], pattern: RegExp): Row | undefined {
  return all.find(r => pattern.test(r.metric));
}

export function summary(dir: string, date: string): string {
  const engine = rows<Row>(join(dir, 'engine.json'));
  const disk = rows<Row>(join(dir, 'local-disk.json'));
  const fresh = rows<Row>(join(dir, 'local.json'));
  const compare = rows<CompareRow>(join(dir, 'compare.json'));
  const out: string[] = [];
  out.push(
    `Measured by \`bench/run-all.sh\` on ${date}: medians with (min–max) of several runs, every figure beside a`
  );
  out.push('baseline run in the same session; the machine, the file systems and every row are in');
  out.push('[bench/results.md](bench/results.md).');
  out.push('');
  out.push('| what | goal | measured | baseline in the same run |');
  out.push('| --- | --- | --- | --- |');
  const line = (what: string, goal: string, r: Row | undefined, unit: string, scale = 1, baseline = true) => {
    if (!r) return;
    const base = baseline && r.baseline ? `${r.baselineName}: ${spread(r.baseline, scale)}${unit}` : '—';
    out.push(`| ${what} | ${goal} | ${spread(r.ours, scale)}${unit} | ${base} |`);
  };
  line('compile + store a 100,000-entry StaticWidthGroup', '≤ 2 s', find(engine, /^\(a\)/), ' s', 1 / 1000);
  line('engine transitions, each committed', '≥ 5,000/s', find(engine, /^\(b\)/), '/s');
  line('status of a 100,000-entry workflow', '≤ 50 ms', find(engine, /^\(c\)/), ' ms');
  line('the same in a store of 10⁶ entries', '≤ 50 ms', find(engine, /^\(d\).*status of one/), ' ms');
  line(
    'RSS of a bridge process that opened that store and queried it',
    '≤ 200 MB',
    find(engine, /^\(d\).*RSS/),
    ' MB',
    1,
    false
  );
  const widest = find(engine, /^\(e\) compile/);
  const w = widest?.metric.match(/([\d,]+)-entry/)?.[1] ?? '10⁶';
  line(`compile + store a ${w}-entry StaticWidthGroup (the widest allowed)`, '≤ 10 s', widest, ' s', 1 / 1000);
  line(`run it to the end (no-op executor, 1,000 endings per commit)`, '—', find(engine, /^\(e\) run/), ' s', 1 / 1000);
  line('status of that workflow', '≤ 50 ms', find(engine, /^\(e\) status/), ' ms');
  line(
    `first line of \`pql ls\` on that ${w}-entry store (process start included)`,
    '≤ 100 ms',
    find(engine, /^\(e\) first line/),
    ' ms'
  );
  line(
    "local executor, 1,000 trivial shell tasks, projects on this machine's disk",
    '≥ 300/s',
    find(disk, /submit → wait/),
    '/s'
  );
  line('the same, projects on a fresh journaled ext4', '≥ 300/s', find(fresh, /submit → wait/), '/s');
  if (compare.length) {
    out.push('');
    out.push('Side by side with the published PerQueue 0.3.2, alone and through MyQueue 26.8.1, trivial Python');
    out.push("tasks, so the figure is the managers' overhead: milliseconds per task, and how many times more");
    out.push('PerQueue takes than PerQueue Lab on a run of the same size.');
    out.push('');
    out.push('| shape | PerQueue Lab | PerQueue local | × | PerQueue + MyQueue | × |');
    out.push('| --- | --- | --- | --- | --- | --- |');
    const names: Record<string, string> = {
      chain: 'chain',
      fanout: 'fan-out (StaticWidthGroup)',
      cycle: 'CyclicalGroup',
      al: 'active learning: SWG, then a CyclicalGroup of DynamicWidthGroups'
    };
    for (const shape of ['chain', 'fanout', 'cycle', 'al']) {
      const cells = compare.filter(c => c.shape === shape && c.per_task_ms);
      const ours = cells.filter(c => c.system === 'ours').sort((a, b) => b.tasks - a.tasks);
      if (!ours.length) continue;
      const other = (system: string) => {
        const c = cells.find(x => x.system === system);
        if (!c) return ['—', '—'];
        const size = c.tasks === ours[0].tasks ? '' : ` (${c.tasks} tasks)`;
        return [`${num(c.per_task_ms!.median)} ms${size}`, c.ratio_vs_ours ? `${num(c.ratio_vs_ours)}×` : '—'];
      };
      const mine = ours.map((c, i) =>
        i === 0 ? `${num(c.per_task_ms!.median)} ms` : `${c.tasks}: ${num(c.per_task_ms!.median)} ms`
      );
      const mineText = mine.length > 1 ? `${mine[0]} (${mine.slice(1).join(', ')})` : mine[0];
      out.push(
        `| ${names[shape]}, ${ours[0].tasks.toLocaleString('en-US')} tasks | ${mineText} | ${other('pq-local').join(' | ')} | ${other('pq+mq').join(' | ')} |`
      );
    }
  }
  return out.join('\n');
}

function main(): void {
  const [dir, readme] = process.argv.slice(2);
  const at = process.argv.indexOf('--date');
  const date = at > 0 ? process.argv[at + 1] : new Date().toISOString().slice(0, 10);
  const text = readFileSync(readme, 'utf8');
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  if (b < 0 || e < b) throw new Error(`${readme} has no ${BEGIN} … ${END} block`);
  writeFileSync(readme, `${text.slice(0, b + BEGIN.length)}\n${summary(dir, date)}\n${text.slice(e)}`);
  console.log(`== updated the benchmark summary in ${readme}`);
}

main();
