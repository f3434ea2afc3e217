// Scripts written for PerQueue, unchanged: task scripts that import `perqueue` on the local pool
// (warm fork server and cold bash job), and a PerQueue submission script run by `pql submit`
// as it is and by `python` after the one-word import change. Real daemon, real processes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PYTHON, Project, REPO, chainOf, pyTask, spec, stoppedAfterFile, type CliResult } from './cli-harness.js';

/** A project whose daemon (started by its first command) sees extra variables. */
class EnvProject extends Project {
  constructor(readonly extra: NodeJS.ProcessEnv = {}) {
    super('pq-scripts-');
  }
  override get env(): NodeJS.ProcessEnv {
    return { ...super.env, ...this.extra };
  }
}

const project = stoppedAfterFile((extra: NodeJS.ProcessEnv = {}) => new EnvProject(extra));

function run(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise(ok => {
    execFile(file, args, { cwd, env }, (err, stdout, stderr) =>
      ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    );
  });
}

// A PerQueue task script as projects write them: constants and classes from `perqueue`.
const TASK = `
import os
import perqueue
from perqueue.constants import INDEX_KW, DYNAMICWIDTHGROUP_KEY
from perqueue.task_classes.task import Task
from perqueue.task_classes.util_classes import Resources

def main(x=0, **kw):
    with open(f"/proc/{os.getppid()}/cmdline", "rb") as f:
        parent = f.read().replace(b"\\0", b" ").decode()
    return True, {"x": x + 1, "index": kw.get(INDEX_KW), "dwg": DYNAMICWIDTHGROUP_KEY,
                  "package": perqueue.__name__, "task": Task.__module__, "parent": parent}
`;

describe('PerQueue task scripts run unchanged', () => {
  for (const warm of [true, false]) {
    it(`imports perqueue.constants in a task started ${warm ? 'from the warm fork server' : 'by a cold bash job'}`, async () => {
      const p = project(warm ? {} : { PQ_FORKSERVER: '0' });
      const task = p.script('task.py', TASK);
      const wf = await p.submit(spec('alias', chainOf(pyTask('a', task, { x: 1 }), pyTask('b', task))));
      const w = await p.wait(wf);
      assert.equal(
        w.code,
        0,
        w.stdout + w.stderr + readFileSync(join(p.dir, '.perqueue/runs', String(wf), `1.1/stderr`), 'utf8')
      );
      const es = await p.entries(wf);
      assert.deepEqual(
        es.map(e => [e.name, e.state, e.data?.x, e.data?.dwg, e.data?.package, e.data?.task]),
        [
          ['a', 'succeeded', 2, 'pq_dwg_width', 'perqueue_lab', 'perqueue_lab.task_classes.task'],
          ['b', 'succeeded', 3, 'pq_dwg_width', 'perqueue_lab', 'perqueue_lab.task_classes.task']
        ]
      );
      for (const e of es) {
        const parent = String(e.data?.parent);
        if (warm)
          assert.match(
            parent,
            /perqueue_lab\.forkserver/,
            `entry ${e.id} did not start from the fork server: ${parent}`
          );
        else assert.doesNotMatch(parent, /forkserver/, `entry ${e.id} should have started from bash: ${parent}`);
      }
    });
  }
});

// A PerQueue submission script, shaped as public projects write them.
const SUBMIT = (pkg: string) => `
from ${pkg} import PersistentQueue
from ${pkg}.task_classes.task import Task
from ${pkg}.task_classes.task_groups import Workflow, StaticWidthGroup
from ${pkg}.constants import INDEX_KW

prep = Task("task.py", {"x": 10}, "1:local:1m")
sweep = StaticWidthGroup(Task("task.py", {}, "1:local:1m"), width=2)
wf = Workflow({prep: [], sweep: [prep]})

with PersistentQueue() as pq:
    pq.submit(wf)
print("submitted with", INDEX_KW)
`;

describe('PerQueue submission scripts', () => {
  it('pql submit runs one unchanged; python runs it after the one-word import change', async () => {
    const p = project();
    p.script('task.py', TASK);
    writeFileSync(join(p.dir, 'pq_submit.py'), SUBMIT('perqueue'));
    writeFileSync(join(p.dir, 'pq_submit_lab.py'), SUBMIT('perqueue_lab'));
    const viaPql = await p.pql('submit', 'pq_submit.py');
    assert.equal(viaPql.code, 0, viaPql.stderr);
    assert.match(viaPql.stdout, /submitted with pq_index/);
    const viaPython = await run(PYTHON, ['pq_submit_lab.py'], p.dir, p.env);
    assert.equal(viaPython.code, 0, viaPython.stderr);
    for (const wf of [1, 2]) assert.equal((await p.wait(wf)).code, 0);
    for (const wf of [1, 2]) {
      const es = await p.entries(wf);
      assert.deepEqual(
        es.filter(e => e.kind === 'task').map(e => [e.state, e.data?.x, e.data?.index]),
        [
          ['succeeded', 11, null],
          ['succeeded', 12, [0]],
          ['succeeded', 12, [1]]
        ],
        `workflow ${wf}`
      );
    }
  });

  it('plain python cannot run the unchanged script (what the alias is for)', async () => {
    const p = project();
    p.script('task.py', TASK);
    writeFileSync(join(p.dir, 'pq_submit.py'), SUBMIT('perqueue'));
    const r = await run(PYTHON, ['pq_submit.py'], p.dir, { ...p.env, PYTHONPATH: REPO });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /No module named 'perqueue'/);
  });

  it('pql submit passes the script its arguments and its exit code', async () => {
    const p = project();
    writeFileSync(join(p.dir, 'args.py'), 'import sys\nimport perqueue\nprint(sys.argv[1:])\nsys.exit(4)\n');
    const r = await p.pql('submit', 'args.py', 'one', 'two');
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stdout, /\['one', 'two'\]/);
  });
});
