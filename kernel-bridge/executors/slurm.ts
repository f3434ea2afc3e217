// Slurm executor: sbatch / squeue / sacct / scancel with MyQueue's command lines.
// Owns: turning a JobRequest into an sbatch call, reading job states back, finding jobs by name
// after a crash, cancelling. Never decides workflow logic and never retries on its own: when
// Slurm cannot be asked the answer is 'unknown' (status) or an error the caller can retry.
import { join } from 'node:path';
import type { Executor, JobRequest, JobState, JobStatus } from './types.js';
import { queueOf, selectNode, type ClusterConfig } from './cluster-config.js';
import {
  describeCommand,
  SchedulerRejectedError,
  submitFailure,
  SchedulerUnavailableError,
  SubmitOutcomeUnknownError,
  type CommandResult
} from './scheduler-command.js';
import { SchedulerExecutor, type SchedulerExecutorOptions } from './scheduler-executor.js';
import { chunks, parseIsoLocal, unique } from './scheduler-text.js';
import { diagnoseRunFolder } from './stderr-diagnosis.js';
import {
  ArrayRequestError,
  DEFAULT_MAX_ARRAY_SIZE,
  elementName,
  elementRunDir,
  prepareArray,
  splitElementName
} from './slurm-array.js';

export interface SlurmExecutorOptions extends SchedulerExecutorOptions {
  /** How far back sacct looks for job names when reconciling. */
  findLookbackDays?: number;
  /** The cluster's MaxArraySize (`scontrol show config`); arrays are never longer. */
  maxArraySize?: number;
}

// Name last: it is the only field a user could fill with '|'.
const SQUEUE_FORMAT = '%i|%T|%N|%S|%e|%r|%Z|%j';
const SACCT_FIELDS = 'JobID,JobName,State,ExitCode,NodeList,Start,End,WorkDir';

/** The arguments after `sbatch`, exactly as MyQueue builds them, plus our output files. */
export function slurmSubmitArgs(req: JobRequest, config: ClusterConfig): string[] {
  const r = req.resources;
  const choice = selectNode(config, r);
  const processes = r.processes > 0 ? r.processes : r.cores;
  const args = ['--parsable'];
  const partition = queueOf(choice.node);
  if (partition) args.push(`--partition=${partition}`);
  args.push(
    `--job-name=${req.jobName}`,
    `--time=${Math.max(1, Math.ceil(r.tmax / 60))}`,
    `--ntasks=${processes}`,
    `--cpus-per-task=${Math.max(1, Math.floor(r.cores / processes))}`
  );
  if (choice.node) args.push(`--nodes=${choice.nodes}`);
  // GPUs per node, as MyQueue asks for them (the `4G` field of the resource string).
  if (r.gpus > 0) args.push(`--gpus-per-node=${r.gpus}`);
  // '%' starts a filename pattern (%j) in --output/--error; a run folder may contain one.
  const literal = (p: string) => p.replace(/%/g, '%%');
  // The job script appends the task's output to the same files (`exec >>stdout 2>>stderr`);
  // append mode keeps Slurm's own lines (`*** ... DUE TO TIME LIMIT ***`, OOM kills) from
  // overwriting it, and puts them last, where the stderr diagnosis looks.
  args.push(
    `--chdir=${req.runDir}`,
    `--output=${literal(join(req.runDir, 'stdout'))}`,
    `--error=${literal(join(req.runDir, 'stderr'))}`,
    '--open-mode=append'
  );
  args.push(...(config.extraArgs ?? []), ...(choice.node?.extraArgs ?? []));
  if (req.dependsOn.length > 0) {
    // Without kill-on-invalid-dep a child of a failed parent would wait forever as
    // DependencyNeverSatisfied; with it Slurm cancels the child, which we can report.
    args.push(`--dependency=afterok:${req.dependsOn.join(':')}`, '--kill-on-invalid-dep=yes');
  }
  args.push(req.jobScript);
  return args;
}

/** `123`, or `123;cluster` on a federated or multi-cluster setup; the last line wins. */
export function parseSbatchJobId(stdout: string): string | undefined {
  const lines = stdout
    .split('\n')
    .map(l => l.trim())
    .filter(Boolean);
  const last = lines[lines.length - 1];
  if (!last) return undefined;
  const id = last.split(';')[0].trim();
  return /^\d+(_\d+)?$/.test(id) ? id : undefined;
}

