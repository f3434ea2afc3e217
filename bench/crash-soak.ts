// Randomized crash soak: kill -9 of the bridge at random moments of a mixed workflow (a shell
// chain, a StaticWidthGroup of two-step columns, a CyclicalGroup around a DynamicWidthGroup),
// restarted each time with `pql daemon start`. Every task appends its entry id to an append-only
// log when it starts, so executions are counted, not inferred. The same workflow also runs once
// without kills; the figures are: entries, kills, duplicates (an entry that ran more than once),
// lost entries (not succeeded, or never ran), and outputs identical to the run without kills.
// Usage: node build/bench/crash-soak.js [--smoke] [--kills N] [--seed S] [--out result.json]
// Full size: ~1,000 entries, 50 kills. --smoke: ~70 entries, 5 kills (the test suite runs it).
// It prints figures and exits 0 even when they are bad; tests/bridge/crash-soak.test.ts checks them.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PQL } from './where.js';

interface Size {
  columns: number;
  iterations: number;
  dynamicWidth: number;
  kills: number;
  /** Longest wait between a restart and the next kill (ms); the wait is uniform from 20 ms. */
  maxGapMs: number;
}

export interface SoakResult {
  entries: number;
  tasks: number;
  kills: number;
  duplicates: number;
  lost: number;
  identicalOutputs: number;
  comparedOutputs: number;
  secondsWithKills: number;
  secondsWithout: number;
}

/** A small deterministic generator, so a seed replays the same kill moments. */
function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

// Each task: log its entry id, then write an output that depends only on its inputs (the
// kwargs part of input.json: args, parents' data, pq_index, pq_iteration), never on ids.
const TASK_HEAD = `#!/bin/bash
echo "$PQ_ENTRY_ID" >> "$PQ_PROJECT_ROOT/ran.log"
in=$(<"$PQ_INPUT"); k=\${in#*\\"kwargs\\":}; k=\${k%,\\"pqParents\\"*}
h=$(printf %s "$k" | cksum); h=\${h%% *}
sleep 0.0$((RANDOM % 3))
`;

function writeScripts(dir: string, size: Size): Record<string, string> {
  const scripts: Record<string, string> = {
    step: `${TASK_HEAD}echo "{\\"h\\": $h}" > "$PQ_OUTPUT"\n`,
    select: `${TASK_HEAD}echo "{\\"h\\": $h, \\"pq_dwg_width\\": ${size.dynamicWidth}}" > "$PQ_OUTPUT"\n`,
    // Stops the loop at its last iteration (pq_iteration is [k] inside the CyclicalGroup).
    retrain: `${TASK_HEAD}it=\${in#*\\"pq_iteration\\":[}; it=\${it%%]*}; it=\${it##*,}
stop=false; [ "$it" -ge ${size.iterations - 1} ] && stop=true
echo "{\\"h\\": $h, \\"pq_toggle_key\\": $stop}" > "$PQ_OUTPUT"\n`
  };
  const paths: Record<string, string> = {};
  for (const [name, text] of Object.entries(scripts)) {
    paths[name] = join(dir, `${name}.sh`);
    writeFileSync(paths[name], text);
    chmodSync(paths[name], 0o755);
  }
  return paths;
}

function spec(s: Record<string, string>, size: Size): unknown {
  const task = (name: string, code: string, args: Record<string, unknown> = {}) => ({
    kind: 'task',
    name,
    code,
    args,
    resources: '1:local:5m'
  });
  const chain = (...nodes: [string, unknown][]) => ({
    kind: 'workflow',
    nodes: nodes.map(([id, node], i) => ({ id, node, parents: i === 0 ? [] : [nodes[i - 1][0]] }))
  });
  return {
    specVersion: 1,
    name: 'crash-soak',
    root: chain(
      ['a', task('a', s.step, { seed: 1 })],
      ['b', task('b', s.step)],
      ['c', task('c', s.step)],
      [
        'cols',
        { kind: 'static_width', width: size.columns, body: chain(['x', task('x', s.step)], ['y', task('y', s.step)]) }
      ],
      ['join', task('join', s.step)],
      [
        'loop',
        {
          kind: 'cyclical',
          maxTries: size.iterations + 2,
          body: chain(
            ['select', task('select', s.select)],
            ['label', { kind: 'dynamic_width', body: task('label', s.step) }],
            ['retrain', task('retrain', s.retrain)]
          )
        }
      ],
      ['final', task('final', s.step)]
    )
  };
}

function pql(dir: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [PQL, ...args], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, PQ_PROJECT: dir, PQ_PROJECT_ROOT: dir, PQ_LOCAL_CORES: process.env.PQ_LOCAL_CORES ?? '4' }
  });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

interface Entry {
  id: number;
  name: string;
  kind: string;
  state: string;
  index: number[];
  iteration: number[];
  data: unknown;
}

