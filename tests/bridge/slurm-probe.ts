// Whether the real one-node Slurm (tests/slurm/start-slurm.sh) is there. With PQ_REQUIRE_SLURM=1
// (as in CI) its absence is never a reason to skip: the tests run and fail.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { guessSlurmConfig, type ClusterConfig } from '../../kernel-bridge/executors/cluster-config.js';

export const REQUIRED = process.env.PQ_REQUIRE_SLURM === '1';
const SANDBOX = process.env.PQ_SLURM_SANDBOX ?? '/tmp/pq-slurm';
if (!process.env.SLURM_CONF && existsSync(join(SANDBOX, 'etc/slurm.conf'))) {
  process.env.SLURM_CONF = join(SANDBOX, 'etc/slurm.conf');
}

/** Why Slurm cannot be used, or undefined when it can. */
export function probeSlurm(): string | undefined {
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', timeout: 15_000 });
  if (r.error) return `sinfo cannot be run (${r.error.message}); start tests/slurm/start-slurm.sh as root`;
  if (r.status !== 0) return `sinfo failed: ${(r.stderr || r.stdout).trim()}; start tests/slurm/start-slurm.sh as root`;
  if (!/idle|mix|alloc|comp/.test(r.stdout)) return `no usable Slurm node (sinfo says '${r.stdout.trim()}')`;
  return undefined;
}

/**
 * For a suite of Slurm tests: why Slurm is unusable (undefined when it is), and the skip reason
 * (false: run, and fail when unusable), printed once.
 */
export function slurmStatus(suite: string): { notRunning: string | undefined; skip: string | false } {
  const notRunning = probeSlurm();
  const skip = notRunning && !REQUIRED ? `Slurm is not running: ${notRunning}` : false;
  if (skip) console.log(`# skipping the ${suite}: ${skip} (set PQ_REQUIRE_SLURM=1 to make this a failure)`);
  return { notRunning, skip };
}

/**
 * The real cluster's partitions, for a suite that is not skipped. Slurm required but absent fails
 * here, every scenario at once, instead of each waiting on sbatch timeouts.
 */
export async function requiredSlurmConfig(notRunning: string | undefined): Promise<ClusterConfig> {
  if (notRunning) throw new Error(`Slurm is not running: ${notRunning}`);
  return guessSlurmConfig();
}
