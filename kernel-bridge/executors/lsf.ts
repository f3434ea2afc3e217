// LSF executor: bsub / bjobs / bkill with MyQueue's command lines.
// Owns: the bsub call, reading `bjobs -o` rows back into job states, finding jobs by name,
// cancelling. Never decides workflow logic and never retries: when LSF cannot be asked the answer
// is 'unknown' (status) or an error the caller can retry.
import { join } from 'node:path';
import type { Executor, JobRequest, JobState, JobStatus } from './types.js';
import { memoryBytes, selectNode, type ClusterConfig } from './cluster-config.js';
import { describeCommand, SchedulerUnavailableError } from './scheduler-command.js';
import { SchedulerExecutor, type SchedulerExecutorOptions } from './scheduler-executor.js';
import { chunks, parseLsfTime, unique } from './scheduler-text.js';
import { diagnoseStderr, readStderrTail, type StderrDiagnosis } from './stderr-diagnosis.js';

export type LsfExecutorOptions = SchedulerExecutorOptions;

/**
 * bjobs fields (LSF 9.1.3 and later). exit_reason carries TERM_RUNLIMIT / TERM_MEMLIMIT / TERM_OWNER;
 * job_name is last because it is the only free text.
 */
export const BJOBS_FORMAT = "jobid stat exit_code exit_reason exec_host start_time finish_time job_name delimiter='|'";

