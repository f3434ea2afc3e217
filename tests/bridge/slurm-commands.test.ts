// Slurm command lines and Slurm text, without a cluster: the exact sbatch arguments, the parsers
// for sbatch/squeue/sacct/sinfo output, MyQueue's node selection, the stderr diagnosis and the
// job script's wait for its input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResources } from '../../core/resources.js';
import type { JobRequest } from '../../kernel-bridge/executors/types.js';
import {
  mapSlurmState,
  parseSacct,
  parseSbatchJobId,
  parseSlurmExitCode,
  parseSqueue,
  slurmSubmitArgs
} from '../../kernel-bridge/executors/slurm.js';
import {
  ClusterConfigError,
  parseSinfoNodes,
  selectNode,
  validateClusterConfig,
  type ClusterConfig
} from '../../kernel-bridge/executors/cluster-config.js';
import { diagnoseStderr } from '../../kernel-bridge/executors/stderr-diagnosis.js';
import { jobScript } from '../../kernel-bridge/runner/jobscript.js';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const config: ClusterConfig = {
  scheduler: 'slurm',
  nodes: [
    { name: 'xeon24', cores: 24, memory: '255GB', extraArgs: ['--constraint=ib'] },
    { name: 'xeon8', cores: 8 },
    { name: 'gpu', cores: 4, partition: 'sm3090', special: true, extraArgs: ['--gres=gpu:1'] }
  ],
  extraArgs: ['--account=proj42']
};

function request(
  resources: string,
  dependsOn: string[] = [],
  runDir = '/home/u/proj/.perqueue/runs/3/7.1'
): JobRequest {
  return {
    entryId: 7,
    workflowId: 3,
    attempt: 1,
    jobName: 'pq-proj-7-1',
    runDir,
    jobScript: `${runDir}/job.sh`,
    resources: parseResources(resources),
    dependsOn
  };
}

describe('sbatch command line', () => {
  test('a parallel task on two whole nodes, with afterok dependencies', () => {
    assert.deepEqual(slurmSubmitArgs(request('48:2h', ['101', '102']), config), [
      '--parsable',
      '--partition=xeon24',
      '--job-name=pq-proj-7-1',
      '--time=120',
      '--ntasks=48',
      '--cpus-per-task=1',
      '--nodes=2',
      '--chdir=/home/u/proj/.perqueue/runs/3/7.1',
      '--output=/home/u/proj/.perqueue/runs/3/7.1/stdout',
      '--error=/home/u/proj/.perqueue/runs/3/7.1/stderr',
      '--open-mode=append',
      '--account=proj42',
      '--constraint=ib',
      '--dependency=afterok:101:102',
      '--kill-on-invalid-dep=yes',
      '/home/u/proj/.perqueue/runs/3/7.1/job.sh'
    ]);
  });

  test('a serial 8-thread task is one task with 8 CPUs; seconds round up to a minute', () => {
    const args = slurmSubmitArgs(request('8:1:90s'), config);
    assert.deepEqual(args.slice(1, 7), [
      '--partition=xeon8',
      '--job-name=pq-proj-7-1',
      '--time=2',
      '--ntasks=1',
      '--cpus-per-task=8',
      '--nodes=1'
    ]);
    assert.ok(!args.some(a => a.startsWith('--dependency')), 'no dependency options without parents');
  });

  test('a special node is used only when named, with its own partition and arguments', () => {
    assert.equal(
      slurmSubmitArgs(request('4:10m'), config)[1],
      '--partition=xeon8',
      'the smallest ordinary node otherwise'
    );
    const args = slurmSubmitArgs(request('4:gpu:10m'), config);
    assert.equal(args[1], '--partition=sm3090');
    assert.ok(args.includes('--gres=gpu:1'));
  });

  test('GPUs of the resource string reach sbatch as --gpus-per-node, picking a node with GPUs (MyQueue)', () => {
    const gpuConfig: ClusterConfig = {
      scheduler: 'slurm',
      nodes: [
        { name: 'xeon8', cores: 8 },
        { name: 'sm3090el8', cores: 8, gpus: 8 }
      ]
    };
    assert.deepEqual(slurmSubmitArgs(request('8:1:8G:sm3090el8:2h'), gpuConfig).slice(0, 9), [
      '--parsable',
      '--partition=sm3090el8',
      '--job-name=pq-proj-7-1',
      '--time=120',
      '--ntasks=1',
      '--cpus-per-task=8',
      '--nodes=1',
      '--gpus-per-node=8',
      '--chdir=/home/u/proj/.perqueue/runs/3/7.1'
    ]);
    // Not named: the GPU node is picked for a GPU task and never for a task without GPUs.
    assert.equal(slurmSubmitArgs(request('8:2G:1h'), gpuConfig)[1], '--partition=sm3090el8');
    assert.equal(slurmSubmitArgs(request('8:1h'), gpuConfig)[1], '--partition=xeon8');
    assert.ok(!slurmSubmitArgs(request('8:1h'), gpuConfig).some(a => a.startsWith('--gpus')));
  });

  test("a '%' in the run folder is not taken for a filename pattern", () => {
    const args = slurmSubmitArgs(request('1:1m', [], '/scratch/100%/run'), config);
    assert.ok(args.includes('--output=/scratch/100%%/run/stdout'));
    assert.ok(args.includes('--chdir=/scratch/100%/run'));
  });

  test('without configured nodes Slurm picks partition and node count itself', () => {
    const args = slurmSubmitArgs(request('2:5m'), { scheduler: 'slurm', nodes: [] });
    assert.ok(!args.some(a => a.startsWith('--partition') || a.startsWith('--nodes')));
  });
});

