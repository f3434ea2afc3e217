// The model's event stream: every event applied once, none lost, across drops and reconnects.
import { PerQueueModel } from '../model';
import { changedNodes } from '../snapshots';
import type { PerQueue } from '../tokens';
import { FakeBridge, node, waitFor } from './fakeBridge';

function makeModel(bridge: FakeBridge, transport: 'websocket' | 'poll' = 'websocket'): PerQueueModel {
  return new PerQueueModel({
    client: bridge,
    transport,
    retryDelays: [1],
    settleMs: 1,
    graphSettleMs: 1,
    pollTimeout: 1
  });
}

function record(model: PerQueueModel): number[] {
  const seen: number[] = [];
  model.eventReceived.connect((_, event: PerQueue.BridgeEvent) => seen.push(event.seq));
  return seen;
}

describe('PerQueueModel event stream', () => {
  let bridge: FakeBridge;
  let model: PerQueueModel;

  beforeEach(() => {
    bridge = new FakeBridge();
    bridge.addWorkflow(
      1,
      [node(1, 1), node(2, 1), node(3, 1)],
      [
        { parent: 1, child: 2, join: null },
        { parent: 2, child: 3, join: null }
      ]
    );
  });

  afterEach(() => model?.dispose());

  it('opens the stream before taking the snapshot when it has no resume point', async () => {
    bridge.setState(1, 1, 'queued'); // history from before the model started
    model = makeModel(bridge);
    await model.start();
    await waitFor(() => model.connection.status === 'live' && model.workflows.length === 1, 'live + list');
    const socketAt = bridge.calls.indexOf('socket:null');
    const listAt = bridge.calls.indexOf('list');
    expect(socketAt).toBeGreaterThanOrEqual(0);
    expect(listAt).toBeGreaterThan(socketAt);
  });

  it('resumes after a dropped socket from the last seq, without losing or doubling events', async () => {
    model = makeModel(bridge);
    const seen = record(model);
    await model.start();
    await model.loadWorkflow(1);
    await waitFor(() => model.connection.status === 'live', 'live');

    bridge.setState(1, 1, 'queued');
    bridge.setState(1, 1, 'running');
    await waitFor(() => seen.length === 2, 'two events');

    bridge.resendLast = true; // the server repeats the event at the resume point
    bridge.dropSockets();
    bridge.setState(1, 1, 'succeeded'); // happens while the socket is down
    bridge.setState(1, 2, 'queued');
    await waitFor(() => seen.length === 4, 'the missed events');

    bridge.setState(1, 2, 'running');
    await waitFor(() => seen.length === 5, 'a live event after the reconnect');

    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(bridge.calls).toContain('socket:2');
    expect(model.lastSeq).toBe(5);
    expect(model.node(1, 1)?.state).toBe('succeeded');
    expect(model.node(1, 2)?.state).toBe('running');
  });

  it('drops a removed workflow from the list and its graph at once, telling its views', async () => {
    bridge.addWorkflow(2, [node(4, 2)]);
    model = makeModel(bridge);
    await model.start();
    await waitFor(() => model.connection.status === 'live' && model.workflows.length === 2, 'live + list');
    await model.loadWorkflow(1);
    const removed: number[] = [];
    model.workflowRemoved.connect((_, id) => removed.push(id));
    const graphFetches = () => bridge.calls.filter(c => c === 'graph:1').length;
    const fetchedBefore = graphFetches();

    await model.removeWorkflow(1);
    await waitFor(() => removed.length === 1, 'the removed signal');
    expect(removed).toEqual([1]);
    expect(model.workflows.map(w => w.id)).toEqual([2]);
    expect(model.workflow(1)).toBeNull();
    expect(model.node(1, 1)).toBeNull();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(graphFetches()).toBe(fetchedBefore);
  });

  it('shows another project: what the former one showed goes at once, late answers of it are ignored', async () => {
    model = makeModel(bridge);
    await model.start();
    await waitFor(() => model.connection.status === 'live' && model.workflows.length === 1, 'live + list');
    await model.loadWorkflow(1);
    bridge.setState(1, 1, 'running');
    await waitFor(() => model.lastSeq === 1, 'an event of the first project');
    const changes: (string | null)[] = [];
    model.projectChanged.connect((_, project) => changes.push(project));
    const formerSocket = bridge.sockets[bridge.sockets.length - 1];

    // The other project has its own workflows and its own event log.
    bridge.workflows = new Map();
    bridge.events = [];
    bridge.addWorkflow(7, [node(70, 7)]);
    const switching = model.setProject('screening');
    expect(model.project).toBe('screening');
    expect(bridge.project).toBe('screening');
    expect(changes).toEqual(['screening']);
    expect(model.workflows).toEqual([]);
    expect(model.workflow(1)).toBeNull();
    expect(formerSocket.closed).toBe(true);
    await switching;
    await waitFor(() => model.connection.status === 'live' && model.workflows.length === 1, 'the other project live');
    expect(model.workflows.map(w => w.id)).toEqual([7]);
    expect(bridge.calls.filter(c => c === 'socket:null')).toHaveLength(2);

    // The former project's socket may still deliver: nothing of it is applied.
    formerSocket.handlers.onEvent({ seq: 2, type: 'node', workflowId: 1, nodeId: 1, state: 'failed' });
    expect(model.lastSeq).toBe(0);
    bridge.setState(7, 70, 'running');
    await waitFor(() => model.lastSeq === 1, 'an event of the other project');
    await model.loadWorkflow(7);
    expect(model.node(7, 70)?.state).toBe('running');
    await model.setProject('screening');
    expect(changes).toEqual(['screening']);
  });

  it('ignores an event it has already applied', async () => {
    model = makeModel(bridge);
    const seen = record(model);
    const event: PerQueue.BridgeEvent = { seq: 7, type: 'node', workflowId: 1, nodeId: 1, state: 'running' };
    expect(model.applyEvent(event)).toBe(true);
    expect(model.applyEvent({ ...event })).toBe(false);
    expect(model.applyEvent({ ...event, seq: 6 })).toBe(false);
    expect(seen).toEqual([7]);
  });

  it('keeps the newer state when an event arrives while a snapshot is loading', async () => {
    model = makeModel(bridge);
    await model.start();
    await waitFor(() => model.connection.status === 'live', 'live');
    bridge.holdSnapshots = true;
    const loading = model.loadWorkflow(1); // the snapshot says task1 is waiting
    await waitFor(() => bridge.calls.includes('graph:1'), 'snapshot requested');
    bridge.setState(1, 1, 'running');
    await waitFor(() => model.lastSeq === 1, 'event applied');
    bridge.releaseSnapshots();
    const detail = await loading;
    // The answer was copied before the event, but the event is replayed over it.
    expect(detail.nodes.find(n => n.id === 1)?.state).toBe('running');
  });

  it('long polling resumes from the last seq after the bridge was unavailable', async () => {
    model = makeModel(bridge, 'poll');
    const seen = record(model);
    await model.start();
    await model.loadWorkflow(1);
    bridge.setState(1, 1, 'queued');
    await waitFor(() => seen.length === 1, 'first event');

    bridge.downWith = 503;
    await waitFor(() => model.connection.status === 'unavailable', 'unavailable');
    bridge.setState(1, 1, 'running');
    bridge.setState(1, 1, 'succeeded');
    bridge.resendLast = true;
    bridge.downWith = null;
    await waitFor(() => seen.length === 3, 'missed events');
    await waitFor(() => model.connection.status === 'live', 'live again');

    expect(seen).toEqual([1, 2, 3]);
    expect(model.node(1, 1)?.state).toBe('succeeded');
    const polls = bridge.calls.filter(c => c.startsWith('poll:')).map(c => Number(c.slice(5)));
    // Never asked from before what it had (no re-read of the whole log after the outage).
    expect(Math.min(...polls.slice(polls.indexOf(1)))).toBe(1);
  });

  it('falls back to long polling when sockets never open', async () => {
    bridge.socketsWork = false;
    model = makeModel(bridge);
    const seen = record(model);
    await model.start();
    await waitFor(() => bridge.calls.some(c => c.startsWith('poll:')), 'polling');
    bridge.setState(1, 3, 'failed');
    await waitFor(() => seen.length === 1, 'event by polling');
    expect(seen).toEqual([1]);
  });

  it('reports the bridge as unavailable with the server message, then recovers', async () => {
    bridge.downWith = 503;
    model = makeModel(bridge);
    void model.start();
    await waitFor(() => model.connection.status === 'unavailable', 'unavailable');
    expect(model.connection.message).toContain('bridge down');
    bridge.downWith = null;
    await waitFor(() => model.connection.status === 'live' && model.workflows.length === 1, 'recovered');
  });

  it('shows a full disk that pauses the bridge, and clears it when the bridge resumes', async () => {
    model = new PerQueueModel({
      client: bridge,
      retryDelays: [1],
      settleMs: 1,
      graphSettleMs: 1,
      pollTimeout: 1,
      storageCheckMs: 5
    });
    await model.start();
    await waitFor(() => model.connection.status === 'live', 'live');
    expect(model.connection.message).toBe('');
    bridge.storage = {
      ok: false,
      problem: 'disk_full',
      message: 'the disk holding /p/.perqueue/perqueue.sqlite is full'
    };
    await waitFor(() => model.connection.message.includes('is full'), 'the full disk shown');
    expect(model.connection.message).toMatch(/^The bridge is paused: the disk holding/);
    expect(model.connection.status).toBe('live');
    bridge.storage = { ok: true };
    await waitFor(() => model.connection.message === '', 'cleared');
  });

  it('fetches the graph again when an event names an entry it does not have', async () => {
    model = makeModel(bridge);
    await model.start();
    await model.loadWorkflow(1);
    await waitFor(() => model.connection.status === 'live', 'live');
    const detail = bridge.workflows.get(1)!;
    detail.nodes.push(node(4, 1, 'waiting'));
    detail.edges.push({ parent: 3, child: 4, join: null });
    bridge.setState(1, 4, 'queued');
    await waitFor(() => model.workflow(1)?.edges.length === 3, 'refetched graph');
    expect(model.node(1, 4)?.state).toBe('queued');
  });

  it('replaces only the objects of entries that changed, by an event or in a refetched snapshot', async () => {
    model = makeModel(bridge);
    await model.start();
    await model.loadWorkflow(1);
    await waitFor(() => model.connection.status === 'live', 'live');
    const before = model.workflow(1)!.nodes.slice();
    const changed = () => changedNodes(before, model.workflow(1)!.nodes)!.map(c => c.after.id);

    // An event that repeats the state an entry has changes nothing.
    bridge.setState(1, 3, 'waiting');
    await waitFor(() => model.lastSeq === 1, 'event applied');
    expect(model.node(1, 3)).toBe(before[2]);

    // Entry 2 gets a job id that only a snapshot carries; entry 1's event makes the model refetch.
    bridge.workflows.get(1)!.nodes[1].jobId = '4242';
    bridge.setState(1, 1, 'queued');
    await waitFor(() => model.node(1, 2)?.jobId === '4242', 'refetched snapshot');
    expect(model.node(1, 1)?.state).toBe('queued');
    expect(changed()).toEqual([1, 2]);
    expect(model.node(1, 3)).toBe(before[2]);
  });
});
