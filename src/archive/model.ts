// A read-only stand-in for the live model, backed by an archived database read in a worker:
// the graph panel draws it as it draws a live project, with no bridge and no server calls.
// Every action is refused with the reason.
import { Signal } from '@lumino/signaling';
import * as Comlink from 'comlink';

import { ModelSignals } from '../modelSignals';
import type { IPerQueueModel, PerQueue } from '../tokens';
import type { ArchiveWorkerApi } from './worker';

const READ_ONLY = 'this is an archived database, opened read-only: actions need the project’s bridge';

/** The worker reading archives; one for the page, started on first use. */
let shared: Comlink.Remote<ArchiveWorkerApi> | null = null;

function archiveWorker(): Comlink.Remote<ArchiveWorkerApi> {
  if (!shared) {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { name: 'perqueue-archive' });
    shared = Comlink.wrap<ArchiveWorkerApi>(worker);
  }
  return shared;
}

/** An archive does not change: its model's signals are never emitted. */
export class ArchiveModel extends ModelSignals implements IPerQueueModel {
  private constructor(
    private readonly _remote: Comlink.Remote<ArchiveWorkerApi>,
    private readonly _handle: number,
    workflows: PerQueue.WorkflowSummary[],
    readonly logsAvailable: boolean
  ) {
    super();
    this._workflows = workflows;
  }

  /** Opens an archive from the file's bytes (the worker gets its own copy). */
  static async open(
    bytes: Uint8Array,
    remote: Comlink.Remote<ArchiveWorkerApi> = archiveWorker()
  ): Promise<ArchiveModel> {
    const handle = await remote.open(Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer]));
    const workflows = await remote.workflows(handle);
    return new ArchiveModel(remote, handle, workflows, await remote.hasLogs(handle));
  }

  get workflows(): ReadonlyArray<PerQueue.WorkflowSummary> {
    return this._workflows;
  }
  readonly connection: PerQueue.ConnectionInfo = { status: 'unavailable', message: 'archived database (read-only)' };
  readonly versions: PerQueue.Versions | null = null;
  readonly lastSeq = 0;
  /** An archive is one project file. */
  get project(): string | null {
    return null;
  }
  async projects(): Promise<PerQueue.Project[]> {
    return [];
  }
  // An archive is a read-only copy: changes, and questions only a live bridge answers, are refused.
  readonly setProject = refuse;
  readonly retryEntry = refuse;
  readonly cancelEntry = refuse;
  readonly approvals = refuse;
  readonly stepNotebook = refuse;
  readonly approveEntry = refuse;
  readonly rejectEntry = refuse;
  readonly modifyEntry = refuse;
  readonly cancelWorkflow = refuse;
  readonly removeWorkflow = refuse;
  readonly request = refuse;
  readonly submit = refuse;

  workflow(id: number): PerQueue.WorkflowDetail | null {
    return this._graphs.get(id)?.detail ?? null;
  }

  async loadWorkflow(id: number): Promise<PerQueue.WorkflowDetail> {
    const known = this._graphs.get(id);
    if (known) {
      return known.detail;
    }
    const detail = await this._remote.workflow(this._handle, id);
    this._graphs.set(id, { detail, positions: new Map(detail.nodes.map((n, i) => [n.id, i])) });
    return detail;
  }

  releaseWorkflow(id: number): void {
    this._graphs.delete(id);
  }

  node(workflowId: number, entryId: number): PerQueue.Node | null {
    const graph = this._graphs.get(workflowId);
    const at = graph?.positions.get(entryId);
    return graph && at !== undefined ? graph.detail.nodes[at] : null;
  }

  async refresh(): Promise<void> {
    // An archive does not change.
  }

  entry(id: number): Promise<PerQueue.EntryDetail> {
    return this._remote.entry(this._handle, id);
  }
  async log(id: number, stream: 'stdout' | 'stderr', tail = 200): Promise<string> {
    if (!this.logsAvailable) {
      throw new Error('logs stay in the project’s run folders: this archive was exported without them');
    }
    return this._remote.log(this._handle, id, stream, tail);
  }

  dispose(): void {
    void this._remote.close(this._handle);
    this._graphs.clear();
    Signal.clearData(this);
  }

  private _workflows: PerQueue.WorkflowSummary[];
  private readonly _graphs = new Map<number, { detail: PerQueue.WorkflowDetail; positions: Map<number, number> }>();
}

async function refuse(): Promise<never> {
  throw new Error(READ_ONLY);
}
