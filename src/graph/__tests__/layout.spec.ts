// The drawn graph's layout: labels wrapped and spaced so they do not overlap, columns of a width
// group on one row even when one was cut short, a cycle's iterations as successive bands.
import { buildGraph, type IGraphElements } from '../elements';
import { iterationBands } from '../bands';
import { ellipsizeMiddle, labelLines, LABEL_LINE_CHARS } from '../labels';
import {
  fitViewport,
  layoutBands,
  layoutRequestOf,
  nodeBox,
  READABLE_ZOOM,
  readableViewport,
  shownLabel,
  type IShownLabel
} from '../layout';
import { layeredLayout, placeRank } from '../worker/layoutCore';
import type { PerQueue } from '../../tokens';
import { node } from '../../__tests__/fakeBridge';
import { cycleWorkflow } from './cycleWorkflow';

function laidOut(detail: PerQueue.WorkflowDetail, collapseAbove = 100) {
  const elements = buildGraph(detail, { collapseAbove });
  const labels = new Map<string, IShownLabel>(elements.nodes.map(n => [n.id, shownLabel(n.label)]));
  const request = layoutRequestOf(elements, labels, 'TB');
  const { positions } = layeredLayout(request);
  const at = new Map(request.ids.map((id, i) => [id, { x: positions[2 * i], y: positions[2 * i + 1] }]));
  const byLabel = (label: string) => {
    const shown = elements.nodes.find(n => n.label === label);
    if (!shown) {
      throw new Error(`no node ${label}`);
    }
    return at.get(shown.id)!;
  };
  return { elements, labels, at, byLabel };
}

/** prepare -> `width` columns of (name [i] -> score [i]) -> collect; `short` columns stop after the first. */
function fanOut(width: number, name: string, short: number[] = []): PerQueue.WorkflowDetail {
  const nodes: PerQueue.Node[] = [node(1, 1, 'succeeded', { name: 'prepare', templateId: 1 })];
  const edges: PerQueue.Edge[] = [];
  for (let i = 0; i < width; i++) {
    const head = 1000 + 2 * i;
    const tail = head + 1;
    const cut = short.includes(i);
    nodes.push(node(head, 1, cut ? 'discarded' : 'succeeded', { name, templateId: 2, index: [i], groupId: 50 }));
    nodes.push(
      node(tail, 1, cut ? 'skipped' : 'succeeded', { name: 'score.py', templateId: 3, index: [i], groupId: 50 })
    );
    edges.push(
      { parent: 1, child: head, join: null },
      { parent: head, child: tail, join: null },
      { parent: tail, child: 999, join: 1 }
    );
  }
  nodes.push(node(999, 1, 'waiting', { name: 'collect', templateId: 4 }));
  return { workflow: { id: 1, name: 'fan', createdAt: 0 }, nodes, edges };
}

function overlaps(
  a: { x1: number; x2: number; y1: number; y2: number },
  b: { x1: number; x2: number; y1: number; y2: number }
): boolean {
  return a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;
}

function boxes({
  elements,
  labels,
  at
}: {
  elements: IGraphElements;
  labels: Map<string, IShownLabel>;
  at: Map<string, { x: number; y: number }>;
}) {
  return elements.nodes.map(n => nodeBox(n, labels.get(n.id), at.get(n.id)!.x, at.get(n.id)!.y));
}

describe('labels', () => {
  it('keeps short labels on one line', () => {
    expect(labelLines('relax.py [3]')).toEqual(['relax.py [3]']);
  });

  it('wraps a long name where it breaks naturally and keeps the index suffix whole', () => {
    const lines = labelLines('relax_structure_with_constraints.py [12] #3');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toBe('[12] #3');
    expect(lines[0].length).toBeLessThanOrEqual(LABEL_LINE_CHARS);
    expect(lines[0]).toContain('…');
    expect(labelLines('relax_structure_with_constraints.py')).toEqual(['relax_structure_', 'with_constraints.py']);
  });

  it('cuts what does not fit in the middle, keeping both ends', () => {
    expect(ellipsizeMiddle('abcdefghijklmnopqrstuvwxyz.py', 11)).toBe('abcde…yz.py');
    expect(labelLines('a'.repeat(60)).every(line => line.length <= LABEL_LINE_CHARS)).toBe(true);
  });
});

