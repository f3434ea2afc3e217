// The Slurm executor against a real Slurm cluster (tests/slurm/start-slurm.sh starts one).
// With PQ_REQUIRE_SLURM=1 a missing cluster is a failure; without it these tests are skipped
// with the reason printed. Every scenario submits real job scripts into its own run folder.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobRequest, JobStatus } from '../../kernel-bridge/executors/types.js';
import { SlurmExecutor } from '../../kernel-bridge/executors/slurm.js';
import type { ClusterConfig } from '../../kernel-bridge/executors/cluster-config.js';
import {
  runSchedulerCommand,
  SchedulerRejectedError,
  SchedulerUnavailableError,
  type CommandRunner
} from '../../kernel-bridge/executors/scheduler-command.js';
import { jobRequest } from './job-request.js';
import { explained, type Watched } from './slurm-diagnostics.js';
import { requiredSlurmConfig, slurmStatus } from './slurm-probe.js';

const { notRunning, skip } = slurmStatus('real-Slurm tests');

const stamp = `${process.pid}-${Date.now().toString(36)}`;
let counter = 0;
const jobName = (what: string) => `pqtest-${stamp}-${what}-${++counter}`;

/** A run folder with `job.sh` running `script`; named to the scenario's diagnostics when given. */
async function runFolder(script: string, scene?: Watched): Promise<string> {
  const base = join(tmpdir(), 'pq-slurm-tests');
  await mkdir(base, { recursive: true });
  const dir = await mkdtemp(join(base, 'run-'));
  await writeFile(join(dir, 'job.sh'), `#!/bin/bash\n${script}\n`);
  await chmod(join(dir, 'job.sh'), 0o755);
  scene?.runDir(dir);
  return dir;
}

function request(runDir: string, name: string, resources = '1:1m', dependsOn: string[] = []): JobRequest {
  return jobRequest(runDir, name, resources, dependsOn, counter);
}

