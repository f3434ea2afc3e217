// How a task ends, made to happen for real: a Python task that leaves without a result
// (os._exit) or crashes (SIGSEGV) is failed and named, through the warm fork server and through
// the bash job script; the processes a task leaves behind are ended with it (at its end, on
// cancel and at its time limit) unless the task keeps them.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAlive } from '../../kernel-bridge/executors/local.js';
import { chainOf, projectMaker, pyTask, spec, type Project } from './cli-harness.js';

const project = projectMaker('pq-endings-');

const EXIT0 = 'import os\n\ndef main():\n    os._exit(0)\n';
const SEGV = 'import ctypes\n\ndef main():\n    ctypes.string_at(0)\n    return {}\n';
const PARENT =
  'import os\n\ndef main():\n    with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:\n        return {"parent": f.read().replace(b"\\0", b" ").decode()}\n';
// Starts one process in its own process group and one that leaves it (setsid, its shell gone),
// writes their pids, then returns, or waits for a gate that never opens.
const LEAVER = (wait: boolean) =>
  'import os, subprocess, time\n\ndef main():\n' +
  '    a = subprocess.Popen(["sleep", "300"])\n' +
  '    b = subprocess.run("setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $!", shell=True, capture_output=True, text=True)\n' +
  '    name = "leftover-" + os.environ["PQ_ENTRY_ID"]\n' +
  '    with open(name + ".tmp", "w") as f:\n        f.write(f"{a.pid} {b.stdout.strip()}")\n' +
  '    os.replace(name + ".tmp", name)\n' +
  (wait ? '    while not os.path.exists("never"):\n        time.sleep(0.05)\n' : '') +
  '    return {}\n';

async function until(ok: () => Promise<boolean>, seconds = 60): Promise<void> {
  const t0 = Date.now();
  while (!(await ok())) {
    assert.ok(Date.now() - t0 < seconds * 1000, 'timed out');
    await new Promise(r => setTimeout(r, 50));
  }
}

async function assertGone(pid: number): Promise<void> {
  assert.ok(pid > 0);
  for (let i = 0; i < 200 && isAlive(pid); i++) await new Promise(r => setTimeout(r, 50));
  assert.equal(isAlive(pid), false, `process ${pid} is still running`);
}

async function pidsOf(p: Project, entryId: number): Promise<number[]> {
  const file = join(p.dir, `leftover-${entryId}`);
  for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise(r => setTimeout(r, 50));
  const pids = p.read(`leftover-${entryId}`).trim().split(/\s+/).map(Number);
  assert.equal(pids.length, 2);
  return pids;
}

/** A project whose daemon starts Python tasks warm (fork server) or cold (bash job script). */
async function projectWith(forkServer: boolean): Promise<Project> {
  const p = project();
  const r = await p.pqlEnv({ PQ_FORKSERVER: forkServer ? '1' : '0' }, 'daemon', 'start');
  assert.equal(r.code, 0, r.stderr);
  return p;
}

