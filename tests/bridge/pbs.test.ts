// The PBS executor against fake qsub/qstat/qdel (tests/fixtures/fake-schedulers) that record their
// exact argv and answer with qstat text captured on real Torque and PBS Pro clusters.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PbsExecutor, parseQstatFull, type PbsFlavor } from '../../kernel-bridge/executors/pbs.js';
import { checkUnreachable, onFakeCluster, request, sample, submitOnFakeCluster } from './fake-scheduler.js';
import type { ClusterConfig } from '../../kernel-bridge/executors/cluster-config.js';
import type { JobRequest } from '../../kernel-bridge/executors/types.js';

const config: ClusterConfig = {
  scheduler: 'pbs',
  nodes: [
    { name: 'xeon8', cores: 8, extraArgs: ['-l', 'feature=ib'] },
    { name: 'short1', cores: 1, partition: 'short', special: true }
  ],
  extraArgs: ['-A', 'proj42']
};
const local = (s: string) => {
  const m = /^\w{3} (\w{3})\s+(\d+) (\d\d):(\d\d):(\d\d) (\d{4})$/.exec(s)!;
  return new Date(
    Number(m[6]),
    ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(m[1]),
    Number(m[2]),
    Number(m[3]),
    Number(m[4]),
    Number(m[5])
  ).getTime();
};

/** qsub's argv, as MyQueue writes it, for a task on xeon8 nodes; `options` come before the job script. */
function qsubOnXeon8(req: JobRequest, name: string, walltime: string, nodes: string, options: string[]): string[] {
  return [
    'qsub',
    '-N',
    name,
    '-l',
    walltime,
    '-l',
    nodes,
    '-d',
    req.runDir,
    '-o',
    join(req.runDir, 'scheduler.stdout'),
    '-e',
    join(req.runDir, 'scheduler.stderr'),
    '-A',
    'proj42',
    '-l',
    'feature=ib',
    ...options,
    req.jobScript
  ];
}

/** A PBS executor (Torque, or PBS Pro with `flavor`) on a fake cluster whose tools answer as given. */
const onPbs = (answers: Parameters<typeof onFakeCluster>[1], flavor?: PbsFlavor) =>
  onFakeCluster('pbs', answers, run => new PbsExecutor({ flavor, run }));

/** Submits a request with qsub answering `stdout`, on `config`'s cluster. */
const submitted = (stdout: string, ...req: Parameters<typeof request>) =>
  submitOnFakeCluster('pbs', 'qsub', stdout, run => new PbsExecutor({ config, run }), ...req);

