// Test helpers for the executors of schedulers that cannot run here (PBS, LSF): fake commands
// (tests/fixtures/fake-schedulers) that record their exact argv and answer with given text.
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResources } from '../../core/resources.js';
import { runSchedulerCommand, type CommandRunner } from '../../kernel-bridge/executors/scheduler-command.js';
import type { JobRequest } from '../../kernel-bridge/executors/types.js';

export const FAKE = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'tests/fixtures/fake-schedulers');
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
      env: { ...process.env, PATH: `${FAKE}/bin:${process.env.PATH}`, FAKE_SCHED_LOG: log, FAKE_SCHED_ANSWERS: answers },
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
      return (await readFile(log, 'utf8')).split('\n').filter(Boolean).map((l) => l.split('\t'));
    },
  };
}

export async function request(name: string, resources: string, dependsOn: string[] = [], folder = 'pq-sched-run-'): Promise<JobRequest> {
  const runDir = await mkdtemp(join(tmpdir(), folder));
  return { entryId: 1, workflowId: 1, attempt: 1, jobName: name, runDir, jobScript: join(runDir, 'job.sh'), resources: parseResources(resources), dependsOn };
}
