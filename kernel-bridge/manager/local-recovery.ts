// Recovery of local runs: jobs of the local pool that this bridge did not start or lost sight
// of (started by an earlier bridge, or by a launcher or fork server that died) are followed
// through their run folders: the marker, the claim in `pid`, the job's process. On start it takes
// in what finished while no bridge ran, adopts jobs still going, and gives up run folders no job
// owns (the entry is queued again in a new folder). Every step is safe to take again: a crash
// between two of them leaves files and rows that the next recovery reads the same way
// (tests/bridge/recovery-faults.test.ts). It never decides an outcome itself: a marker goes to
// the manager's `finishRun`, a requeue or a lost run through `host.step`. The cluster's recovery
// is beside it, in cluster/recovery.ts.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../core/engine.js';
import type { RtNode } from '../../core/model.js';
import { parseResources } from '../../core/resources.js';
import {
  claimAgeMs,
  GIVEN_UP,
  INCOMPLETE_CLAIM_MS,
  isAlive,
  killGroup,
  readClaim,
  readPid,
  type LocalPool
} from '../executors/local.js';
import type { JobRequest } from '../executors/types.js';
import { readMarker, TIMED_OUT } from '../runner/results.js';
import { lostRunError, setAsideIfForeign } from '../runner/run-owner.js';

/** What the manager lends to local recovery. */
export interface LocalRecoveryHost {
  readonly engine: Engine;
  readonly pool: LocalPool;
  /** The store's own id: a run folder another store wrote is set aside, never taken as this run. */
  readonly storeId: string;
  /** Entry id -> attempt handed to an executor (shared with the manager's dispatch check). */
  readonly dispatched: Map<number, number>;
  step(action: () => void): void;
  runDirOf(n: RtNode): string;
  /** Write the run folder and hand the entry to the pool. */
  dispatch(n: RtNode): void;
  /** A run ended with this exit code (or TIMED_OUT): the engine takes its outcome. */
  finishRun(entryId: number, attempt: number, runDir: string, exitCode: number, tmax: number): void;
  log?: (line: string) => void;
}

interface FollowedRun {
  runDir: string;
  attempt: number;
  tmax: number;
  timedOut?: boolean;
}

export class LocalRecovery {
  /** Jobs this bridge did not start (or lost sight of): watched through their run folders. */
  private readonly followed = new Map<number, FollowedRun>();
  private recoveryWrites = 0;

  constructor(private readonly host: LocalRecoveryHost) {}

  has(entryId: number): boolean {
    return this.followed.has(entryId);
  }

  /** The launcher died: this job goes on, its end is read from its run folder. */
  lost(req: JobRequest): void {
    this.followed.set(req.entryId, { runDir: req.runDir, attempt: req.attempt, tmax: req.resources.tmax });
  }

  /**
   * A start of ours ended without a marker while the claim names another start (or the bridge
   * gave the run up): that other start owns the run, so it is followed through its files.
   * Returns false when the claim says this start did run it (its end is then ours to take).
   */
  ownedElsewhere(req: JobRequest, jobPid: number | null): boolean {
    const claim = readClaim(req.runDir);
    if (claim !== GIVEN_UP && !(typeof claim === 'number' && claim !== jobPid)) return false;
    const { engine, pool } = this.host;
    const n = engine.node(req.entryId);
    if (
      n &&
      n.attempt === req.attempt &&
      (n.state === 'queued' || n.state === 'running') &&
      !this.followed.has(req.entryId)
    ) {
      this.followed.set(req.entryId, { runDir: req.runDir, attempt: req.attempt, tmax: req.resources.tmax });
      pool.adopt(req.entryId, Math.min(req.resources.cores, pool.capacity));
    }
    return true;
  }

  /** The entry was cancelled: end the process group of a job this bridge did not start. */
  stop(entryId: number): void {
    const o = this.followed.get(entryId);
    if (!o) return;
    const pid = readPid(o.runDir);
    if (pid) killGroup(pid);
  }

