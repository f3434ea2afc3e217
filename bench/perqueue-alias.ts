// What the `perqueue` import alias (perqueue_lab.alias) costs Python tasks on the fork-server
// path: a StaticWidthGroup of N trivial Python tasks through the real daemon, three ways,
// interleaved in one session on the same daemon and cores:
//   off        PQ_PERQUEUE_ALIAS=0, the task imports perqueue_lab.constants (the baseline)
//   on         the alias installed, the same task
//   unchanged  the alias installed, the task imports perqueue.constants (a PerQueue script as is)
// Each way has its own fork server (the submitting environment differs); one warm-up workflow
// per way starts it before anything is timed.
// Usage: node build/bench/perqueue-alias.js [--smoke] [--runs N] [--tasks N] [--cores N] [--out rows.json]
// A benchmark, not a test: it prints numbers and never fails on one.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberOpt, parseArgs, printRows, spread, timeMs, writeRows, type Row } from './stats.js';
import { PQL, REPO } from './where.js';

const PYTHON =
  process.env.PQ_PYTHON ?? (existsSync(join(REPO, '.venv/bin/python')) ? join(REPO, '.venv/bin/python') : 'python3');

type Way = 'off' | 'on' | 'unchanged';
const WAYS: Way[] = ['off', 'on', 'unchanged'];

function pql(env: NodeJS.ProcessEnv, cwd: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [PQL, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`pql ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const task = (pkg: string) =>
  `from ${pkg}.constants import INDEX_KW\n\ndef main(**kw):\n    return True, {"i": kw[INDEX_KW][0]}\n`;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const tasks = numberOpt(args, '--tasks') ?? (args.smoke ? 30 : 500);
  const cores = numberOpt(args, '--cores') ?? availableParallelism();
  const runs = args.runs ?? (args.smoke ? 1 : 5);
  console.log(
    `perqueue alias benchmark: ${tasks} Python tasks per workflow on the fork server, ${cores} cores, ${runs} run(s) per way, medians (min–max)`
  );
  const dir = mkdtempSync(join(tmpdir(), 'pq-bench-alias-'));
  const base: NodeJS.ProcessEnv = { ...process.env, PQ_PROJECT: dir, PQ_LOCAL_CORES: String(cores), PQ_PYTHON: PYTHON };
  delete base.PQ_FORKSERVER;
  const envOf = (way: Way): NodeJS.ProcessEnv =>
    way === 'off' ? { ...base, PQ_PERQUEUE_ALIAS: '0' } : { ...base, PQ_PERQUEUE_ALIAS: '1' };
  const scripts: Record<Way, string> = {
    off: join(dir, 'lab.py'),
    on: join(dir, 'lab.py'),
    unchanged: join(dir, 'pq.py')
  };
  writeFileSync(scripts.off, task('perqueue_lab'));
  writeFileSync(scripts.unchanged, task('perqueue'));
  const rates: Record<Way, number[]> = { off: [], on: [], unchanged: [] };
  try {
    pql(base, dir, 'daemon', 'start');
    const once = (way: Way, width: number): number => {
      const specFile = join(dir, `spec-${way}.json`);
      const body = { kind: 'task', name: 't', code: scripts[way], args: {}, resources: '1:local:1m' };
      writeFileSync(
        specFile,
        JSON.stringify({
          specVersion: 1,
          name: `alias-${way}`,
          root: { kind: 'static_width', name: 'SWG', width, body }
        })
      );
      let wf = 0;
      const ms = timeMs(() => {
        wf = JSON.parse(pql(envOf(way), dir, 'submit', '--spec', specFile, '--json')).workflowId;
        pql(base, dir, 'wait', String(wf), '--timeout', '600', '--quiet');
      });
      const failed = JSON.parse(pql(base, dir, 'ls', '-w', String(wf), '--json')).filter(
        (e: { state: string }) => e.state !== 'succeeded'
      );
      if (failed.length)
        throw new Error(`${way}: ${failed.length} entries did not succeed: ${JSON.stringify(failed[0])}`);
      return ms;
    };
    for (const way of WAYS) once(way, Math.min(cores, tasks)); // starts each way's fork server
    for (let r = 0; r < runs; r++) {
      // Rotated, so that load from elsewhere on the machine hits every way alike.
      for (let k = 0; k < WAYS.length; k++) {
        const way = WAYS[(r + k) % WAYS.length];
        rates[way].push(tasks / (once(way, tasks) / 1000));
      }
    }
  } finally {
    try {
      pql(base, dir, 'daemon', 'stop');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const baseline = spread(rates.off);
  const rows: Row[] = [
    {
      bench: 'alias',
      metric: `${tasks} Python tasks (fork server), submit → wait returns: alias installed, script imports perqueue_lab`,
      unit: 'tasks/s',
      goal: 'same as without',
      ours: spread(rates.on),
      baselineName: 'alias off (PQ_PERQUEUE_ALIAS=0)',
      baseline,
      better: 'higher'
    },
    {
      bench: 'alias',
      metric: `${tasks} Python tasks (fork server), submit → wait returns: unchanged PerQueue script (imports perqueue)`,
      unit: 'tasks/s',
      goal: 'same as without',
      ours: spread(rates.unchanged),
      baselineName: 'alias off, script imports perqueue_lab',
      baseline,
      better: 'higher'
    }
  ];
  printRows('The perqueue import alias', rows);
  writeRows(args.out, rows);
}

main();
