// The local pool: runs job scripts on this machine and never uses more cores than it has. It is
// not an `Executor` (types.ts), which is polled by job id: the pool starts each job itself and
// tells the manager through `LocalPoolEvents` when it started and ended. Jobs are started by a small resident bash "launcher" rather than by Node: a
// fork from the bridge's large process costs ~2 ms of its only thread, a fork from bash a
// fraction of that, and local throughput is bound by process creation. Jobs run in their own
// process group, so the pool can stop a job and everything it started, and they outlive a bridge
// that crashes; a restarted bridge finds them again through the run folder's pid and marker files
// (manager/local-recovery.ts).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { JobRequest } from './types.js';

export interface LocalPoolEvents {
  /** The job's process started. */
  started(req: JobRequest, pid: number): void;
  /**
   * The job's process ended (read the run folder for the result); timedOut when the pool stopped
   * it. `jobPid` is the process that tried to claim the run folder: when the folder's `pid` file
   * names another, another start owns the run and this one left without running it.
   */
  ended(req: JobRequest, exitCode: number | null, timedOut: boolean, jobPid: number | null): void;
  /** The launcher died: these jobs go on, but their end must be found from their run folders. */
  lost(req: JobRequest): void;
  /** Something the project's log should say (a fork server that crashed and was restarted). */
  log?(line: string): void;
  /** The job could not be started at all (its interpreter cannot be run): the message says why. */
  failed(req: JobRequest, error: string): void;
}

// Reads "<run folder>\t<job script>\t<keep>" lines; answers "S\t<folder>\t<pid>" at start and
// "E\t<folder>\t<exit code>\t<job pid>" at the end of each job. Each job is a forked subshell
// that reads the job script (`.`) instead of executing a new bash: no exec, no dynamic linking,
// ~1 ms less per job. A watcher subshell with job control (set -m) starts it, so the job leads
// its own process group (its pid file names it: $BASHPID, which is the watcher's $!), waits for
// it, ends what is left of its group (SIGTERM, SIGKILL after 2 s; not when <keep> is 1) and
// reports its exit code; the watcher stays outside that group, so stopping the job never
// silences its report. Only builtins unless something was left behind.
const LAUNCHER = `
end_group() {
  kill -TERM -- -$1 2>/dev/null || return 0
  local n=20
  while (( n-- > 0 )) && kill -0 -- -$1 2>/dev/null; do sleep 0.1; done
  kill -KILL -- -$1 2>/dev/null
  return 0
}
while IFS=$'\\t' read -r dir script keep; do
  ( set -m; j=; cd "$dir" && { ( . "$script" ) </dev/null >/dev/null 2>&1 & j=$!; wait $j; }; rc=$?; [ -n "$j" ] && [ "$keep" != 1 ] && end_group $j; echo "E	$dir	$rc	$j" ) </dev/null 2>/dev/null &
  echo "S	$dir	$!"
done
`;

/** Fork-server restarts after a crash wait longer each time it crashes again within this window. */
const CRASH_WINDOW_MS = 60_000;
const MAX_RESTART_DELAY_MS = 30_000;

interface Running {
  req: JobRequest;
  pid: number;
  cores: number;
  timer?: LongTimer;
  timedOut: boolean;
  /** The launcher that started it: 'bash', or the key of a fork server. */
  via: string;
  /** The task's working folder, told to a fork server with each task. */
  workDir?: string;
  beforeBash?: () => void;
}

/**
 * A Python task may start from a warm fork server of this interpreter (perqueue_lab.forkserver),
 * one per interpreter and environment: variables such as LD_LIBRARY_PATH or PYTHONPATH only act
 * when a process starts, so tasks of another environment need a server started with it.
 */
export interface WarmPython {
  python: string;
  /** The interpreter and environment: tasks with the same key share a fork server. */
  key: string;
  /** Folder the fork server starts in; each task is told its own (its submitter's). */
  workDir: string;
  /** The environment the fork server starts with (its tasks inherit it). */
  env: NodeJS.ProcessEnv;
  /** Called before the job goes to bash instead (the fork server could not run): write its job script. */
  beforeBash?: () => void;
}