const shellSafe = (s: string) => /^[\w@%+=:,./-]+$/.test(s);
const quote = (s: string) => (shellSafe(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The arguments after `bsub`, as MyQueue builds them, plus the run folder and our output files. */
function lsfSubmitArgs(req: JobRequest, config: ClusterConfig): string[] {
  const r = req.resources;
  const choice = selectNode(config, r);
  const node = choice.node;
  // Rounded up: a limit shorter than the resource string asks for would kill the task early.
  const totalMinutes = Math.max(1, Math.ceil(r.tmax / 60));
  const two = (n: number) => String(n).padStart(2, '0');
  const args = [
    '-J',
    req.jobName,
    '-W',
    `${two(Math.floor(totalMinutes / 60))}:${two(totalMinutes % 60)}`,
    '-n',
    String(r.cores),
    '-cwd',
    req.runDir,
    '-o',
    join(req.runDir, 'stdout'),
    '-e',
    join(req.runDir, 'stderr')
  ];
  if (node) {
    args.push('-R', `select[model == ${node.name}]`);
    if (node.memory) {
      const perCore = Math.floor(memoryBytes(node.memory) / 1e9 / node.cores);
      if (perCore >= 1) args.push('-R', `rusage[mem=${perCore}G]`);
    }
    if (node.partition) args.push('-q', node.partition);
  }
  // GPUs per node, LSF 10.1's -gpu option (MyQueue's LSF scheduler asks for none).
  if (r.gpus > 0) args.push('-gpu', `num=${r.gpus}`);
  args.push(...(config.extraArgs ?? []), ...(node?.extraArgs ?? []));
  if (req.dependsOn.length > 0) args.push('-w', req.dependsOn.map(id => `done(${id})`).join(' && '));
  // One host unless the task needs several; span[hosts=1] alone could never be placed then.
  args.push('-R', choice.nodes > 1 && node ? `span[ptile=${node.cores}]` : 'span[hosts=1]');
  // bsub joins the command words into a shell command line, so the path is quoted for that shell.
  args.push(quote(req.jobScript));
  return args;
}

/** `Job <1234> is submitted to queue <normal>.` (or `to default queue`). */
function parseBsubJobId(stdout: string): string | undefined {
  return /Job <(\d+(?:\[\d+\])?)> is submitted/.exec(stdout)?.[1];
}

const LSF_STATES: Record<string, JobState> = {
  PEND: 'pending',
  PSUSP: 'pending',
  WAIT: 'pending',
  PROV: 'pending',
  RUN: 'running',
  USUSP: 'running',
  SSUSP: 'running',
  DONE: 'completed',
  UNKWN: 'unknown',
  ZOMBI: 'unknown'
};

export interface BjobsRow {
  /** `1234`, or `1234[3]` for an array element (its index only shows in the job name). */
  id: string;
  stat: string;
  exitCode?: number;
  exitReason?: string;
  host?: string;
  start?: number;
  finish?: number;
  name: string;
}

const dash = (s: string | undefined) => (s === undefined || s.trim() === '' || s.trim() === '-' ? undefined : s.trim());

/** Rows of `bjobs -noheader -o "<BJOBS_FORMAT>"`. */
function parseBjobs(text: string, now = Date.now()): BjobsRow[] {
  const rows: BjobsRow[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split('|');
    if (f.length < 8 || !/^\d+$/.test(f[0])) continue;
    const name = f.slice(7).join('|');
    const index = /\[(\d+)\]$/.exec(name)?.[1];
    const exit = dash(f[2]);
    rows.push({
      id: index ? `${f[0]}[${index}]` : f[0],
      stat: f[1].trim(),
      exitCode: exit !== undefined && /^-?\d+$/.test(exit) ? Number(exit) : undefined,
      exitReason: dash(f[3]),
      // `4*hostA:2*hostB` -> hostA
      host: dash(f[4])
        ?.split(/[:\s]/)[0]
        .replace(/^\d+\*/, ''),
      start: parseLsfTime(dash(f[5]), now),
      finish: parseLsfTime(dash(f[6]), now),
      name
    });
  }
  return rows;
}

/** The state of one bjobs row; `diag` is what the job's stderr says. */
function judgeBjobsRow(row: BjobsRow, diag: StderrDiagnosis): { state: JobState; exitCode?: number; reason: string } {
  const live = LSF_STATES[row.stat];
  const reason = row.exitReason ? `${row.stat}: ${row.exitReason}` : row.stat;
  if (row.stat === 'DONE') return { state: 'completed', exitCode: 0, reason };
  if (live) return { state: live, reason };
  if (row.stat !== 'EXIT') return { state: 'unknown', reason: `bjobs state '${row.stat}'` };
  const term = /TERM_(\w+)/.exec(row.exitReason ?? '')?.[1];
  const withLine = diag.line ? `${reason}; stderr: ${diag.line}` : reason;
  if (term === 'RUNLIMIT' || term === 'DEADLINE' || diag.timedOut)
    return { state: 'timed_out', exitCode: row.exitCode, reason: withLine };
  if (term === 'MEMLIMIT' || term === 'SWAP' || diag.outOfMemory)
    return { state: 'out_of_memory', exitCode: row.exitCode, reason: withLine };
  if (term && /^(OWNER|ADMIN|FORCE_OWNER|FORCE_ADMIN|REQUEUE_OWNER|REQUEUE_ADMIN)$/.test(term)) {
    return { state: 'cancelled', exitCode: row.exitCode, reason };
  }
  if (/killed by owner|killed by root or LSF administrator/i.test(row.exitReason ?? ''))
    return { state: 'cancelled', exitCode: row.exitCode, reason };
  if (term && /^(HOST|LOAD|PREEMPT|WINDOW|ZOMBIE|UNKNOWN)$/.test(term))
    return { state: 'node_fail', exitCode: row.exitCode, reason };
  return { state: 'failed', exitCode: row.exitCode, reason };
}

/** Ids from `Job <1234> is not found`. */
function notFoundIds(stderr: string): Set<string> {
  const out = new Set<string>();
  for (const m of stderr.matchAll(/Job <([^>]+)> is not found/g)) out.add(m[1]);
  return out;
}

const harmless = (line: string) =>
  /is not found|has already finished|No matching job found|No unfinished job found|is being terminated/i.test(line);

export class LsfExecutor extends SchedulerExecutor implements Executor {
  readonly name = 'lsf';

  constructor(options: LsfExecutorOptions = {}) {
    super('lsf', options);
  }

  async submit(req: JobRequest): Promise<{ jobId: string }> {
    return this.submitWith(
      'bsub',
      lsfSubmitArgs(req, this.config),
      req,
      parseBsubJobId,
      /timed out|LSF is down|Cannot connect|Failed in an LSF library call/i,
      // bsub may print its reason on either stream.
      { said: r => r.stderr + r.stdout }
    );
  }

  async status(jobIds: string[]): Promise<Map<string, JobStatus>> {
    // bjobs exits 255 as soon as one id is not found, yet still prints the others.
    return this.statusFromRecords<BjobsRow>('bjobs', jobIds, {
      argsFor: part => ['-a', '-noheader', '-o', BJOBS_FORMAT, ...part],
      harmless,
      read: (r, rows, gone) => {
        for (const row of parseBjobs(r.stdout)) rows.set(row.id, row);
        for (const id of notFoundIds(r.stderr + r.stdout)) gone.add(id);
      },
      forgotten: 'LSF no longer knows this job (finished longer ago than CLEAN_PERIOD)',
      toStatus: (id, row) => this.toStatus(id, row)
    });
  }

  private async toStatus(id: string, row: BjobsRow): Promise<JobStatus> {
    let diag: StderrDiagnosis = { outOfMemory: false, timedOut: false };
    const runDir = this.runDirs.get(id);
    if (row.stat === 'EXIT' && runDir) diag = diagnoseStderr(await readStderrTail(runDir));
    const j = judgeBjobsRow(row, diag);
    const s: JobStatus = { jobId: id, state: j.state, reason: j.reason };
    if (j.exitCode !== undefined) s.exitCode = j.exitCode;
    if (row.host) s.node = row.host;
    if (row.start !== undefined && j.state !== 'pending') s.startedAt = row.start;
    if (row.finish !== undefined && !['pending', 'running', 'unknown'].includes(j.state)) s.endedAt = row.finish;
    return s;
  }

  async findByName(jobNames: string[]): Promise<Map<string, string>> {
    const names = new Set(unique(jobNames));
    // All of this user's recent jobs in one call: -J takes a single name.
    const args = ['-a', '-noheader', '-o', BJOBS_FORMAT];
    const r = await this.run('bjobs', args, { timeoutMs: this.timeoutMs });
    const empty = /No (unfinished )?job found/i.test(r.stderr + r.stdout);
    if (!r.ok && !empty)
      throw new SchedulerUnavailableError(`cannot look up job names: ${describeCommand('bjobs', args, r)}`, r);
    const out = new Map<string, BjobsRow>();
    for (const row of parseBjobs(r.stdout)) {
      if (!names.has(row.name)) continue;
      const best = out.get(row.name);
      const alive = (x: BjobsRow) => Number(['pending', 'running'].includes(LSF_STATES[x.stat] ?? ''));
      if (
        !best ||
        alive(row) > alive(best) ||
        (alive(row) === alive(best) && Number.parseInt(row.id, 10) > Number.parseInt(best.id, 10))
      ) {
        out.set(row.name, row);
      }
    }
    return new Map([...out].map(([name, row]) => [name, row.id]));
  }

  async cancel(jobIds: string[]): Promise<void> {
    for (const part of chunks(unique(jobIds))) {
      const r = await this.run('bkill', part, { timeoutMs: this.timeoutMs });
      if (r.ok) continue;
      const other = (r.stderr + '\n' + r.stdout).split('\n').filter(l => l.trim() && !harmless(l));
      if (!r.timedOut && !r.spawnError && other.length === 0) continue;
      throw new SchedulerUnavailableError(describeCommand('bkill', part, r), r);
    }
  }
}
