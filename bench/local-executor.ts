// Local executor throughput through the real daemon: a StaticWidthGroup of N trivial shell
// tasks (`#!/bin/bash\ntrue`, resources 1:local:1m), submitted and waited for with `pql`,
// beside two baselines run in the same session on the same cores:
//   floor    the same N scripts started directly: xargs -P<cores> bash task.sh
//   job.sh   the N job scripts the daemon wrote (fresh copies), run by xargs -P<cores>: the cost
//            of our job script alone, without the daemon
// Usage: node build/bench/local-executor.js [--smoke] [--runs N] [--tasks N] [--cores N] [--where LABEL] [--out rows.json]
// Projects are made under $TMPDIR; --where names that place in the table (bench/fs.sh says why
// the file system matters).
// A benchmark, not a test: it prints numbers and never fails on one.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { mb, numberOpt, parseArgs, printRows, spread, timeMs, writeRows, type Row } from './stats.js';
import { PQL } from './where.js';

interface DaemonRun {
  wallMs: number;
  /** First entry created to last entry ended, from the store. */
  storeMs: number;
  succeeded: number;
  daemonPeakRssMb: number;
  dbBytes: number;
  runDirs: string;
}

function pql(env: NodeJS.ProcessEnv, cwd: string, ...args: string[]): string {
  const r = spawnSync(process.execPath, [PQL, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`pql ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function peakRssMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

function runDaemon(tasks: number, cores: number): DaemonRun {
  const { dir, script } = folderWithTask('pq-bench-local-');
  const env = { ...process.env, PQ_PROJECT: dir, PQ_LOCAL_CORES: String(cores) };
  const spec = {
    specVersion: 1,
    name: 'local-fanout',
    root: {
      kind: 'static_width',
      name: 'SWG',
      width: tasks,
      body: { kind: 'task', name: 'true', code: script, args: {}, resources: '1:local:1m' }
    }
  };
  const specFile = join(dir, 'spec.json');
  writeFileSync(specFile, JSON.stringify(spec));
  pql(env, dir, 'daemon', 'start');
  const pid = Number(JSON.parse(readFileSync(join(dir, '.perqueue/bridge.json'), 'utf8')).pid);
  let wf = 0;
  const wallMs = timeMs(() => {
    wf = JSON.parse(pql(env, dir, 'submit', '--spec', specFile, '--json')).workflowId;
    pql(env, dir, 'wait', String(wf), '--timeout', '600', '--quiet');
  });
  const daemonPeakRssMb = peakRssMb(pid);
  pql(env, dir, 'daemon', 'stop');
  const db = new DatabaseSync(join(dir, '.perqueue/perqueue.sqlite'), { readOnly: true, timeout: 10_000 });
  const bodies = (db.prepare('SELECT body FROM nodes WHERE workflow_id=?').all(wf) as { body: string }[]).map(r =>
    JSON.parse(r.body)
  );
  db.close();
  const succeeded = bodies.filter(b => b.state === 'succeeded').length;
  const first = Math.min(...bodies.map(b => b.createdAt));
  const last = Math.max(...bodies.map(b => b.endedAt ?? 0));
  let dbBytes = 0;
  for (const f of readdirSync(join(dir, '.perqueue'))) {
    if (f.startsWith('perqueue.sqlite'))
      dbBytes += Number(execFileSync('stat', ['-c', '%s', join(dir, '.perqueue', f)], { encoding: 'utf8' }));
  }
  return {
    wallMs,
    storeMs: last - first,
    succeeded,
    daemonPeakRssMb,
    dbBytes,
    runDirs: join(dir, '.perqueue/runs', String(wf))
  };
}

/** xargs -P<cores> over `lines`, each line `perLine` arguments to `bash`. */
function xargsBash(lines: string[], cores: number, cwd: string, perLine = 1): number {
  const list = join(cwd, 'list.txt');
  writeFileSync(list, lines.join('\n') + '\n');
  return timeMs(() => {
    const r = spawnSync('xargs', ['-P', String(cores), '-n', String(perLine), 'bash'], {
      cwd,
      input: readFileSync(list),
      stdio: ['pipe', 'ignore', 'inherit']
    });
    if (r.status !== 0) throw new Error(`xargs exited ${r.status}`);
  });
}

// Every folder a run made is removed at the very end, not between runs: on ext4 without a
// journal (this machine's disk), an inode freed in the last minutes makes every new file in its
// block group slower to create (the allocator skips "recently deleted" inodes one by one), so
// removing one run's thousands of files would slow the next run's file creation several-fold.
const scratch: string[] = [];

function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** A fresh scratch folder holding the trivial task every run uses: `task.sh`, which does nothing. */
function folderWithTask(prefix: string): { dir: string; script: string } {
  const dir = scratchDir(prefix);
  const script = join(dir, 'task.sh');
  writeFileSync(script, '#!/bin/bash\ntrue\n');
  chmodSync(script, 0o755);
  return { dir, script };
}

function floor(tasks: number, cores: number): number {
  const { dir, script } = folderWithTask('pq-bench-floor-');
  return xargsBash(Array(tasks).fill(script), cores, dir);
}

/**
 * Our job scripts without the daemon, on fresh copies of the run folders (input only: no claim,
 * no marker). Handles both layouts: a job.sh in every run folder, or one job-<task>.sh per task
 * of a workflow that takes the run folder as its argument.
 */
function jobScriptsOnly(runDirs: string, cores: number): number {
  const dir = scratchDir('pq-bench-jobsh-');
  {
    const lines: string[] = [];
    const shared = readdirSync(runDirs).filter(f => /^job-.*\.sh$/.test(f));
    for (const d of readdirSync(runDirs)) {
      const src = join(runDirs, d);
      if (!/^\d+\.\d+$/.test(d)) continue;
      const dst = join(dir, d);
      mkdirSync(dst);
      cpSync(join(src, 'input.json'), join(dst, 'input.json'));
      if (existsSync(join(src, 'job.sh'))) {
        // The script names its original run folder: point it at the copy.
        writeFileSync(join(dst, 'job.sh'), readFileSync(join(src, 'job.sh'), 'utf8').split(src).join(dst));
        lines.push(`${join(dst, 'job.sh')} ${dst}`);
      } else {
        lines.push(`${join(runDirs, shared[0])} ${dst}`);
      }
    }
    return xargsBash(lines, cores, dir, 2);
  }
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const tasks = numberOpt(args, '--tasks') ?? (args.smoke ? 50 : 1000);
  const cores = numberOpt(args, '--cores') ?? availableParallelism();
  const runs = args.runs ?? (args.smoke ? 1 : 3);
  const whereAt = args.rest.indexOf('--where');
  const where = whereAt >= 0 ? `, ${args.rest[whereAt + 1]}` : '';
  console.log(
    `local executor benchmark: ${tasks} tasks, ${cores} cores, ${runs} run(s), projects in ${tmpdir()}, medians (min–max)`
  );

  const ours: number[] = [];
  const storeRates: number[] = [];
  const floors: number[] = [];
  const jobsh: number[] = [];
  const rss: number[] = [];
  const dbs: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      // Interleaved, so that load from elsewhere on the machine hits both alike.
      const fl = floor(tasks, cores);
      floors.push(tasks / (fl / 1000));
      const d = runDaemon(tasks, cores);
      if (d.succeeded !== tasks) console.log(`run ${r + 1}: only ${d.succeeded}/${tasks} entries succeeded`);
      ours.push(tasks / (d.wallMs / 1000));
      storeRates.push(tasks / (d.storeMs / 1000));
      rss.push(d.daemonPeakRssMb);
      dbs.push(mb(d.dbBytes));
      jobsh.push(tasks / (jobScriptsOnly(d.runDirs, cores) / 1000));
    }
  } finally {
    for (const p of scratch) rmSync(p, { recursive: true, force: true });
  }
  const goal = args.smoke ? '-' : '≥ 300';
  const rows: Row[] = [
    {
      bench: 'local',
      metric: `${tasks} trivial shell tasks through the daemon, submit → wait returns${where}`,
      unit: 'tasks/s',
      goal,
      ours: spread(ours),
      baselineName: `same script, xargs -P${cores} bash (floor)`,
      baseline: spread(floors),
      better: 'higher'
    },
    {
      bench: 'local',
      metric: `same runs, first entry created → last entry ended (store timestamps)${where}`,
      unit: 'tasks/s',
      goal,
      ours: spread(storeRates),
      baselineName: `our job.sh files alone, xargs -P${cores}`,
      baseline: spread(jobsh),
      better: 'higher'
    },
    {
      bench: 'local',
      metric: `daemon peak RSS during the run${where}`,
      unit: 'MB',
      goal: '-',
      ours: spread(rss),
      baselineName: '-',
      baseline: null,
      better: 'lower',
      note: `db ${spread(dbs).median.toFixed(1)} MB`
    }
  ];
  printRows('Local executor', rows);
  writeRows(args.out, rows);
}

main();
