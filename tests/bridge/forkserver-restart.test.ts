// A crashed fork server is started again, made to happen for real: kill -9 of the fork server
// of a running daemon while it holds jobs it has not acknowledged. Later Python tasks still start
// warm, from a new server; the jobs it held run exactly once; bridge.log says what happened.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { isAlive } from '../../kernel-bridge/executors/local.js';
import { Project, pyTask, spec } from './cli-harness.js';

const p = new Project('pq-forkserver-');
after(() => p.stop());

// Appends its entry id to ran.log (one line per execution) and names the process it forked from.
const TASK =
  'import os\n\ndef main(**kw):\n' +
  '    with open("ran.log", "a") as f:\n        f.write(os.environ["PQ_ENTRY_ID"] + "\\n")\n' +
  '    with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:\n        cmd = f.read().replace(b"\\0", b" ").decode()\n' +
  '    return {"server": os.getppid(), "cmd": cmd}\n';

async function runAll(name: string, width: number): Promise<{ id: number; server: number; cmd: string }[]> {
  const code = join(p.dir, 'task.py');
  const nodes = Array.from({ length: width }, (_, i) => ({ id: `t${i}`, node: pyTask(`t${i}`, code), parents: [] }));
  const wf = await p.submit(spec(name, { kind: 'workflow', nodes }));
  const w = await p.wait(wf, 90);
  assert.equal(w.code, 0, w.stdout + w.stderr);
  const es = await p.entries(wf);
  assert.deepEqual(
    es.map(e => e.state),
    es.map(() => 'succeeded'),
    JSON.stringify(es.map(e => e.error))
  );
  return es.map(e => ({ id: e.id, server: Number(e.data!.server), cmd: String(e.data!.cmd) }));
}

function log(): string {
  return readFileSync(join(p.dir, '.perqueue/bridge.log'), 'utf8');
}

it('a fork server killed with jobs it has not acknowledged is started again; the jobs run once', async () => {
  p.script('task.py', TASK);
  const [first] = await runAll('warm', 1);
  assert.match(first.cmd, /perqueue_lab\.forkserver/);
  const s1 = first.server;

  // Stopped, it reads nothing more: the next jobs are written to it but never acknowledged.
  process.kill(s1, 'SIGSTOP');
  const code = join(p.dir, 'task.py');
  const nodes = Array.from({ length: 3 }, (_, i) => ({ id: `t${i}`, node: pyTask(`t${i}`, code), parents: [] }));
  const wf = await p.submit(spec('held', { kind: 'workflow', nodes }));
  const before = await p.entries(wf);
  assert.ok(
    before.every(e => e.state === 'queued'),
    'the stopped server started nothing'
  );
  process.kill(s1, 'SIGKILL');

  const w = await p.wait(wf, 90);
  assert.equal(w.code, 0, w.stdout + w.stderr);
  const es = await p.entries(wf);
  assert.deepEqual(
    es.map(e => e.state),
    ['succeeded', 'succeeded', 'succeeded'],
    JSON.stringify(es.map(e => e.error))
  );
  const servers = new Set(es.map(e => Number(e.data!.server)));
  assert.equal(servers.size, 1, 'one new fork server ran them');
  const [s2] = servers;
  assert.notEqual(s2, s1);
  assert.ok(
    es.every(e => /perqueue_lab\.forkserver/.test(String(e.data!.cmd))),
    'still warm starts'
  );
  assert.match(
    log(),
    new RegExp(
      `fork server of \\S+ \\(pid ${s1}\\) ended \\(killed by SIGKILL\\); starting it again \\(crash 1 within a minute, 3 job\\(s\\) sent again\\)`
    )
  );

  // Every job ran exactly once: the held ones were not lost, nothing ran twice.
  const ran = p.read('ran.log').trim().split('\n').map(Number);
  assert.deepEqual(
    ran.filter(id => id === first.id),
    [first.id]
  );
  for (const e of es)
    assert.deepEqual(
      ran.filter(id => id === e.id),
      [e.id],
      `entry ${e.id} ran once`
    );

  // A second crash soon after: started again after a back-off, and logged so.
  process.kill(s2, 'SIGKILL');
  for (let i = 0; i < 100 && isAlive(s2); i++) await new Promise(r => setTimeout(r, 50));
  const later = await runAll('after two crashes', 2);
  const s3 = later[0].server;
  assert.ok(later.every(e => e.server === s3 && /perqueue_lab\.forkserver/.test(e.cmd)));
  assert.ok(s3 !== s1 && s3 !== s2);
  assert.match(
    log(),
    new RegExp(`\\(pid ${s2}\\) ended \\(killed by SIGKILL\\); starting it again in 250 ms \\(crash 2 within a minute`)
  );
});

it('an interpreter that cannot import the runner falls back to cold starts, and says why', async () => {
  // The system's Python, where perqueue_lab is not installed (and not on PYTHONPATH).
  const python = p.script('python-without-perqueue', '#!/bin/bash\nunset PYTHONPATH\nexec /usr/bin/python3 "$@"\n');
  const task = p.script('plain.py', 'def main(**kw):\n    return {"ok": 1}\n');
  const r = await p.pqlWithInput(
    JSON.stringify(spec('cold', { kind: 'workflow', nodes: [{ id: 'a', node: pyTask('a', task), parents: [] }] })),
    'submit',
    '--spec',
    '-',
    '--json',
    '--python',
    python
  );
  assert.equal(r.code, 0, r.stderr);
  const wf = JSON.parse(r.stdout).workflowId;
  await p.wait(wf, 90);
  const [e] = await p.entries(wf);
  // The cold start cannot import it either: the entry fails, naming the import, instead of waiting for ever.
  assert.equal(e.state, 'failed');
  assert.match(
    log(),
    /fork server of \S+python-without-perqueue could not start \(exit code 1\); its Python tasks start without it: [\s\S]*No module named/
  );
});
