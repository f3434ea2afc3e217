// The submitter's environment: what a task sees, as with `sbatch` and MyQueue. A submission (and a
// retry) carries the environment of the command that made it; the bridge keeps what a job needs
// (PATH, VIRTUAL_ENV, CONDA_*, MODULEPATH, LOADEDMODULES, LD_LIBRARY_PATH, the user's exports,
// exported shell functions such as Lmod's `module`) and drops what belongs to one shell, one
// login or one job (docs/guide/environment.md lists both).
import { createHash } from 'node:crypto';

export type EnvVars = Record<string, string>;

/** Variables of one interactive shell, login or terminal: meaningless in a job that runs later. */
const DROPPED = new Set([
  'PWD',
  'OLDPWD',
  'SHLVL',
  '_',
  'PS1',
  'PS2',
  'PS3',
  'PS4',
  'PROMPT_COMMAND',
  'HISTFILE',
  'HISTSIZE',
  'HISTFILESIZE',
  'HISTCONTROL',
  'COLUMNS',
  'LINES',
  'SSH_AUTH_SOCK',
  'SSH_AGENT_PID',
  'SSH_CLIENT',
  'SSH_CONNECTION',
  'SSH_TTY',
  'TMUX',
  'TMUX_PANE',
  // The bridge sets these for each run itself.
  'PQ_RUN_DIR',
  'PQ_INPUT',
  'PQ_OUTPUT',
  'PQ_ENTRY_ID',
  'PQ_ATTEMPT',
  'PQ_WORKFLOW_ID'
]);

/**
 * Prefixes of the job context a scheduler gives each job (a submission made from inside a job
 * must not hand its job id to the next one) and of a Jupyter kernel's own bookkeeping.
 */
const DROPPED_PREFIXES = ['SLURM_', 'PBS_', 'LSB_', 'JPY_'];

/**
 * What the place a job runs in sets for that job: never taken from the submitter, never unset
 * in the job (a scheduler's per-job variables, the node's identity, the shell's own).
 */
const PLACE_OWNED = new Set([
  'HOME',
  'USER',
  'LOGNAME',
  'HOSTNAME',
  'TMPDIR',
  'ENVIRONMENT',
  'CUDA_VISIBLE_DEVICES',
  'GPU_DEVICE_ORDINAL',
  'ROCR_VISIBLE_DEVICES',
  'SHELLOPTS',
  'BASHOPTS',
  'PQ_RUN_DIR'
]);
const PLACE_OWNED_PREFIXES = ['SLURM_', 'SBATCH_', 'PBS_', 'LSB_', 'LSF_', 'BASH'];

const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** An exported bash function (`export -f module` writes BASH_FUNC_module%%). */
const SHELL_FUNCTION = /^BASH_FUNC_([A-Za-z_][A-Za-z0-9_.:-]*)%%$/;

/** The variables of `env` a task should get, in name order (stable for deduplication). */
export function keptEnvironment(env: Record<string, string | undefined>): EnvVars {
  const kept: EnvVars = {};
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || name === '' || name.includes('=') || name.includes('\0') || value.includes('\0'))
      continue;
    if (DROPPED.has(name) || DROPPED_PREFIXES.some(p => name.startsWith(p))) continue;
    kept[name] = value;
  }
  return kept;
}

/** Checks an environment sent over the API: an object of string values; names what is wrong. */
export function parseEnvironment(value: unknown, field = 'environment'): EnvVars {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`field '${field}': must be an object of variable names to string values`);
  }
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string')
      throw new Error(`field '${field}': variable '${name}' must be a string, not ${v === null ? 'null' : typeof v}`);
  }
  return keptEnvironment(value as Record<string, string>);
}

/** The key identical environments share in the store (many submissions share one). */
export function environmentDigest(vars: EnvVars): string {
  const sorted = Object.keys(vars)
    .sort()
    .map(k => [k, vars[k]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

function isPlaceOwned(name: string): boolean {
  if (SHELL_FUNCTION.test(name)) return false;
  return PLACE_OWNED.has(name) || PLACE_OWNED_PREFIXES.some(p => name.startsWith(p));
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Bash lines that turn the environment a job starts with (the bridge's, passed on by the local
 * pool or by sbatch/qsub/bsub) into the submitter's: unset what only the bridge had, export what
 * the submitter had. What the scheduler or node sets for the job (PLACE_OWNED) is left alone.
 * `starting` is the environment the job is started with (the bridge's own).
 */
export function environmentLines(vars: EnvVars, starting: Record<string, string | undefined>): string[] {
  const lines: string[] = [];
  const unset = Object.keys(starting)
    .filter(name => SHELL_NAME.test(name) && !(name in vars) && !isPlaceOwned(name) && !DROPPED.has(name))
    .sort();
  if (unset.length) lines.push(`unset -v ${unset.join(' ')} 2>/dev/null`);
  for (const name of Object.keys(vars).sort()) {
    if (isPlaceOwned(name)) continue;
    const fn = SHELL_FUNCTION.exec(name);
    if (fn) {
      // Lmod's and Environment Modules' `module` arrives this way; its value is "() { body }".
      if (vars[name].startsWith('() {')) lines.push(`${fn[1]} ${vars[name]}`, `export -f ${fn[1]}`);
      continue;
    }
    if (SHELL_NAME.test(name)) lines.push(`export ${name}=${shq(vars[name])}`);
  }
  return lines;
}

/**
 * The environment of a process the bridge starts for the submitter (a fork server): the stored
 * variables, plus what the place owns from the bridge's own.
 */
export function processEnvironment(vars: EnvVars, starting: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(starting))
    if (isPlaceOwned(name) && !name.startsWith('BASH')) env[name] = value;
  // (BASH* of the bridge's shell, if any, are bash's own: a fork server is no shell.)
  for (const [name, value] of Object.entries(vars)) if (!isPlaceOwned(name)) env[name] = value;
  return env;
}