const SLURM_STATES: Record<string, JobState> = {
  PENDING: 'pending',
  CONFIGURING: 'pending',
  REQUEUED: 'pending',
  REQUEUE_HOLD: 'pending',
  REQUEUE_FED: 'pending',
  RESV_DEL_HOLD: 'pending',
  RUNNING: 'running',
  COMPLETING: 'running',
  STAGE_OUT: 'running',
  SIGNALING: 'running',
  RESIZING: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  SPECIAL_EXIT: 'failed',
  TIMEOUT: 'timed_out',
  DEADLINE: 'timed_out',
  OUT_OF_MEMORY: 'out_of_memory',
  CANCELLED: 'cancelled',
  REVOKED: 'cancelled',
  NODE_FAIL: 'node_fail',
  BOOT_FAIL: 'node_fail',
  // Killed to make room for another job and not requeued: not the job's fault, like a node failure.
  PREEMPTED: 'node_fail'
};

/** `CANCELLED by 0` -> cancelled; `COMPLETED` -> completed; anything else Slurm adds -> unknown. */
export function mapSlurmState(text: string): JobState {
  const word = text.trim().split(/\s+/)[0]?.replace(/\+$/, '').toUpperCase() ?? '';
  return SLURM_STATES[word] ?? 'unknown';
}

const FINAL: ReadonlySet<JobState> = new Set([
  'completed',
  'failed',
  'timed_out',
  'out_of_memory',
  'cancelled',
  'node_fail'
]);
const isFinalState = (s: JobState) => FINAL.has(s);

/** sacct's `3:0` (code:signal). A signal is reported the shell's way, 128 + signal. */
export function parseSlurmExitCode(text: string | undefined): number | undefined {
  const m = /^(\d+):(\d+)$/.exec((text ?? '').trim());
  if (!m) return undefined;
  const code = Number(m[1]);
  const signal = Number(m[2]);
  return signal > 0 && code === 0 ? 128 + signal : code;
}

interface SlurmRow {
  id: string;
  name: string;
  stateText: string;
  state: JobState;
  node?: string;
  start?: number;
  end?: number;
  exitCode?: number;
  workDir?: string;
  reason?: string;
}

const noNode = (s: string | undefined) => (!s || s === '(null)' || s === 'None assigned' ? undefined : s);

/** The '|'-separated fields of each non-empty line that has at least `min` of them. */
function pipeRows(text: string, min: number): string[][] {
  return text
    .split('\n')
    .filter(line => line.trim())
    .map(line => line.split('|'))
    .filter(f => f.length >= min);
}

/** The fields squeue and sacct print alike: the job, its name, its state and its node. */
function commonFields(
  id: string,
  name: string,
  stateText: string,
  node: string
): Pick<SlurmRow, 'id' | 'name' | 'stateText' | 'state' | 'node'> {
  return {
    id: id.trim(),
    name,
    stateText: stateText.trim(),
    state: mapSlurmState(stateText),
    node: noNode(node.trim())
  };
}

/** Lines of `squeue -h -o '%i|%T|%N|%S|%e|%r|%Z|%j'`. */
export function parseSqueue(text: string): SlurmRow[] {
  return pipeRows(text, 8).map(f => {
    const [id, stateText, node, start, end, reason, workDir] = f;
    const row = commonFields(id, f.slice(7).join('|'), stateText, node);
    return {
      ...row,
      start: row.state === 'pending' ? undefined : parseIsoLocal(start),
      end: isFinalState(row.state) ? parseIsoLocal(end) : undefined,
      exitCode: row.state === 'completed' ? 0 : undefined,
      workDir: workDir.trim() || undefined,
      reason: reason.trim() && reason.trim() !== 'None' ? reason.trim() : undefined
    };
  });
}

/** Lines of `sacct -n -P -X -o JobID,JobName,State,ExitCode,NodeList,Start,End,WorkDir`. */
export function parseSacct(text: string): SlurmRow[] {
  return pipeRows(text, 7).map(f => {
    const [id, name, stateText, exit, node, start, end] = f;
    const row = commonFields(id, name, stateText, node);
    return {
      ...row,
      start: parseIsoLocal(start),
      end: isFinalState(row.state) ? parseIsoLocal(end) : undefined,
      exitCode: isFinalState(row.state) ? parseSlurmExitCode(exit) : undefined,
      workDir: f.slice(7).join('|').trim() || undefined
    };
  });
}

// squeue -j answers "Invalid job id specified" (status 1) when none of the ids is still known.
const onlyUnknownIds = (r: CommandResult) =>
  !r.timedOut && !r.spawnError && /Invalid job id specified/i.test(r.stderr) && r.stdout.trim() === '';
const accountingDisabled = (r: CommandResult) => /accounting storage is disabled/i.test(r.stderr + r.stdout);
// sbatch errors after which the job may exist all the same (the reply was lost, not the request).
const AMBIGUOUS_SBATCH =
  /timed out|Zero Bytes were transmitted|Unable to contact slurm controller|Connection (refused|reset)|Socket timed out/i;

export class SlurmExecutor extends SchedulerExecutor implements Executor {
  readonly name = 'slurm';
  private readonly lookbackDays: number;
  readonly maxArraySize: number;

