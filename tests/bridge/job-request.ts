// A job request as the cluster manager hands it to an executor: the job script is `job.sh` in the
// run folder. For the executor tests, on fake schedulers and on the real Slurm.
import { join } from 'node:path';
import { parseResources } from '../../core/resources.js';
import type { JobRequest } from '../../kernel-bridge/executors/types.js';

export function jobRequest(
  runDir: string,
  jobName: string,
  resources: string,
  dependsOn: string[] = [],
  entryId = 1
): JobRequest {
  return {
    entryId,
    workflowId: 1,
    attempt: 1,
    jobName,
    runDir,
    jobScript: join(runDir, 'job.sh'),
    resources: parseResources(resources),
    dependsOn
  };
}