  /**
   * A local entry that was queued or running when the last bridge stopped. Returns true when it
   * never ran and must be queued again (the caller does that for all of them in one step).
   */
  recover(n: RtNode): boolean {
    const host = this.host;
    const runDir = host.runDirOf(n);
    const tmax = parseResources(n.resources ?? '1:local:10m').tmax;
    // A folder another store wrote (a database restored or replaced) is never taken as this run.
    setAsideIfForeign(runDir, host.storeId, host.log, { id: n.id, attempt: n.attempt });
    const marker = readMarker(runDir);
    if (marker !== null) {
      host.finishRun(n.id, n.attempt, runDir, marker, tmax);
      this.afterWrite(`entry ${n.id} finished from its marker`);
      return false;
    }
    const claim = readClaim(runDir);
    if (claim === GIVEN_UP || (claim === 'incomplete' && claimAgeMs(runDir) > INCOMPLETE_CLAIM_MS)) {
      // Given up by an earlier recovery that a crash stopped before the entry was queued
      // again, or claimed by a job killed before it wrote its pid: it never ran.
      return true;
    }
    if (claim !== null) {
      // Started by the earlier bridge and still going (or ending): watch its files.
      this.adopt(n, runDir, tmax);
      return false;
    }
    if (!existsSync(runDir)) {
      // The folder is written just before a job is launched, so no job of this run exists.
      host.dispatch(n);
      this.afterWrite(`entry ${n.id} dispatched`);
      return false;
    }
    // Never started. Keep its claim so a late start of the old job leaves quietly, and run
    // the entry afresh in a new run folder.
    try {
      writeFileSync(join(runDir, 'pid'), `${GIVEN_UP}\n`, { flag: 'wx' });
    } catch {
      this.adopt(n, runDir, tmax);
      return false;
    }
    this.afterWrite(`run folder ${runDir} given up`);
    return true;
  }

  private adopt(n: RtNode, runDir: string, tmax: number): void {
    const { pool } = this.host;
    this.followed.set(n.id, { runDir, attempt: n.attempt, tmax });
    this.host.dispatched.set(n.id, n.attempt);
    pool.adopt(n.id, Math.min(parseResources(n.resources!).cores, pool.capacity));
  }

  /**
   * A fault-injection hook for the recovery tests, and nothing else: with
   * PQ_FAULT_KILL_AT_RECOVERY_WRITE=N the bridge SIGKILLs itself right after the Nth write of
   * recovery, to show that a crash between any two recovery steps leaves nothing stuck.
   */
  afterWrite(what: string): void {
    const at = Number(process.env.PQ_FAULT_KILL_AT_RECOVERY_WRITE || 0);
    if (!at) return;
    this.recoveryWrites += 1;
    this.host.log?.(`fault injection: recovery write ${this.recoveryWrites}: ${what}`);
    if (this.recoveryWrites === at) process.kill(process.pid, 'SIGKILL');
  }

  /** Every 200 ms: the followed jobs' run folders and processes. */
  watch(): void {
    const { engine, pool } = this.host;
    for (const [id, o] of this.followed) {
      const marker = readMarker(o.runDir);
      if (marker !== null) {
        this.followed.delete(id);
        pool.release(id);
        this.host.finishRun(id, o.attempt, o.runDir, marker, o.tmax);
        continue;
      }
      const n = engine.node(id);
      if (!n || n.attempt !== o.attempt || (n.state !== 'queued' && n.state !== 'running')) {
        // Settled or started over by other means (a cancel, a retry): nothing to watch.
        this.followed.delete(id);
        pool.release(id);
        continue;
      }
      const claim = readClaim(o.runDir);
      if (
        claim === GIVEN_UP ||
        claim === null ||
        (claim === 'incomplete' && claimAgeMs(o.runDir) > INCOMPLETE_CLAIM_MS)
      ) {
        // No job owns the run folder (given up, claimed by a job killed before it wrote its pid,
        // or its files are gone): the entry never ran there, so it starts afresh.
        if (claim === null) {
          try {
            mkdirSync(o.runDir, { recursive: true });
            writeFileSync(join(o.runDir, 'pid'), `${GIVEN_UP}\n`, { flag: 'wx' });
          } catch {
            continue; // claimed just now, or the folder is gone: looked at again next time
          }
        }
        this.followed.delete(id);
        pool.release(id);
        this.host.dispatched.delete(id);
        this.host.log?.(`entry ${id}: no job owns ${o.runDir}; it starts again in a new run folder`);
        this.host.step(() => engine.requeue(id));
        continue;
      }
      const pid = typeof claim === 'number' ? claim : null;
      const started = engine.node(id)?.startedAt ?? engine.node(id)?.queuedAt ?? Date.now();
      if (pid !== null && !o.timedOut && Date.now() - started > o.tmax * 1000) {
        // The earlier bridge can no longer enforce the limit: this one does.
        o.timedOut = true;
        killGroup(pid);
      }
      if (pid !== null && !isAlive(pid)) {
        // Give the marker a moment: the job writes it just before it exits.
        setTimeout(() => {
          if (!this.followed.has(id)) return;
          this.followed.delete(id);
          pool.release(id);
          const m = o.timedOut ? TIMED_OUT : readMarker(o.runDir);
          if (m !== null) this.host.finishRun(id, o.attempt, o.runDir, m, o.tmax);
          else this.host.step(() => engine.finish(id, { state: 'failed', error: lostRunError(o.runDir) }));
        }, 300);
      }
    }
  }
}