export class LocalPool {
  /** How long a stopped job gets between SIGTERM and SIGKILL. */
  static readonly KILL_GRACE_MS = 10_000;
  /** Fork servers kept at once (one per interpreter and submitter's environment). */
  static readonly MAX_FORK_SERVERS = 4;
  private readonly waiting: JobRequest[] = [];
  private readonly prepares = new Map<number, () => boolean>();
  private readonly warm = new Map<number, WarmPython>();
  /** Interpreters whose fork server could not run: their tasks go through bash. */
  private readonly coldPythons = new Set<string>();
  private readonly running = new Map<number, Running>();
  private readonly byDir = new Map<string, number>();
  private usedCores = 0;
  private readonly launchers = new Map<string, ChildProcessWithoutNullStreams>();
  /** Fork servers that said they are ready (imported the runner). */
  private readonly ready = new Set<ChildProcessWithoutNullStreams>();
  /** How each interpreter's fork server is started again after a crash. */
  private readonly warmOf = new Map<string, WarmPython>();
  /** Recent crashes of an interpreter's fork server, for the back-off. */
  private readonly crashes = new Map<string, { count: number; last: number }>();
  /** Jobs waiting for a crashed fork server to be started again. */
  private readonly held = new Map<string, Running[]>();
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  /** Fork servers by key, least recently used first (a Map keeps insertion order). */
  private readonly warmUse = new Map<string, true>();
  /** Idle fork servers closed to make room: their end is no crash. */
  private readonly retired = new WeakSet<ChildProcessWithoutNullStreams>();
  private closed = false;

  constructor(
    readonly capacity: number,
    private readonly events: LocalPoolEvents
  ) {}

  /**
   * Queue a job; it starts as soon as its cores are free. `prepare` (writing the run folder)
   * runs just before the start; when it returns false the job is dropped.
   */
  submit(req: JobRequest, prepare?: () => boolean, warm?: WarmPython): void {
    this.waiting.push(req);
    if (prepare) this.prepares.set(req.entryId, prepare);
    if (warm) this.warm.set(req.entryId, warm);
    this.pump();
  }

  /** Start the fork server of an interpreter before its first task arrives. */
  warmUp(warm: WarmPython): void {
    if (!this.closed && !this.coldPythons.has(warm.key)) this.ensureLauncher(warm.key, warm);
  }

  /** Jobs started by an earlier bridge still hold cores until they end. */
  adopt(entryId: number, cores: number): void {
    this.usedCores += cores;
    this.running.set(entryId, { req: null as unknown as JobRequest, pid: -1, cores, timedOut: false, via: 'adopted' });
  }

  release(entryId: number): void {
    const r = this.running.get(entryId);
    if (!r) return;
    this.forget(entryId, r);
    this.pump();
  }

  /** Drop a queued job or stop a running one (its whole process group). */
  cancel(entryId: number): void {
    const i = this.waiting.findIndex(r => r.entryId === entryId);
    if (i >= 0) this.waiting.splice(i, 1);
    this.prepares.delete(entryId);
    this.warm.delete(entryId);
    const r = this.running.get(entryId);
    const held = r ? this.held.get(r.via) : undefined;
    if (r && held?.includes(r)) {
      // Waiting for its fork server to be started again: it never started, so it never will.
      held.splice(held.indexOf(r), 1);
      this.forget(entryId, r);
      this.pump();
      return;
    }
    if (r && r.req) this.stop(r);
  }

  close(): void {
    this.closed = true;
    // Jobs not started stay queued in the store: whoever manages next starts them, not this pool.
    this.waiting.length = 0;
    this.prepares.clear();
    this.warm.clear();
    for (const t of this.restartTimers) clearTimeout(t);
    for (const l of this.launchers.values()) l.stdin.end();
  }

  get load(): { running: number; waiting: number; usedCores: number } {
    return { running: this.running.size, waiting: this.waiting.length, usedCores: this.usedCores };
  }

