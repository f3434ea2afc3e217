// Slurm through the bridge, beside raw Slurm on the same one-node cluster in the same session:
//   chain latency   a chain of K trivial tasks. For each link: the parent's last command ->
//                   the child's submission (the run intent the bridge commits just before sbatch)
//                   and -> the child's first command, twice: with `nativeDependencies: false`
//                   (the bridge submits each child when its parent ended) and with the default
//                   (children submitted ahead with afterok; Slurm starts them, the bridge writes
//                   their input). Baseline: the same chain submitted at once with raw sbatch
//                   `--dependency=afterok` (Slurm starts each child itself).
//   throughput      N trivial jobs (a StaticWidthGroup of N) submitted and waited for with `pql`;
//                   baseline: the same N job scripts submitted with a raw sbatch loop, waited for
//                   with squeue.
//   packing         P one-second tasks through the Slurm executor, side by side: one sbatch per
//                   task (today's path) and Slurm job arrays (`submitArray`, one sbatch per
//                   MaxArraySize elements). Submissions counted; makespan against what the node's
//                   CPU slots need (P s / slots). Skipped with `--pack 0`.
// Needs a running Slurm (tests/slurm/start-slurm.sh; SLURM_CONF defaults to its sandbox).
// Usage: node build/bench/slurm-latency.js [--chain K] [--jobs N] [--pack P] [--only-pack]
// A benchmark, not a test: it prints numbers and never fails on one.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { spread } from './stats.js';
import { PQL } from './where.js';
import { parseResources } from '../core/resources.js';
import { SlurmExecutor } from '../kernel-bridge/executors/slurm.js';
import type { JobRequest } from '../kernel-bridge/executors/types.js';

if (!process.env.SLURM_CONF && existsSync('/tmp/pq-slurm/etc/slurm.conf'))
  process.env.SLURM_CONF = '/tmp/pq-slurm/etc/slurm.conf';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const CHAIN = opt('chain', 6);
