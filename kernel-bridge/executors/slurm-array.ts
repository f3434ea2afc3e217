// Slurm job arrays: several runs of one task with equal resources handed to Slurm in one
// `sbatch --array`. Owns the pack folder (the list of run folders, a dispatch script, and links
// that send each element's Slurm output into its own run folder) and the sbatch arguments. Each
// array element is a job of its own to Slurm (`<array id>_<index>`): its own time limit, its own
// OOM kill, `scancel 123_4`, `squeue -r` and `sacct` lines, so status, cancel and the stderr
// diagnosis work on elements exactly as on single jobs. It never decides which runs share an
// array; the caller does.
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobRequest } from './types.js';
import { slurmSubmitArgs } from './slurm.js';
import type { ClusterConfig } from './cluster-config.js';

/** Slurm's default MaxArraySize is 1001: indices 0..1000. */
export const DEFAULT_MAX_ARRAY_SIZE = 1001;

/** The job name a run of an array element is found by after a crash: `<array name>@<index>`. */
export function elementName(arrayName: string, index: number): string {
  return `${arrayName}@${index}`;
}

/** `pack@4` -> ['pack', 4]; a name without an element index -> undefined. */
export function splitElementName(name: string): [string, number] | undefined {
  const m = /^(.+)@(\d+)$/.exec(name);
  return m ? [m[1], Number(m[2])] : undefined;
}

/**
 * The run folder of array element `<array id>_<i>` whose Slurm WorkDir is `workDir`, read from
 * the pack folder's list (an executor that did not submit it, as after a restart, knows only
 * WorkDir); undefined for a single job or a folder that is no pack folder.
 */
export function elementRunDir(jobId: string, workDir: string): string | undefined {
  const m = /^\d+_(\d+)$/.exec(jobId);
  if (!m) return undefined;
  try {
    const line = readFileSync(join(workDir, 'elements'), 'utf8').split('\n')[Number(m[1])];
    return line?.split('\t')[0] || undefined;
  } catch {
    return undefined;
  }
}

export class ArrayRequestError extends Error {}

/** Why these requests cannot share one array, or undefined when they can. */
export function arrayProblem(reqs: JobRequest[], maxArraySize: number): string | undefined {
  if (reqs.length === 0) return 'an array needs at least one run';
  if (reqs.length > maxArraySize) return `${reqs.length} runs exceed Slurm's MaxArraySize of ${maxArraySize}`;
  const first = JSON.stringify(reqs[0].resources);
  for (const r of reqs) {
    if (JSON.stringify(r.resources) !== first)
      return `run ${r.entryId}.${r.attempt} asks for other resources than run ${reqs[0].entryId}.${reqs[0].attempt}`;
    if (r.dependsOn.length > 0)
      return `run ${r.entryId}.${r.attempt} waits for other jobs: arrays take no per-element dependencies`;
    // The element list is one line per run, tab-separated.
    if (/[\t\n]/.test(r.runDir + r.jobScript))
      return `run ${r.entryId}.${r.attempt}: a tab or newline in its folder or script path`;
  }
  return undefined;
}

// Element i reads line i of `elements` (run folder, job script) with builtins only and becomes
// that run's job script, so the script's claim of its run folder (one start per folder) holds.
const DISPATCH = [
  '#!/bin/bash',
  '# PerQueue Lab array: element i runs the run folder on line i+1 of ./elements',
  'mapfile -t -s "$SLURM_ARRAY_TASK_ID" -n 1 line < "${PQ_PACK_DIR:-$PWD}/elements" || exit 97',
  'IFS=$\'\\t\' read -r dir script <<<"${line[0]}"',
  '[ -n "$dir" ] || { echo "perqueue_lab: no run folder for array element $SLURM_ARRAY_TASK_ID" >&2; exit 97; }',
  'cd "$dir" || exit 97',
  'exec /bin/bash "$script" "$dir"',
  ''
].join('\n');

/**
 * Writes the pack folder for these runs (replacing an earlier one of the same name) and returns
 * the sbatch arguments of their array. `concurrency` is Slurm's `%K` (at most K elements at once).
 */
export function prepareArray(
  reqs: JobRequest[],
  packDir: string,
  arrayName: string,
  config: ClusterConfig,
  opts: { concurrency?: number; maxArraySize?: number } = {}
): string[] {
  const problem = arrayProblem(reqs, opts.maxArraySize ?? DEFAULT_MAX_ARRAY_SIZE);
  if (problem) throw new ArrayRequestError(problem);
  if (!arrayName || /[,\s@]/.test(arrayName))
    throw new ArrayRequestError(`array name '${arrayName}' must be non-empty without commas, spaces or '@'`);
  rmSync(packDir, { recursive: true, force: true });
  mkdirSync(packDir, { recursive: true });
  writeFileSync(join(packDir, 'elements'), reqs.map(r => `${r.runDir}\t${r.jobScript}\n`).join(''));
  // Slurm opens `<i>.out`/`<i>.err` in append mode and follows the links, so its own lines
  // (`DUE TO TIME LIMIT`, OOM kills) land last in the run's stderr, where the diagnosis reads.
  reqs.forEach((r, i) => {
    symlinkSync(join(r.runDir, 'stdout'), join(packDir, `${i}.out`));
    symlinkSync(join(r.runDir, 'stderr'), join(packDir, `${i}.err`));
  });
  const script = join(packDir, 'array.sh');
  writeFileSync(script, DISPATCH);
  chmodSync(script, 0o755);
  const literal = (p: string) => p.replace(/%/g, '%%');
  const single = slurmSubmitArgs({ ...reqs[0], jobName: arrayName, runDir: packDir, jobScript: script }, config);
  const args = single.filter(a => !/^--(chdir|output|error)=/.test(a) && a !== script);
  const k = opts.concurrency && opts.concurrency > 0 ? `%${Math.floor(opts.concurrency)}` : '';
  args.push(
    `--array=0-${reqs.length - 1}${k}`,
    `--chdir=${packDir}`,
    `--output=${literal(packDir)}/%a.out`,
    `--error=${literal(packDir)}/%a.err`,
    script
  );
  return args;
}