describe('layered layout', () => {
  it('spaces a 30-wide expanded group by its labels: no two label boxes overlap', () => {
    const graph = laidOut(fanOut(30, 'relax_structure_with_constraints.py'));
    const all = boxes(graph);
    for (let i = 0; i < all.length; i++) {
      for (let j = i + 1; j < all.length; j++) {
        expect(overlaps(all[i], all[j])).toBe(false);
      }
    }
  });

  it('keeps the columns of a width group on one row when one of them was discarded', () => {
    const detail = fanOut(5, 'relax.py', [2]);
    // The discarded column's second entry was never made.
    detail.nodes = detail.nodes.filter(n => n.id !== 1005);
    detail.edges = detail.edges.filter(e => e.child !== 1005 && e.parent !== 1005);
    detail.edges.push({ parent: 1004, child: 999, join: 1 });
    const { byLabel } = laidOut(detail);
    const ys = [0, 1, 2, 3, 4].map(i => byLabel(`relax.py [${i}]`).y);
    expect(new Set(ys).size).toBe(1);
    expect(byLabel('score.py [0]').y).toBe(byLabel('score.py [4]').y);
    expect(byLabel('collect').y).toBeGreaterThan(byLabel('score.py [0]').y);
  });

  it('stacks the iterations of a cycle as bands, in order, apart', () => {
    const graph = laidOut(cycleWorkflow(3));
    expect([...graph.elements.bands.values()].map(b => b.label)).toEqual([
      'loop · iteration 0',
      'loop · iteration 1',
      'loop · iteration 2'
    ]);
    const ys = [0, 1, 2].map(k => graph.byLabel(`select #${k}`).y);
    expect(ys[0]).toBeLessThan(ys[1]);
    expect(ys[1]).toBeLessThan(ys[2]);
    const bands = layoutBands(graph.elements, graph.labels, id => graph.at.get(id));
    const [b0, b1, b2] = ['b2.0', 'b2.1', 'b2.2'].map(key => bands.get(key)!);
    expect(b0.y2).toBeLessThan(b1.y1);
    expect(b1.y2).toBeLessThan(b2.y1);
    // The toggle closing an iteration is in its band; what follows the loop is not.
    expect(graph.byLabel('loop #1').y).toBeLessThan(b1.y2);
    expect(graph.byLabel('end').y).toBeGreaterThan(b2.y2);
  });

  it('keeps long edges from running through the nodes they pass', () => {
    const detail = fanOut(1, 'relax.py');
    detail.edges.push({ parent: 1, child: 999, join: null });
    const { byLabel } = laidOut(detail);
    expect(byLabel('relax.py [0]').x).not.toBe(byLabel('prepare').x);
  });

  it('places a rank as close to the wished positions as order and spacing allow', () => {
    const x = new Float64Array(3);
    placeRank([0, 1, 2], [0, 0, 100], [10, 10, 10], 10, x);
    expect(Array.from(x)).toEqual([-10, 10, 100]);
  });

  it('lays out 10,000 nodes in well under a second', () => {
    const graph = laidOut(fanOut(4999, 'relax.py'), 10000);
    expect(graph.at.size).toBe(10000);
    const started = performance.now();
    layeredLayout(layoutRequestOf(graph.elements, graph.labels, 'TB'));
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('iteration bands', () => {
  it('puts nested entries in every enclosing iteration, outermost first', () => {
    const nodes = [
      node(1, 1, 'succeeded', { name: 'outer', kind: 'cyclical' }),
      node(2, 1, 'succeeded', { name: 'inner', kind: 'cyclical', iteration: [1], groupId: 1 }),
      node(3, 1, 'succeeded', { name: 'fan', kind: 'dynamic_width', iteration: [1, 4], groupId: 2 }),
      node(4, 1, 'succeeded', { name: 'work', iteration: [1, 4], index: [0], groupId: 3 })
    ];
    const { bands, of } = iterationBands(nodes);
    expect(of.get(4)).toEqual(['b1.1', 'b2.4']);
    expect(of.get(1)).toBeUndefined();
    expect(bands.get('b2.4')).toMatchObject({ label: 'inner · iteration 4', depth: 1 });
  });
});

describe('first view', () => {
  const box = { x1: -1000, x2: 1000, y1: 0, y2: 200 };

  it('fits a graph that is readable when fitted', () => {
    const fitted = fitViewport({ x1: 0, x2: 200, y1: 0, y2: 100 }, 400, 300, 24, 0.05, 1.25);
    expect(fitted.zoom).toBe(1.25);
    expect(readableViewport(box, 400, fitted, 24)).toBe(fitted);
  });

  it('shows the top of a graph too wide to read when fitted, at a readable zoom', () => {
    const fitted = fitViewport(box, 400, 300, 24, 0.05, 1.25);
    expect(fitted.zoom).toBeLessThan(READABLE_ZOOM);
    const view = readableViewport(box, 400, fitted, 24);
    expect(view.zoom).toBe(READABLE_ZOOM);
    // The graph's top centre is at the top centre of the canvas.
    expect(0 * view.zoom + view.pan.x).toBe(200);
    expect(box.y1 * view.zoom + view.pan.y).toBe(24);
  });
});