const JOBS = opt('jobs', 200);
const PACK = opt('pack', 500);
const ONLY_PACK = argv.includes('--only-pack');

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): string {
  const r = spawnSync(file, args, { env, cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Folders made here, removed when the benchmark ends. */
const made: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
const nowMs = () => Date.now();
const readNs = (path: string) => Number(readFileSync(path, 'utf8').trim()) / 1e6; // date +%s%N -> ms

function project(prefix: string, nativeDependencies = true): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir(prefix);
  const env = { ...process.env, PQ_PROJECT: dir, PQ_SCHEDULER_POLL_MS: '2000' };
  run(process.execPath, [PQL, 'config', 'slurm'], env, dir);
  if (!nativeDependencies) {
    const path = join(dir, '.perqueue/config.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), nativeDependencies: false }));
  }
  return { dir, env };
}

function submit(p: { dir: string; env: NodeJS.ProcessEnv }, spec: unknown): number {
  const r = spawnSync(process.execPath, [PQL, 'submit', '--spec', '-', '--json'], {
    cwd: p.dir,
    env: p.env,
    input: JSON.stringify(spec),
    encoding: 'utf8'
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout).workflowId;
}

async function bridgeChain(k: number, nativeDependencies: boolean): Promise<{ toSubmit: number[]; toStart: number[] }> {
  const p = project('pq-bench-slurm-chain-', nativeDependencies);
  // Stamps in the run folder: first and last command of the task.
  const task = join(p.dir, 'link.sh');
  writeFileSync(task, '#!/bin/bash\ndate +%s%N > "$PQ_RUN_DIR/t-start"\ndate +%s%N > "$PQ_RUN_DIR/t-end"\n');
  chmodSync(task, 0o755);
  const nodes = Array.from({ length: k }, (_, i) => ({
    id: `l${i}`,
    node: { kind: 'task', name: `l${i}`, code: task, args: {}, resources: '1:1m' },
    parents: i ? [`l${i - 1}`] : []
  }));
  const wf = submit(p, { specVersion: 1, name: 'chain', root: { kind: 'workflow', nodes } });
  run(process.execPath, [PQL, 'wait', String(wf), '--timeout', '300', '--quiet'], p.env, p.dir);
  const db = new DatabaseSync(join(p.dir, '.perqueue/perqueue.sqlite'), { readOnly: true });
  const runs = db.prepare('SELECT node_id, run_dir, submitted_at FROM runs ORDER BY node_id').all() as {
    node_id: number;
    run_dir: string;
    submitted_at: number;
  }[];
  db.close();
  run(process.execPath, [PQL, 'daemon', 'stop'], p.env, p.dir);
  const toSubmit: number[] = [];
  const toStart: number[] = [];
  for (let i = 1; i < runs.length; i++) {
    const parentEnd = readNs(join(runs[i - 1].run_dir, 't-end'));
    toSubmit.push(runs[i].submitted_at - parentEnd);
    toStart.push(readNs(join(runs[i].run_dir, 't-start')) - parentEnd);
  }
  return { toSubmit, toStart };
}

async function nativeChain(k: number): Promise<number[]> {
  const dir = tempDir('pq-bench-slurm-afterok-');
  const script = join(dir, 'link.sh');
  writeFileSync(script, '#!/bin/bash\ndate +%s%N > "$PWD/t-start"\ndate +%s%N > "$PWD/t-end"\n');
  chmodSync(script, 0o755);
  const dirs: string[] = [];
  const ids: string[] = [];
  for (let i = 0; i < k; i++) {
    const d = join(dir, `l${i}`);
    mkdirSync(d);
    dirs.push(d);
    const dep = i ? [`--dependency=afterok:${ids[i - 1]}`, '--kill-on-invalid-dep=yes'] : [];
    ids.push(
      run('sbatch', ['--parsable', `--chdir=${d}`, '--output=/dev/null', '--time=1', ...dep, script])
        .trim()
        .split(';')[0]
    );
  }
  while (!existsSync(join(dirs[k - 1], 't-end'))) await sleep(100);
  const out: number[] = [];
  for (let i = 1; i < k; i++) out.push(readNs(join(dirs[i], 't-start')) - readNs(join(dirs[i - 1], 't-end')));
  return out;
}

async function bridgeThroughput(n: number): Promise<number> {
  const p = project('pq-bench-slurm-fan-');
  const task = join(p.dir, 'true.sh');
  writeFileSync(task, '#!/bin/bash\ntrue\n');
  chmodSync(task, 0o755);
  const spec = {
    specVersion: 1,
    name: 'fan',
    root: {
      kind: 'static_width',
      width: n,
      body: { kind: 'task', name: 'true', code: task, args: {}, resources: '1:1m' }
    }
  };
  run(process.execPath, [PQL, 'daemon', 'start'], p.env, p.dir);
  const t0 = nowMs();
  const wf = submit(p, spec);
  run(process.execPath, [PQL, 'wait', String(wf), '--timeout', '600', '--quiet'], p.env, p.dir);
  const ms = nowMs() - t0;
  run(process.execPath, [PQL, 'daemon', 'stop'], p.env, p.dir);
  return ms;
}

async function rawThroughput(n: number): Promise<number> {
  const dir = tempDir('pq-bench-slurm-raw-');
  const script = join(dir, 'true.sh');
  writeFileSync(script, '#!/bin/bash\ntrue\n');
  chmodSync(script, 0o755);
  const name = `pqbench-raw-${process.pid}`;
  const t0 = nowMs();
  for (let i = 0; i < n; i++)
    run('sbatch', ['--parsable', `--job-name=${name}`, `--chdir=${dir}`, '--output=/dev/null', '--time=1', script]);
  for (;;) {
    const live = run('squeue', ['-h', '-n', name, '-o', '%i']).trim();
    if (!live) break;
    await sleep(100);
  }
  return nowMs() - t0;
}

/** P run folders sharing one job script that sleeps a second and writes its marker. */
function packRuns(prefix: string, p: number): JobRequest[] {
  const dir = tempDir(prefix);
  const script = join(dir, 'sleep1.sh');
  writeFileSync(script, '#!/bin/bash\ncd "${1:-$PWD}"\nsleep 1\necho 0 > marker\n');
  chmodSync(script, 0o755);
  return Array.from({ length: p }, (_, i) => {
    const runDir = join(dir, `${i + 1}.1`);
    mkdirSync(runDir);
    return {
      entryId: i + 1,
      workflowId: 1,
      attempt: 1,
      jobName: `pqbench-pack-${process.pid}-${prefix}${i}`,
      runDir,
      jobScript: script,
      resources: parseResources('1:1m'),
      dependsOn: []
    };
  });
}

async function waitMarkers(reqs: JobRequest[]): Promise<void> {
  for (const r of reqs) while (!existsSync(join(r.runDir, 'marker'))) await sleep(100);
}

/** Makespan (ms) and sbatch calls of P one-second tasks, one job per task or packed into arrays. */
async function packing(p: number, packed: boolean): Promise<{ ms: number; submissions: number }> {
  const ex = new SlurmExecutor();
  const reqs = packRuns(packed ? 'pq-bench-array-' : 'pq-bench-single-', p);
  const t0 = nowMs();
  let submissions = 0;
  if (packed) {
    const size = ex.maxArraySize - 1;
    for (let i = 0; i < p; i += size) {
      const part = reqs.slice(i, i + size);
      await ex.submitArray(part, join(dirname(part[0].runDir), `pack-${i}`), `pqbench-array-${process.pid}-${i}`);
      submissions++;
    }
  } else {
    for (const r of reqs) {
      await ex.submit(r);
      submissions++;
    }
  }
  await waitMarkers(reqs);
  return { ms: nowMs() - t0, submissions };
}

const fmt = (xs: number[]) => {
  const s = spread(xs);
  return `median ${(s.median / 1000).toFixed(2)} s (min ${(s.min / 1000).toFixed(2)}, max ${(s.max / 1000).toFixed(2)}, n=${s.n})`;
};

async function main(): Promise<void> {
  const probe = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    console.error(
      `Slurm is not running (${(probe.stderr || String(probe.error)).trim()}): start tests/slurm/start-slurm.sh`
    );
    process.exit(1);
  }
  console.log(
    `Slurm through the bridge vs raw Slurm, one-node cluster (${run('sinfo', ['-h', '-o', '%c CPUs']).trim().split('\n')[0]}); chain ${CHAIN}, throughput ${JOBS} jobs`
  );
  if (PACK > 0) {
    const slots = Number(run('sinfo', ['-h', '-o', '%c']).trim().split('\n')[0]);
    const need = (PACK * 1000) / slots;
    const single = await packing(PACK, false);
    const arrays = await packing(PACK, true);
    console.log(`packing: ${PACK} one-second tasks, ${slots} CPU slots need ${(need / 1000).toFixed(1)} s`);
    console.log(
      `  one sbatch per task   ${single.submissions} submissions, makespan ${(single.ms / 1000).toFixed(1)} s = ${(single.ms / need).toFixed(2)}x the slots' need`
    );
    console.log(
      `  job arrays            ${arrays.submissions} submissions, makespan ${(arrays.ms / 1000).toFixed(1)} s = ${(arrays.ms / need).toFixed(2)}x the slots' need`
    );
  }
  if (ONLY_PACK) return;
  const chain = await bridgeChain(CHAIN, false);
  const ahead = await bridgeChain(CHAIN, true);
  const native = await nativeChain(CHAIN);
  console.log('chain: parent end -> child');
  console.log(`  bridge: submitted (sbatch)     ${fmt(chain.toSubmit)}   goal <= 1 s   (nativeDependencies: false)`);
  console.log(`  bridge: started                ${fmt(chain.toStart)}`);
  console.log(`  bridge + afterok: submitted    ${fmt(ahead.toSubmit)}   (negative: before the parent ended)`);
  console.log(`  bridge + afterok: started      ${fmt(ahead.toStart)}   (default)`);
  console.log(`  raw afterok: started           ${fmt(native)}   (baseline, ~0 s expected)`);
  const ours = await bridgeThroughput(JOBS);
  const raw = await rawThroughput(JOBS);
  console.log(`throughput: ${JOBS} trivial jobs`);
  console.log(
    `  bridge (pql submit .. pql wait) ${(ours / 1000).toFixed(1)} s = ${((JOBS * 1000) / ours).toFixed(1)} jobs/s`
  );
  console.log(
    `  raw sbatch loop + squeue        ${(raw / 1000).toFixed(1)} s = ${((JOBS * 1000) / raw).toFixed(1)} jobs/s   (baseline)`
  );
  console.log(`  ratio bridge/raw time           ${(ours / raw).toFixed(2)}`);
}

void main().finally(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});
