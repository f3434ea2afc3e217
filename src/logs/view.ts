// The full log of one entry in a main-area panel: stdout and stderr, each followed while the
// entry runs. New text is appended as text nodes (never re-rendering what is shown), and the
// view scrolls along only while the person is at the bottom, so reading earlier output is not
// interrupted.
import { Widget } from '@lumino/widgets';

import { stateLabel } from '../graph/elements';
import { IPerQueueModel, PerQueue } from '../tokens';
import { button, clear, el } from '../ui';
import { ILogRange, LogFollower, LogStream } from './follower';

/** Characters kept on the page per stream; beyond it the oldest output is dropped (said so on top). */
export const MAX_SHOWN_CHARS = 32 * 1024 * 1024;

export interface IFullLogOptions {
  model: IPerQueueModel;
  entryId: number;
  /** The entry's name, for the title. */
  name: string;
  stream?: LogStream;
}

export class FullLogView extends Widget {
  constructor(private readonly _options: IFullLogOptions) {
    super();
    this.addClass('jp-PerQueue-fullLog');
    this.node.dataset.entryId = String(_options.entryId);
    const bar = el('div', 'jp-PerQueue-fullLog-bar');
    for (const stream of ['stdout', 'stderr'] as const) {
      const b = button(
        stream,
        `jp-PerQueue-fullLog-stream`,
        () => this.showStream(stream),
        `Show the entry's ${stream}`
      );
      b.dataset.stream = stream;
      bar.appendChild(b);
    }
    this._status = el('span', 'jp-PerQueue-fullLog-status', 'reading…');
    bar.appendChild(this._status);
    this.node.appendChild(bar);
    for (const stream of ['stdout', 'stderr'] as const) {
      this._panes[stream] = this._makePane(stream);
    }
    _options.model.eventReceived.connect(this._onEvent, this);
    this.showStream(_options.stream ?? 'stdout');
  }

  get entryId(): number {
    return this._options.entryId;
  }

  showStream(stream: LogStream): void {
    for (const s of ['stdout', 'stderr'] as const) {
      this._panes[s].pre.hidden = s !== stream;
      this._panes[s].notice.hidden = s !== stream || !this._panes[s].dropped;
    }
    this.node.querySelectorAll<HTMLButtonElement>('.jp-PerQueue-fullLog-stream').forEach(b => {
      b.setAttribute('aria-pressed', String(b.dataset.stream === stream));
    });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.model.eventReceived.disconnect(this._onEvent, this);
    for (const s of ['stdout', 'stderr'] as const) {
      this._panes[s].follower.dispose();
    }
    super.dispose();
  }

  private _makePane(stream: LogStream): IPane {
    const notice = el('p', 'jp-PerQueue-fullLog-dropped');
    notice.hidden = true;
    const pre = el('pre', 'jp-PerQueue-fullLog-text');
    pre.dataset.stream = stream;
    pre.tabIndex = 0;
    this.node.appendChild(notice);
    this.node.appendChild(pre);
    const pane: IPane = {
      pre,
      notice,
      shown: 0,
      dropped: 0,
      follower: new LogFollower({
        read: offset =>
          this._options.model.request<ILogRange>(
            `entries/${this._options.entryId}/log?stream=${stream}&offset=${offset}`
          ),
        onText: text => this._append(pane, text),
        onReset: () => {
          clear(pre);
          pane.shown = 0;
          pane.dropped = 0;
          notice.hidden = true;
        },
        onStatus: (state, following) => {
          if (stream === 'stdout') {
            this._status.textContent = following ? `${stateLabel(state)} · following` : `${stateLabel(state)} · ended`;
            this.node.dataset.following = String(following);
          }
        },
        onError: error => {
          if (stream === 'stdout') {
            this._status.textContent = `cannot read the log: ${error instanceof Error ? error.message : String(error)}`;
          }
        }
      })
    };
    pane.follower.start();
    return pane;
  }

  private _append(pane: IPane, text: string): void {
    const pre = pane.pre;
    // Follow the end only when the person is already there.
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    pre.appendChild(document.createTextNode(text));
    pane.shown += text.length;
    while (pane.shown > MAX_SHOWN_CHARS && pre.firstChild && pre.firstChild !== pre.lastChild) {
      const first = pre.firstChild;
      pane.shown -= first.textContent?.length ?? 0;
      pane.dropped += first.textContent?.length ?? 0;
      pre.removeChild(first);
    }
    if (pane.dropped) {
      pane.notice.textContent = `The first ${(pane.dropped / 1048576).toFixed(1)} M characters are not shown (the run folder has the whole file).`;
      pane.notice.hidden = pane.pre.hidden;
    }
    if (atBottom) {
      pre.scrollTop = pre.scrollHeight;
    }
  }

  private _onEvent(_: IPerQueueModel, event: PerQueue.BridgeEvent): void {
    if (event.nodeId === this._options.entryId) {
      // A state change (started, ended, retried): read at once, also after an end.
      this._panes.stdout.follower.wake();
      this._panes.stderr.follower.wake();
    }
  }

  private readonly _status: HTMLElement;
  private readonly _panes = {} as Record<LogStream, IPane>;
}

interface IPane {
  pre: HTMLPreElement;
  notice: HTMLElement;
  follower: LogFollower;
  shown: number;
  dropped: number;
}
