// Building the drawn graph: width groups collapse into one node with counts, edges follow.
import { applyStateChanges, buildGraph, countsText, groupState, IGraphElements, widthGroupKey } from '../elements';
import type { PerQueue } from '../../tokens';
import { node } from '../../__tests__/fakeBridge';
import { cycleWorkflow } from './cycleWorkflow';

/** prepare -> width group of `width` columns of `work` (template 2) -> collect. */
function fanOut(width: number, states: PerQueue.State[] = []): PerQueue.WorkflowDetail {
  const nodes: PerQueue.Node[] = [node(1, 1, 'succeeded', { name: 'prepare', templateId: 1 })];
  const edges: PerQueue.Edge[] = [];
  for (let i = 0; i < width; i++) {
    const id = 10 + i;
    nodes.push(node(id, 1, states[i] ?? 'waiting', { name: 'work', templateId: 2, index: [i] }));
    edges.push({ parent: 1, child: id, join: null });
    edges.push({ parent: id, child: 99, join: 1 });
  }
  nodes.push(node(99, 1, 'waiting', { name: 'collect', templateId: 3 }));
  return { workflow: { id: 1, name: 'fan', createdAt: 0 }, nodes, edges };
}

describe('buildGraph', () => {
  it('collapses a wide width group into one node counting its entries per state', () => {
    const graph = buildGraph(fanOut(6, ['succeeded', 'succeeded', 'failed', 'running', 'waiting', 'waiting']), {
      collapseAbove: 4
    });
    expect(graph.nodes.map(n => n.label)).toEqual(['prepare', 'work ×6', 'collect']);
    const group = graph.nodes[1];
    expect(group.entryId).toBeNull();
    expect(group.count).toBe(6);
    expect(group.counts).toEqual({ succeeded: 2, failed: 1, running: 1, waiting: 2 });
    expect(group.state).toBe('failed');
  });

  it('joins the edges of a collapsed group into one edge each way', () => {
    const graph = buildGraph(fanOut(6), { collapseAbove: 4 });
    expect(graph.edges.map(e => e.id).sort()).toEqual([`e1->${graph.nodes[1].id}`, `${graph.nodes[1].id}->e99`].sort());
    expect(graph.edges.find(e => e.target === 'e99')?.join).toBe(true);
  });

  it('shows every entry of a narrow group, each with its index', () => {
    const graph = buildGraph(fanOut(3), { collapseAbove: 4 });
    expect(graph.nodes.map(n => n.label)).toEqual(['prepare', 'work [0]', 'work [1]', 'work [2]', 'collect']);
    expect(graph.edges).toHaveLength(6);
    expect(graph.groups.size).toBe(1);
    expect([...graph.groups.values()][0].collapsed).toBe(false);
  });

  it("follows the person's choice over the size rule, both ways", () => {
    const wide = buildGraph(fanOut(6), { collapseAbove: 4 });
    const key = [...wide.groups.keys()][0];
    expect(buildGraph(fanOut(6), { collapseAbove: 4, overrides: new Map([[key, false]]) }).nodes).toHaveLength(8);
    expect(buildGraph(fanOut(2), { collapseAbove: 4, overrides: new Map([[key, true]]) }).nodes).toHaveLength(3);
  });

  it('keeps the groups of different iterations and expansions apart', () => {
    const a = node(1, 1, 'succeeded', { templateId: 5, index: [0], iteration: [0] });
    const b = node(2, 1, 'succeeded', { templateId: 5, index: [0], iteration: [1] });
    const c = node(3, 1, 'succeeded', { templateId: 5, index: [0], iteration: [1], groupId: 40 });
    const keys = new Set([a, b, c].map(widthGroupKey));
    expect(keys.size).toBe(3);
    expect(widthGroupKey(node(4, 1, 'waiting'))).toBeNull();
  });

  it('collapses the inner level of nested width groups per outer column', () => {
    // As the engine makes them: one inner group (groupId) per outer column; pq_index [inner, outer].
    const nodes = [0, 1].flatMap(outer =>
      [0, 1, 2, 3, 4].map(inner =>
        node(outer * 10 + inner + 1, 1, 'succeeded', {
          name: 'inner',
          templateId: 7,
          index: [inner, outer],
          groupId: 100 + outer
        })
      )
    );
    const graph = buildGraph(
      { workflow: { id: 1, name: 'nested', createdAt: 0 }, nodes, edges: [] },
      { collapseAbove: 4 }
    );
    expect(graph.nodes.map(n => n.label)).toEqual(['inner ×5', 'inner ×5']);
  });

  it('names the group state by the entries most in need of attention', () => {
    expect(groupState({ succeeded: 3, awaiting_input: 1 })).toBe('awaiting_input');
    expect(groupState({ succeeded: 3, discarded: 2 })).toBe('succeeded');
    expect(countsText({ succeeded: 2, timed_out: 1 })).toBe('1 timed out · 2 succeeded');
  });
});

