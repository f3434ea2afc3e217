// Recovery is safe to repeat: a bridge that dies between any two writes of its recovery leaves
// nothing stuck. Each round builds the same state for real (a daemon killed with -9 while its
// jobs run; while it is down, some jobs finish, some are made to look never started, one is
// killed between creating its claim and writing its pid), then starts a daemon whose
// fault-injection hook (PQ_FAULT_KILL_AT_RECOVERY_WRITE=N) SIGKILLs it right after the Nth
// recovery write, then starts a normal one. Every entry must end succeeded, its task run exactly
// once. Rounds go on with N+1 until recovery has fewer writes than N.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { isAlive, readPid } from '../../kernel-bridge/executors/local.js';
import { PQL, projectMaker, pyTask, spec, type Project } from './cli-harness.js';

const project = projectMaker('pq-recovery-');
const CORES = { PQ_LOCAL_CORES: '16' };

// Waits for its own gate (or the common one), then logs one execution and succeeds.
const GATED =
  '#!/bin/bash\nwhile [ ! -e "gate-$PQ_ENTRY_ID" ] && [ ! -e gate-all ]; do sleep 0.05; done\n' +
  'echo "$PQ_ENTRY_ID" >> ran.log\necho "{\\"id\\": $PQ_ENTRY_ID}" > "$PQ_OUTPUT"\n';

async function until(what: string, ok: () => boolean | Promise<boolean>, seconds = 60): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    if (Date.now() - t0 > seconds * 1000) throw new Error(`timed out waiting: ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

function daemonPid(p: Project): number | null {
  try {
    return JSON.parse(readFileSync(join(p.dir, '.perqueue/bridge.json'), 'utf8')).pid;
  } catch {
    return null;
  }
}

/** The state a crash leaves: jobs finished, never started, half-claimed and still running. */
async function crashedProject(): Promise<{ p: Project; wf: number; ids: Record<string, number> }> {
  const p = project();
  const task = p.script('gated.sh', GATED);
  const t = (name: string) => pyTask(name, task);
  const root = {
    kind: 'workflow',
    nodes: [
      ...['a1', 'a2', 'b1', 'b2', 'c', 'd'].map(id => ({ id, node: t(id), parents: [] })),
      { id: 'a1c', node: t('a1c'), parents: ['a1'] },
      { id: 'a2c', node: t('a2c'), parents: ['a2'] }
    ]
  };
  assert.equal((await p.pqlEnv(CORES, 'daemon', 'start')).code, 0);
  const wf = await p.submit(spec('recovery', root));
  const ids = Object.fromEntries((await p.entries(wf)).map(e => [e.name, e.id]));
  const runDir = (name: string) => join(p.dir, '.perqueue/runs', String(wf), `${ids[name]}.1`);
  const top = ['a1', 'a2', 'b1', 'b2', 'c', 'd'];
  await until('every first task runs', () => top.every(n => readPid(runDir(n)) !== null));
  const bridgePid = daemonPid(p)!;
  process.kill(bridgePid, 'SIGKILL');
  await until('the daemon is gone', () => !isAlive(bridgePid));
  // While no bridge runs: a1 and a2 finish.
  for (const n of ['a1', 'a2']) writeFileSync(join(p.dir, `gate-${ids[n]}`), '');
  await until('a1 and a2 wrote their markers', () => ['a1', 'a2'].every(n => existsSync(join(runDir(n), 'marker'))));
  // b1, b2: their folders were written, their jobs never started (killed before their claim).
  for (const n of ['b1', 'b2', 'd']) {
    const pid = readPid(runDir(n))!;
    process.kill(-pid, 'SIGKILL');
    await until(`job of ${n} is gone`, () => !isAlive(pid));
  }
  for (const n of ['b1', 'b2'])
    for (const f of ['pid', 'stdout', 'stderr']) rmSync(join(runDir(n), f), { force: true });
  // d: killed between creating its claim and writing its pid, a while ago.
  writeFileSync(join(runDir('d'), 'pid'), '');
  const past = new Date(Date.now() - 60_000);
  utimesSync(join(runDir('d'), 'pid'), past, past);
  return { p, wf, ids };
}

/** Start `pql daemon run` with the hook set; resolves 'crashed' when it SIGKILLed itself, else 'running'. */
function daemonWithFault(p: Project, n: number): Promise<'crashed' | 'running'> {
  const log = openSync(join(p.dir, '.perqueue/bridge.log'), 'a');
  const child = spawn(process.execPath, [PQL, 'daemon', 'run', '--project', p.dir], {
    env: { ...p.env, ...CORES, PQ_FAULT_KILL_AT_RECOVERY_WRITE: String(n) },
    stdio: ['ignore', log, log],
    detached: true
  });
  closeSync(log);
  return new Promise((ok, fail) => {
    const timer = setInterval(() => {
      if (daemonPid(p) === child.pid) {
        clearInterval(timer);
        child.unref();
        ok('running');
      }
    }, 50);
    child.on('exit', (code, signal) => {
      clearInterval(timer);
      if (signal === 'SIGKILL') ok('crashed');
      else fail(new Error(`the daemon ended with ${signal ?? `exit code ${code}`} instead of the injected SIGKILL`));
    });
  });
}

it('a crash after any write of recovery leaves every entry to end exactly once', async () => {
  let crashes = 0;
  for (let n = 1; n <= 40; n++) {
    const { p, wf, ids } = await crashedProject();
    const outcome = await daemonWithFault(p, n);
    if (outcome === 'crashed') {
      crashes++;
      const log = readFileSync(join(p.dir, '.perqueue/bridge.log'), 'utf8');
      assert.match(log, new RegExp(`fault injection: recovery write ${n}: `));
      const r = await p.pqlEnv(CORES, 'daemon', 'start');
      assert.equal(r.code, 0, r.stderr);
    }
    writeFileSync(join(p.dir, 'gate-all'), '');
    const w = await p.wait(wf, 90);
    assert.equal(w.code, 0, `round ${n}: ${w.stdout}${w.stderr}`);
    const es = await p.entries(wf);
    assert.deepEqual(
      es.map(e => `${e.name} ${e.state}`),
      es.map(e => `${e.name} succeeded`),
      `round ${n}: ${JSON.stringify(es.map(e => e.error))}`
    );
    const ran = p
      .read('ran.log')
      .trim()
      .split('\n')
      .map(Number)
      .sort((a, b) => a - b);
    assert.deepEqual(
      ran,
      Object.values(ids).sort((a, b) => a - b),
      `round ${n}: every task ran exactly once`
    );
    // The runs given up were started again in new folders; the rest kept their first.
    const attempt = Object.fromEntries(es.map(e => [e.name, e.attempt]));
    assert.deepEqual([attempt.b1, attempt.b2, attempt.d, attempt.a1, attempt.c], [2, 2, 2, 1, 1], `round ${n}`);
    await p.stop();
    if (outcome === 'running') break;
  }
  // Two finished jobs, two runs given up, one half-claimed, a requeue: recovery writes at least 4 times.
  assert.ok(crashes >= 4, `recovery wrote only ${crashes} time(s)`);
});
