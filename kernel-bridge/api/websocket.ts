// The event stream over WebSocket (/api/events/ws?since=SEQ): one text message per event, in
// sequence order, starting after `since` (the latest event when absent). With &batch=1 bursts
// are coalesced: each message is a JSON array of the events committed within COALESCE_MS of
// each other (at most BATCH), so a group of a thousand columns finishing at once is a couple of
// messages instead of a thousand. Served by the `ws`
// library (pure JavaScript; bufferutil and utf-8-validate are optional and not used).
//
// A client is never sent more than it reads: events are read from the store in sequence order
// and sent only while its send buffer is under HIGH_WATER_BYTES, so a client that stops reading
// costs at most that much memory. One that makes no progress for STALL_MS is dropped; it can
// reconnect with ?since= its last seq and miss nothing, since every event stays in the store.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventRecord } from '../store/store.js';

/** Bytes a client may have waiting in its send buffer before the stream pauses for it. */
const HIGH_WATER_BYTES = 1024 * 1024;
/** A client paused this long without reading anything is dropped. */
// PQ_WS_STALL_MS overrides it (tests use a shorter one).
const STALL_MS = Number(process.env.PQ_WS_STALL_MS) || 10_000;
/** Clients send only control frames; anything bigger is a protocol error. */
const MAX_PAYLOAD_BYTES = 64 * 1024;
/** Events read from the store per batch (and per message in batch mode). */
const BATCH = 500;
/** In batch mode, how long a commit waits for more before its events go out. */
const COALESCE_MS = 5;

export interface EventSource {
  eventsSince(seq: number, limit?: number): EventRecord[];
  lastSeq(): number;
}

export interface EventStreamsOptions {
  store: EventSource;
  /** Subscribe to commits; returns the unsubscribe function. */
  onCommit(fn: () => void): () => void;
  log?: (line: string) => void;
}

export class EventStreams {
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_PAYLOAD_BYTES,
    perMessageDeflate: false
  });

  constructor(private readonly o: EventStreamsOptions) {}

  /** Complete an authorized upgrade request and start streaming from `since`. */
  /** `since`: the last seq the client has (checked by the caller); null for only what comes next. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, since: number | null, batch = false): void {
    const start = since ?? this.o.store.lastSeq();
    this.wss.handleUpgrade(req, socket, head, ws => new ClientStream(ws, start, this.o, batch));
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }
}

class ClientStream {
  private readonly off: () => void;
  private pausedSince = 0;
  private pausedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private open = true;
  private coalescing: NodeJS.Timeout | undefined;

  constructor(
    private readonly ws: WebSocket,
    private last: number,
    private readonly o: EventStreamsOptions,
    private readonly batch = false
  ) {
    this.off = o.onCommit(() => (batch ? this.soon() : this.flush()));
    ws.on('close', () => this.end());
    ws.on('error', () => this.end());
    this.flush();
  }

  private flush(): void {
    if (!this.open || this.timer) return;
    for (;;) {
      if (this.ws.bufferedAmount >= HIGH_WATER_BYTES) return this.pause();
      const events = this.o.store.eventsSince(this.last, BATCH);
      if (events.length === 0) return;
      if (this.batch) this.ws.send(JSON.stringify(events));
      else for (const e of events) this.ws.send(JSON.stringify(e));
      this.last = events[events.length - 1].seq;
    }
  }

  /** A flush after COALESCE_MS: the commits of a burst go out together. */
  private soon(): void {
    if (this.coalescing) return;
    this.coalescing = setTimeout(() => {
      this.coalescing = undefined;
      this.flush();
    }, COALESCE_MS);
  }

  /** Wait for the client to read; drop it when it reads nothing for STALL_MS. */
  private pause(): void {
    const now = Date.now();
    const buffered = this.ws.bufferedAmount;
    if (this.pausedSince === 0 || buffered < this.pausedAt) {
      this.pausedSince = now;
      this.pausedAt = buffered;
    }
    if (now - this.pausedSince >= STALL_MS) {
      this.o.log?.(
        `event stream: dropped a client that read nothing for ${STALL_MS / 1000} s (${buffered} bytes waiting, at seq ${this.last})`
      );
      this.ws.terminate();
      return this.end();
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.ws.bufferedAmount < HIGH_WATER_BYTES) this.pausedSince = 0;
      this.flush();
    }, 50);
  }

  private end(): void {
    if (!this.open) return;
    this.open = false;
    clearTimeout(this.timer);
    clearTimeout(this.coalescing);
    this.off();
  }
}