  constructor(options: SlurmExecutorOptions = {}) {
    super('slurm', options);
    this.lookbackDays = options.findLookbackDays ?? 30;
    this.maxArraySize = options.maxArraySize ?? DEFAULT_MAX_ARRAY_SIZE;
  }

  /**
   * One `sbatch --array` for runs of equal resources (see slurm-array.ts). Element i of the
   * answer is the job id of reqs[i] (`<array id>_<i>`); after a crash each is found again by
   * `elementName(arrayName, i)`. At most `concurrency` elements run at once when given.
   */
  async submitArray(
    reqs: JobRequest[],
    packDir: string,
    arrayName: string,
    concurrency?: number
  ): Promise<{ arrayId: string; jobIds: string[] }> {
    let args: string[];
    try {
      args = prepareArray(reqs, packDir, arrayName, this.config, { concurrency, maxArraySize: this.maxArraySize });
    } catch (e) {
      if (e instanceof ArrayRequestError) throw new SchedulerRejectedError(e.message, emptyResult());
      throw e;
    }
    const r = await this.run('sbatch', args, { timeoutMs: this.submitTimeoutMs });
    if (!r.ok) throw submitFailure('sbatch', args, r, arrayName, AMBIGUOUS_SBATCH);
    const arrayId = parseSbatchJobId(r.stdout);
    if (!arrayId || arrayId.includes('_'))
      throw new SubmitOutcomeUnknownError(`sbatch answered without an array id: '${r.stdout.trim()}'`, arrayName);
    const jobIds = reqs.map((req, i) => {
      const id = `${arrayId}_${i}`;
      this.runDirs.set(id, req.runDir);
      return id;
    });
    return { arrayId, jobIds };
  }

  async submit(req: JobRequest): Promise<{ jobId: string }> {
    if (!req.jobName || /[,\s]/.test(req.jobName)) {
      // squeue -n and sacct --name take comma-separated lists: such a name could never be found again.
      throw new SchedulerRejectedError(
        `job name '${req.jobName}' must be non-empty without commas or spaces`,
        emptyResult()
      );
    }
    return this.submitWith('sbatch', slurmSubmitArgs(req, this.config), req, parseSbatchJobId, AMBIGUOUS_SBATCH);
  }

  async status(jobIds: string[]): Promise<Map<string, JobStatus>> {
    const ids = unique(jobIds);
    const out = new Map<string, JobStatus>();
    if (ids.length === 0) return out;

    const queue = new Map<string, SlurmRow>();
    let queueProblem: string | undefined;
    for (const part of chunks(ids)) {
      const args = ['-h', '-r', '-t', 'all', '-j', part.join(','), '-o', SQUEUE_FORMAT];
      const r = await this.run('squeue', args, { timeoutMs: this.timeoutMs });
      if (r.ok) for (const row of parseSqueue(r.stdout)) queue.set(row.id, row);
      else if (!onlyUnknownIds(r)) queueProblem = describeCommand('squeue', args, r);
    }

    // Accounting is asked about every job squeue did not show alive: squeue only keeps finished
    // jobs for MinJobAge and never says their exit code.
    const askAccounting = ids.filter(id => {
      const q = queue.get(id);
      return !q || isFinalState(q.state) || q.state === 'unknown';
    });
    const accounting = new Map<string, SlurmRow>();
    let accountingProblem: string | undefined;
    for (const part of chunks(askAccounting)) {
      const args = ['-n', '-P', '-X', '-j', part.join(','), '-o', SACCT_FIELDS];
      const r = await this.run('sacct', args, { timeoutMs: this.timeoutMs });
      if (r.ok) for (const row of parseSacct(r.stdout)) accounting.set(row.id, row);
      else
        accountingProblem = accountingDisabled(r) ? 'Slurm accounting is disabled' : describeCommand('sacct', args, r);
    }

    for (const id of ids) {
      const q = queue.get(id);
      const a = accounting.get(id);
      let row: SlurmRow | undefined;
      if (q && !isFinalState(q.state) && q.state !== 'unknown') row = q;
      else if (a && (isFinalState(a.state) || !q)) row = a;
      else row = q ?? a;
      if (!row) {
        const why =
          [queueProblem, accountingProblem].filter(Boolean).join('; ') ||
          'neither squeue nor sacct knows this job (yet)';
        out.set(id, { jobId: id, state: 'unknown', reason: why });
        continue;
      }
      // sacct fills WorkDir in only seconds after the end; squeue knows it at once.
      const workDir = row.workDir ?? q?.workDir ?? a?.workDir;
      if (workDir && !this.runDirs.has(id)) this.runDirs.set(id, elementRunDir(id, workDir) ?? workDir);
      out.set(id, await this.toStatus(id, row));
    }
    return out;
  }

