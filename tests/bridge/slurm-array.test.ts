// Slurm job arrays against the real one-node Slurm (tests/slurm/start-slurm.sh): one sbatch for
// several runs, each element with its own state, exit code, time limit, output and cancel. With
// PQ_REQUIRE_SLURM=1 a missing cluster is a failure; otherwise these tests are skipped.
import { describe, test, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readlinkSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobRequest, JobStatus } from '../../kernel-bridge/executors/types.js';
import { SlurmExecutor } from '../../kernel-bridge/executors/slurm.js';
import { elementName, prepareArray } from '../../kernel-bridge/executors/slurm-array.js';
import type { ClusterConfig } from '../../kernel-bridge/executors/cluster-config.js';
import { SchedulerRejectedError } from '../../kernel-bridge/executors/scheduler-command.js';
import { jobRequest } from './job-request.js';
import { explained, type Watched } from './slurm-diagnostics.js';
import { requiredSlurmConfig, slurmStatus } from './slurm-probe.js';

const { notRunning, skip } = slurmStatus('Slurm array tests');
const stamp = `${process.pid}-${Date.now().toString(36)}`;
let counter = 0;

async function base(): Promise<string> {
  const dir = join(tmpdir(), 'pq-slurm-tests');
  await mkdir(dir, { recursive: true });
  return mkdtemp(join(dir, 'array-'));
}

/** A run folder `<n>.1` in `root` whose job script runs `script`. */
async function run(root: string, n: number, script: string, scene?: Watched, resources = '1:1m'): Promise<JobRequest> {
  const runDir = join(root, `${n}.1`);
  await mkdir(runDir);
  await writeFile(join(runDir, 'job.sh'), `#!/bin/bash\ncd "$1"\n${script}\n`);
  await chmod(join(runDir, 'job.sh'), 0o755);
  scene?.runDir(runDir);
  return jobRequest(runDir, `x-${n}`, resources, [], n);
}

/** Run folders `1.1` to `<count>.1` in `root`, each running `script`. */
async function runs(root: string, count: number, script: string, scene: Watched): Promise<JobRequest[]> {
  const reqs = [];
  for (let i = 1; i <= count; i++) reqs.push(await run(root, i, script, scene));
  return reqs;
}

async function waitFor(
  ex: SlurmExecutor,
  ids: string[],
  done: (s: JobStatus) => boolean,
  timeoutMs = 60_000
): Promise<Map<string, JobStatus>> {
  const end = Date.now() + timeoutMs;
  let last = new Map<string, JobStatus>();
  while (Date.now() < end) {
    last = await ex.status(ids);
    if (
      ids.every(id => {
        const s = last.get(id);
        return s && done(s);
      })
    )
      return last;
    await new Promise(r => setTimeout(r, 200));
  }
  assert.fail(`jobs ${ids.join(',')} did not reach the expected state; last: ${JSON.stringify([...last.values()])}`);
}
const finished = (s: JobStatus) =>
  (!['pending', 'running', 'unknown'].includes(s.state) && s.exitCode !== undefined) ||
  ['cancelled', 'timed_out'].includes(s.state);
const gate = async (file: string) => {
  while (!existsSync(file)) await new Promise(r => setTimeout(r, 100));
};

/** Submits `reqs` as one array packed in `<root>/<pack>`, `what` in its name; its jobs go into the diagnostics. */
async function submitWatched(
  ex: SlurmExecutor,
  scene: Watched,
  reqs: JobRequest[],
  root: string,
  pack: string,
  what: string,
  limit?: number
) {
  const submitted = await ex.submitArray(reqs, join(root, pack), `pqtest-${stamp}-${what}-${++counter}`, limit);
  submitted.jobIds.forEach(id => scene.job(id));
  return submitted;
}

let config: ClusterConfig;

/** A scenario with its own executor and array folder; what Slurm says of its jobs is printed when it fails. */
function arrayScenario(body: (ex: SlurmExecutor, root: string, scene: Watched, t: TestContext) => Promise<void>) {
  return (t: TestContext) => explained(async scene => body(new SlurmExecutor({ config }), await base(), scene, t));
}

