// Folding fresh snapshots into the cached one so that views can find changed entries by identity.
import { changedNodes, mergeSnapshot, refetchDelay, sameValue } from '../snapshots';
import type { PerQueue } from '../tokens';
import { node } from './fakeBridge';

function detail(nodes: PerQueue.Node[], edges: PerQueue.Edge[] = []): PerQueue.WorkflowDetail {
  return { workflow: { id: 1, name: 'wf', createdAt: 5 }, nodes, edges };
}

/** What JSON.parse of a bridge answer gives: equal values, every object new. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

describe('sameValue', () => {
  it('compares JSON values deeply, whatever the order of keys', () => {
    expect(sameValue({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 2 })).toBe(false);
    expect(sameValue({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(sameValue({ a: { b: null } }, { a: { b: 0 } })).toBe(false);
    expect(sameValue([1], { 0: 1 })).toBe(false);
    expect(sameValue(null, {})).toBe(false);
  });

  it('takes a missing key for an undefined one, and tells a key that has a value', () => {
    expect(sameValue({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: undefined })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(sameValue({ a: 1, b: 2 }, { a: 1 })).toBe(false);
  });
});

describe('mergeSnapshot', () => {
  const edges: PerQueue.Edge[] = [
    { parent: 1, child: 2, join: null },
    { parent: 2, child: 3, join: null }
  ];

  it('keeps the cached objects of entries that did not change and takes the changed ones', () => {
    const cached = detail([node(1, 1, 'succeeded', { data: { x: [1, 2] } }), node(2, 1), node(3, 1)], edges);
    const fresh = copy(cached);
    fresh.nodes[1].state = 'running';
    fresh.nodes[2].jobId = '1234';
    const merged = mergeSnapshot(cached, fresh);
    expect(merged.nodes[0]).toBe(cached.nodes[0]);
    expect(merged.nodes[1]).toBe(fresh.nodes[1]);
    expect(merged.nodes[2]).toBe(fresh.nodes[2]);
    expect(merged.nodes).not.toBe(cached.nodes);
    expect(merged.edges).toBe(cached.edges);
    expect(merged.workflow).toBe(cached.workflow);
    expect(merged).toEqual(fresh);
  });

  it('keeps the whole list when nothing changed, and takes new edges and new entries', () => {
    const cached = detail([node(1, 1), node(2, 1)], edges.slice(0, 1));
    expect(mergeSnapshot(cached, copy(cached)).nodes).toBe(cached.nodes);

    const grown = copy(cached);
    grown.nodes.push(node(3, 1));
    grown.edges.push({ parent: 2, child: 3, join: null });
    const merged = mergeSnapshot(cached, grown);
    expect(merged.nodes.slice(0, 2)).toEqual(cached.nodes);
    expect(merged.nodes[0]).toBe(cached.nodes[0]);
    expect(merged.nodes[2]).toBe(grown.nodes[2]);
    expect(merged.edges).toBe(grown.edges);
  });

  it('takes a new list when the entries are the same but in another order', () => {
    const cached = detail([node(1, 1), node(2, 1)]);
    const fresh = copy(cached);
    fresh.nodes.reverse();
    const merged = mergeSnapshot(cached, fresh);
    expect(merged.nodes).not.toBe(cached.nodes);
    expect(merged.nodes.map(n => n.id)).toEqual([2, 1]);
    expect(merged.nodes[0]).toBe(cached.nodes[1]);
  });
});

describe('changedNodes', () => {
  it('lists the entries whose objects were replaced, with their former and current objects', () => {
    const seen = [node(1, 1), node(2, 1), node(3, 1)];
    const now = seen.slice();
    now[1] = { ...seen[1], state: 'running' };
    expect(changedNodes(seen, now)).toEqual([{ before: seen[1], after: now[1] }]);
    expect(changedNodes(seen, seen.slice())).toEqual([]);
  });

  it('gives up (null) when entries came, went or moved', () => {
    const seen = [node(1, 1), node(2, 1)];
    expect(changedNodes(seen, [...seen, node(3, 1)])).toBeNull();
    expect(changedNodes(seen, [seen[0]])).toBeNull();
    expect(changedNodes(seen, [seen[1], seen[0]])).toBeNull();
  });
});

describe('refetchDelay', () => {
  it('is the settle time for small workflows and grows with size up to 5 s', () => {
    expect(refetchDelay(500, 10)).toBe(500);
    expect(refetchDelay(500, 2000)).toBe(500);
    expect(refetchDelay(500, 10000)).toBe(2500);
    expect(refetchDelay(500, 1_000_000)).toBe(5000);
    expect(refetchDelay(1, 10000)).toBe(5);
    // A settle time above the cap is kept.
    expect(refetchDelay(8000, 10000)).toBe(8000);
  });
});
