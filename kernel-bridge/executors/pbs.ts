// PBS executor (Torque and PBS Pro / OpenPBS): qsub / qstat / qdel with MyQueue's command lines.
// Owns: the qsub call, reading `qstat -f` records back into job states, finding jobs by name,
// cancelling. Never decides workflow logic and never retries: when PBS cannot be asked the answer
// is 'unknown' (status) or an error the caller can retry.
import { basename, dirname, join } from 'node:path';
import type { Executor, JobRequest, JobState, JobStatus } from './types.js';
import { selectNode, type ClusterConfig } from './cluster-config.js';
import { describeCommand, SchedulerUnavailableError } from './scheduler-command.js';
import { SchedulerExecutor, type SchedulerExecutorOptions } from './scheduler-executor.js';
import { chunks, parseCtime, unique } from './scheduler-text.js';
import { diagnoseStderr, readStderrTail, type StderrDiagnosis } from './stderr-diagnosis.js';

/**
 * 'torque': `qstat -f` keeps finished jobs (state C) for keep_completed seconds.
 * 'pbspro': finished jobs (state F) are history, shown only with `qstat -x`; in Torque -x means XML.
 */
export type PbsFlavor = 'torque' | 'pbspro';

export interface PbsExecutorOptions extends SchedulerExecutorOptions {
  flavor?: PbsFlavor;
}

/** What PBS itself writes (its messages, e.g. a wall-time kill), beside the task's stdout/stderr. */
const SCHEDULER_STDOUT = 'scheduler.stdout';
const SCHEDULER_STDERR = 'scheduler.stderr';

/** The arguments after `qsub`: MyQueue's, plus our output files and the queue of the node. */
function pbsSubmitArgs(req: JobRequest, config: ClusterConfig): string[] {
  const r = req.resources;
  const choice = selectNode(config, r);
  const nodeCores = choice.node?.cores;
  // MyQueue counts ppn in processes, which reserves one core for an 8-thread serial task (8:1:1h);
  // counting cores reserves what the resource string asks for.
  const ppn = nodeCores === undefined || r.cores < nodeCores ? r.cores : Math.ceil(r.cores / choice.nodes);
  const hours = Math.floor(r.tmax / 3600);
  const minutes = Math.floor((r.tmax % 3600) / 60);
  const seconds = r.tmax % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  const args = [
    '-N',
    req.jobName,
    '-l',
    `walltime=${hours}:${two(minutes)}:${two(seconds)}`,
    // GPUs per node in Torque's node syntax (MyQueue's PBS scheduler asks for none).
    '-l',
    `nodes=${choice.nodes}:ppn=${ppn}${r.gpus > 0 ? `:gpus=${r.gpus}` : ''}`,
    '-d',
    req.runDir,
    // PBS copies its spool files to -o/-e when the job ends, replacing what is there: the task's
    // own stdout/stderr (which the job script appends to directly) must not be those files.
    '-o',
    join(req.runDir, SCHEDULER_STDOUT),
    '-e',
    join(req.runDir, SCHEDULER_STDERR)
  ];
  if (choice.node?.partition) args.push('-q', choice.node.partition);
  args.push(...(config.extraArgs ?? []), ...(choice.node?.extraArgs ?? []));
  if (req.dependsOn.length > 0) args.push('-W', `depend=afterok:${req.dependsOn.join(':')}`);
  args.push(req.jobScript);
  return args;
}

/** qsub prints the full id, `1234.pbs01.cluster`; it is kept whole for qdel and dependencies. */
function parseQsubJobId(stdout: string): string | undefined {
  const lines = stdout
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1];
  return last && /^\d+(\[\d*\])?(\.[\w.-]+)?$/.test(last) ? last : undefined;
}

/**
 * The part of an id every PBS tool agrees on: `1234` of `1234.pbs01.cluster`, `1234[5]` of an
 * array element. Table output cuts server names short, so ids are matched on this.
 */
function pbsIdKey(id: string): string {
  const m = /^(\d+(?:\[\d*\])?)/.exec(id.trim());
  return m ? m[1] : id.trim();
}

export interface QstatRecord {
  id: string;
  attrs: Record<string, string>;
}

/**
 * `qstat -f` text: a `Job Id: <id>` line, then attributes indented by four spaces as `key = value`;
 * long values continue on lines indented by a tab (PBS Pro) or by more spaces (Torque).
 */