describe('Slurm job arrays on a real cluster', { concurrency: true }, () => {
  before(async () => {
    if (!skip) config = await requiredSlurmConfig(notRunning);
  });

  test(
    'one sbatch runs every element in its own run folder with its own outcome',
    { skip, timeout: 240_000 },
    arrayScenario(async (ex, root, scene, t) => {
      const reqs = [
        await run(root, 1, 'echo "ok from $SLURM_ARRAY_JOB_ID $SLURM_ARRAY_TASK_ID"; echo 0 > marker', scene),
        await run(root, 2, 'echo "about to fail" >&2; exit 3', scene),
        await run(root, 3, 'touch started; sleep 600', scene),
        await run(root, 4, 'echo "Traceback (most recent call last):" >&2; echo MemoryError >&2; exit 1', scene)
      ];
      const name = `pqtest-${stamp}-arr-${++counter}`;
      const t0 = Date.now();
      const { arrayId, jobIds } = await ex.submitArray(reqs, join(root, 'pack'), name);
      jobIds.forEach(id => scene.job(id));
      assert.match(arrayId, /^\d+$/);
      assert.deepEqual(
        jobIds,
        [0, 1, 2, 3].map(i => `${arrayId}_${i}`)
      );
      // The slow element is found again by its element name, as after a crash.
      await gate(join(reqs[2].runDir, 'started'));
      const found = await new SlurmExecutor({ config }).findByName([
        elementName(name, 2),
        elementName(name, 0),
        `${name}-nothing`
      ]);
      assert.equal(found.get(elementName(name, 2)), jobIds[2]);
      assert.equal(found.get(elementName(name, 0)), jobIds[0]);
      assert.equal(found.has(`${name}-nothing`), false);
      // A run of an element sent again on its own, as a single job carrying the element's name.
      const single = await run(root, 9, 'true', scene);
      const alone = await ex.submit({ ...single, jobName: elementName(name, 7) });
      scene.job(alone.jobId);
      assert.equal((await ex.findByName([elementName(name, 7)])).get(elementName(name, 7)), alone.jobId);
      const s = await waitFor(ex, jobIds, finished, 200_000);
      t.diagnostic(`array of 4 (one over its 1-minute limit) ended after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.equal(s.get(jobIds[0])?.state, 'completed');
      assert.equal(s.get(jobIds[0])?.exitCode, 0);
      assert.ok(s.get(jobIds[0])?.node && s.get(jobIds[0])?.startedAt);
      assert.match(await readFile(join(reqs[0].runDir, 'stdout'), 'utf8'), new RegExp(`ok from ${arrayId} 0`));
      assert.equal(s.get(jobIds[1])?.state, 'failed');
      assert.equal(s.get(jobIds[1])?.exitCode, 3);
      assert.match(await readFile(join(reqs[1].runDir, 'stderr'), 'utf8'), /about to fail/);
      assert.equal(s.get(jobIds[2])?.state, 'timed_out', JSON.stringify(s.get(jobIds[2])));
      assert.match(
        await readFile(join(reqs[2].runDir, 'stderr'), 'utf8'),
        /DUE TO TIME LIMIT/,
        "Slurm's own line lands in the element's run folder"
      );
      assert.equal(s.get(jobIds[3])?.state, 'out_of_memory', JSON.stringify(s.get(jobIds[3])));
      // A fresh executor (as after a restart) finds each element's run folder through the pack
      // folder Slurm names as WorkDir, and diagnoses its stderr the same way.
      const fresh = await new SlurmExecutor({ config }).status(jobIds);
      assert.deepEqual(
        jobIds.map(id => fresh.get(id)?.state),
        ['completed', 'failed', 'timed_out', 'out_of_memory']
      );
    })
  );

  test(
    'cancel of one running element leaves the others running, and it can run again',
    { skip, timeout: 120_000 },
    arrayScenario(async (ex, root, scene) => {
      const release = join(root, 'release');
      const reqs = await runs(
        root,
        3,
        `touch started; until [ -e ${JSON.stringify(release)} ]; do sleep 0.1; done; echo done`,
        scene
      );
      const { jobIds } = await submitWatched(ex, scene, reqs, root, 'pack', 'cancel');
      for (const r of reqs) await gate(join(r.runDir, 'started'));
      await ex.cancel([jobIds[1]]);
      const after = await waitFor(ex, [jobIds[1]], s => s.state === 'cancelled');
      assert.equal(after.get(jobIds[1])?.state, 'cancelled');
      const others = await ex.status([jobIds[0], jobIds[2]]);
      assert.equal(others.get(jobIds[0])?.state, 'running');
      assert.equal(others.get(jobIds[2])?.state, 'running');
      // A retry of the cancelled run: a new attempt folder in an array of one.
      const retry = await run(
        root,
        22,
        `until [ -e ${JSON.stringify(release)} ]; do sleep 0.1; done; echo retried`,
        scene
      );
      const again = await submitWatched(ex, scene, [retry], root, 'pack-retry', 'retry');
      await writeFile(release, '');
      const s = await waitFor(ex, [jobIds[0], jobIds[2], again.jobIds[0]], finished);
      for (const id of [jobIds[0], jobIds[2], again.jobIds[0]]) assert.equal(s.get(id)?.state, 'completed', id);
      assert.match(await readFile(join(retry.runDir, 'stdout'), 'utf8'), /retried/);
    })
  );

  test(
    'the element limit (%K) holds: never more than K elements at once',
    { skip, timeout: 120_000 },
    arrayScenario(async (ex, root, scene) => {
      const log = join(root, 'log');
      // Each element logs its start, waits until it is released by the next start or the end.
      const reqs = await runs(
        root,
        4,
        `echo "start $SLURM_ARRAY_TASK_ID $(ls ${JSON.stringify(root)}/*/running 2>/dev/null | wc -l)" >> ${JSON.stringify(log)}; touch running; sleep 1; rm running`,
        scene
      );
      const { jobIds } = await submitWatched(ex, scene, reqs, root, 'pack', 'limit', 1);
      const s = await waitFor(ex, jobIds, finished);
      for (const id of jobIds) assert.equal(s.get(id)?.state, 'completed');
      const lines = (await readFile(log, 'utf8')).trim().split('\n');
      assert.equal(lines.length, 4);
      for (const l of lines) assert.match(l, / 0$/, `no other element ran beside it: ${l}`);
    })
  );

  // These two need no cluster: nothing reaches sbatch.
  const plain: ClusterConfig = { scheduler: 'slurm', nodes: [] };
  test('runs that cannot share an array are refused before anything is submitted', async () => {
    const ex = new SlurmExecutor({
      config: plain,
      maxArraySize: 2,
      run: async () => assert.fail('nothing may be submitted')
    });
    const root = await base();
    const a = await run(root, 1, 'true');
    const b = await run(root, 2, 'true', undefined, '2:1m');
    const c = await run(root, 3, 'true');
    await assert.rejects(
      ex.submitArray([a, b], join(root, 'p1'), `pqtest-${stamp}-r1`),
      (e: Error) => e instanceof SchedulerRejectedError && /run 2\.1 asks for other resources/.test(e.message)
    );
    await assert.rejects(
      ex.submitArray([a, c, c], join(root, 'p2'), `pqtest-${stamp}-r2`),
      /3 runs exceed Slurm's MaxArraySize of 2/
    );
    await assert.rejects(
      ex.submitArray([{ ...a, dependsOn: ['1'] }], join(root, 'p3'), `pqtest-${stamp}-r3`),
      /arrays take no per-element dependencies/
    );
    await assert.rejects(
      ex.submitArray([a], join(root, 'p4'), 'bad name'),
      /must be non-empty without commas, spaces or '@'/
    );
    assert.equal(existsSync(join(root, 'p1')), false, 'no pack folder for a refused array');
  });

  test('the pack folder links each element to its run folder and the sbatch line asks for an array', async () => {
    const root = await base();
    const reqs = [await run(root, 1, 'true'), await run(root, 2, 'true')];
    const args = prepareArray(reqs, join(root, 'pa%ck'), 'pqtest-args', plain, { concurrency: 5 });
    assert.ok(args.includes('--array=0-1%5'));
    assert.ok(args.includes(`--output=${join(root, 'pa%%ck')}/%a.out`));
    assert.ok(args.includes('--job-name=pqtest-args'));
    assert.ok(args.includes('--time=1'));
    assert.equal(args[args.length - 1], join(root, 'pa%ck', 'array.sh'));
    assert.equal(readlinkSync(join(root, 'pa%ck', '1.err')), join(reqs[1].runDir, 'stderr'));
    assert.equal(
      await readFile(join(root, 'pa%ck', 'elements'), 'utf8'),
      reqs.map(r => `${r.runDir}\t${r.jobScript}\n`).join('')
    );
  });
});