async function waitFor(
  ex: SlurmExecutor,
  jobId: string,
  done: (s: JobStatus) => boolean,
  timeoutMs = 30_000
): Promise<JobStatus> {
  const end = Date.now() + timeoutMs;
  let last: JobStatus | undefined;
  while (Date.now() < end) {
    last = (await ex.status([jobId])).get(jobId);
    if (last && done(last)) return last;
    await new Promise(r => setTimeout(r, 150));
  }
  assert.fail(`job ${jobId} did not reach the expected state within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
const finished = (s: JobStatus) => !['pending', 'running', 'unknown'].includes(s.state);

let config: ClusterConfig;

describe('Slurm executor on a real cluster', { concurrency: true }, () => {
  before(async () => {
    if (!skip) config = await requiredSlurmConfig(notRunning);
  });

  test('a Slurm cluster is reachable', { skip }, () => {
    assert.equal(notRunning, undefined, `Slurm is not running: ${notRunning}`);
  });

  test('guessSlurmConfig reads the partitions from the real sinfo', { skip }, () => {
    assert.ok(config.nodes.length >= 1, 'at least one partition');
    for (const n of config.nodes) {
      assert.match(n.name, /^[\w.-]+$/, 'no default-partition star left in the name');
      assert.ok(n.cores >= 1);
      assert.match(n.memory ?? '', /^\d+M$/);
    }
  });

  test('a job runs, completes with exit code 0 and writes its marker', { skip }, t =>
    explained(async scene => {
      const ex = new SlurmExecutor({ config });
      const dir = await runFolder('echo hello from $SLURM_JOB_ID; touch "$PWD/ran"', scene);
      const t0 = performance.now();
      const { jobId } = await ex.submit(request(dir, jobName('ok')));
      scene.job(jobId);
      const roundTrip = performance.now() - t0;
      assert.match(jobId, /^\d+$/);
      const s = await waitFor(ex, jobId, finished);
      const total = performance.now() - t0;
      t.diagnostic(`sbatch round trip ${roundTrip.toFixed(0)} ms; submit -> completed seen ${total.toFixed(0)} ms`);
      assert.equal(s.state, 'completed', JSON.stringify(s));
      assert.equal(s.exitCode, 0);
      assert.ok(s.node, 'the node is reported');
      assert.ok(s.startedAt && s.endedAt && s.endedAt >= s.startedAt);
      assert.ok(existsSync(join(dir, 'ran')), 'the job ran in its run folder');
      assert.match(await readFile(join(dir, 'stdout'), 'utf8'), new RegExp(`hello from ${jobId}`));
    })
  );

  test('a job that exits 3 is failed with exit code 3', { skip }, () =>
    explained(async scene => {
      const ex = new SlurmExecutor({ config });
      const dir = await runFolder('echo about to fail >&2; exit 3', scene);
      const { jobId } = await ex.submit(request(dir, jobName('exit3')));
      scene.job(jobId);
      // squeue may say FAILED before sacct has the job: the exit code is known once accounting is.
      const s = await waitFor(ex, jobId, st => finished(st) && st.exitCode !== undefined);
      assert.equal(s.state, 'failed', JSON.stringify(s));
      assert.equal(s.exitCode, 3);
    })
  );

  test('a failed job whose stderr ends in a MemoryError is out_of_memory', { skip }, () =>
    explained(async scene => {
      const ex = new SlurmExecutor({ config });
      const dir = await runFolder(
        'echo "Traceback (most recent call last):" >&2; echo "MemoryError" >&2; exit 1',
        scene
      );
      const { jobId } = await ex.submit(request(dir, jobName('oom')));
      scene.job(jobId);
      const s = await waitFor(ex, jobId, finished);
      assert.equal(s.state, 'out_of_memory', JSON.stringify(s));
      assert.match(s.reason ?? '', /MemoryError/);
      // A fresh executor (as after a restart) finds the run folder through Slurm's WorkDir.
      const again = (await new SlurmExecutor({ config }).status([jobId])).get(jobId);
      assert.equal(again?.state, 'out_of_memory');
    })
  );

  test(
    'a job over its time limit is timed_out (Slurm enforces whole minutes: takes 60-95 s)',
    { skip, timeout: 240_000 },
    t =>
      explained(async scene => {
        const ex = new SlurmExecutor({ config });
        const dir = await runFolder('sleep 600', scene);
        const t0 = Date.now();
        const { jobId } = await ex.submit(request(dir, jobName('timeout'), '1:1m'));
        scene.job(jobId);
        const s = await waitFor(ex, jobId, finished, 200_000);
        t.diagnostic(`time limit 1 min: TIMEOUT seen after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        assert.equal(s.state, 'timed_out', JSON.stringify(s));
        assert.match(await readFile(join(dir, 'stderr'), 'utf8'), /DUE TO TIME LIMIT/);
      })
  );

  test('cancel stops a running job and it is reported cancelled', { skip }, t =>
    explained(async scene => {
      const ex = new SlurmExecutor({ config });
      const dir = await runFolder('touch "$PWD/started"; sleep 600', scene);
      const { jobId } = await ex.submit(request(dir, jobName('cancel')));
      scene.job(jobId);
      await waitFor(ex, jobId, s => s.state === 'running');
      const t0 = performance.now();
      await ex.cancel([jobId]);
      const s = await waitFor(ex, jobId, finished);
      t.diagnostic(`scancel -> cancelled seen ${(performance.now() - t0).toFixed(0)} ms`);
      assert.equal(s.state, 'cancelled', JSON.stringify(s));
      await ex.cancel([jobId]); // a finished job needs no cancelling and is no error
    })
  );

  test('an afterok chain is started by Slurm itself, the child after the parent ends', { skip }, () =>
    explained(async scene => {
      const ex = new SlurmExecutor({ config });
      // The parent ends only when the test opens its gate, after it has seen the child wait.
      const parentDir = await runFolder(
        `until [ -e "$PWD/gate" ]; do sleep 0.1; done; date +%s.%N > "$PWD/end"`,
        scene
      );
      const childDir = await runFolder('date +%s.%N > "$PWD/start"', scene);
      const parent = await ex.submit(request(parentDir, jobName('parent')));
      const child = await ex.submit(request(childDir, jobName('child'), '1:1m', [parent.jobId]));
      scene.job(parent.jobId);
      scene.job(child.jobId);
      // Slurm names the dependency as the reason once its scheduler has looked at the job (until
      // then, with other tests' jobs on the node, it may say Resources or Priority).
      let waiting = (await ex.status([child.jobId])).get(child.jobId);
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !/Dependency/.test(waiting?.reason ?? '')) {
        assert.equal(waiting?.state, 'pending', JSON.stringify(waiting));
        await new Promise(r => setTimeout(r, 100));
        waiting = (await ex.status([child.jobId])).get(child.jobId);
      }
      assert.equal(waiting?.state, 'pending', JSON.stringify(waiting));
      assert.match(waiting?.reason ?? '', /Dependency/);
      await writeFile(join(parentDir, 'gate'), '');
      const [p, c] = await Promise.all([waitFor(ex, parent.jobId, finished), waitFor(ex, child.jobId, finished)]);
      assert.equal(p.state, 'completed');
      assert.equal(c.state, 'completed');
      const parentEnd = Number(await readFile(join(parentDir, 'end'), 'utf8'));
      const childStart = Number(await readFile(join(childDir, 'start'), 'utf8'));
      assert.ok(childStart >= parentEnd, `child started ${childStart} before the parent ended ${parentEnd}`);
    })
  );

  test('the child of a failed parent is cancelled by Slurm (kill-on-invalid-dep)', { skip }, () =>
    explained(async scene => {
      const ex = new SlurmExecutor({ config });
      const parent = await ex.submit(request(await runFolder('exit 1', scene), jobName('badparent')));
      const childDir = await runFolder('touch "$PWD/ran"', scene);
      const child = await ex.submit(request(childDir, jobName('orphan'), '1:1m', [parent.jobId]));
      const c = await waitFor(ex, child.jobId, finished);
      assert.equal(c.state, 'cancelled', JSON.stringify(c));
      assert.ok(!existsSync(join(childDir, 'ran')), 'the child never ran');
    })
  );

  test('findByName finds a job right after submit and after it finished', { skip }, () =>
    explained(async scene => {
      const ex = new SlurmExecutor({ config });
      const name = jobName('findme');
      // Live until the test opens the gate: the first lookup finds a job Slurm still runs.
      const dir = await runFolder('until [ -e "$PWD/gate" ]; do sleep 0.1; done', scene);
      const { jobId } = await ex.submit(request(dir, name));
      scene.job(jobId);
      const live = await ex.findByName([name, `${name}-never-submitted`]);
      assert.equal(live.get(name), jobId);
      assert.equal(live.has(`${name}-never-submitted`), false);
      await writeFile(join(dir, 'gate'), '');
      await waitFor(ex, jobId, finished);
      assert.equal((await ex.findByName([name])).get(name), jobId);
    })
  );

  test('an unknown job id is unknown, never failed', { skip }, async () => {
    const ex = new SlurmExecutor({ config });
    const s = (await ex.status(['987654321'])).get('987654321');
    assert.equal(s?.state, 'unknown');
  });

  test('a partition Slurm does not have is a rejected submission', { skip }, () =>
    explained(async scene => {
      const ex = new SlurmExecutor({ config: { scheduler: 'slurm', nodes: [{ name: 'nosuchpartition', cores: 1 }] } });
      await assert.rejects(
        ex.submit(request(await runFolder('true', scene), jobName('badpart'))),
        SchedulerRejectedError
      );
    })
  );

  test(
    'squeue/sacct that fail or hang give unknown, and real states come back without them',
    { skip, timeout: 120_000 },
    () =>
      explained(async scene => {
        const ex0 = new SlurmExecutor({ config });
        const { jobId } = await ex0.submit(request(await runFolder('true', scene), jobName('fault')));
        scene.job(jobId);
        assert.equal((await waitFor(ex0, jobId, finished)).state, 'completed');

        const wrappers = await mkdtemp(join(tmpdir(), 'pq-fake-slurm-'));
        const viaWrappers: CommandRunner = (file, args, options) =>
          runSchedulerCommand(file, args, {
            ...options,
            env: { ...process.env, PATH: `${wrappers}:${process.env.PATH}` }
          });
        const ex = new SlurmExecutor({ config, run: viaWrappers, commandTimeoutMs: 1_000 });
        const wrap = async (body: string) => {
          for (const tool of ['squeue', 'sacct']) {
            await writeFile(join(wrappers, tool), `#!/bin/bash\n${body}\n`);
            await chmod(join(wrappers, tool), 0o755);
          }
        };

        await wrap('echo "slurm_load_jobs error: Unable to contact slurm controller (connect failure)" >&2; exit 1');
        let s = (await ex.status([jobId])).get(jobId);
        assert.equal(s?.state, 'unknown', JSON.stringify(s));
        assert.match(s?.reason ?? '', /Unable to contact/);
        await assert.rejects(ex.findByName(['anything']), SchedulerUnavailableError);

        // Commands that would hang for 30 s are given up (after 1 s each here), well before they end.
        await wrap('sleep 30');
        const t0 = performance.now();
        s = (await ex.status([jobId])).get(jobId);
        const took = performance.now() - t0;
        assert.equal(s?.state, 'unknown', JSON.stringify(s));
        assert.match(s?.reason ?? '', /no answer within the time limit/);
        assert.ok(took < 20_000, `two hanging commands were given up after ${took.toFixed(0)} ms`);

        await rm(join(wrappers, 'squeue'));
        await rm(join(wrappers, 'sacct'));
        s = (await ex.status([jobId])).get(jobId);
        assert.equal(s?.state, 'completed', JSON.stringify(s));
        assert.equal(s?.exitCode, 0);
        await rm(wrappers, { recursive: true, force: true });
      })
  );

  test('latency: job end until squeue and sacct show the final state', { skip }, t =>
    explained(async scene => {
      const dir = await runFolder('date +%s.%N > "$PWD/end"', scene);
      const ex = new SlurmExecutor({ config });
      const { jobId } = await ex.submit(request(dir, jobName('latency')));
      scene.job(jobId);
      let squeueAt = 0;
      let sacctAt = 0;
      let sacctNameAt = 0;
      const deadline = Date.now() + 30_000;
      while ((!squeueAt || !sacctAt || !sacctNameAt) && Date.now() < deadline) {
        const now = Date.now() / 1000;
        if (!squeueAt) {
          const q = await runSchedulerCommand('squeue', ['-h', '-t', 'all', '-j', jobId, '-o', '%T']);
          if (q.stdout.trim() === 'COMPLETED') squeueAt = now;
        }
        if (!sacctAt || !sacctNameAt) {
          const a = await runSchedulerCommand('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'State,JobName']);
          const [state, name] = a.stdout.trim().split('|');
          if (!sacctAt && state === 'COMPLETED') sacctAt = now;
          if (!sacctNameAt && state === 'COMPLETED' && name?.startsWith('pqtest-')) sacctNameAt = now;
        }
        await new Promise(r => setTimeout(r, 25));
      }
      const end = Number(await readFile(join(dir, 'end'), 'utf8'));
      assert.ok(squeueAt && sacctAt && sacctNameAt, 'all three saw the job finish');
      t.diagnostic(
        `after the job's last command: squeue -t all shows COMPLETED +${(squeueAt - end).toFixed(2)} s, ` +
          `sacct +${(sacctAt - end).toFixed(2)} s, sacct with the real job name +${(sacctNameAt - end).toFixed(2)} s`
      );
    })
  );
});
