// What a run looks like on disk and to an executor: run folder paths (`<workflow>/<entry>.<attempt>`),
// unique job names, the job request, input.json, and the job script shared by the entries of
// one task (written on first use, one per environment). It only writes files a job reads; it
// never starts, submits or stops a job and never changes an entry's state.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../../core/engine.js';
import type { RtNode } from '../../core/model.js';
import { parseResources } from '../../core/resources.js';
import type { WarmPython } from '../executors/local.js';
import type { JobRequest } from '../executors/types.js';
import type { ProjectPaths } from '../project.js';
import { jobScript } from '../runner/jobscript.js';
import { setAsideIfForeign } from '../runner/run-owner.js';
import type { Store } from '../store/store.js';
import { Launches } from './launch.js';

export class RunFolders {
  /** Part of every job name, so that jobs of two projects on one cluster never meet. */
  private projectTag = '';
  private readonly writtenScripts = new Set<string>();

  constructor(
    private readonly engine: Engine,
    private readonly store: Store,
    private readonly paths: ProjectPaths,
    private readonly launches: Launches,
    private readonly log?: (line: string) => void
  ) {}

  /** The project's tag, made and stored on the first start. */
  loadProjectTag(): void {
    this.projectTag = this.store.meta('project_tag') ?? '';
    if (!this.projectTag) {
      this.projectTag = randomBytes(4).toString('hex');
      this.store.transaction(() => this.store.setMeta('project_tag', this.projectTag));
    }
  }

  /** The run folder of an entry's latest attempt (or of the given one). */
  runDirOf(n: RtNode, attempt = n.attempt): string {
    return join(this.paths.runs, String(n.workflowId), `${n.id}.${Math.max(1, attempt)}`);
  }

  jobName(n: RtNode, attempt = n.attempt): string {
    return `pq-${this.projectTag}-${n.workflowId}-${n.id}-${attempt}`;
  }

  /** The job request of an entry's current attempt (or of the given one). */
  requestFor(n: RtNode, attempt = n.attempt, writeScript = true): JobRequest {
    return {
      entryId: n.id,
      workflowId: n.workflowId,
      attempt,
      jobName: this.jobName(n, attempt),
      runDir: this.runDirOf(n, attempt),
      jobScript: writeScript ? this.jobScriptOf(n) : this.jobScriptPath(n),
      resources: parseResources(n.resources ?? '1:local:10m'),
      dependsOn: [],
      keepProcesses: this.keepsProcesses(n)
    };
  }

  private keepsProcesses(n: RtNode): boolean {
    const spec = this.engine.specOf(n);
    return spec.kind === 'task' && spec.keepProcesses === true;
  }

  writeRunFolder(n: RtNode, runDir: string, jobWaiting = false): void {
    // mkdir returns undefined when the folder existed: only then can it be another store's.
    if (mkdirSync(runDir, { recursive: true }) === undefined)
      setAsideIfForeign(runDir, this.store.storeId, this.log, { id: n.id, attempt: n.attempt });
    mkdirSync(runDir, { recursive: true });
    const input = this.engine.inputFor(n.id);
    const text = JSON.stringify({
      entryId: n.id,
      workflowId: n.workflowId,
      attempt: n.attempt,
      store: this.store.storeId,
      name: n.name,
      code: n.code,
      ...input
    });
    // Nothing reads a run folder before its job starts, so the input needs no rename, unless a
    // job submitted ahead is already waiting for it.
    if (jobWaiting) writeAtomic(join(runDir, 'input.json'), text);
    else writeFileSync(join(runDir, 'input.json'), text);
  }

  /** The job script shared by the entries of one task of a workflow, written on first use. */
  /** One script per task and environment (a retry may bring another environment). */
  private jobScriptPath(n: RtNode): string {
    const suffix = Launches.scriptSuffix(this.launches.of(n.workflowId));
    return join(this.paths.runs, String(n.workflowId), `job-${n.templateId}${suffix}.sh`);
  }

  jobScriptOf(n: RtNode): string {
    const path = this.jobScriptPath(n);
    if (this.writtenScripts.has(path)) return path;
    mkdirSync(join(this.paths.runs, String(n.workflowId)), { recursive: true });
    const launch = this.launches.of(n.workflowId);
    writeAtomic(
      path,
      jobScript({
        workDir: launch.workDir,
        workflowId: n.workflowId,
        code: n.code!,
        python: launch.python,
        environment: Launches.environmentLines(launch),
        virtualEnv: launch.venv,
        preamble: this.preambleOf(n),
        keepProcesses: this.keepsProcesses(n)
      })
    );
    this.writtenScripts.add(path);
    return path;
  }

  /** The files below this folder were removed: their job scripts are written again on next use. */
  forgetScriptsUnder(dir: string): void {
    for (const path of this.writtenScripts) if (path.startsWith(dir + '/')) this.writtenScripts.delete(path);
  }

  /**
   * Python scripts without a preamble start from a warm fork server of their interpreter
   * (perqueue_lab.forkserver) instead of a fresh one; PQ_FORKSERVER=0 turns that off.
   */
  warmPythonFor(n: RtNode): WarmPython | undefined {
    if (process.env.PQ_FORKSERVER === '0' || !n.code?.endsWith('.py') || this.preambleOf(n)) return undefined;
    return Launches.warm(this.launches.of(n.workflowId));
  }

  private preambleOf(n: RtNode): string | null {
    const spec = this.engine.specOf(n);
    return spec.kind === 'task' ? (spec.preamble ?? null) : null;
  }
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