  private pump(): void {
    while (!this.closed && this.waiting.length > 0) {
      const next = this.waiting[0];
      // A task asking for more cores than the machine has still runs, alone.
      const cores = Math.min(next.resources.cores, this.capacity);
      if (this.usedCores + cores > this.capacity && this.running.size > 0) return;
      this.waiting.shift();
      const prepare = this.prepares.get(next.entryId);
      this.prepares.delete(next.entryId);
      if (prepare && !prepare()) continue;
      this.start(next, cores);
    }
  }

  private start(req: JobRequest, cores: number): void {
    const warm = this.warm.get(req.entryId);
    this.warm.delete(req.entryId);
    const via = warm && !this.coldPythons.has(warm.key) ? warm.key : 'bash';
    if (via === 'bash') warm?.beforeBash?.();
    const r: Running = {
      req,
      pid: -1,
      cores,
      timedOut: false,
      via,
      workDir: warm?.workDir,
      beforeBash: warm?.beforeBash
    };
    this.usedCores += cores;
    this.running.set(req.entryId, r);
    this.byDir.set(req.runDir, req.entryId);
    // The time limit: TERM the job's process group at tmax, KILL it if it lingers.
    r.timer = setLongTimeout(() => {
      r.timedOut = true;
      this.stop(r);
    }, req.resources.tmax * 1000);
    this.send(r, warm);
  }

  private send(r: Running, warm?: WarmPython): void {
    const held = this.held.get(r.via);
    if (held) {
      held.push(r); // its fork server is being started again
      return;
    }
    const keep = r.req.keepProcesses ? '1' : '';
    const line =
      r.via === 'bash'
        ? `${r.req.runDir}\t${r.req.jobScript}\t${keep}\n`
        : `${r.req.runDir}\t${r.req.workflowId}\t${keep}\t${r.workDir ?? ''}\n`;
    this.ensureLauncher(r.via, warm).stdin.write(line);
  }

  private stop(r: Running): void {
    // The job's bash leads its own process group once it has written its pid.
    const pid = readPid(r.req.runDir) ?? r.pid;
    if (pid <= 0) return;
    // Descendants are listed before any signal: one that left the group (setsid) is still a
    // descendant now, but would be re-parented to init, out of reach, once its parent dies.
    const seen = new Set(descendantsOf(pid));
    killGroup(pid, 'SIGTERM');
    for (const child of seen) signalQuietly(child, 'SIGTERM');
    setTimeout(() => {
      for (const child of descendantsOf(pid)) seen.add(child);
      killGroup(pid, 'SIGKILL');
      for (const child of seen) signalQuietly(child, 'SIGKILL');
    }, LocalPool.KILL_GRACE_MS).unref();
  }

  private forget(entryId: number, r: Running): void {
    r.timer?.clear();
    this.running.delete(entryId);
    if (r.req) this.byDir.delete(r.req.runDir);
    this.usedCores -= r.cores;
  }

