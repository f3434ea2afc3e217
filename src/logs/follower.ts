// Follows one log of one entry through the bridge's ranged reads (GET /api/entries/:id/log
// ?offset=N): reads what is there in bounded pieces, then what is appended while the entry can
// still write, and stops once it has ended and everything was read. No DOM: the view listens.

/** One ranged read's answer (kernel-bridge/api/openapi.json). */
export interface ILogRange {
  text: string;
  offset: number;
  size: number;
  attempt: number;
  state: string;
}

export type LogStream = 'stdout' | 'stderr';

/** States after which the entry's process writes no more (until a retry starts a new attempt). */
const ENDED = new Set(['succeeded', 'failed', 'timed_out', 'cancelled', 'discarded', 'skipped']);
/** States in which the process may be writing now: these are polled; the others wait for an event. */
const WRITING = new Set(['queued', 'running']);

export function hasEnded(state: string): boolean {
  return ENDED.has(state);
}

export interface ILogFollowerOptions {
  /** The bytes of the log from `offset` on. */
  read: (offset: number) => Promise<ILogRange>;
  /** New text, in order. */
  onText: (text: string) => void;
  /** A new attempt began (a retry): what was shown belongs to the old one. */
  onReset: () => void;
  /** The entry's state after each read, and whether the follower still follows. */
  onStatus: (state: string, following: boolean) => void;
  /** A read failed (the bridge is away): the follower tries again at the next poll or wake. */
  onError?: (error: unknown) => void;
  /** How often a running entry's log is asked for new bytes (ms). */
  pollMs?: number;
}

export class LogFollower {
  constructor(private readonly _o: ILogFollowerOptions) {}

  /** Bytes shown so far (the offset of the next read). */
  get offset(): number {
    return this._offset;
  }
  get following(): boolean {
    return this._following;
  }

  /** Reads everything there is, then keeps following while the entry has not ended. */
  start(): void {
    this._following = true;
    this.wake();
  }

  /** Read now (an event about the entry arrived, or it was retried): also after it ended. */
  wake(): void {
    if (this._disposed) {
      return;
    }
    if (this._busy) {
      this._again = true;
      return;
    }
    void this._run();
  }

  dispose(): void {
    this._disposed = true;
    this._following = false;
    if (this._timer) {
      clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private async _run(): Promise<void> {
    if (this._timer) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    this._busy = true;
    let state = this._state;
    try {
      for (;;) {
        let range = await this._readAt(this._offset);
        if (this._disposed) {
          return;
        }
        if (this._attempt !== null && range.attempt !== this._attempt) {
          // A retry writes a new log: start over from its beginning.
          this._offset = 0;
          this._o.onReset();
          range = await this._o.read(0);
          if (this._disposed) {
            return;
          }
        }
        this._attempt = range.attempt;
        state = range.state;
        if (range.text) {
          this._o.onText(range.text);
        }
        const moved = range.offset > this._offset;
        this._offset = range.offset;
        // More bytes are there already: read on at once (a big log comes in bounded pieces).
        if (!(moved && range.offset < range.size)) {
          break;
        }
      }
    } catch (error) {
      this._o.onError?.(error);
    } finally {
      this._busy = false;
    }
    if (this._disposed) {
      return;
    }
    this._state = state;
    this._following = !hasEnded(state);
    this._o.onStatus(state, this._following);
    if (this._again) {
      this._again = false;
      void this._run();
      return;
    }
    if (this._following && (state === '' || WRITING.has(state))) {
      this._timer = setTimeout(() => this.wake(), this._o.pollMs ?? 1000);
    }
  }

  /**
   * A read from `offset`; when it is refused, whether a retry replaced the log (a new attempt's
   * log can be shorter than the offset reached in the old one): then the new log's start.
   */
  private async _readAt(offset: number): Promise<ILogRange> {
    try {
      return await this._o.read(offset);
    } catch (error) {
      if (offset === 0 || this._attempt === null) {
        throw error;
      }
      const start = await this._o.read(0);
      if (start.attempt !== this._attempt) {
        return start;
      }
      throw error;
    }
  }

  private _offset = 0;
  private _attempt: number | null = null;
  private _state = '';
  private _following = false;
  private _busy = false;
  private _again = false;
  private _disposed = false;
  private _timer: ReturnType<typeof setTimeout> | null = null;
}
