// The LSF executor against fake bsub/bjobs/bkill (tests/fixtures/fake-schedulers) that record their
// exact argv and answer with text in the form real LSF prints (see the fixtures' README).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BJOBS_FORMAT, LsfExecutor } from '../../kernel-bridge/executors/lsf.js';
import { checkUnreachable, onFakeCluster, request, sample, submitOnFakeCluster } from './fake-scheduler.js';
import type { ClusterConfig } from '../../kernel-bridge/executors/cluster-config.js';
import type { JobRequest } from '../../kernel-bridge/executors/types.js';

const config: ClusterConfig = {
  scheduler: 'lsf',
  nodes: [{ name: 'XeonGold6126', cores: 24, memory: '192GB', partition: 'normal' }],
  extraArgs: ['-P', 'proj42']
};

/** bsub's argv, as MyQueue writes it, for a task on one whole XeonGold6126 node; `options` come after the queue. */
function bsubOnXeonGold(req: JobRequest, name: string, walltime: string, options: string[]): string[] {
  return [
    'bsub',
    '-J',
    name,
    '-W',
    walltime,
    '-n',
    '24',
    '-cwd',
    req.runDir,
    '-o',
    join(req.runDir, 'stdout'),
    '-e',
    join(req.runDir, 'stderr'),
    '-R',
    'select[model == XeonGold6126]',
    '-R',
    'rusage[mem=8G]',
    '-q',
    'normal',
    ...options,
    '-R',
    'span[hosts=1]',
    req.jobScript
  ];
}

/** An LSF executor on a fake cluster whose tools answer as given. */
const onLsf = (answers: Parameters<typeof onFakeCluster>[1]) =>
  onFakeCluster('lsf', answers, run => new LsfExecutor({ run }));

/** Submits a request with bsub answering `stdout`, on `config`'s cluster. */
const submitted = (stdout: string, ...req: Parameters<typeof request>) =>
  submitOnFakeCluster('lsf', 'bsub', stdout, run => new LsfExecutor({ config, run }), ...req);