  private ensureLauncher(via: string, warm?: WarmPython): ChildProcessWithoutNullStreams {
    if (via !== 'bash') {
      this.warmUse.delete(via);
      this.warmUse.set(via, true);
    }
    const existing = this.launchers.get(via);
    if (existing) return existing;
    if (warm) this.warmOf.set(via, warm);
    const serverOf = this.warmOf.get(via);
    if (via !== 'bash') this.retireIdleForkServers(via);
    const child =
      via === 'bash'
        ? spawn('bash', ['-c', LAUNCHER], { stdio: ['pipe', 'pipe', 'pipe'] })
        : spawn(serverOf!.python, ['-m', 'perqueue_lab.forkserver', serverOf!.workDir], {
            stdio: ['pipe', 'pipe', 'pipe'],
            env: serverOf!.env
          });
    this.launchers.set(via, child);
    createInterface({ input: child.stdout }).on('line', line => this.onLauncherLine(line, child));
    // The last words of a fork server that cannot start say why (an import error).
    let stderrTail = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    child.stdin.on('error', () => {
      /* its exit is handled below */
    });
    child.on('error', e => {
      // A launcher that ran reports its end through 'exit'; one that could not be spawned at
      // all (no such interpreter, not executable) never does: fail the jobs it was given.
      if (child.pid === undefined) this.launcherFailed(via, child, e);
    });
    child.on('exit', (code, signal) => {
      if (child.pid === undefined) return; // never ran: 'error' above failed its jobs
      if (this.retired.has(child)) return; // closed while idle to make room: nothing of it ran
      if (this.launchers.get(via) === child) this.launchers.delete(via);
      const wasReady = this.ready.delete(child);
      if (this.closed) return;
      // Jobs it was told about but never said it started: they may not have started at all.
      const unstarted: Running[] = [];
      for (const [id, r] of [...this.running]) {
        if (!r.req || r.via !== via) continue;
        if (r.pid < 0) {
          unstarted.push(r);
          continue;
        }
        // Jobs in flight keep running; the manager watches their run folders instead.
        this.forget(id, r);
        this.events.lost(r.req);
      }
      const how = signal ? `killed by ${signal}` : `exit code ${code}`;
      if (via !== 'bash' && !wasReady && signal === null) {
        // It ended on its own before importing the runner: this interpreter cannot run the fork
        // server, so its Python tasks start cold, through bash.
        this.coldPythons.add(via);
        this.events.log?.(
          `the fork server of ${serverOf?.python ?? via} could not start (${how}); its Python tasks start without it${stderrTail.trim() ? `: ${stderrTail.trim()}` : ''}`
        );
        for (const r of unstarted) {
          r.via = 'bash';
          r.beforeBash?.();
          this.send(r);
        }
      } else {
        // A crash: start it again, later each time it crashes again soon. Unstarted jobs are
        // sent again; one that the dead server did start finds its run folder claimed and is
        // then watched through it, so it runs exactly once.
        const now = Date.now();
        const last = this.crashes.get(via);
        const count = last && now - last.last < CRASH_WINDOW_MS ? last.count + 1 : 1;
        this.crashes.set(via, { count, last: now });
        const delay = count <= 1 ? 0 : Math.min(250 * 2 ** (count - 2), MAX_RESTART_DELAY_MS);
        const what = via === 'bash' ? 'the bash launcher' : `the fork server of ${serverOf?.python ?? via}`;
        this.events.log?.(
          `${what} (pid ${child.pid}) ended (${how}); starting it again${delay ? ` in ${delay} ms` : ''} (crash ${count} within a minute, ${unstarted.length} job(s) sent again)`
        );
        this.held.set(via, unstarted);
        const t = setTimeout(() => {
          this.restartTimers.delete(t);
          const jobs = this.held.get(via) ?? [];
          this.held.delete(via);
          if (this.closed) return;
          for (const r of jobs) if (this.running.get(r.req.entryId) === r) this.send(r);
          if (jobs.length === 0 && via !== 'bash') this.ensureLauncher(via); // warm again for the next task
        }, delay);
        this.restartTimers.add(t);
      }
      this.pump();
    });
    return child;
  }

  /**
   * Every submitter's environment gets a fork server; shells differ (a terminal's own variables),
   * so without a bound they would pile up. Beyond MAX_FORK_SERVERS the least recently used ones
   * with no task running or held are closed (they leave once their stdin ends).
   */
  private retireIdleForkServers(keep: string): void {
    for (const key of [...this.warmUse.keys()]) {
      if (this.launchers.size < LocalPool.MAX_FORK_SERVERS + (this.launchers.has('bash') ? 1 : 0)) return;
      if (key === keep || !this.launchers.has(key) || this.held.has(key)) continue;
      if ([...this.running.values()].some(r => r.via === key)) continue;
      const child = this.launchers.get(key)!;
      this.launchers.delete(key);
      this.warmUse.delete(key);
      this.warmOf.delete(key);
      this.retired.add(child);
      child.stdin.end();
    }
  }

  private launcherFailed(via: string, child: ChildProcessWithoutNullStreams, e: Error): void {
    if (this.launchers.get(via) === child) this.launchers.delete(via);
    if (this.closed) return;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : e.message;
    const interpreter = this.warmOf.get(via)?.python ?? via;
    const error = `cannot start the interpreter '${interpreter}' (${why}): check the workflow's python or the project's PQ_PYTHON`;
    for (const [id, r] of [...this.running]) {
      if (!r.req || r.via !== via || r.pid >= 0) continue;
      this.forget(id, r);
      this.events.failed(r.req, error);
    }
    this.pump();
  }

