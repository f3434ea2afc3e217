// The submit queue: runs waiting to be handed to their scheduler, at most MAX_IN_FLIGHT submit
// commands at once, and what a failed submission means (outcome unknown: look the job up by
// name; scheduler unreachable: try again later; refused: the run fails; a submission ahead that
// failed: drop the head start). It never polls job states and never decides an entry's outcome
// other than through `core.failRun`.
//
// Test hook: with PQ_FAULT=after-sbatch in its environment the bridge SIGKILLs itself right
// after the scheduler accepted a job and before the job id is recorded (the crash window that
// reconciliation by job name must cover). Nothing else reads PQ_FAULT.
import { ClusterConfigError } from '../../executors/cluster-config.js';
import {
  SchedulerRejectedError,
  SchedulerUnavailableError,
  SubmitOutcomeUnknownError
} from '../../executors/scheduler-command.js';
import type { Executor } from '../../executors/types.js';
import type { ClusterCore, ClusterRun } from './run.js';

const MAX_IN_FLIGHT = 8;
/** The longest wait before an unreachable scheduler is tried again. */
const MAX_RETRY_MS = 30_000;

export class SubmitQueue {
  private readonly queue: ClusterRun[] = [];
  private inFlight = 0;

  constructor(private readonly core: ClusterCore) {}

  enqueue(run: ClusterRun): void {
    this.queue.push(run);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < MAX_IN_FLIGHT && this.queue.length > 0) {
      const run = this.queue.shift()!;
      if (!this.core.isLive(run) || run.jobId !== null) continue; // cancelled or done meanwhile
      this.inFlight++;
      void this.submit(run).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async submit(run: ClusterRun): Promise<void> {
    const core = this.core;
    let ex: Executor;
    try {
      ex = core.setup.executor(run.kind);
    } catch (e) {
      return core.failRun(run, `cannot submit to ${run.kind}: ${(e as Error).message}`);
    }
    run.submitting = true;
    let jobId: string;
    try {
      ({ jobId } = await ex.submit(run.req));
    } catch (e) {
      run.submitting = false;
      if (core.closed) return;
      if (run.ahead && !(e instanceof SubmitOutcomeUnknownError)) {
        // A submission ahead is only a head start: never a reason to fail the entry.
        core.host.log(
          `entry ${run.entryId}: could not submit ahead with a dependency (${(e as Error).message.split('\n')[0]})`
        );
        if (run.pre) core.ahead.drop(run);
        else if (core.runs.get(run.entryId) === run) core.ahead.resubmitPlain(run);
        return;
      }
      if (e instanceof SubmitOutcomeUnknownError) {
        // A job may exist: find it by its name before submitting again.
        core.host.log(`entry ${run.entryId}: ${e.message}`);
        run.lookup = true;
      } else if (e instanceof SchedulerUnavailableError) {
        run.submitFailures++;
        run.retryAt = Date.now() + Math.min(MAX_RETRY_MS, 1000 * 2 ** run.submitFailures);
        core.host.log(`entry ${run.entryId}: ${run.kind} unreachable, will submit again: ${e.message}`);
      } else if (e instanceof SchedulerRejectedError || e instanceof ClusterConfigError) {
        core.failRun(run, `${run.kind} refused the job: ${e.message}`);
      } else {
        core.failRun(run, `could not submit to ${run.kind}: ${(e as Error).message}`);
      }
      return;
    }
    if (process.env.PQ_FAULT === 'after-sbatch') process.kill(process.pid, 'SIGKILL');
    run.submitting = false;
    if (core.closed) return;
    core.recordJobId(run, jobId);
  }
}