describe('MyQueue node selection', () => {
  test('a named node must exist, and the error lists the configured ones', () => {
    assert.throws(
      () => selectNode(config, parseResources('8:xeon16:1h')),
      (e: Error) => {
        assert.ok(e instanceof ClusterConfigError);
        assert.equal(e.message, "No such node 'xeon16'; configured nodes: xeon24, xeon8, gpu");
        return true;
      }
    );
  });
  test('the first non-special node whose cores divide the request, else the smallest non-special one', () => {
    assert.deepEqual(selectNode(config, parseResources('48:1h')), { node: config.nodes[0], nodes: 2 });
    assert.deepEqual(selectNode(config, parseResources('16:1h')), { node: config.nodes[1], nodes: 2 });
    assert.deepEqual(selectNode(config, parseResources('12:1h')), { node: config.nodes[1], nodes: 2 });
  });
  test('validateClusterConfig names the field to fix', () => {
    assert.throws(
      () => validateClusterConfig({ scheduler: 'slurm', nodes: [{ name: 'a', cores: 0 }] }),
      /nodes\[0\]\.cores/
    );
    assert.throws(() => validateClusterConfig({ scheduler: 'sge', nodes: [] }), /scheduler/);
    assert.deepEqual(
      validateClusterConfig({ scheduler: 'lsf', nodes: [{ name: 'a', cores: 4, memory: '16GB' }] }).nodes[0].memory,
      '16GB'
    );
    assert.throws(
      () => validateClusterConfig({ scheduler: 'slurm', nodes: [], nativeDependencies: 'no' }),
      /nativeDependencies/
    );
    assert.equal(
      validateClusterConfig({ scheduler: 'slurm', nodes: [], nativeDependencies: false }).nativeDependencies,
      false
    );
    assert.equal(
      validateClusterConfig({ scheduler: 'slurm', nodes: [] }).nativeDependencies,
      undefined,
      'default: on for Slurm'
    );
  });
});

describe('job script started ahead of its input (native dependencies)', () => {
  const folder = () => {
    const root = mkdtempSync(join(tmpdir(), 'pq-jobscript-'));
    const code = join(root, 'task.sh');
    writeFileSync(code, '#!/bin/bash\necho ran > "$PQ_RUN_DIR/ran"\n');
    chmodSync(code, 0o755);
    const script = join(root, 'job.sh');
    writeFileSync(
      script,
      jobScript({ workDir: root, workflowId: 1, code, python: 'python3', virtualEnv: null, preamble: null })
    );
    const runDir = join(root, '5.1');
    mkdirSync(runDir);
    return { script, runDir };
  };
  test('it waits for input.json, then claims the folder and runs', async () => {
    const { script, runDir } = folder();
    const job = spawn('bash', [script, runDir], { env: { ...process.env, PQ_INPUT_WAIT_S: '60' } });
    const exited = new Promise<number | null>(res => job.on('exit', res));
    // The input comes once the script is in its wait loop (its first `sleep 0.1` is its only
    // child then), so the wait is what the test sees, however slow the start.
    const children = () => {
      try {
        return readFileSync(`/proc/${job.pid}/task/${job.pid}/children`, 'utf8').trim();
      } catch {
        return '';
      }
    };
    for (const end = Date.now() + 30_000; children() === '' && Date.now() < end;)
      await new Promise(res => setTimeout(res, 20));
    assert.notEqual(children(), '', 'the job script waits for its input');
    assert.equal(existsSync(join(runDir, 'pid')), false, 'unclaimed while it waits');
    writeFileSync(join(runDir, 'input.json'), '{}');
    const r = await exited;
    assert.equal(r, 0);
    assert.equal(readFileSync(join(runDir, 'marker'), 'utf8'), '0\n');
    assert.ok(existsSync(join(runDir, 'ran')));
  });
  test('without input.json within PQ_INPUT_WAIT_S it exits 75 and leaves the folder unclaimed', () => {
    const { script, runDir } = folder();
    const r = spawnSync('bash', [script, runDir], { env: { ...process.env, PQ_INPUT_WAIT_S: '0' } });
    assert.equal(r.status, 75);
    assert.equal(existsSync(join(runDir, 'pid')), false);
    assert.equal(existsSync(join(runDir, 'ran')), false);
  });
});

