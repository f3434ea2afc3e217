// The human steps of the project as the views need them: the list of steps waiting for a person
// (GET /api/approvals), kept live from the shared model's events, and the three things a person
// does to one (open its notebook copy, approve with a result, reject with a reason). Requests go
// through the model's client methods, to the project it shows. Who answered is recorded by the
// server extension from Jupyter's authenticated user, so the browser sends no name.
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { PerQueueApiError } from '../client';
import { IApproval, sortApprovals } from './steps';
import { IPerQueueModel, PerQueue } from '../tokens';

interface IHumanStepsOptions {
  model: IPerQueueModel;
  /** Coalesces bursts of events into one reload (ms). */
  settleMs?: number;
}

export class HumanSteps implements IDisposable {
  constructor(options: IHumanStepsOptions) {
    this._model = options.model;
    this._settleMs = options.settleMs ?? 150;
    this._model.eventReceived.connect(this._onEvent, this);
    this._model.connectionChanged.connect(this._onConnection, this);
    this._model.projectChanged.connect(this._onProject, this);
    if (this._model.connection.status === 'live') {
      this.schedule();
    }
  }

  /** The waiting steps, oldest first. */
  get items(): ReadonlyArray<IApproval> {
    return this._items;
  }

  /** Why the last reload failed ('' when it worked). */
  get error(): string {
    return this._error;
  }

  /** Whether the list was loaded at least once. */
  get loaded(): boolean {
    return this._loaded;
  }

  get changed(): ISignal<this, ReadonlyArray<IApproval>> {
    return this._changed;
  }

  /** A step started waiting (not emitted for the steps of the first load). */
  get stepWaiting(): ISignal<this, IApproval> {
    return this._stepWaiting;
  }

  get model(): IPerQueueModel {
    return this._model;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    if (this._timer) {
      clearTimeout(this._timer);
    }
    Signal.clearData(this);
  }

  find(entryId: number): IApproval | undefined {
    return this._items.find(a => a.node.id === entryId);
  }

  isWaiting(entryId: number): boolean {
    return this.find(entryId) !== undefined;
  }

  /** Reloads soon, once for a burst of calls. */
  schedule(): void {
    if (this._timer || this._disposed) {
      return;
    }
    this._timer = setTimeout(() => {
      this._timer = null;
      this.refresh().catch(() => undefined);
    }, this._settleMs);
  }

  async refresh(): Promise<ReadonlyArray<IApproval>> {
    const request = ++this._request;
    try {
      const list = await this._model.approvals();
      if (request !== this._request || this._disposed) {
        return this._items;
      }
      const before = new Set(this._items.map(a => a.node.id));
      const firstLoad = !this._loaded;
      this._items = sortApprovals(Array.isArray(list) ? list : []);
      this._error = '';
      this._loaded = true;
      this._changed.emit(this._items);
      if (!firstLoad) {
        for (const item of this._items) {
          if (!before.has(item.node.id)) {
            this._stepWaiting.emit(item);
          }
        }
      }
    } catch (error) {
      if (request === this._request && !this._disposed) {
        this._error = describe(error);
        this._changed.emit(this._items);
      }
      throw error;
    }
    return this._items;
  }

  /** Makes (once per attempt) the step's notebook copy; its path relative to the project. */
  async prepareNotebook(entryId: number): Promise<string> {
    return this._model.stepNotebook(entryId);
  }

  async approve(entryId: number, data: Record<string, unknown> = {}): Promise<void> {
    await this._model.approveEntry(entryId, { data });
    this._forget(entryId);
  }

  async reject(entryId: number, reason = ''): Promise<void> {
    await this._model.rejectEntry(entryId, { reason });
    this._forget(entryId);
  }

  /** Drops an answered step at once; the reload that follows confirms it. */
  private _forget(entryId: number): void {
    if (this.isWaiting(entryId)) {
      this._items = this._items.filter(a => a.node.id !== entryId);
      this._changed.emit(this._items);
    }
    this.schedule();
  }

  private _onEvent(_: IPerQueueModel, event: PerQueue.BridgeEvent): void {
    if (event.type !== 'node') {
      this.schedule(); // a workflow was submitted, cancelled or finished
      return;
    }
    const entryId = event.node?.id ?? event.nodeId;
    const state = event.node?.state ?? event.state;
    if (state === 'awaiting_input' || (entryId !== null && entryId !== undefined && this.isWaiting(entryId))) {
      this.schedule();
    }
  }

  /** Another project is shown: its steps replace these once it is live (answers on the way are dropped). */
  private _onProject(): void {
    this._request++;
    this._items = [];
    this._loaded = false;
    this._error = '';
    this._changed.emit(this._items);
  }

  private _onConnection(_: IPerQueueModel, info: PerQueue.ConnectionInfo): void {
    if (info.status === 'live') {
      this.schedule();
    }
  }

  private readonly _model: IPerQueueModel;
  private readonly _settleMs: number;
  private _items: IApproval[] = [];
  private _error = '';
  private _loaded = false;
  private _disposed = false;
  private _request = 0;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private readonly _changed = new Signal<this, ReadonlyArray<IApproval>>(this);
  private readonly _stepWaiting = new Signal<this, IApproval>(this);
}

export function describe(error: unknown): string {
  if (error instanceof PerQueueApiError) {
    return error.fix ? `${error.message} ${error.fix}` : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