/** start -> CyclicalGroup `loop` (select -> a width group of 3 `train` -> toggle) x `iterations` -> end. */
const cycleWithWidth = (iterations: number) => cycleWorkflow(iterations, { width: 3, failing: true });

describe('cyclical groups', () => {
  it('are drawn expanded, iteration by iteration, with the cycle node offering to collapse them', () => {
    const graph = buildGraph(cycleWithWidth(3), { collapseAbove: 4 });
    expect(graph.nodes.filter(n => n.label.startsWith('select'))).toHaveLength(3);
    const cycle = graph.groups.get('c2');
    expect(cycle).toMatchObject({ kind: 'cycle', name: 'loop', collapsed: false, iterations: 3, size: 1 + 3 * 5 });
    expect(graph.nodes.find(n => n.id === 'e2')?.groupKey).toBe('c2');
  });

  it('collapse, iterations and the width groups in them, into one node counting every entry by state', () => {
    const detail = cycleWithWidth(3);
    const graph = buildGraph(detail, { collapseAbove: 4, overrides: new Map([['c2', true]]) });
    expect(graph.nodes.map(n => n.label)).toEqual(['start', 'loop ↻3 ×16', 'end']);
    const shown = graph.nodes[1];
    expect(shown).toMatchObject({ id: 'gc2', entryId: null, groupKey: 'c2', count: 16 });
    expect(shown.counts).toEqual({ running: 1, succeeded: 13, failed: 1, blocked: 1 });
    expect(shown.state).toBe('failed');
    // Edges in and out of the cycle join on its node; those inside it are gone.
    expect(graph.edges.map(e => e.id).sort()).toEqual(['e1->gc2', 'gc2->e999']);
    // Every entry of the cycle is behind the node (the details and Expand act on them).
    expect([...(graph.groups.get('c2')?.entryIds ?? [])].sort((a, b) => a - b)).toEqual(
      detail.nodes
        .filter(n => n.id !== 1 && n.id !== 999)
        .map(n => n.id)
        .sort((a, b) => a - b)
    );
  });

  it('the "collapse all" choice (every group key set) collapses the cycle too, and expanding it brings the iterations back', () => {
    const first = buildGraph(cycleWithWidth(2), { collapseAbove: 100 });
    const all = new Map([...first.groups.keys()].map(k => [k, true] as [string, boolean]));
    const collapsed = buildGraph(cycleWithWidth(2), { collapseAbove: 100, overrides: all });
    expect(collapsed.nodes.map(n => n.label)).toEqual(['start', 'loop ↻2 ×11', 'end']);
    all.set('c2', false);
    const expanded = buildGraph(cycleWithWidth(2), { collapseAbove: 100, overrides: all });
    // The cycle is open again; its width groups stay collapsed as chosen.
    expect(expanded.nodes.map(n => n.label)).toEqual([
      'start',
      'loop',
      'select #0',
      'train ×3',
      'loop #0',
      'select #1',
      'train ×3',
      'loop #1',
      'end'
    ]);
  });

  it('a collapsed outer cycle takes in a cycle nested in it', () => {
    const nodes: PerQueue.Node[] = [
      node(1, 1, 'succeeded', { name: 'outer', kind: 'cyclical' }),
      node(2, 1, 'succeeded', { name: 'inner', kind: 'cyclical', iteration: [0], groupId: 1 }),
      node(3, 1, 'succeeded', { name: 'step', iteration: [0, 0], groupId: 2 }),
      node(4, 1, 'running', { name: 'step', iteration: [0, 1], groupId: 2 })
    ];
    const detail = { workflow: { id: 1, name: 'nested', createdAt: 0 }, nodes, edges: [] };
    const inner = buildGraph(detail, { overrides: new Map([['c2', true]]) });
    expect(inner.nodes.map(n => n.label)).toEqual(['outer', 'inner ↻2 ×3']);
    expect(inner.nodes[1].bands).toEqual(['b1.0']);
    const outer = buildGraph(detail, {
      overrides: new Map([
        ['c1', true],
        ['c2', true]
      ])
    });
    expect(outer.nodes.map(n => n.label)).toEqual(['outer ↻1 ×4']);
    expect(outer.nodes[0].bands).toEqual([]);
  });
});