function entries(dir: string, wf: number): Entry[] {
  const r = pql(dir, 'ls', '--json', '-w', String(wf));
  if (r.code !== 0) throw new Error(`pql ls: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function daemonPid(dir: string): number | null {
  try {
    return JSON.parse(readFileSync(join(dir, '.perqueue/bridge.json'), 'utf8')).pid;
  } catch {
    return null;
  }
}

/** Seconds without any entry changing state after which a run counts as hung. */
const STALL_SECONDS = 300;

/**
 * `pql wait` in short rounds while entries keep changing state: a loaded machine makes the run
 * slow, not stuck, so only a run that stops changing for STALL_SECONDS is given up on.
 */
function waitWhileProgressing(dir: string, wf: number): { code: number; stdout: string; stderr: string } {
  let mark = '';
  let changedAt = performance.now();
  for (;;) {
    const w = pql(dir, 'wait', String(wf), '--timeout', '15');
    if (w.code !== 2) return w;
    let now = mark;
    try {
      now = entries(dir, wf)
        .map(e => `${e.id}:${e.state}`)
        .join(',');
    } catch {
      continue; // the bridge is restarting
    }
    if (now !== mark) {
      mark = now;
      changedAt = performance.now();
    } else if (performance.now() - changedAt > STALL_SECONDS * 1000) {
      return { code: 2, stdout: w.stdout, stderr: `no entry changed state for ${STALL_SECONDS} s\n${w.stderr}` };
    }
  }
}

async function runOnce(
  size: Size,
  kills: number,
  rnd: () => number
): Promise<{ dir: string; wf: number; kills: number; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'pq-crash-soak-'));
  const scripts = writeScripts(dir, size);
  writeFileSync(join(dir, 'wf.json'), JSON.stringify(spec(scripts, size)));
  const t0 = performance.now();
  const sub = pql(dir, 'submit', 'wf.json', '--json');
  if (sub.code !== 0) throw new Error(`submit: ${sub.stderr}`);
  const wf = JSON.parse(sub.stdout).workflowId as number;
  let done = 0;
  while (done < kills) {
    await new Promise(r => setTimeout(r, 20 + rnd() * (size.maxGapMs - 20)));
    const w = pql(dir, 'wait', String(wf), '--timeout', '0.01', '--quiet');
    if (w.code !== 2) break; // settled: no moment left to kill at
    const pid = daemonPid(dir);
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
        done++;
      } catch {
        /* gone already */
      }
    }
    const s = pql(dir, 'daemon', 'start');
    if (s.code !== 0) throw new Error(`restart after kill ${done}: ${s.stderr}`);
  }
  const w = waitWhileProgressing(dir, wf);
  if (w.code !== 0) process.stderr.write(`the workflow did not succeed: ${w.stdout}${w.stderr}\n`);
  return { dir, wf, kills: done, seconds: (performance.now() - t0) / 1000 };
}

const keyOf = (e: Entry) => `${e.name} ${JSON.stringify(e.index)} ${JSON.stringify(e.iteration)}`;

export type SoakSize = Size;

export async function soak(size: Size, seed: number): Promise<SoakResult> {
  const rnd = random(seed);
  const reference = await runOnce(size, 0, rnd);
  const killed = await runOnce(size, size.kills, rnd);
  try {
    const ref = new Map(
      entries(reference.dir, reference.wf)
        .filter(e => e.kind === 'task')
        .map(e => [keyOf(e), e])
    );
    const got = entries(killed.dir, killed.wf).filter(e => e.kind === 'task');
    const ran = new Map<number, number>();
    for (const line of readFileSync(join(killed.dir, 'ran.log'), 'utf8').split('\n'))
      if (line) ran.set(Number(line), (ran.get(Number(line)) ?? 0) + 1);
    let identical = 0;
    for (const e of got)
      if (ref.has(keyOf(e)) && JSON.stringify(ref.get(keyOf(e))!.data) === JSON.stringify(e.data)) identical++;
    return {
      entries: got.length,
      tasks: ran.size,
      kills: killed.kills,
      duplicates: [...ran.values()].filter(n => n > 1).length,
      lost: got.filter(e => e.state !== 'succeeded' || !ran.has(e.id)).length + Math.max(0, ref.size - got.length),
      identicalOutputs: identical,
      comparedOutputs: Math.max(ref.size, got.length),
      secondsWithKills: killed.seconds,
      secondsWithout: reference.seconds
    };
  } finally {
    for (const r of [reference, killed]) {
      pql(r.dir, 'daemon', 'stop');
      rmSync(r.dir, { recursive: true, force: true });
    }
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const smoke = args.includes('--smoke');
  const size: Size = smoke
    ? { columns: 20, iterations: 2, dynamicWidth: 10, kills: 5, maxGapMs: 120 }
    : { columns: 300, iterations: 5, dynamicWidth: 70, kills: 50, maxGapMs: 400 };
  if (opt('kills')) size.kills = Number(opt('kills'));
  const seed = Number(opt('seed') ?? Date.now() % 100000);
  const r = await soak(size, seed);
  const out = opt('out');
  if (out) writeFileSync(out, JSON.stringify(r, null, 2));
  process.stdout.write(
    [
      '## Crash soak',
      '',
      `kill -9 of the bridge at random moments (seed ${seed}), restarted with \`pql daemon start\` each time`,
      '',
      '| figure | value |',
      '| --- | --- |',
      `| task entries | ${r.entries} |`,
      `| kills during the run | ${r.kills} |`,
      `| entries that ran more than once | ${r.duplicates} |`,
      `| entries lost (not succeeded, or never ran) | ${r.lost} |`,
      `| outputs identical to the run without kills | ${r.identicalOutputs} / ${r.comparedOutputs} |`,
      `| wall time with kills / without | ${r.secondsWithKills.toFixed(1)} s / ${r.secondsWithout.toFixed(1)} s |`,
      ''
    ].join('\n')
  );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch(e => {
    process.stderr.write(`${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