for (const forkServer of [true, false]) {
  const how = forkServer ? 'through the fork server' : 'through the bash job script';

  describe(`task endings ${how}`, () => {
    it('a Python task that ends without a result (os._exit(0)) or by SIGSEGV is failed and says so', async () => {
      const p = await projectWith(forkServer);
      const root = {
        kind: 'workflow',
        nodes: [
          { id: 'a', node: pyTask('exit0', p.script('exit0.py', EXIT0)), parents: [] },
          { id: 'b', node: pyTask('segv', p.script('segv.py', SEGV)), parents: [] },
          { id: 'c', node: pyTask('parent', p.script('parent.py', PARENT)), parents: [] }
        ]
      };
      const wf = await p.submit(spec('endings', root));
      const w = await p.wait(wf, 60);
      assert.doesNotMatch(w.stdout + w.stderr, /still running|timed out|timeout/i, 'pql wait returns');
      const es = Object.fromEntries((await p.entries(wf)).map(e => [e.name, e]));
      assert.equal(es.exit0.state, 'failed');
      assert.match(es.exit0.error!, /^ended without a result \(exit code 0\)/);
      assert.equal(es.segv.state, 'failed');
      assert.match(es.segv.error!, /killed by signal 11 \(SIGSEGV\)/);
      assert.equal(es.parent.state, 'succeeded');
      // The path under test is the one taken: a fork server's child, or a process under bash.
      const parent = String(es.parent.data!.parent);
      if (forkServer) assert.match(parent, /perqueue_lab\.forkserver/);
      else assert.doesNotMatch(parent, /perqueue_lab\.forkserver/);
    });

    it('a start that finds its run folder claimed by another leaves it to that one, watched to its end', async () => {
      const p = await projectWith(forkServer);
      const gate = p.script('gate.sh', '#!/bin/bash\nwhile [ ! -e go ]; do sleep 0.05; done\n');
      const ran = p.script(
        'ran.py',
        'def main(**kw):\n    open("ran", "a").write("x")\n    return {"by": "this start"}\n'
      );
      const wf = await p.submit(spec('claimed', chainOf(pyTask('gate', gate), pyTask('ran', ran))));
      const [, child] = await p.entries(wf);
      // Another start (a job of an earlier bridge, say) holds the child's run folder: a live process.
      const other = spawn('sleep', ['300'], { stdio: 'ignore' });
      const runDir = join(p.dir, '.perqueue/runs', String(wf), `${child.id}.1`);
      mkdirSync(runDir, { recursive: true });
      writeFileSync(join(runDir, 'pid'), `${other.pid}\n`);
      writeFileSync(join(p.dir, 'go'), '');
      await until(async () => (await p.entries(wf))[0].state === 'succeeded');
      await new Promise(r => setTimeout(r, 1000));
      assert.match((await p.entries(wf))[1].state, /^(queued|running)$/, 'not given up while its owner runs');
      assert.ok(!existsSync(join(p.dir, 'ran')), 'this start did not run it');
      // The owner ends and leaves its result: that is the entry's.
      writeFileSync(join(runDir, 'result.json'), JSON.stringify({ ok: true, data: { by: 'the other start' } }));
      writeFileSync(join(runDir, 'marker'), '0\n');
      other.kill('SIGKILL');
      await p.wait(wf, 60);
      const es = await p.entries(wf);
      assert.equal(es[1].state, 'succeeded', es[1].error ?? '');
      assert.deepEqual(es[1].data, { by: 'the other start' });
      assert.ok(!existsSync(join(p.dir, 'ran')), 'run once, by its owner');
    });

    it('the processes a task leaves behind end with it, also those that left its process group', async () => {
      const p = await projectWith(forkServer);
      const sh = p.script('bg.sh', '#!/bin/bash\nsleep 300 &\necho "$!" > bg.pid\n');
      const wf = await p.submit(
        spec('left', {
          kind: 'workflow',
          nodes: [
            { id: 'py', node: pyTask('py', p.script('leaver.py', LEAVER(false))), parents: [] },
            { id: 'sh', node: pyTask('sh', sh), parents: [] }
          ]
        })
      );
      await p.wait(wf, 60);
      const es = await p.entries(wf);
      assert.deepEqual(
        es.map(e => e.state),
        ['succeeded', 'succeeded']
      );
      for (const pid of await pidsOf(p, es[0].id)) await assertGone(pid);
      await assertGone(Number(p.read('bg.pid')));
    });

    it('a task with keepProcesses keeps them', async () => {
      const p = await projectWith(forkServer);
      const task = { ...pyTask('keeper', p.script('leaver.py', LEAVER(false))), keepProcesses: true };
      const wf = await p.submit(spec('keep', chainOf(task)));
      await p.wait(wf, 60);
      const [e] = await p.entries(wf);
      assert.equal(e.state, 'succeeded');
      const pids = await pidsOf(p, e.id);
      // Still there well after the end was recorded; then this test ends them itself.
      await new Promise(r => setTimeout(r, 1500));
      try {
        for (const pid of pids) assert.ok(isAlive(pid), `process ${pid} was ended although the task keeps it`);
      } finally {
        for (const pid of pids) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }
    });

    it('cancel and the time limit end what the task started', async () => {
      const p = await projectWith(forkServer);
      const wf = await p.submit(
        spec('stop', {
          kind: 'workflow',
          nodes: [
            { id: 'c', node: pyTask('cancelled', p.script('wait1.py', LEAVER(true))), parents: [] },
            { id: 't', node: pyTask('timed', p.script('wait2.py', LEAVER(true)), {}, '1:local:5s'), parents: [] }
          ]
        })
      );
      const [c, t] = await p.entries(wf);
      const cancelled = await pidsOf(p, c.id);
      assert.equal((await p.pql('cancel', String(c.id))).code, 0);
      for (const pid of cancelled) await assertGone(pid);
      const timed = await pidsOf(p, t.id);
      await p.wait(wf, 60);
      const es = await p.entries(wf);
      assert.deepEqual(
        es.map(e => e.state),
        ['cancelled', 'timed_out']
      );
      for (const pid of timed) await assertGone(pid);
      writeFileSync(join(p.dir, 'never'), '');
    });
  });
}