  private onLauncherLine(line: string, from: ChildProcessWithoutNullStreams): void {
    const [kind, dir, value, jobPid] = line.split('\t');
    if (kind === 'R') {
      this.ready.add(from);
      return;
    }
    const entryId = this.byDir.get(dir);
    if (entryId === undefined) return;
    const r = this.running.get(entryId);
    if (!r) return;
    if (kind === 'S') {
      r.pid = Number(value);
      this.events.started(r.req, r.pid);
    } else if (kind === 'E') {
      this.forget(entryId, r);
      // The fork server tells a child killed by signal N as -N: the same code bash would give.
      const code = Number(value) < 0 ? 128 - Number(value) : Number(value);
      // bash names the job's own pid; a fork-server child is the job itself.
      const pid = jobPid !== undefined ? (/^\d+$/.test(jobPid) ? Number(jobPid) : null) : r.pid;
      this.events.ended(r.req, code, r.timedOut, pid);
      this.pump();
    }
  }
}

/**
 * What the bridge writes into a run folder's `pid` file when it gives the run up (a run a
 * crashed bridge never started): the claim keeps a late start of the old job out, and says
 * plainly that no job owns the folder.
 */
export const GIVEN_UP = 'given-up';

/** How long a `pid` file may stay without a pid before its job counts as gone (killed mid-claim). */
export const INCOMPLETE_CLAIM_MS = 2000;

/**
 * Who claimed a run folder: the pid of the job, GIVEN_UP (the bridge), 'incomplete' (a `pid`
 * file without a pid: a job killed between creating and writing it, or a bridge of an earlier
 * version giving the run up), or null (nobody yet).
 */
export function readClaim(runDir: string): number | typeof GIVEN_UP | 'incomplete' | null {
  let text: string;
  try {
    text = readFileSync(join(runDir, 'pid'), 'utf8').trim();
  } catch {
    return null;
  }
  if (/^\d+$/.test(text)) return Number(text);
  return text === GIVEN_UP ? GIVEN_UP : 'incomplete';
}

/** Milliseconds since a run folder's `pid` file was last written (Infinity when there is none). */
export function claimAgeMs(runDir: string): number {
  try {
    return Date.now() - statSync(join(runDir, 'pid')).mtimeMs;
  } catch {
    return Infinity;
  }
}

/** The longest delay setTimeout takes; longer ones fire at once (Node clamps them to 1 ms). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export interface LongTimer {
  clear(): void;
}

/** setTimeout for any delay (a time limit of 25 days is over setTimeout's 24.8): re-armed in steps. Unref'd. */
function setLongTimeout(fn: () => void, ms: number): LongTimer {
  const due = Date.now() + ms;
  let t: NodeJS.Timeout;
  const arm = () => {
    const left = due - Date.now();
    t = setTimeout(left > MAX_TIMEOUT_MS ? arm : fn, Math.max(0, Math.min(left, MAX_TIMEOUT_MS)));
    t.unref();
  };
  arm();
  return { clear: () => clearTimeout(t) };
}

/** The pid a job wrote into its run folder (which is also its claim), or null. */
export function readPid(runDir: string): number | null {
  try {
    const t = readFileSync(join(runDir, 'pid'), 'utf8').trim();
    return /^\d+$/.test(t) ? Number(t) : null;
  } catch {
    return null;
  }
}

function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** Every process below `root` (Linux /proc; elsewhere none): children, theirs, and so on. */
export function descendantsOf(root: number): number[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const childrenOf = new Map<number, number[]>();
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended while we looked
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = childrenOf.get(ppid) ?? [];
    list.push(Number(name));
    childrenOf.set(ppid, list);
  }
  const found: number[] = [];
  const todo = [...(childrenOf.get(root) ?? [])];
  while (todo.length > 0) {
    const pid = todo.pop()!;
    found.push(pid);
    for (const child of childrenOf.get(pid) ?? []) todo.push(child);
  }
  return found;
}

export function killGroup(pid: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not reaped it yet still answers signal 0: a zombie is dead.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true;
  }
}
