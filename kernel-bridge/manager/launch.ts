// Where and with what an entry's job runs: the interpreter, the environment and the working
// folder of the command that submitted its workflow (the environment of the latest command that
// retried one of its entries, if any), read from the store and cached. Entries without a stored environment (workflows submitted before
// environments were kept, or through an API call that sent none) run with the bridge's own.
import type { WarmPython } from '../executors/local.js';
import { environmentDigest, environmentLines, processEnvironment, type EnvVars } from '../runner/environment.js';
import type { Store } from '../store/store.js';

export interface Launch {
  python: string;
  /** The submitter's venv, for workflows stored with no environment (older API clients). */
  venv: string | null;
  envId: number | null;
  vars: EnvVars | null;
  /** The submitter's working folder (the project folder when none was recorded). */
  workDir: string;
}

export interface Origin {
  python?: string | null;
  virtualEnv?: string | null;
  environment?: EnvVars | null;
  cwd?: string | null;
}

interface WorkflowLaunch {
  python: string | null;
  venv: string | null;
  envId: number | null;
  cwd: string | null;
}

export class Launches {
  private readonly workflows = new Map<number, WorkflowLaunch>();
  private readonly vars = new Map<number, EnvVars>();

  constructor(
    private readonly store: Store,
    private readonly projectRoot: string,
    private readonly defaultPython: string
  ) {}

  /** Records a submission's origin; call inside the transaction that stores the workflow. */
  recordSubmission(workflowId: number, o: Origin): void {
    this.store.setWorkflowPython(workflowId, JSON.stringify({ python: o.python ?? null, venv: o.virtualEnv ?? null }));
    const envId = o.environment ? this.envIdOf(o.environment) : null;
    this.store.setWorkflowOrigin(workflowId, envId, o.cwd ?? null);
    this.workflows.delete(workflowId);
  }

  /**
   * A retry's environment: the retried entry, what is below it and whatever else of the workflow
   * starts from now on runs with it (a fixed `module load` reaches the rest of the workflow, as
   * in PerQueue, where the retried task's runner starts its children). Call inside the retry's
   * transaction.
   */
  recordRetry(workflowId: number, environment: EnvVars): void {
    this.store.setWorkflowEnvironment(workflowId, this.envIdOf(environment));
    this.workflows.delete(workflowId);
  }

  /** Drops a workflow's cached launch (unloaded or removed). */
  forgetWorkflow(workflowId: number): void {
    this.workflows.delete(workflowId);
  }

  /** The launch of a workflow's entries (for a warm-up before any workflow: null). */
  of(workflowId: number | null): Launch {
    const w: WorkflowLaunch =
      workflowId === null ? { python: null, venv: null, envId: null, cwd: null } : this.workflow(workflowId);
    const envId = w.envId;
    return {
      python: w.python ?? this.defaultPython,
      venv: w.venv,
      envId,
      vars: envId === null ? null : this.varsOf(envId),
      workDir: w.cwd ?? this.projectRoot
    };
  }

  /** The job script's file name suffix: one script per task and environment. */
  static scriptSuffix(l: Launch): string {
    return l.envId === null ? '' : `-e${l.envId}`;
  }

  /** Bash lines that give a job the launch's environment (null: keep the bridge's). */
  static environmentLines(l: Launch): string[] | null {
    return l.vars ? environmentLines(l.vars, process.env) : null;
  }

  /** The fork server for the launch's interpreter and environment. */
  static warm(l: Launch): WarmPython {
    const env = l.vars ? processEnvironment(l.vars, process.env) : withVenv(l.venv);
    return {
      python: l.python,
      key: `${l.python}\t${l.envId ?? (l.venv ? `venv:${l.venv}` : 'bridge')}`,
      workDir: l.workDir,
      env
    };
  }

  private workflow(id: number): WorkflowLaunch {
    let w = this.workflows.get(id);
    if (!w) {
      const raw = this.store.workflowPython(id);
      const py = raw
        ? (JSON.parse(raw) as { python: string | null; venv: string | null })
        : { python: null, venv: null };
      const origin = this.store.workflowOrigin(id);
      w = { python: py.python, venv: py.venv, envId: origin.envId, cwd: origin.cwd };
      this.workflows.set(id, w);
    }
    return w;
  }

  private varsOf(envId: number): EnvVars {
    let v = this.vars.get(envId);
    if (!v) {
      v = JSON.parse(this.store.environmentVars(envId) ?? '{}') as EnvVars;
      this.vars.set(envId, v);
    }
    return v;
  }

  private envIdOf(vars: EnvVars): number {
    // Not cached here: the transaction may still roll back (read back when first used).
    return this.store.environmentId(environmentDigest(vars), JSON.stringify(vars));
  }
}

function withVenv(venv: string | null): NodeJS.ProcessEnv {
  const vars: NodeJS.ProcessEnv = { ...process.env };
  if (venv) {
    vars.VIRTUAL_ENV = venv;
    vars.PATH = `${venv}/bin:${process.env.PATH ?? ''}`;
  }
  return vars;
}