describe('PBS executor', () => {
  test('submit runs MyQueue-style qsub and keeps the server-suffixed id', async () => {
    const { req, jobId, argv } = await submitted(sample('pbs/qsub-pbspro.stdout'), 'pq-demo-7-1', '16:xeon8:2h', [
      '49100.gc-prd-hpcadm',
      '49101.gc-prd-hpcadm'
    ]);
    assert.equal(jobId, '49230.gc-prd-hpcadm');
    assert.deepEqual(
      argv,
      qsubOnXeon8(req, 'pq-demo-7-1', 'walltime=2:00:00', 'nodes=2:ppn=8', [
        '-W',
        'depend=afterok:49100.gc-prd-hpcadm:49101.gc-prd-hpcadm'
      ])
    );
  });

  test('a small task on a named node goes to its queue with one node and its cores as ppn', async () => {
    const { jobId, argv } = await submitted('1234.pbs01.cluster\n', 'pq-demo-8-1', '1:short1:90s');
    assert.equal(jobId, '1234.pbs01.cluster');
    assert.deepEqual(argv.slice(1, 7), ['-N', 'pq-demo-8-1', '-l', 'walltime=0:01:30', '-l', 'nodes=1:ppn=1']);
    assert.deepEqual(argv.slice(13, 15), ['-q', 'short']);
  });

  test('GPUs of the resource string reach qsub in the nodes request (Torque nodes=N:ppn=P:gpus=G)', async () => {
    const { req, jobId, argv } = await submitted('1235.pbs01.cluster\n', 'pq-demo-9-1', '8:1:2G:xeon8:1h');
    assert.equal(jobId, '1235.pbs01.cluster');
    assert.deepEqual(argv, qsubOnXeon8(req, 'pq-demo-9-1', 'walltime=1:00:00', 'nodes=1:ppn=8:gpus=2', []));
  });

  test('Torque: completed, queued and exiting jobs and one gone from the queue', async () => {
    const { fake, ex } = await onPbs({
      qstat: {
        stdout:
          sample('pbs/qstat-f-torque-completed.txt') +
          sample('pbs/qstat-f-torque-queued.txt') +
          sample('pbs/qstat-f-torque-exiting.txt'),
        stderr: sample('pbs/qstat-unknown-torque.stderr'),
        rc: 153
      }
    });
    const ids = ['1.server.cluster.org', '1910636.millipede.cm.cluster', '89.server-2', '1234.pbs01.cluster'];
    const st = await ex.status(ids);
    assert.deepEqual((await fake.calls())[0], ['qstat', '-f', ...ids]);
    const done = st.get('1.server.cluster.org')!;
    assert.equal(done.state, 'completed');
    assert.equal(done.exitCode, 0);
    assert.equal(done.node, 'server.cluster.org');
    assert.equal(done.startedAt, local('Sun Mar 19 17:39:12 2017'));
    assert.equal(done.endedAt, local('Sun Mar 19 17:39:21 2017'));
    assert.equal(st.get('1910636.millipede.cm.cluster')!.state, 'pending');
    assert.equal(st.get('89.server-2')!.state, 'running', 'E (exiting) is not final yet');
    const gone = st.get('1234.pbs01.cluster')!;
    assert.equal(gone.state, 'unknown');
    assert.match(gone.reason ?? '', /no longer knows/);
  });

  test('PBS Pro: qstat -f -x, a finished job and one killed by a signal', async () => {
    const { fake, ex } = await onPbs(
      { qstat: { stdout: sample('pbs/qstat-xf-pbspro-finished.txt') + sample('pbs/qstat-xf-pbspro-killed.txt') } },
      'pbspro'
    );
    const st = await ex.status(['7600424.pbs02', '49223.gc-prd-hpcadm']);
    assert.deepEqual((await fake.calls())[0], ['qstat', '-f', '-x', '7600424.pbs02', '49223.gc-prd-hpcadm']);
    const ok = st.get('7600424.pbs02')!;
    assert.equal(ok.state, 'completed');
    assert.equal(ok.node, 'node0088');
    assert.equal(ok.startedAt, local('Tue Dec 13 14:09:33 2016'));
    const killed = st.get('49223.gc-prd-hpcadm')!;
    assert.equal(killed.state, 'failed');
    assert.equal(killed.exitCode, 128 + 15);
    assert.match(killed.reason ?? '', /signal 15/);
    assert.match(killed.reason ?? '', /and failed/, 'the comment continued on a tab-indented line is joined');
  });

  test('a job killed with a wall-time message in what PBS wrote is timed_out', async () => {
    const { ex } = await onPbs(
      { qsub: { stdout: '49223.gc-prd-hpcadm\n' }, qstat: { stdout: sample('pbs/qstat-xf-pbspro-killed.txt') } },
      'pbspro'
    );
    const req = await request('simple_failing_test', '1:30s');
    // The task's own stderr ends with an ordinary line; PBS's kill message is in its -e file.
    await writeFile(join(req.runDir, 'stderr'), 'step 3 of 10\n');
    await writeFile(join(req.runDir, 'scheduler.stderr'), sample('pbs/qstat-walltime-stderr.txt'));
    const { jobId } = await ex.submit(req);
    const s = (await ex.status([jobId])).get(jobId)!;
    assert.equal(s.state, 'timed_out');
    assert.match(s.reason ?? '', /walltime 49 exceeded limit 30/);
  });

  test('a job we cancelled is cancelled; qdel of a finished job is no error', async () => {
    const { fake, ex } = await onPbs(
      {
        qdel: { stderr: 'qdel: Unknown Job Id 1234.pbs01.cluster\n', rc: 153 },
        qstat: { stdout: sample('pbs/qstat-xf-pbspro-killed.txt') }
      },
      'pbspro'
    );
    await ex.cancel(['49223.gc-prd-hpcadm', '1234.pbs01.cluster']);
    assert.deepEqual((await fake.calls())[0], ['qdel', '49223.gc-prd-hpcadm', '1234.pbs01.cluster']);
    assert.equal((await ex.status(['49223.gc-prd-hpcadm'])).get('49223.gc-prd-hpcadm')!.state, 'cancelled');
  });

  test('array elements and a server name cut short are matched on the sequence number', async () => {
    const element = sample('pbs/qstat-f-torque-completed.txt').replace(
      'Job Id: 1.server.cluster.org',
      'Job Id: 1234[5].pbs01.cluster'
    );
    const { ex } = await onPbs({ qstat: { stdout: element } });
    const st = await ex.status(['1234[5].pbs01']);
    assert.equal(st.get('1234[5].pbs01')!.state, 'completed');
  });

  test('qstat that hangs or cannot reach the server gives unknown; findByName then refuses to guess', async () => {
    await checkUnreachable({
      tag: 'pbs',
      tool: 'qstat',
      down: { stderr: 'qstat: cannot connect to server pbs01 (errno=111) Connection refused\n', rc: 111 },
      make: (run, commandTimeoutMs) => new PbsExecutor({ run, commandTimeoutMs }),
      jobId: '1.server.cluster.org',
      reason: /cannot connect to server/,
      jobName: 'test.sh'
    });
  });

  test('findByName reads every job qstat lists and maps names to ids', async () => {
    const { fake, ex } = await onPbs(
      {
        qstat: {
          stdout:
            sample('pbs/qstat-xf-pbspro-finished.txt') +
            sample('pbs/qstat-xf-pbspro-killed.txt') +
            sample('pbs/qstat-f-torque-completed.txt')
        }
      },
      'pbspro'
    );
    const found = await ex.findByName(['pi-mpi', 'simple_failing_test', 'never-submitted']);
    assert.deepEqual((await fake.calls())[0], ['qstat', '-f', '-x']);
    assert.equal(found.get('pi-mpi'), '7600424.pbs02');
    assert.equal(found.get('simple_failing_test'), '49223.gc-prd-hpcadm');
    assert.equal(found.has('never-submitted'), false);
  });

  test('parseQstatFull keeps each attribute whole across continuation lines', () => {
    const [rec] = parseQstatFull(sample('pbs/qstat-f-torque-completed.txt'));
    assert.equal(rec.id, '1.server.cluster.org');
    assert.match(rec.attrs.Variable_List, /PBS_O_LOGNAME=vagrant,PBS_O_PATH=/);
    assert.equal(rec.attrs.exit_status, '0');
    assert.equal(rec.attrs['req_information.task_usage.0.task.0.host'], 'server.cluster.org');
  });
});
