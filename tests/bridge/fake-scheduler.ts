// Test helpers for the executors of schedulers that cannot run here (PBS, LSF): fake commands
// (tests/fixtures/fake-schedulers) that record their exact argv and answer with given text.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSchedulerCommand, type CommandRunner } from '../../kernel-bridge/executors/scheduler-command.js';
import { SchedulerUnavailableError } from '../../kernel-bridge/executors/scheduler-command.js';
import type { Executor, JobRequest } from '../../kernel-bridge/executors/types.js';
import { jobRequest } from './job-request.js';

export const FAKE = join(
  resolve(dirname(fileURLToPath(import.meta.url)), '../../..'),
  'tests/fixtures/fake-schedulers'
);
export const sample = (name: string) => readFileSync(join(FAKE, 'samples', name), 'utf8');

export interface Answer {
  stdout?: string;
  stderr?: string;
  rc?: number;
  sleep?: number;
}

export async function fakeCluster(tag: string) {
  const dir = await mkdtemp(join(tmpdir(), `pq-fake-${tag}-`));
  const answers = join(dir, 'answers');
  await mkdir(answers);
  const log = join(dir, 'calls.log');
  await writeFile(log, '');
  const run: CommandRunner = (file, args, options) =>
    runSchedulerCommand(file, args, {
      ...options,
      env: { ...process.env, PATH: `${FAKE}/bin:${process.env.PATH}`, FAKE_SCHED_LOG: log, FAKE_SCHED_ANSWERS: answers }
    });
  return {
    dir,
    run,
    async answer(tool: string, a: Answer, call?: number) {
      const base = join(answers, call ? `${tool}.${call}` : tool);
      if (a.stdout !== undefined) await writeFile(`${base}.stdout`, a.stdout);
      if (a.stderr !== undefined) await writeFile(`${base}.stderr`, a.stderr);
      if (a.rc !== undefined) await writeFile(`${base}.rc`, String(a.rc));
      if (a.sleep !== undefined) await writeFile(`${base}.sleep`, String(a.sleep));
    },
    async calls(): Promise<string[][]> {
      return (await readFile(log, 'utf8'))
        .split('\n')
        .filter(Boolean)
        .map(l => l.split('\t'));
    }
  };
}

export async function request(
  name: string,
  resources: string,
  dependsOn: string[] = [],
  folder = 'pq-sched-run-'
): Promise<JobRequest> {
  return jobRequest(await mkdtemp(join(tmpdir(), folder)), name, resources, dependsOn);
}

export type FakeCluster = Awaited<ReturnType<typeof fakeCluster>>;

/**
 * A fake cluster whose tools answer as given (one answer for every call, or a list: the first call,
 * the second, ...) and an executor made on its command runner.
 */
export async function onFakeCluster<E extends Executor>(
  tag: string,
  answers: Record<string, Answer | Answer[]>,
  make: (run: CommandRunner) => E
): Promise<{ fake: FakeCluster; ex: E }> {
  const fake = await fakeCluster(tag);
  for (const [tool, a] of Object.entries(answers)) {
    if (Array.isArray(a)) for (const [i, one] of a.entries()) await fake.answer(tool, one, i + 1);
    else await fake.answer(tool, a);
  }
  return { fake, ex: make(fake.run) };
}

/**
 * Submits one request (made by `request` from `req`) through an executor on a fake cluster whose
 * submit tool answers `stdout`: the request, the job id read from that answer and the tool's argv.
 */
export async function submitOnFakeCluster<E extends Executor>(
  tag: string,
  tool: string,
  stdout: string,
  make: (run: CommandRunner) => E,
  ...req: Parameters<typeof request>
): Promise<{ req: JobRequest; jobId: string; argv: string[] }> {
  const { fake, ex } = await onFakeCluster(tag, { [tool]: { stdout } }, make);
  const submitted = await request(...req);
  const { jobId } = await ex.submit(submitted);
  return { req: submitted, jobId, argv: (await fake.calls())[0] };
}

/**
 * The scheduler's status tool hangs once, then fails twice with `down`: status answers 'unknown'
 * without waiting out the hang, then 'unknown' with the scheduler's own words, and findByName
 * refuses to guess.
 */
export async function checkUnreachable<E extends Executor>(c: {
  tag: string;
  tool: string;
  down: Answer;
  make: (run: CommandRunner, commandTimeoutMs: number) => E;
  jobId: string;
  reason: RegExp;
  jobName: string;
}): Promise<void> {
  const { ex } = await onFakeCluster(c.tag, { [c.tool]: [{ sleep: 10 }, c.down, c.down] }, run => c.make(run, 500));
  const t0 = performance.now();
  assert.equal((await ex.status([c.jobId])).get(c.jobId)!.state, 'unknown');
  assert.ok(performance.now() - t0 < 9_000, `the hanging ${c.tool} (10 s) was given up`);
  const s = (await ex.status([c.jobId])).get(c.jobId)!;
  assert.equal(s.state, 'unknown');
  assert.match(s.reason ?? '', c.reason);
  await assert.rejects(ex.findByName([c.jobName]), SchedulerUnavailableError);
}
