// Tasks run with the environment and in the folder of the command that submitted them (and with
// the environment of the command that retried them), as with sbatch and PerQueue, not with the
// daemon's: on the local pool (warm fork server and cold bash job), across a daemon restart.
// Real daemon, real processes, real SQLite file; each command runs with its own environment.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import {
  PYTHON,
  Project,
  chainOf,
  pyTask,
  spec,
  stoppedAfterFile,
  type CliResult,
  type EntryJson
} from './cli-harness.js';

/** A project whose commands each run with an environment and folder of their own. */
class ShellProject extends Project {
  constructor() {
    super('pq-env-');
  }

  /** `pql ...` from `cwd` with the base environment plus `vars` (undefined removes a variable). */
  in(cwd: string, vars: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
    return this.pqlIn(cwd, vars, undefined, ...args);
  }

  /** Start the daemon from a shell of its own (so it has variables no submitter has). */
  async startDaemon(vars: NodeJS.ProcessEnv): Promise<void> {
    const r = await this.in(this.dir, vars, 'daemon', 'start');
    assert.equal(r.code, 0, r.stderr);
  }

  async until(wf: number, name: string, state: string, seconds = 60): Promise<EntryJson> {
    const end = Date.now() + seconds * 1000;
    let e = await this.entry(wf, name);
    while (e.state !== state && Date.now() < end) {
      await new Promise(r => setTimeout(r, 100));
      e = await this.entry(wf, name);
    }
    assert.equal(e.state, state, `entry ${name}: ${JSON.stringify(e)}`);
    return e;
  }
}
const shellProject = stoppedAfterFile(() => new ShellProject());

// Reports what it sees; fails when told to by its environment; waits for a gate file if given one.
const REPORT = `
import os, time
def main(path=None, gate=None, **kw):
    if os.environ.get("PQ_T_MARK") == "fail-me":
        raise RuntimeError("the environment says fail")
    while gate and not os.path.exists(gate):
        time.sleep(0.05)
    out = {"mark": os.environ.get("PQ_T_MARK"), "daemon": os.environ.get("PQ_T_DAEMON_ONLY"),
           "cwd": os.getcwd(), "path0": os.environ["PATH"].split(":")[0],
           "parent": open(f"/proc/{os.getppid()}/cmdline").read().replace("\\0", " "),
           "oldpwd": os.environ.get("OLDPWD")}
    if path:
        with open(path) as f:
            out["content"] = f.read()
    return True, out
`;