describe('applyStateChanges', () => {
  /** The detail with some entries' states changed (new objects, as the model makes them). */
  function withStates(
    detail: PerQueue.WorkflowDetail,
    states: Record<number, PerQueue.State>
  ): { detail: PerQueue.WorkflowDetail; changes: { before: PerQueue.Node; after: PerQueue.Node }[] } {
    const changes: { before: PerQueue.Node; after: PerQueue.Node }[] = [];
    const nodes = detail.nodes.map(n => {
      if (!(n.id in states)) {
        return n;
      }
      const after = { ...n, state: states[n.id] };
      changes.push({ before: n, after });
      return after;
    });
    return { detail: { ...detail, nodes }, changes };
  }

  /** What is drawn, without the lookup maps (compared with a graph built from scratch). */
  function drawn(graph: IGraphElements) {
    return { nodes: graph.nodes, edges: graph.edges };
  }

  it('updates entries and collapsed groups in place to what a new build draws', () => {
    const detail = fanOut(6, ['succeeded', 'running', 'waiting', 'waiting', 'waiting', 'waiting']);
    const graph = buildGraph(detail, { collapseAbove: 4 });
    const group = graph.nodes[1];
    const next = withStates(detail, { 1: 'running', 11: 'failed', 12: 'running', 99: 'queued' });
    const touched = applyStateChanges(graph, next.changes);
    expect(touched?.map(n => n.id).sort()).toEqual(['e1', 'e99', group.id].sort());
    expect(drawn(graph)).toEqual(drawn(buildGraph(next.detail, { collapseAbove: 4 })));
    expect(group.counts).toEqual({ succeeded: 1, failed: 1, running: 1, waiting: 3 });
    expect(group.state).toBe('failed');
    // The failed column succeeds on a retry: the group's count of failed goes, and its state with it.
    const retried = withStates(next.detail, { 11: 'succeeded' });
    applyStateChanges(graph, retried.changes);
    expect(group.counts).toEqual({ succeeded: 2, running: 1, waiting: 3 });
    expect(group.state).toBe('running');
    expect(drawn(graph)).toEqual(drawn(buildGraph(retried.detail, { collapseAbove: 4 })));
  });

  it('updates expanded groups and collapsed cycles alike', () => {
    const detail = cycleWithWidth(2);
    const overrides = new Map([['c2', true]]);
    const graph = buildGraph(detail, { collapseAbove: 1, overrides });
    const inCycle = detail.nodes.find(n => n.name === 'train')!.id;
    const next = withStates(detail, { [inCycle]: 'timed_out', 999: 'running' });
    expect(applyStateChanges(graph, next.changes)).toHaveLength(2);
    expect(drawn(graph)).toEqual(drawn(buildGraph(next.detail, { collapseAbove: 1, overrides })));
  });

  it('touches nothing for changes other than the state', () => {
    const detail = fanOut(3);
    const graph = buildGraph(detail);
    const before = detail.nodes[1];
    expect(applyStateChanges(graph, [{ before, after: { ...before, jobId: '12', attempt: 1 } }])).toEqual([]);
  });

  it('asks for a new build when an entry moved or is not drawn', () => {
    const detail = fanOut(3);
    const graph = buildGraph(detail);
    const before = detail.nodes[1];
    const moved = [
      { ...before, state: 'running' as const, index: [7] },
      { ...before, name: 'renamed' },
      { ...before, iteration: [1] },
      { ...before, groupId: 5 },
      { ...before, templateId: 8 },
      { ...before, kind: 'manual' as const }
    ];
    for (const after of moved) {
      expect(applyStateChanges(graph, [{ before, after }])).toBeNull();
    }
    const stranger = node(500, 1);
    expect(applyStateChanges(graph, [{ before: stranger, after: { ...stranger, state: 'running' } }])).toBeNull();
    // A refused change leaves the graph as built.
    expect(drawn(graph)).toEqual(drawn(buildGraph(detail)));
  });
});
