// On the real one-node Slurm (tests/slurm/start-slurm.sh): a job gets the environment of the
// command that submitted (or retried) it, not the bridge's that sbatch exports by default; it runs
// in the folder the submission came from; and a task script written for PerQueue (`import
// perqueue`) runs unchanged. With PQ_REQUIRE_SLURM=1 a missing cluster is a failure.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Project, chainOf, pyTask, spec, stoppedAfterFile } from './cli-harness.js';
import { slurmStatus } from './slurm-probe.js';

const { skip } = slurmStatus('Slurm environment tests');

class SlurmShellProject extends Project {
  constructor() {
    super('pq-slurm-env-');
  }
  override get env(): NodeJS.ProcessEnv {
    return { ...super.env, PQ_SCHEDULER_POLL_MS: '500' };
  }
}
const project = stoppedAfterFile(() => new SlurmShellProject());

const REPORT = `
import os
import perqueue
from perqueue.constants import INDEX_KW

def main(path=None, **kw):
    if os.environ.get("PQ_T_MARK") == "fail-me":
        raise RuntimeError("the environment says fail")
    out = {"mark": os.environ.get("PQ_T_MARK"), "daemon": os.environ.get("PQ_T_DAEMON_ONLY"),
           "cwd": os.getcwd(), "package": perqueue.__name__, "index": INDEX_KW,
           "slurm_job": os.environ.get("SLURM_JOB_ID")}
    if path:
        with open(path) as f:
            out["content"] = f.read()
    return True, out
`;

describe('the submitter environment on Slurm', () => {
  it(
    'a variable exported only in the submitting shell reaches the Slurm job; a retry from another shell brings its own',
    { skip },
    async () => {
      const p = project();
      const configured = await p.pqlIn(p.dir, {}, undefined, 'config', 'slurm');
      assert.equal(configured.code, 0, configured.stderr);
      const started = await p.pqlIn(
        p.dir,
        { PQ_T_DAEMON_ONLY: 'daemon', PQ_T_MARK: 'the daemon' },
        undefined,
        'daemon',
        'start'
      );
      assert.equal(started.code, 0, started.stderr);
      const task = p.script('report.py', REPORT);
      const sub = join(p.dir, 'sub');
      mkdirSync(sub);
      writeFileSync(join(sub, 'in.txt'), 'read relative to sub');

      const good = await p.submitFrom(
        sub,
        { PQ_T_MARK: 'submitter' },
        spec('env', chainOf(pyTask('a', task, { path: 'in.txt' }, '1:1m'), pyTask('b', task, {}, '1:1m')))
      );
      const bad = await p.submitFrom(p.dir, { PQ_T_MARK: 'fail-me' }, spec('retry', pyTask('r', task, {}, '1:1m')));

      assert.equal((await p.wait(good, 120)).code, 0);
      for (const name of ['a', 'b']) {
        const e = await p.entry(good, name);
        assert.match(String(e.data?.slurm_job), /^\d+$/, `${name} ran as a Slurm job`);
        assert.deepEqual(
          [e.data?.mark, e.data?.daemon, e.data?.cwd, e.data?.package, e.data?.index],
          ['submitter', null, sub, 'perqueue_lab', 'pq_index'],
          name
        );
      }
      assert.equal((await p.entry(good, 'a')).data?.content, 'read relative to sub');

      assert.equal((await p.wait(bad, 120)).code, 1);
      const r = await p.entry(bad, 'r');
      assert.match(r.error ?? '', /the environment says fail/);
      const retried = await p.pqlIn(p.dir, { PQ_T_MARK: 'another shell' }, undefined, 'retry', String(r.id));
      assert.equal(retried.code, 0, retried.stderr);
      assert.equal((await p.wait(bad, 120)).code, 0);
      const again = await p.entry(bad, 'r');
      assert.deepEqual(
        [again.state, again.attempt, again.data?.mark, again.data?.daemon],
        ['succeeded', 2, 'another shell', null]
      );
      assert.match(String(again.data?.slurm_job), /^\d+$/);
    }
  );
});
