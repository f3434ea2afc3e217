// What a failed Slurm test prints, so that a red run tells a product bug from a test bug without
// running it again: the state of every entry of the scenario's workflows, Slurm's own view of
// the jobs (squeue and sacct lines) and the tails of every run folder's files.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PQL, type Project } from './cli-harness.js';

/** What a scenario touches; it adds to it as it goes (the helper reads it only on failure). */
export class Watched {
  project?: Project;
  readonly workflows: number[] = [];
  readonly jobIds: string[] = [];
  readonly runDirs: string[] = [];
  /** A project whose workflows (all of them, or those named with `workflow`) are described. */
  watch<P extends Project>(p: P): P {
    this.project = p;
    return p;
  }
  workflow(wf: number): number {
    this.workflows.push(wf);
    return wf;
  }
  job(id: string): string {
    this.jobIds.push(id);
    return id;
  }
  runDir(dir: string): string {
    this.runDirs.push(dir);
    return dir;
  }
}

/**
 * Runs a Slurm scenario; when it throws, the error (an assertion or anything else) comes back
 * with the diagnostics appended to its message, so they are in the test report next to it.
 */
export async function explained<T>(scenario: (w: Watched) => Promise<T>): Promise<T> {
  const w = new Watched();
  try {
    return await scenario(w);
  } catch (err) {
    let text: string;
    try {
      text = diagnostics(w);
    } catch (e) {
      text = `(the diagnostics could not be gathered: ${(e as Error).message})`;
    }
    throw withText(err, text);
  }
}

function withText(err: unknown, text: string): unknown {
  const block = `\n\n======== diagnostics (scenario state when it failed) ========\n${text}\n======== end of diagnostics ========`;
  if (!(err instanceof Error)) return new Error(`${String(err)}${block}`);
  const before = err.message;
  err.message = before + block;
  // Reporters print the stack, which copied the message when the error was made.
  if (err.stack?.includes(before)) err.stack = err.stack.replace(before, err.message);
  else err.stack = `${err.stack ?? ''}${block}`;
  return err;
}

const TAIL_LINES = 15;

export function diagnostics(w: Watched): string {
  const out: string[] = [];
  const p = w.project;
  const runDirs = [...w.runDirs];
  if (p) {
    const wfs = w.workflows.length > 0 ? w.workflows : [undefined];
    for (const wf of wfs) out.push(entriesOf(p, wf));
    runDirs.push(...runFoldersOf(p.dir, w.workflows));
    out.push(`-- bridge log\n${tailOf('bridge.log', join(p.dir, '.perqueue/bridge.log'), 25)}`);
  }
  out.push(schedulerView(p?.dir, w.jobIds, runDirs));
  for (const dir of runDirs) out.push(runFolder(dir));
  return out.join('\n');
}

/** `pql ls --json` reads the store directly: no daemon is started to describe a failure. */
function entriesOf(p: Project, wf: number | undefined): string {
  const r = spawnSync(process.execPath, [PQL, 'ls', '--json', ...(wf === undefined ? [] : ['-w', String(wf)])], {
    cwd: p.dir,
    env: p.env,
    encoding: 'utf8',
    timeout: 20_000
  });
  const title = `-- entries of ${wf === undefined ? 'every workflow' : `workflow ${wf}`} (pql ls --json)`;
  if (r.status !== 0) return `${title}: pql ls failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.trim()}`;
  try {
    const es = JSON.parse(r.stdout) as Record<string, unknown>[];
    const fields = ['id', 'workflowId', 'name', 'kind', 'state', 'attempt', 'resources', 'jobId', 'host', 'error'];
    return [title, ...es.map(e => '  ' + fields.map(f => `${f}=${JSON.stringify(e[f] ?? null)}`).join(' '))].join('\n');
  } catch {
    return `${title}: ${r.stdout.slice(0, 2000)}`;
  }
}

/** Run folders of the project (`.perqueue/runs/<wf>/<entry>.<attempt>`), of the named workflows or all. */
function runFoldersOf(projectDir: string, workflows: number[]): string[] {
  const runs = join(projectDir, '.perqueue/runs');
  if (!existsSync(runs)) return [];
  const wfs = workflows.length > 0 ? workflows.map(String) : readdirSync(runs);
  const dirs: string[] = [];
  for (const wf of wfs) {
    const base = join(runs, wf);
    if (!existsSync(base)) continue;
    for (const name of readdirSync(base).sort()) {
      if (/^\d+\.\d+$/.test(name) && statSync(join(base, name)).isDirectory()) dirs.push(join(base, name));
    }
  }
  return dirs;
}

/**
 * Slurm's view: squeue (live and recently finished) and sacct lines for the jobs named, the
 * jobs whose working folder is in the project, and the jobs started in the run folders given.
 */
function schedulerView(projectDir: string | undefined, jobIds: string[], runDirs: string[]): string {
  const mine = (workDir: string, id: string) =>
    jobIds.includes(id) ||
    (projectDir !== undefined && workDir.startsWith(projectDir)) ||
    runDirs.some(d => workDir === d);
  // Both tools print `|`-separated fields, the job id first; `workDirField`: where the working folder is.
  const listed = (title: string, tool: string, args: string[], workDirField: number): string[] => {
    const r = spawnSync(tool, args, { encoding: 'utf8', timeout: 15_000 });
    if (r.status !== 0) return [title, `  ${tool} failed: ${r.error?.message ?? ''} ${r.stderr?.trim() ?? ''}`];
    const ours = r.stdout.split('\n').filter(l => l && mine(l.split('|')[workDirField] ?? '', l.split('|')[0]));
    return [title, ...ours.map(l => `  ${l}`)];
  };
  const lines = [
    ...listed(
      '-- squeue -t all (JobId|Name|State|Reason|Dependency|Time|TimeLimit|WorkDir)',
      'squeue',
      ['-h', '-t', 'all', '-o', '%i|%j|%T|%r|%E|%M|%l|%Z'],
      7
    ),
    ...listed(
      '-- sacct (JobID|JobName|State|ExitCode|Reason|Elapsed|Timelimit|Start|End|WorkDir)',
      'sacct',
      [
        '-n',
        '-P',
        '-X',
        '-a',
        '-S',
        'now-3hours',
        '-o',
        'JobID,JobName%80,State,ExitCode,Reason,Elapsed,Timelimit,Start,End,WorkDir%300'
      ],
      9
    )
  ];
  return lines.join('\n');
}

function runFolder(dir: string): string {
  const out = [`-- run folder ${dir}: ${existsSync(dir) ? readdirSync(dir).sort().join(' ') : '(missing)'}`];
  for (const f of ['marker', 'scheduler.json', 'stdout', 'stderr']) {
    if (existsSync(join(dir, f))) out.push(tailOf(f, join(dir, f), TAIL_LINES));
  }
  return out.join('\n');
}

function tailOf(title: string, path: string, n: number): string {
  if (!existsSync(path)) return `   ${title}: (none)`;
  const lines = readFileSync(path, 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const shown = lines.slice(-n);
  return [`   ${title} (last ${shown.length} of ${lines.length} lines):`, ...shown.map(l => `     | ${l}`)].join('\n');
}