  private async toStatus(id: string, row: SlurmRow): Promise<JobStatus> {
    const s: JobStatus = {
      jobId: id,
      state: row.state,
      reason: row.reason ? `${row.stateText} (${row.reason})` : row.stateText
    };
    if (row.exitCode !== undefined) s.exitCode = row.exitCode;
    if (row.node) s.node = row.node;
    if (row.start !== undefined) s.startedAt = row.start;
    if (row.end !== undefined) s.endedAt = row.end;
    if (row.state === 'failed') {
      // Without cgroup memory accounting Slurm says FAILED for an OOM kill; stderr tells.
      const d = await diagnoseRunFolder(this.runDirs.get(id));
      if (d.outOfMemory) s.state = 'out_of_memory';
      else if (d.timedOut) s.state = 'timed_out';
      if (d.line && s.state !== 'failed') s.reason = `${row.stateText}; stderr: ${d.line}`;
    }
    return s;
  }

  async findByName(jobNames: string[]): Promise<Map<string, string>> {
    const wanted = unique(jobNames);
    // An array element is asked for by `<array name>@<index>`: Slurm knows only the array's
    // name, and names its elements' jobs `<array id>_<index>`.
    // A run of an array element submitted again on its own keeps its element name: asked for too.
    const names = unique(wanted.flatMap(n => [n, splitElementName(n)?.[0] ?? n]));
    const found = new Map<string, { id: string; live: boolean }[]>();
    const add = (slurmName: string, id: string, live: boolean) => {
      const element = /^\d+_(\d+)$/.exec(id);
      const name = element && !wanted.includes(slurmName) ? elementName(slurmName, Number(element[1])) : slurmName;
      if (!wanted.includes(name)) return;
      const list = found.get(name) ?? [];
      if (!list.some(c => c.id === id)) list.push({ id, live });
      found.set(name, list);
    };
    for (const part of chunks(names, 100)) {
      // squeue first: sacct shows a just-finished job under a placeholder name for a few seconds.
      const qArgs = ['-h', '-r', '-t', 'all', '-n', part.join(','), '-o', '%i|%T|%j'];
      const q = await this.run('squeue', qArgs, { timeoutMs: this.timeoutMs });
      if (!q.ok)
        throw new SchedulerUnavailableError(`cannot look up job names: ${describeCommand('squeue', qArgs, q)}`, q);
      for (const line of q.stdout.split('\n')) {
        const [id, state, ...rest] = line.split('|');
        if (!id?.trim() || rest.length === 0) continue;
        add(rest.join('|'), id.trim(), !isFinalState(mapSlurmState(state)));
      }
      const aArgs = [
        '-n',
        '-P',
        '-X',
        '-S',
        `now-${this.lookbackDays}days`,
        '-E',
        'now',
        `--name=${part.join(',')}`,
        '-o',
        'JobID,State,JobName'
      ];
      const a = await this.run('sacct', aArgs, { timeoutMs: this.timeoutMs });
      if (!a.ok && !accountingDisabled(a)) {
        throw new SchedulerUnavailableError(`cannot look up job names: ${describeCommand('sacct', aArgs, a)}`, a);
      }
      if (a.ok) {
        for (const line of a.stdout.split('\n')) {
          const [id, state, ...rest] = line.split('|');
          if (!id?.trim() || rest.length === 0) continue;
          add(rest.join('|'), id.trim(), !isFinalState(mapSlurmState(state)));
        }
      }
    }
    const out = new Map<string, string>();
    for (const [name, list] of found) {
      // Two jobs for one name can only come from a double submission: prefer one still alive,
      // then the newest.
      list.sort((x, y) => Number(y.live) - Number(x.live) || compareJobIds(y.id, x.id));
      out.set(name, list[0].id);
    }
    return out;
  }

  async cancel(jobIds: string[]): Promise<void> {
    for (const part of chunks(unique(jobIds))) {
      const r = await this.run('scancel', part, { timeoutMs: this.timeoutMs });
      if (r.ok) continue;
      // Finished or forgotten jobs need no cancelling.
      const lines = r.stderr
        .split('\n')
        .filter(l => l.trim() && !/already completing or completed|Invalid job id/i.test(l));
      if (!r.timedOut && !r.spawnError && lines.length === 0) continue;
      throw new SchedulerUnavailableError(describeCommand('scancel', part, r), r);
    }
  }
}

/** Numeric order of `123`, `123_4`. */
function compareJobIds(a: string, b: string): number {
  const [a1, a2 = '-1'] = a.split('_');
  const [b1, b2 = '-1'] = b.split('_');
  return Number(a1) - Number(b1) || Number(a2) - Number(b2);
}

function emptyResult(): CommandResult {
  return { ok: false, code: null, stdout: '', stderr: '', timedOut: false, elapsedMs: 0 };
}