describe('Slurm output', () => {
  test('sbatch --parsable ids, with and without a cluster name', () => {
    assert.equal(parseSbatchJobId('123\n'), '123');
    assert.equal(parseSbatchJobId('sbatch: warning: something\n4567;cluster2\n'), '4567');
    assert.equal(parseSbatchJobId('Submitted batch job 12\n'), undefined);
  });

  test('states as squeue and sacct print them', () => {
    assert.equal(mapSlurmState('CANCELLED by 0'), 'cancelled');
    assert.equal(mapSlurmState('CANCELLED+'), 'cancelled');
    assert.equal(mapSlurmState('OUT_OF_MEMORY'), 'out_of_memory');
    assert.equal(mapSlurmState('TIMEOUT'), 'timed_out');
    assert.equal(mapSlurmState('NODE_FAIL'), 'node_fail');
    assert.equal(mapSlurmState('PREEMPTED'), 'node_fail');
    assert.equal(mapSlurmState('COMPLETING'), 'running');
    assert.equal(mapSlurmState('REQUEUED'), 'pending');
    assert.equal(mapSlurmState('SOMETHING_NEW'), 'unknown');
    assert.equal(parseSlurmExitCode('3:0'), 3);
    assert.equal(parseSlurmExitCode('0:9'), 137);
  });

  test('sacct -P rows of this machine, including an array element and a placeholder name', () => {
    const rows = parseSacct(
      '2|allocation|FAILED|3:0|vm|2026-11-25T17:17:51|2026-11-25T17:17:51|\n' +
        '1|wrap|CANCELLED by 0|0:0|None assigned|2026-11-25T17:17:43|2026-11-25T17:17:43|/tmp\n' +
        '7_3|arr|COMPLETED|0:0|vm|2026-11-25T17:20:00|2026-11-25T17:20:04|/tmp/a|b\n'
    );
    assert.equal(rows[0].state, 'failed');
    assert.equal(rows[0].exitCode, 3);
    assert.equal(rows[0].workDir, undefined);
    assert.equal(rows[1].node, undefined);
    assert.equal(rows[2].id, '7_3');
    assert.equal(rows[2].workDir, '/tmp/a|b');
    assert.equal(rows[2].end! - rows[2].start!, 4000);
  });

  test('squeue -o rows of this machine', () => {
    const [pending, failed] = parseSqueue(
      '1|PENDING||N/A|N/A|Dependency|/tmp|wrap\n2|FAILED|vm|2026-11-25T17:17:51|2026-11-25T17:17:51|NonZeroExitCode|/tmp/pqt|my|name\n'
    );
    assert.equal(pending.state, 'pending');
    assert.equal(pending.reason, 'Dependency');
    assert.equal(pending.start, undefined);
    assert.equal(failed.state, 'failed');
    assert.equal(failed.name, 'my|name');
    assert.equal(failed.workDir, '/tmp/pqt');
  });

  test('sinfo -O CPUs,Memory,Partition as Slurm 22.05 prints it here (20-wide columns, default marked *)', () => {
    const text =
      '8                   24105               debug*              \n' +
      '8                   24105               long                \n' +
      '64+                 257000+             long                \n';
    assert.deepEqual(parseSinfoNodes(text), [
      { name: 'debug', cores: 8, memory: '24105M' },
      { name: 'long', cores: 8, memory: '24105M' }
    ]);
    assert.deepEqual(
      parseSinfoNodes('CPUS                MEMORY              PARTITION           \n'),
      [],
      'a header line is skipped'
    );
  });
});

describe('stderr diagnosis (MyQueue parse_stderr)', () => {
  const cases: [string, 'oom' | 'timeout' | 'plain'][] = [
    [
      'slurmstepd: error: Detected 1 oom_kill event in StepId=1234.batch. Some of your processes may have been killed by the cgroup out-of-memory handler.',
      'oom'
    ],
    ['slurmstepd: error: Exceeded job memory limit at some point.', 'oom'],
    ['Traceback (most recent call last):\n  File "x.py", line 1\nMemoryError', 'oom'],
    ['malloc(): corrupted top size', 'oom'],
    ['slurmstepd: error: *** JOB 1234 ON vm CANCELLED AT 2026-11-25T17:20:00 DUE TO TIME LIMIT ***', 'timeout'],
    ['=>> PBS: job killed: walltime 49 exceeded limit 30', 'timeout'],
    ['=>> PBS: job killed: mem 4198400kb exceeded limit 4194304kb', 'oom'],
    ['TERM_RUNLIMIT: job killed after reaching LSF run time limit.', 'timeout'],
    ['Traceback (most recent call last):\nValueError: bad input', 'plain'],
    ['', 'plain']
  ];
  for (const [text, want] of cases) {
    test(`${want}: ${JSON.stringify(text.split('\n').pop()).slice(0, 70)}`, () => {
      const d = diagnoseStderr(text);
      assert.equal(d.outOfMemory, want === 'oom');
      assert.equal(d.timedOut, want === 'timeout');
    });
  }
});
