// Jobs submitted ahead (Slurm's native dependencies, `nativeDependencies`, on by default): a
// waiting task whose every parent is a job of the same scheduler is submitted ahead, with
// `--dependency=afterok` on its parents' jobs, so Slurm starts it the moment they end. Its job
// script waits for input.json, which the bridge writes only when the engine queues the entry;
// until then the job is an "ahead" submission here, outside the engine (its run intent is in the
// runs table all the same). Anything else the engine decides for the entry cancels the ahead
// job; an ahead job that ends without claiming its run folder (killed by Slurm for an invalid
// dependency, or tired of waiting) is dropped, or submitted again once the entry is queued.
// This part only ever gives an entry a head start: it never changes an entry's state, and a
// failure here never fails an entry.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { RtNode } from '../../../core/model.js';
import type { JobRequest } from '../../executors/types.js';
import { newRun, type ClusterCore, type ClusterRun, type Route } from './run.js';

export class AheadSubmissions {
  /** Entry id -> job submitted ahead of the engine for its next attempt. */
  private readonly byEntry = new Map<number, ClusterRun>();

  constructor(private readonly core: ClusterCore) {}

  get(entryId: number): ClusterRun | undefined {
    return this.byEntry.get(entryId);
  }

  runs(): ClusterRun[] {
    return [...this.byEntry.values()];
  }

  busyWith(workflowId: number): boolean {
    for (const r of this.byEntry.values()) if (r.workflowId === workflowId) return true;
    return false;
  }

  /** Is this the current ahead run of its entry? */
  isCurrent(run: ClusterRun): boolean {
    return this.byEntry.get(run.entryId) === run;
  }

  /**
   * An entry's job has an id: submit ahead each waiting task below it whose every parent is a
   * job of the same scheduler (or has succeeded already), with afterok on those jobs.
   */
  considerChildren(entryId: number): void {
    const core = this.core;
    if (core.closed) return;
    const engine = core.host.engine;
    for (const edge of engine.childrenOf(entryId)) {
      const child = engine.node(edge.child);
      if (!child || child.kind !== 'task' || child.state !== 'waiting') continue;
      if (this.byEntry.has(child.id) || core.runs.has(child.id) || core.host.dispatched.has(child.id)) continue;
      let kind: Route;
      try {
        kind = core.setup.routeOf(child);
      } catch {
        continue;
      }
      if (!core.setup.nativeDependencies(kind)) continue;
      const deps: string[] = [];
      let ok = true;
      for (const pe of engine.parentsOf(child.id)) {
        // Columns of a width group: one survivor is enough, which afterok cannot say.
        const p = engine.node(pe.parent);
        if (pe.join !== null || !p || p.kind !== 'task') {
          ok = false;
          break;
        }
        if (p.state === 'succeeded') continue;
        const r = core.runs.get(p.id);
        const a = this.byEntry.get(p.id);
        if (
          r &&
          r.kind === kind &&
          r.jobId &&
          r.attempt === p.attempt &&
          (p.state === 'queued' || p.state === 'running')
        )
          deps.push(r.jobId);
        else if (a && a.kind === kind && a.jobId && p.state === 'waiting' && a.attempt === p.attempt + 1)
          deps.push(a.jobId);
        else {
          ok = false;
          break;
        }
      }
      if (ok && deps.length > 0) this.submitAhead(child, kind, deps);
    }
  }

  private submitAhead(n: RtNode, kind: Route, deps: string[]): void {
    const host = this.core.host;
    const attempt = n.attempt + 1;
    let req: JobRequest;
    try {
      req = { ...host.requestFor(n, attempt), dependsOn: deps };
      mkdirSync(req.runDir, { recursive: true });
      if (existsSync(join(req.runDir, 'pid')) || existsSync(join(req.runDir, 'input.json'))) return; // used already
      const now = Date.now();
      host.store.transaction(() =>
        host.store.recordRun({
          nodeId: n.id,
          attempt,
          runDir: req.runDir,
          jobName: req.jobName,
          executor: kind,
          jobId: null,
          submittedAt: now
        })
      );
    } catch (e) {
      host.log(`entry ${n.id}: not submitted ahead: ${(e as Error).message}`);
      return;
    }
    const run: ClusterRun = {
      ...newRun(n, attempt, kind, req),
      ahead: true,
      pre: true
    };
    this.byEntry.set(n.id, run);
    this.core.submits.enqueue(run);
  }

  /** The engine queued this entry: is its job submitted ahead already? */
  has(n: RtNode): boolean {
    return this.byEntry.get(n.id)?.attempt === n.attempt;
  }

  /** The engine queued an entry submitted ahead (its input.json is written now): a run like any other. */
  take(n: RtNode): void {
    const run = this.byEntry.get(n.id)!;
    this.byEntry.delete(n.id);
    run.pre = false;
    run.intentAt = Date.now();
    this.core.runs.set(n.id, run);
    if (run.jobId) {
      const jobId = run.jobId;
      this.core.host.step(() => this.core.host.engine.noteFacts(n.id, { executor: run.kind, jobId }));
    }
  }

  /** After every step: ahead jobs of entries the engine decided otherwise about are cancelled. */
  afterStep(changed: RtNode[]): void {
    if (this.byEntry.size === 0) return;
    for (const n of changed) {
      const run = this.byEntry.get(n.id);
      if (!run) continue;
      if (n.state === 'waiting' && n.attempt + 1 === run.attempt) continue;
      this.core.host.log(
        `entry ${n.id} is ${n.state}: cancelling its job submitted ahead${run.jobId ? ` (${run.jobId})` : ''}`
      );
      this.drop(run);
    }
  }

  /** The head start is given up: its job (if any) is cancelled; the entry is submitted when it is ready. */
  drop(run: ClusterRun): void {
    if (this.byEntry.get(run.entryId) === run) this.byEntry.delete(run.entryId);
    if (run.jobId) this.core.cancels.job(run.jobId, run.kind);
    else if (run.lookup) this.core.cancels.lookups.push(run);
    // Otherwise in flight (recordJobId cancels it) or still in the queue (never submitted).
  }

  /** Forget an ahead run without cancelling anything (its job is cancelled by the caller, or never landed). */
  forget(run: ClusterRun): void {
    if (this.byEntry.get(run.entryId) === run) this.byEntry.delete(run.entryId);
  }

  /** An activated ahead job ended without claiming its run folder: submit the run again, plainly. */
  resubmitPlain(run: ClusterRun): void {
    this.core.host.log(
      `entry ${run.entryId}: job ${run.jobId ?? '(none)'} submitted ahead ended before it ran; submitting it again`
    );
    run.jobId = null;
    run.ahead = false;
    run.finalSince = undefined;
    run.lookup = false;
    run.intentAt = Date.now();
    run.req = { ...run.req, dependsOn: [] };
    this.core.submits.enqueue(run);
  }

  /** A job submitted ahead by an earlier bridge (see recovery.ts). */
  adopt(run: ClusterRun): void {
    this.byEntry.set(run.entryId, run);
  }
}
