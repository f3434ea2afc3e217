// The submitter's environment as a job gets it (kernel-bridge/runner/environment.ts): what is
// kept from a submitting command, and what a real bash has after the job script's lines, starting
// from the environment a job starts with (the bridge's, plus what a scheduler sets).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  environmentDigest,
  environmentLines,
  keptEnvironment,
  parseEnvironment,
  processEnvironment
} from '../../kernel-bridge/runner/environment.js';

/** Runs `lines` in bash started with exactly `starting`; returns its environment afterwards and what `after` printed. */
function runIn(
  starting: Record<string, string>,
  lines: string[],
  after = ''
): { env: Record<string, string>; out: string } {
  const script = [...lines, 'env -0 > "$ENV_OUT"', after].join('\n');
  const envOut = `/tmp/pq-env-test-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const r = spawnSync('/bin/bash', ['-c', script], { env: { ...starting, ENV_OUT: envOut }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const raw = spawnSync('cat', [envOut], { encoding: 'utf8' }).stdout;
  spawnSync('rm', ['-f', envOut]);
  const env: Record<string, string> = {};
  for (const item of raw.split('\0').filter(Boolean)) {
    const eq = item.indexOf('=');
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return { env, out: r.stdout };
}

describe('what is kept from the submitting command', () => {
  it('drops per-shell noise, job context and per-run variables; keeps the rest', () => {
    const kept = keptEnvironment({
      PATH: '/venv/bin:/usr/bin',
      VIRTUAL_ENV: '/venv',
      CONDA_PREFIX: '/conda',
      MODULEPATH: '/mods',
      LOADEDMODULES: 'gcc/12',
      LD_LIBRARY_PATH: '/opt/lib',
      MP_API_KEY: 'secret-but-needed',
      'BASH_FUNC_module%%': '() {  echo m\n}',
      PWD: '/here',
      OLDPWD: '/there',
      SHLVL: '2',
      _: '/usr/bin/pql',
      PS1: '$ ',
      SSH_AUTH_SOCK: '/tmp/agent',
      SLURM_JOB_ID: '12',
      PBS_JOBID: '3.pbs',
      LSB_JOBID: '4',
      JPY_PARENT_PID: '9',
      PQ_RUN_DIR: '/runs/1.1',
      PQ_ENTRY_ID: '1',
      UNSET: undefined
    });
    assert.deepEqual(Object.keys(kept), [
      'BASH_FUNC_module%%',
      'CONDA_PREFIX',
      'LD_LIBRARY_PATH',
      'LOADEDMODULES',
      'MODULEPATH',
      'MP_API_KEY',
      'PATH',
      'VIRTUAL_ENV'
    ]);
  });

  it('the same variables give the same digest in any order; another value another one', () => {
    assert.equal(environmentDigest({ A: '1', B: '2' }), environmentDigest({ B: '2', A: '1' }));
    assert.notEqual(environmentDigest({ A: '1', B: '2' }), environmentDigest({ A: '1', B: '3' }));
  });

  it('refuses what is not an object of strings, naming the field and the variable', () => {
    assert.throws(() => parseEnvironment(['PATH=/bin']), /field 'environment': must be an object/);
    assert.throws(
      () => parseEnvironment({ PATH: '/bin', N: 3 }),
      /field 'environment': variable 'N' must be a string, not number/
    );
    assert.throws(() => parseEnvironment({ N: null }), /variable 'N' must be a string, not null/);
  });
});

describe('the job script lines, run by bash', () => {
  const bridge = {
    PATH: '/usr/bin:/bin',
    HOME: '/home/u',
    BRIDGE_ONLY: 'leaks?',
    VIRTUAL_ENV: '/bridge-venv',
    SLURM_JOB_ID: '77',
    SLURM_CPUS_ON_NODE: '4',
    CUDA_VISIBLE_DEVICES: '1'
  };
  const stored = keptEnvironment({
    PATH: '/sub/venv/bin:/usr/bin:/bin',
    HOME: '/elsewhere',
    QUOTED: `it's "q" $HOME \`x\` \\ end\nsecond line`,
    EMPTY: '',
    'BASH_FUNC_module%%': '() {  echo "module $*"\n}',
    'NOT.A.SHELL.NAME': 'x',
    SLURM_JOB_ID: 'the submitter was in a job'
  });

  it('gives exactly the submitter variables, keeps what the place sets, defines exported functions', () => {
    const { env, out } = runIn(bridge, environmentLines(stored, bridge), 'module load gcc');
    assert.equal(env.PATH, '/sub/venv/bin:/usr/bin:/bin');
    assert.equal(env.QUOTED, stored.QUOTED);
    assert.equal(env.EMPTY, '');
    assert.equal(env.BRIDGE_ONLY, undefined, "the bridge's own variable is gone");
    assert.equal(env.VIRTUAL_ENV, undefined, "the bridge's venv is gone");
    assert.equal(env.SLURM_JOB_ID, '77', "the scheduler's job id stays the job's");
    assert.equal(env.SLURM_CPUS_ON_NODE, '4');
    assert.equal(env.CUDA_VISIBLE_DEVICES, '1');
    assert.equal(env.HOME, '/home/u', 'HOME is the place where the job runs');
    assert.equal(out.trim(), 'module load gcc');
    assert.ok('BASH_FUNC_module%%' in env, 'the function is exported on to the task');
  });

  it("a fork server's environment: the stored variables and the place's own, nothing else of the bridge", () => {
    const env = processEnvironment(stored, bridge);
    assert.equal(env.PATH, stored.PATH);
    assert.equal(env.BRIDGE_ONLY, undefined);
    assert.equal(env.VIRTUAL_ENV, undefined);
    assert.equal(env.HOME, '/home/u');
    assert.equal(env['NOT.A.SHELL.NAME'], 'x');
    assert.equal(env['BASH_FUNC_module%%'], stored['BASH_FUNC_module%%']);
    assert.equal(env.SLURM_JOB_ID, '77');
  });
});