describe('the submitter environment on the local pool', () => {
  for (const warm of [true, false]) {
    it(`a variable exported only in the submitting shell reaches the task (${warm ? 'fork server' : 'bash job'}), the daemon's own does not`, async () => {
      const p = shellProject();
      const task = p.script('report.py', REPORT);
      await p.startDaemon({ PQ_T_DAEMON_ONLY: 'daemon', PQ_FORKSERVER: warm ? undefined : '0', PQ_T_MARK: undefined });
      const wf = await p.submitFrom(
        p.dir,
        { PQ_T_MARK: 'submitter', PATH: `/opt/submitters-tool/bin:${process.env.PATH}`, OLDPWD: '/somewhere' },
        spec('env', chainOf(pyTask('a', task), pyTask('b', task)))
      );
      assert.equal((await p.wait(wf)).code, 0);
      for (const name of ['a', 'b']) {
        const e = await p.entry(wf, name);
        assert.equal(e.data?.mark, 'submitter', name);
        assert.equal(e.data?.daemon, null, `${name} got the daemon's variable`);
        assert.equal(e.data?.path0, '/opt/submitters-tool/bin', name);
        assert.notEqual(e.data?.oldpwd, '/somewhere', `${name}: per-shell variables are not kept`);
      }
    });
  }

  it("a retry from another shell runs with that shell's value, the rest of the workflow too", async () => {
    const p = shellProject();
    const task = p.script('report.py', REPORT);
    const wf = await p.submitFrom(
      p.dir,
      { PQ_T_MARK: 'fail-me' },
      spec('retry', chainOf(pyTask('a', task), pyTask('b', task)))
    );
    assert.equal((await p.wait(wf)).code, 1);
    const a = await p.entry(wf, 'a');
    assert.equal(a.state, 'failed');
    assert.match(a.error ?? '', /the environment says fail/);
    const r = await p.in(p.dir, { PQ_T_MARK: 'fixed' }, 'retry', String(a.id));
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await p.wait(wf)).code, 0);
    assert.equal((await p.entry(wf, 'a')).data?.mark, 'fixed');
    assert.equal((await p.entry(wf, 'b')).data?.mark, 'fixed');
  });

  it('a daemon restart keeps the stored environment', async () => {
    const p = shellProject();
    const task = p.script('report.py', REPORT);
    const gate = join(p.dir, 'gate');
    await p.startDaemon({ PQ_T_DAEMON_ONLY: 'first daemon' });
    const wf = await p.submitFrom(
      p.dir,
      { PQ_T_MARK: 'kept' },
      spec('restart', chainOf(pyTask('a', task, { gate }), pyTask('b', task)))
    );
    await p.until(wf, 'a', 'running');
    assert.equal((await p.in(p.dir, {}, 'daemon', 'stop')).code, 0);
    await p.startDaemon({ PQ_T_DAEMON_ONLY: 'second daemon', PQ_T_MARK: 'the daemon' });
    writeFileSync(gate, '');
    assert.equal((await p.wait(wf)).code, 0);
    for (const name of ['a', 'b']) {
      const e = await p.entry(wf, name);
      assert.deepEqual([e.data?.mark, e.data?.daemon], ['kept', null], name);
    }
  });

  it('each environment gets its fork server, at most four at once: idle ones are closed', async () => {
    const p = shellProject();
    const task = p.script('report.py', REPORT);
    await p.startDaemon({});
    const daemonPid = JSON.parse(p.read('.perqueue/bridge.json')).pid as number;
    for (let i = 1; i <= 6; i++) {
      const wf = await p.submitFrom(p.dir, { PQ_T_MARK: `shell ${i}` }, spec(`shell-${i}`, pyTask('a', task)));
      assert.equal((await p.wait(wf)).code, 0);
      const e = await p.entry(wf, 'a');
      assert.equal(e.data?.mark, `shell ${i}`);
      assert.match(String(e.data?.parent), /perqueue_lab\.forkserver/, 'ran on a fork server');
    }
    const servers = () =>
      execFileSync('ps', ['-eo', 'ppid=,args='], { encoding: 'utf8' })
        .split('\n')
        .filter(l => l.trim().startsWith(`${daemonPid} `) && l.includes('perqueue_lab.forkserver')).length;
    const end = Date.now() + 10_000;
    while (servers() > 4 && Date.now() < end) await new Promise(r => setTimeout(r, 100));
    assert.ok(servers() <= 4, `${servers()} fork servers`);
    assert.ok(servers() >= 1);
  });

  it('identical environments are stored once, in a file only its owner reads', async () => {
    const p = shellProject();
    const task = p.script('report.py', REPORT);
    for (const mark of ['same', 'same', 'other'])
      await p.submitFrom(p.dir, { PQ_T_MARK: mark }, spec(mark, pyTask('a', task)));
    const db = join(p.dir, '.perqueue/perqueue.sqlite');
    assert.equal(statSync(db).mode & 0o777, 0o600);
    const store = new DatabaseSync(db, { readOnly: true });
    try {
      const rows = store
        .prepare(
          'SELECT w.id AS wf, e.vars AS vars FROM workflows w JOIN environments e ON e.id = w.env_id ORDER BY w.id'
        )
        .all() as { wf: number; vars: string }[];
      assert.equal(rows.length, 3);
      assert.deepEqual(
        rows.map(r => JSON.parse(r.vars).PQ_T_MARK),
        ['same', 'same', 'other']
      );
      assert.equal((store.prepare('SELECT count(*) AS n FROM environments').get() as { n: number }).n, 2);
      assert.equal(JSON.parse(rows[0].vars).OLDPWD, undefined);
    } finally {
      store.close();
    }
  });
});