export function parseQstatFull(text: string): QstatRecord[] {
  const records: QstatRecord[] = [];
  let current: QstatRecord | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const head = /^Job Id:\s*(\S+)/.exec(line);
    if (head) {
      current = { id: head[1], attrs: {} };
      records.push(current);
      lastKey = undefined;
      continue;
    }
    if (!current) continue;
    const attr = /^ {4}([A-Za-z_][\w.]*) = (.*)$/.exec(line);
    if (attr) {
      lastKey = attr[1];
      current.attrs[lastKey] = attr[2];
    } else if (lastKey && /^\s+\S/.test(line)) {
      current.attrs[lastKey] += line.trim();
    }
  }
  return records;
}

const PBS_STATES: Record<string, JobState> = {
  Q: 'pending',
  H: 'pending',
  W: 'pending',
  T: 'pending',
  M: 'pending',
  R: 'running',
  E: 'running', // exiting: the exit status is not final yet
  B: 'running', // an array that has begun
  S: 'running',
  U: 'running'
};

// PBS Pro's JOB_EXEC_KILL_* codes: the server killed the job for going over a limit.
const KILL_WALLTIME = -29;
const KILL_MEMORY = new Set([-26, -27]);

export interface PbsJudgement {
  state: JobState;
  exitCode?: number;
  reason: string;
}

/** The state of one `qstat -f` record; `diag` is what the job's stderr says, for killed jobs. */
function judgePbsRecord(rec: QstatRecord, diag: StderrDiagnosis, cancelledByUs: boolean): PbsJudgement {
  const letter = (rec.attrs.job_state ?? '').trim();
  const comment = rec.attrs.comment ? ` (${rec.attrs.comment})` : '';
  const live = PBS_STATES[letter];
  if (live) return { state: live, reason: `job_state ${letter}${comment}` };
  if (letter !== 'C' && letter !== 'F' && letter !== 'X')
    return { state: 'unknown', reason: `job_state '${letter}'${comment}` };
  const rawExit = rec.attrs.exit_status ?? rec.attrs.Exit_status;
  if (rawExit === undefined || rawExit.trim() === '') {
    // PBS Pro gives a job deleted before it started no exit status.
    return { state: 'cancelled', reason: `finished without running${comment}` };
  }
  const exit = Number(rawExit);
  const why = `job_state ${letter}, exit status ${exit}${comment}`;
  if (exit === 0) return { state: 'completed', exitCode: 0, reason: why };
  if (exit === KILL_WALLTIME || diag.timedOut)
    return { state: 'timed_out', reason: diag.line ? `${why}; stderr: ${diag.line}` : why };
  if (KILL_MEMORY.has(exit) || diag.outOfMemory)
    return { state: 'out_of_memory', reason: diag.line ? `${why}; stderr: ${diag.line}` : why };
  if (exit >= 256) {
    // 256 + signal: killed, by qdel or by the system.
    const signal = exit - 256;
    if (cancelledByUs) return { state: 'cancelled', exitCode: 128 + signal, reason: why };
    return { state: 'failed', exitCode: 128 + signal, reason: `${why}: killed by signal ${signal}` };
  }
  if (exit < 0) return { state: 'failed', reason: `${why}: PBS could not run the job` };
  return { state: 'failed', exitCode: exit, reason: why };
}

/** Ids named in qstat/qdel complaints about jobs the server no longer has. */
function goneIds(stderr: string): Set<string> {
  const out = new Set<string>();
  for (const line of stderr.split('\n')) {
    const unknown = /Unknown Job Id(?: Error)?\s+(\S+)/i.exec(line);
    const finished = /qstat:\s+(\S+)\s+Job has finished/i.exec(line);
    const id = unknown?.[1] ?? finished?.[1];
    if (id) out.add(pbsIdKey(id));
  }
  return out;
}

const harmless = (line: string) =>
  /Unknown Job Id|Job has finished|Request invalid for state of job|job has already finished/i.test(line);

export class PbsExecutor extends SchedulerExecutor implements Executor {
  readonly name = 'pbs';
  private readonly flavor: PbsFlavor;
  private readonly cancelled = new Set<string>();

  constructor(options: PbsExecutorOptions = {}) {
    super('pbs', options);
    this.flavor = options.flavor ?? 'torque';
  }

  private qstatArgs(ids: string[]): string[] {
    return this.flavor === 'pbspro' ? ['-f', '-x', ...ids] : ['-f', ...ids];
  }

