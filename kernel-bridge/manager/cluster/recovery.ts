// Crash recovery of cluster runs: what the runs table says of entries that were queued, running,
// waiting with a job submitted ahead, or cancelled when the last bridge stopped, turned back into
// followed runs. A run whose job id was never recorded is looked up by its unique job name before
// anything is submitted again (the poll does that); one that ended while no bridge ran is
// finished from its marker by the file watch. Recovery itself never submits a job and never
// changes an entry's state. The local pool's recovery is beside this folder, in ../local-recovery.ts.
import type { RtNode } from '../../../core/model.js';
import type { RunRecord } from '../../store/store.js';
import type { ClusterCore, ClusterHost, ClusterRun, Route } from './run.js';

/** A run as the runs table remembers it (after a restart): without a job id it is looked up by name. */
function runFromRecord(host: ClusterHost, n: RtNode, record: RunRecord): ClusterRun {
  return {
    entryId: n.id,
    workflowId: n.workflowId,
    attempt: record.attempt,
    kind: record.executor as Route,
    req: { ...host.requestFor(n, record.attempt), jobName: record.jobName, runDir: record.runDir },
    resources: n.resources ?? '',
    jobId: record.jobId,
    intentAt: record.submittedAt,
    submitting: false,
    lookup: record.jobId === null,
    retryAt: 0,
    submitFailures: 0,
    running: n.state === 'running',
    host: n.host ?? undefined
  };
}

/** An entry that was queued or running on a scheduler when the last bridge stopped. */
export function recoverRun(core: ClusterCore, n: RtNode, record: RunRecord): void {
  const run = runFromRecord(core.host, n, record);
  // Intent older than the engine's decision: it was submitted ahead (its job waits for input).
  if (n.queuedAt !== null && record.submittedAt < n.queuedAt) run.ahead = true;
  core.runs.set(n.id, run);
  // Marker first: the file watch finishes it at once if it ended while no bridge ran. A run whose
  // job id was never recorded is looked up by its name before anything is submitted again.
}

/** A waiting entry with a run intent for its next attempt: a job submitted ahead. */
export function recoverAhead(core: ClusterCore, n: RtNode, record: RunRecord): void {
  const run = runFromRecord(core.host, n, record);
  run.ahead = true;
  run.pre = true;
  core.ahead.adopt(run);
}

/** A job left behind by a cancel that a crash interrupted. */
export function cancelLeftover(core: ClusterCore, n: RtNode, record: RunRecord): void {
  if (record.jobId) core.cancels.jobs.set(record.jobId, record.executor as Route);
  else {
    core.cancels.lookups.push({
      ...runFromRecord(core.host, n, record),
      lookup: true
    });
  }
}
