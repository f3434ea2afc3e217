// Cancelling scheduler jobs: the job ids to cancel, by scheduler, kept until the scheduler
// confirms, and the cancelled runs whose job id is not known yet (their submission outcome is
// unknown: the poll finds them by name first). It only stops jobs; which entries are cancelled
// is the engine's decision, taken before anything here runs.
import type { ClusterCore, ClusterRun, Route } from './run.js';

export class Cancels {
  /** Job id -> its scheduler; kept until the scheduler confirms. */
  readonly jobs = new Map<string, Route>();
  /** Cancelled runs whose job id is not known yet (submission outcome unknown). */
  readonly lookups: ClusterRun[] = [];

  constructor(private readonly core: ClusterCore) {}

  /** Cancel this job now (and again at each poll until the scheduler confirms). */
  job(jobId: string, kind: Route): void {
    this.jobs.set(jobId, kind);
    void this.flush();
  }

  /**
   * Cancel a run: by its job id, or once its name is found when the submission outcome is
   * unknown. Not sent yet: `flush` sends every cancel of a batch in one command per scheduler.
   */
  note(run: ClusterRun): void {
    if (run.jobId) this.jobs.set(run.jobId, run.kind);
    else if (run.lookup) this.lookups.push(run);
    // Otherwise in flight (recordJobId cancels it) or still in the queue (never submitted).
  }

  busyWith(workflowId: number): boolean {
    return this.lookups.some(r => r.workflowId === workflowId);
  }

  async flush(): Promise<void> {
    const byKind = new Map<Route, string[]>();
    for (const [id, kind] of this.jobs) {
      // In place: copying the list per job made a cancel of 10,000 jobs quadratic.
      const ids = byKind.get(kind);
      if (ids) ids.push(id);
      else byKind.set(kind, [id]);
    }
    for (const [kind, ids] of byKind) {
      try {
        await this.core.setup.executor(kind).cancel(ids);
        for (const id of ids) this.jobs.delete(id);
      } catch (e) {
        this.core.host.log(`could not cancel ${kind} jobs ${ids.join(',')} (will try again): ${(e as Error).message}`);
      }
    }
  }
}