describe('LSF executor', () => {
  test('submit runs MyQueue-style bsub and reads the id from "Job <n> is submitted"', async () => {
    const { req, jobId, argv } = await submitted(sample('lsf/bsub.stdout'), 'pq-demo-7-1', '24:XeonGold6126:90m', [
      '764213236',
      '764220165'
    ]);
    assert.equal(jobId, '764254593');
    assert.deepEqual(
      argv,
      bsubOnXeonGold(req, 'pq-demo-7-1', '01:30', ['-P', 'proj42', '-w', 'done(764213236) && done(764220165)'])
    );
  });

  test('a task bigger than one node spans hosts by ptile; a script path with a space is quoted', async () => {
    const { req, jobId, argv } = await submitted(
      'Job <42> is submitted to default queue <normal>.\n',
      'pq-demo-9-1',
      '48:2h',
      [],
      'pq lsf run '
    );
    assert.equal(jobId, '42');
    assert.deepEqual(argv.slice(-3), ['-R', 'span[ptile=24]', `'${req.jobScript}'`]);
    assert.deepEqual(argv.slice(3, 7), ['-W', '02:00', '-n', '48']);
  });

  test('GPUs of the resource string reach bsub as -gpu num=N', async () => {
    const { req, jobId, argv } = await submitted(
      'Job <43> is submitted to default queue <normal>.\n',
      'pq-demo-10-1',
      '24:2G:XeonGold6126:1h'
    );
    assert.equal(jobId, '43');
    assert.deepEqual(argv, bsubOnXeonGold(req, 'pq-demo-10-1', '01:00', ['-gpu', 'num=2', '-P', 'proj42']));
  });

  test('status maps DONE, EXIT with TERM_RUNLIMIT/TERM_MEMLIMIT/TERM_OWNER, PEND, RUN, arrays and a job not found', async () => {
    const { fake, ex } = await onLsf({
      bjobs: { stdout: sample('lsf/bjobs-ours.txt'), stderr: sample('lsf/bjobs-not-found.stderr'), rc: 255 }
    });
    const ids = [
      '764213236',
      '764220165',
      '764254593',
      '764399747',
      '764399750',
      '764399760',
      '764399770',
      '764399780[3]',
      '864220165'
    ];
    const st = await ex.status(ids);
    assert.deepEqual((await fake.calls())[0], ['bjobs', '-a', '-noheader', '-o', BJOBS_FORMAT, ...ids]);
    const state = (id: string) => st.get(id)!.state;
    assert.equal(state('764213236'), 'timed_out');
    assert.equal(st.get('764213236')!.exitCode, 140);
    assert.equal(state('764220165'), 'pending');
    assert.equal(state('764254593'), 'running');
    assert.equal(st.get('764254593')!.node, 'lxbsu2710');
    assert.equal(st.get('764254593')!.endedAt, undefined, 'a running job has no end, only a limit');
    assert.equal(state('764399747'), 'completed');
    assert.equal(st.get('764399747')!.exitCode, 0);
    assert.equal(state('764399750'), 'failed');
    assert.equal(st.get('764399750')!.exitCode, 3);
    assert.equal(st.get('764399750')!.node, 'p05496706j68144');
    assert.equal(state('764399760'), 'cancelled');
    assert.equal(state('764399770'), 'out_of_memory');
    assert.equal(state('764399780[3]'), 'running');
    assert.equal(state('864220165'), 'unknown');
    assert.match(st.get('864220165')!.reason ?? '', /no longer knows/);
    const started = new Date(st.get('764399747')!.startedAt!);
    assert.deepEqual([started.getMonth(), started.getDate(), started.getHours(), started.getMinutes()], [1, 2, 14, 54]);
  });

  test('a plain EXIT whose stderr ends in MemoryError is out_of_memory', async () => {
    const { ex } = await onLsf({
      bsub: { stdout: 'Job <764399750> is submitted to queue <normal>.\n' },
      bjobs: { stdout: sample('lsf/bjobs-ours.txt') }
    });
    const req = await request('pq-p-5-1', '1:10m');
    await writeFile(join(req.runDir, 'stderr'), 'Traceback (most recent call last):\nMemoryError\n');
    const { jobId } = await ex.submit(req);
    assert.equal((await ex.status([jobId])).get(jobId)!.state, 'out_of_memory');
  });

  test('bjobs that hangs or fails gives unknown; findByName then refuses to guess', async () => {
    await checkUnreachable({
      tag: 'lsf',
      tool: 'bjobs',
      down: { stderr: 'LSF is down. Please wait ...\n', rc: 255 },
      make: (run, commandTimeoutMs) => new LsfExecutor({ run, commandTimeoutMs }),
      jobId: '764399747',
      reason: /LSF is down/,
      jobName: 'pq-p-4-1'
    });
  });

  test("findByName lists the user's jobs once and matches names, array elements included", async () => {
    const { fake, ex } = await onLsf({ bjobs: { stdout: sample('lsf/bjobs-ours.txt') } });
    const found = await ex.findByName(['pq-p-5-1', 'pq-array[3]', 'never-submitted']);
    assert.deepEqual((await fake.calls())[0], ['bjobs', '-a', '-noheader', '-o', BJOBS_FORMAT]);
    assert.equal(found.get('pq-p-5-1'), '764399750');
    assert.equal(found.get('pq-array[3]'), '764399780[3]');
    assert.equal(found.has('never-submitted'), false);
  });

  test('bkill is called with the ids; a job that already finished is no error', async () => {
    const { fake, ex } = await onLsf({
      bkill: { stdout: sample('lsf/bkill.stdout'), stderr: 'Job <764399747>: Job has already finished\n', rc: 255 }
    });
    await ex.cancel(['764254593', '764399747']);
    assert.deepEqual((await fake.calls())[0], ['bkill', '764254593', '764399747']);
  });
});
