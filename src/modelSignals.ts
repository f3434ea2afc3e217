// The signals of an IPerQueueModel, shared by the live model (model.ts) and the read-only model
// of an archived database (archive/model.ts), which never emits them.
import { Signal } from '@lumino/signaling';

import type { PerQueue } from './tokens';

export abstract class ModelSignals {
  get workflowsChanged(): Signal<this, ReadonlyArray<PerQueue.WorkflowSummary>> {
    return this._workflowsChanged;
  }
  get workflowChanged(): Signal<this, number> {
    return this._workflowChanged;
  }
  get connectionChanged(): Signal<this, PerQueue.ConnectionInfo> {
    return this._connectionChanged;
  }
  get eventReceived(): Signal<this, PerQueue.BridgeEvent> {
    return this._eventReceived;
  }
  /** A workflow was removed from the project (its id). */
  get workflowRemoved(): Signal<this, number> {
    return this._workflowRemoved;
  }
  get projectChanged(): Signal<this, string | null> {
    return this._projectChanged;
  }

  protected readonly _workflowsChanged = new Signal<this, ReadonlyArray<PerQueue.WorkflowSummary>>(this);
  protected readonly _workflowChanged = new Signal<this, number>(this);
  protected readonly _connectionChanged = new Signal<this, PerQueue.ConnectionInfo>(this);
  protected readonly _eventReceived = new Signal<this, PerQueue.BridgeEvent>(this);
  protected readonly _workflowRemoved = new Signal<this, number>(this);
  protected readonly _projectChanged = new Signal<this, string | null>(this);
}
