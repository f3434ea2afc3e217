// The bash job script, the same for every executor. It claims its run folder (so a run folder
// runs at most once, even when a crashed bridge and a scheduler both start it), runs the task,
// and writes the marker last. Only shell builtins around the task: every extra process costs
// milliseconds, and local throughput is bound by process start-up. The time limit is enforced
// by the executor (the local pool's timer, the scheduler's own limit), not by the script.

/**
 * One script serves every entry made from the same task of a workflow: it is started in the
 * entry's run folder (named `<entry id>.<attempt>`) and learns everything else from there, so
 * starting an entry writes only its input file.
 */
export interface JobScriptOptions {
  /** Folder the task runs in: its submitter's working folder. */
  workDir: string;
  workflowId: number;
  /** Absolute path of the task's script or executable. */
  code: string;
  /** Python interpreter for .py tasks. */
  python: string;
  /**
   * Lines that give the job its submitter's environment (runner/environment.ts), or null for
   * a workflow stored without one: then the job keeps the bridge's, with `virtualEnv` activated.
   */
  environment?: string[] | null;
  /** Environment to activate first (the submitter's venv), if any; only without `environment`. */
  virtualEnv: string | null;
  preamble: string | null;
  /** The task keeps the processes it leaves running at its end (the Python runner reads this). */
  keepProcesses?: boolean;
}

/** Single-quote a string for bash. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function isPythonTask(code: string): boolean {
  return code.endsWith('.py') || code.endsWith('.ipynb');
}

export function jobScript(o: JobScriptOptions): string {
  const command = isPythonTask(o.code) ? `${shq(o.python)} -m perqueue_lab.runner "$PQ_RUN_DIR"` : `${shq(o.code)}`;
  const lines = [
    '#!/bin/bash',
    `# PerQueue Lab job for workflow ${o.workflowId}: run it in the entry's run folder <entry id>.<attempt>`,
    // The run folder is the first argument, or the folder the job starts in (schedulers' --chdir).
    'export PQ_RUN_DIR="${1:-$PWD}"',
    'cd "$PQ_RUN_DIR" || exit 97',
    'run=${PQ_RUN_DIR##*/}',
    // A job submitted ahead of its input (a scheduler dependency started it) waits for the
    // bridge to write input.json, polling 0.1 s up to PQ_INPUT_WAIT_S; then it leaves with 75
    // without claiming the run folder, and the bridge submits it again once the input is there.
    'if [ ! -e input.json ]; then w=$(( ${PQ_INPUT_WAIT_S:-60} * 10 )); until [ -e input.json ]; do (( w-- > 0 )) || exit 75; sleep 0.1; done; fi',
    // Whoever creates `pid` first (noclobber: O_EXCL) owns this run; a second start leaves
    // quietly. One file both claims the run and names its process: every file costs here.
    // $BASHPID, not $$: the local pool runs this file in a subshell of its launcher (`.`), where
    // $$ names the launcher; run as a program, both are the same.
    'set -C; { echo "${BASHPID:-$$}" > pid; } 2>/dev/null || exit 0; set +C',
    'exec >>stdout 2>>stderr',
    `export PQ_INPUT="$PQ_RUN_DIR/input.json" PQ_OUTPUT="$PQ_RUN_DIR/output.json"`,
    `export PQ_ENTRY_ID="\${run%%.*}" PQ_ATTEMPT="\${run#*.}" PQ_WORKFLOW_ID=${o.workflowId}`
  ];
  if (o.environment) {
    lines.push("# the submitter's environment", ...o.environment);
  } else if (o.virtualEnv) {
    lines.push(`export VIRTUAL_ENV=${shq(o.virtualEnv)}`, 'export PATH="$VIRTUAL_ENV/bin:$PATH"');
  }
  if (o.keepProcesses) lines.push('export PQ_KEEP_PROCESSES=1');
  if (o.preamble) lines.push('# preamble', o.preamble);
  lines.push(
    `cd ${shq(o.workDir)} || { echo "perqueue_lab: cannot enter the task's working folder "${shq(o.workDir)} >&2; exit 97; }`,
    command,
    'rc=$?',
    // A reader that finds the marker empty reads again: it is one short write.
    'echo "$rc" > "$PQ_RUN_DIR/marker"',
    'exit "$rc"',
    ''
  );
  return lines.join('\n');
}