  async submit(req: JobRequest): Promise<{ jobId: string }> {
    return this.submitWith(
      'qsub',
      pbsSubmitArgs(req, this.config),
      req,
      parseQsubJobId,
      /timed out|cannot connect to server|Connection refused|End of File/i,
      { key: pbsIdKey }
    );
  }

  async status(jobIds: string[]): Promise<Map<string, JobStatus>> {
    // qstat exits non-zero as soon as one id is unknown, yet still prints the others.
    return this.statusFromRecords<QstatRecord>('qstat', jobIds, {
      argsFor: part => this.qstatArgs(part),
      harmless,
      read: (r, records, gone) => {
        for (const rec of parseQstatFull(r.stdout)) records.set(pbsIdKey(rec.id), rec);
        for (const key of goneIds(r.stderr)) gone.add(key);
      },
      key: pbsIdKey,
      forgotten: 'PBS no longer knows this job (finished and purged from qstat)',
      toStatus: (id, rec) => this.toStatus(id, rec)
    });
  }

  private async toStatus(id: string, rec: QstatRecord): Promise<JobStatus> {
    const key = pbsIdKey(id);
    const exit = Number(rec.attrs.exit_status ?? rec.attrs.Exit_status ?? 0);
    let diag: StderrDiagnosis = { outOfMemory: false, timedOut: false };
    if (exit !== 0) diag = diagnoseStderr(await this.stderrOf(key, rec));
    const j = judgePbsRecord(rec, diag, this.cancelled.has(key));
    const s: JobStatus = { jobId: id, state: j.state, reason: j.reason };
    if (j.exitCode !== undefined) s.exitCode = j.exitCode;
    const host = rec.attrs.exec_host?.split('+')[0]?.split('/')[0];
    if (host) s.node = host;
    const started = parseCtime(rec.attrs.stime ?? rec.attrs.start_time);
    if (started !== undefined && j.state !== 'pending') s.startedAt = started;
    const ended = parseCtime(
      rec.attrs.obittime ??
        rec.attrs.comp_time ??
        (['C', 'F', 'X'].includes(rec.attrs.job_state) ? rec.attrs.mtime : undefined)
    );
    if (ended !== undefined && !['pending', 'running'].includes(j.state)) s.endedAt = ended;
    return s;
  }

  private async stderrOf(key: string, rec: QstatRecord): Promise<string> {
    const runDir = this.runDirs.get(key);
    // The task's stderr, then what PBS wrote after it (its kill message comes last).
    if (runDir) return (await readStderrTail(runDir)) + (await readStderrTail(runDir, SCHEDULER_STDERR));
    // Error_Path is `host:/path/file`; readable when the submit host shares the file system.
    const path = rec.attrs.Error_Path?.replace(/^[^:/]*:/, '');
    return path ? readStderrTail(dirname(path), basename(path)) : '';
  }

  async findByName(jobNames: string[]): Promise<Map<string, string>> {
    const names = new Set(unique(jobNames));
    const args = this.qstatArgs([]);
    const r = await this.run('qstat', args, { timeoutMs: this.timeoutMs });
    if (!r.ok) throw new SchedulerUnavailableError(`cannot look up job names: ${describeCommand('qstat', args, r)}`, r);
    const found = new Map<string, QstatRecord[]>();
    for (const rec of parseQstatFull(r.stdout)) {
      const name = rec.attrs.Job_Name;
      if (!name || !names.has(name)) continue;
      const recs = found.get(name);
      if (recs) recs.push(rec);
      else found.set(name, [rec]);
    }
    const out = new Map<string, string>();
    for (const [name, recs] of found) {
      const alive = (x: QstatRecord) => Number(Boolean(PBS_STATES[x.attrs.job_state]));
      recs.sort(
        (x, y) => alive(y) - alive(x) || Number.parseInt(pbsIdKey(y.id), 10) - Number.parseInt(pbsIdKey(x.id), 10)
      );
      out.set(name, recs[0].id);
    }
    return out;
  }

  async cancel(jobIds: string[]): Promise<void> {
    for (const part of chunks(unique(jobIds))) {
      for (const id of part) this.cancelled.add(pbsIdKey(id));
      const r = await this.run('qdel', part, { timeoutMs: this.timeoutMs });
      if (r.ok) continue;
      const other = (r.stderr + '\n' + r.stdout).split('\n').filter(l => l.trim() && !harmless(l));
      if (!r.timedOut && !r.spawnError && other.length === 0) continue;
      throw new SchedulerUnavailableError(describeCommand('qdel', part, r), r);
    }
  }
}