describe('the submitter working folder', () => {
  it('tasks run in the folder the submission came from; relative paths resolve there; run folders stay', async () => {
    const p = shellProject();
    const task = p.script('report.py', REPORT);
    const sub = join(p.dir, 'campaign', 'run-1');
    mkdirSync(join(sub, 'inputs'), { recursive: true });
    writeFileSync(join(sub, 'inputs', 'x.txt'), 'from the campaign folder');
    const wf = await p.submitFrom(
      sub,
      {},
      spec('cwd', chainOf(pyTask('a', task, { path: 'inputs/x.txt' }), pyTask('b', task, { path: 'inputs/x.txt' })))
    );
    assert.equal((await p.wait(wf)).code, 0);
    for (const name of ['a', 'b']) {
      const e = await p.entry(wf, name);
      assert.equal(e.data?.cwd, sub, name);
      assert.equal(e.data?.content, 'from the campaign folder', name);
      const runDir = join(p.dir, '.perqueue/runs', String(wf), `${e.id}.1`);
      assert.match(readFileSync(join(runDir, 'stdout'), 'utf8'), /Perqueue key/);
    }
    assert.ok(!existsSync(join(sub, '.perqueue')), 'no project is made in the subfolder');
  });

  it('a PerQueue submission script run from below the project folder: its tasks run there', async () => {
    const p = shellProject();
    assert.equal((await p.in(p.dir, {}, 'init')).code, 0);
    const sub = join(p.dir, 'sub');
    mkdirSync(sub);
    writeFileSync(join(sub, 'report.py'), REPORT);
    writeFileSync(join(sub, 'settings.txt'), 'relative to sub');
    writeFileSync(
      join(sub, 'pq_submit.py'),
      'from perqueue import PersistentQueue, Task\nwith PersistentQueue() as pq:\n    pq.submit(Task("report.py", {"path": "settings.txt"}, "1:local:1m"))\n'
    );
    const r = await p.in(sub, { PQ_PROJECT: undefined, PQ_T_MARK: 'script shell' }, 'submit', 'pq_submit.py');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await p.wait(1)).code, 0);
    const e = await p.entry(1, 'report.py');
    assert.deepEqual([e.data?.cwd, e.data?.content, e.data?.mark], [sub, 'relative to sub', 'script shell']);
    assert.ok(!existsSync(join(sub, '.perqueue')), 'the project above was used');
  });

  it('a working folder removed before the task starts fails the entry, naming the folder', async () => {
    const p = shellProject();
    const gone = join(p.dir, 'scratch');
    mkdirSync(gone);
    const rm = p.script(
      'rm_cwd.py',
      'import os, shutil\ndef main(**kw):\n    shutil.rmtree(os.getcwd())\n    return True, {}\n'
    );
    const task = p.script('report.py', REPORT);
    const wf = await p.submitFrom(gone, {}, spec('gone', chainOf(pyTask('rm', rm), pyTask('after', task))));
    assert.equal((await p.wait(wf)).code, 1);
    const e = await p.entry(wf, 'after');
    assert.equal(e.state, 'failed');
    const runDir = join(p.dir, '.perqueue/runs', String(wf), `${e.id}.1`);
    assert.match(
      readFileSync(join(runDir, 'stderr'), 'utf8'),
      new RegExp(`cannot enter the task's working folder ${gone}`)
    );
  });
});

describe('environment and folder over the HTTP API', () => {
  it('refuses a bad environment or folder with 400 naming the field, storing nothing', async () => {
    const p = shellProject();
    const task = p.script('report.py', REPORT);
    await p.startDaemon({});
    const info = JSON.parse(p.read('.perqueue/bridge.json'));
    const post = (body: unknown) =>
      fetch(`http://127.0.0.1:${info.port}/api/workflows`, {
        method: 'POST',
        headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body)
      });
    const doc = spec('api', pyTask('a', task));
    const cases: [unknown, RegExp][] = [
      [{ spec: doc, environment: 'PATH=/bin' }, /field 'environment': must be an object/],
      [{ spec: doc, environment: { PATH: 3 } }, /field 'environment': variable 'PATH' must be a string, not number/],
      [{ spec: doc, cwd: 'relative/folder' }, /field 'cwd': must be an absolute path/],
      [{ spec: doc, cwd: join(p.dir, 'missing') }, /field 'cwd': no such folder/],
      [{ spec: doc, cwd: task }, /field 'cwd': not a folder/]
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(((await r.json()) as { error: string }).error, message);
    }
    assert.deepEqual(await p.entries(), []);
    // Sent as a kernel would: the tasks get it.
    const ok = await post({
      spec: doc,
      environment: { ...process.env, PQ_T_MARK: 'over http' },
      cwd: p.dir,
      python: PYTHON
    });
    assert.equal(ok.status, 200);
    const { workflowId } = (await ok.json()) as { workflowId: number };
    assert.equal((await p.wait(workflowId)).code, 0);
    assert.equal((await p.entry(workflowId, 'a')).data?.mark, 'over http');
  });
});
