// Edges of the layered layout do not run across the shapes or labels of nodes they do not join:
// every edge's route (edgeRoute.ts, turned into cytoscape's segment bends and back, as the view
// draws it) is checked against every other node's shape and label box, top-down and left to
// right, in graphs where an edge skips ranks: a node feeding its child and its grandchild, a
// diamond, a switch's branch joining what runs beside it, collapsed width groups and cycles.
// Each fixture is also checked with the routes drawn before (down at the parent's x and across
// above the child top-down, straight left to right), which do cross, so the checks can fail.
import { buildGraph } from '../elements';
import { edgeRoutes, type IPoint, routeKey, segmentCrossesBox, segmentsOf } from '../edgeRoute';
import { GROUP_SIZE, layoutRequestOf, RANK_SEP, shapeOf, shownLabel, type IShownLabel } from '../layout';
import { layeredLayout } from '../worker/layoutCore';
import type { IBox } from '../bands';
import type { PerQueue } from '../../tokens';
import { node } from '../../__tests__/fakeBridge';
import { toggleNode } from './cycleWorkflow';

type Direction = 'TB' | 'LR';
type Route = (source: IPoint, target: IPoint, computed: IPoint[]) => IPoint[];

const LONG = 'relax_structure_with_constraints.py';

function workflow(name: string, nodes: PerQueue.Node[], edges: [number, number][]): PerQueue.WorkflowDetail {
  return {
    workflow: { id: 1, name, createdAt: 0 },
    nodes,
    edges: edges.map(([parent, child]) => ({ parent, child, join: null }))
  };
}

/** prepare -> `width` columns of (name [i] -> score [i]) -> collect; with `direct`, prepare -> collect too. */
function fan(width: number, name: string, direct = false): PerQueue.WorkflowDetail {
  const nodes: PerQueue.Node[] = [node(1, 1, 'succeeded', { name: 'prepare_the_structures.py', templateId: 1 })];
  const edges: PerQueue.Edge[] = [];
  for (let i = 0; i < width; i++) {
    const head = 1000 + 2 * i;
    nodes.push(node(head, 1, 'succeeded', { name, templateId: 2, index: [i], groupId: 50 }));
    nodes.push(
      node(head + 1, 1, 'succeeded', { name: 'score_the_relaxed_structure.py', templateId: 3, index: [i], groupId: 50 })
    );
    edges.push(
      { parent: 1, child: head, join: null },
      { parent: head, child: head + 1, join: null },
      { parent: head + 1, child: 999, join: 1 }
    );
  }
  nodes.push(node(999, 1, 'waiting', { name: 'collect_the_energies.py', templateId: 4 }));
  if (direct) {
    edges.push({ parent: 1, child: 999, join: null });
  }
  return { workflow: { id: 1, name: 'fan', createdAt: 0 }, nodes, edges };
}

/** A node feeding its child and its grandchild. */
function childAndGrandchild(): PerQueue.WorkflowDetail {
  return workflow(
    'grandchild',
    [
      node(1, 1, 'succeeded', { name: 'prepare.py' }),
      node(2, 1, 'succeeded', { name: LONG }),
      node(3, 1, 'waiting', { name: 'analyse_the_results.py' })
    ],
    [
      [1, 2],
      [2, 3],
      [1, 3]
    ]
  );
}

/** top -> (left, right) -> bottom, and top -> bottom: the bottom needs the raw input too. */
function diamond(): PerQueue.WorkflowDetail {
  return workflow(
    'diamond',
    [
      node(1, 1, 'succeeded', { name: 'fetch_the_input.py' }),
      node(2, 1, 'succeeded', { name: 'relax_the_left_half.py' }),
      node(3, 1, 'succeeded', { name: 'relax_the_right_half.py' }),
      node(4, 1, 'waiting', { name: 'compare_both_halves.py' })
    ],
    [
      [1, 2],
      [1, 3],
      [2, 4],
      [3, 4],
      [1, 4]
    ]
  );
}

/**
 * prepare -> the switch `pick` -> its chosen branch (relax_fast -> score_fast) -> report, with
 * prepare -> baseline -> report beside it and prepare -> report: the branch joins the rest.
 */
function switchJoin(): PerQueue.WorkflowDetail {
  return workflow(
    'switch',
    [
      node(1, 1, 'succeeded', { name: 'prepare_the_inputs.py' }),
      node(2, 1, 'succeeded', { name: 'pick_the_method', kind: 'switch' }),
      node(3, 1, 'succeeded', { name: 'relax_with_the_fast_method.py', groupId: 2 }),
      node(4, 1, 'running', { name: 'score_the_fast_relaxation.py', groupId: 2 }),
      node(5, 1, 'succeeded', { name: 'compute_the_baseline.py' }),
      node(6, 1, 'waiting', { name: 'write_the_report.py' })
    ],
    [
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 6],
      [1, 5],
      [5, 6],
      [1, 6]
    ]
  );
}

/** start -> CyclicalGroup `optimise_the_geometry` of (step -> check) run 3 times -> end, and start -> end. */
function cycleAndDirect(): PerQueue.WorkflowDetail {
  const nodes: PerQueue.Node[] = [
    node(1, 1, 'succeeded', { name: 'start.py' }),
    node(2, 1, 'succeeded', { name: 'optimise_the_geometry', kind: 'cyclical', templateId: 2 })
  ];
  const edges: [number, number][] = [[1, 2]];
  let gate = 2;
  for (let k = 0; k < 3; k++) {
    const base = 10 * (k + 1);
    nodes.push(node(base, 1, 'succeeded', { name: 'step.py', templateId: 3, iteration: [k], groupId: 2 }));
    nodes.push(node(base + 1, 1, 'succeeded', { name: 'check.py', templateId: 4, iteration: [k], groupId: 2 }));
    nodes.push(toggleNode(base + 2, `optimise_the_geometry #${k}`, k));
    edges.push([gate, base], [base, base + 1], [base + 1, base + 2]);
    gate = base + 2;
  }
  nodes.push(node(999, 1, 'waiting', { name: 'summarise_the_run.py' }));
  edges.push([gate, 999], [1, 999]);
  return workflow('cycle', nodes, edges);
}

/** A reproducible pseudo-random sequence in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` entries with names of random length, each with one to three earlier entries as parents. */
function randomDag(seed: number, n: number): PerQueue.WorkflowDetail {
  const next = random(seed);
  const nodes: PerQueue.Node[] = [];
  const edges: [number, number][] = [];
  for (let i = 1; i <= n; i++) {
    nodes.push(node(i, 1, 'succeeded', { name: `t${i}_${'x'.repeat(Math.floor(next() * 40))}.py` }));
    if (i > 1) {
      const parents = new Set<number>();
      const count = 1 + Math.floor(next() * 3);
      for (let p = 0; p < count; p++) {
        parents.add(1 + Math.floor(next() * (i - 1)));
      }
      for (const p of parents) {
        edges.push([p, i]);
      }
    }
  }
  return workflow(`random ${seed}`, nodes, edges);
}

function laidOut(detail: PerQueue.WorkflowDetail, direction: Direction, options: Parameters<typeof buildGraph>[1]) {
  const elements = buildGraph(detail, options);
  const labels = new Map<string, IShownLabel>(elements.nodes.map(n => [n.id, shownLabel(n.label)]));
  const request = layoutRequestOf(elements, labels, direction);
  const result = layeredLayout(request);
  const at = new Map(request.ids.map((id, i) => [id, { x: result.positions[2 * i], y: result.positions[2 * i + 1] }]));
  return { elements, labels, at, routes: edgeRoutes(request, result) };
}

/** What cytoscape draws for a route handed over as segment bends (edge-distances: node-position). */
function drawn(route: IPoint[]): IPoint[] {
  const source = route[0];
  const target = route[route.length - 1];
  const dx = target.x - source.x;
  const dy = target.y - source.y;
  const length = Math.hypot(dx, dy);
  const { weights, distances } = segmentsOf(route);
  const bends = weights.map((w, i) => ({
    x: source.x + w * dx + (distances[i] * -dy) / length,
    y: source.y + w * dy + (distances[i] * dx) / length
  }));
  return [source, ...bends, target];
}

/** The routes drawn before: top-down, down at the parent's x and across above the child; else straight. */
function oldRoute(direction: Direction): Route {
  return (source, target) => {
    if (direction === 'LR' || Math.abs(target.x - source.x) < 0.5) {
      return [source, target];
    }
    const turn = target.y - (GROUP_SIZE.height / 2 + RANK_SEP / 2);
    return [source, { x: source.x, y: turn }, { x: target.x, y: turn }, target];
  };
}

const newRoute: Route = (_source, _target, computed) => drawn(computed);

/** Every "edge crosses the shape/label of node" found, drawing each edge with `route`. */
function crossings(graph: ReturnType<typeof laidOut>, route: Route): string[] {
  const { elements, labels, at, routes } = graph;
  const boxes: { id: string; what: string; box: IBox }[] = [];
  for (const n of elements.nodes) {
    const p = at.get(n.id)!;
    const shape = shapeOf(n);
    const label = labels.get(n.id)!;
    const top = p.y + shape.height / 2;
    boxes.push({
      id: n.id,
      what: 'shape',
      box: { x1: p.x - shape.width / 2, x2: p.x + shape.width / 2, y1: p.y - shape.height / 2, y2: top }
    });
    boxes.push({
      id: n.id,
      what: 'label',
      box: { x1: p.x - label.width / 2, x2: p.x + label.width / 2, y1: top, y2: top + label.height }
    });
  }
  const out: string[] = [];
  for (const edge of elements.edges) {
    const computed = routes.get(routeKey(edge.source, edge.target));
    expect(computed).toBeDefined();
    const points = route(at.get(edge.source)!, at.get(edge.target)!, computed!);
    for (const { id, what, box } of boxes) {
      if (id === edge.source || id === edge.target) {
        continue;
      }
      for (let k = 0; k + 1 < points.length; k++) {
        if (segmentCrossesBox(points[k], points[k + 1], box)) {
          out.push(`${edge.id} crosses the ${what} of ${id}`);
          break;
        }
      }
    }
  }
  return out;
}

const skipping: [string, () => PerQueue.WorkflowDetail, Parameters<typeof buildGraph>[1]][] = [
  ['a node feeding its child and its grandchild', childAndGrandchild, {}],
  ['a diamond whose top also feeds its bottom', diamond, {}],
  ["a switch's branch joining the entries beside it", switchJoin, {}],
  ['expanded columns skipped by an edge', () => fan(8, LONG, true), { collapseAbove: 100 }],
  ['collapsed width groups skipped by an edge', () => fan(8, LONG, true), { collapseAbove: 4 }],
  ['a collapsed cycle skipped by an edge', cycleAndDirect, { overrides: new Map([['c2', true]]) }],
  ['an expanded cycle skipped by an edge', cycleAndDirect, {}]
];

describe('edge routes', () => {
  it('detect a segment through a box, not one along or beside it', () => {
    const box = { x1: 0, x2: 10, y1: 0, y2: 10 };
    expect(segmentCrossesBox({ x: -5, y: 5 }, { x: 15, y: 5 }, box)).toBe(true);
    expect(segmentCrossesBox({ x: 5, y: -5 }, { x: 5, y: 3 }, box)).toBe(true);
    expect(segmentCrossesBox({ x: -5, y: 12 }, { x: 15, y: 12 }, box)).toBe(false);
    expect(segmentCrossesBox({ x: 0, y: -5 }, { x: 0, y: 15 }, box)).toBe(false);
    expect(segmentCrossesBox({ x: -5, y: -5 }, { x: -1, y: 20 }, box)).toBe(false);
  });

  it('hand cytoscape bends that it draws at the routed points', () => {
    const route = [
      { x: 10, y: 0 },
      { x: 10, y: 40 },
      { x: 90, y: 40 },
      { x: 90, y: 160 },
      { x: -30, y: 160 },
      { x: -30, y: 200 }
    ];
    const back = drawn(route);
    expect(back).toHaveLength(route.length);
    back.forEach((p, i) => {
      expect(p.x).toBeCloseTo(route[i].x, 9);
      expect(p.y).toBeCloseTo(route[i].y, 9);
    });
    expect(segmentsOf([route[0], route[5]])).toEqual({ weights: [], distances: [] });
  });

  it("drawn straight from centre to centre, fan-out and fan-in edges would cross their neighbours' labels", () => {
    const graph = laidOut(fan(8, LONG), 'TB', { collapseAbove: 100 });
    expect(crossings(graph, (s, t) => [s, t]).length).toBeGreaterThan(0);
  });

  it.each([3, 8, 30])('cross no label of a node they do not join (%i columns with long names)', width => {
    expect(crossings(laidOut(fan(width, LONG), 'TB', { collapseAbove: 100 }), newRoute)).toEqual([]);
  });

  describe.each(['TB', 'LR'] as Direction[])('over ranks they skip (%s)', direction => {
    it.each(skipping)('cross nothing they do not join: %s', (_what, make, options) => {
      const graph = laidOut(make(), direction, options);
      expect(crossings(graph, newRoute)).toEqual([]);
    });

    it.each(skipping)('where the routes drawn before cross a node: %s', (_what, make, options) => {
      const graph = laidOut(make(), direction, options);
      expect(crossings(graph, oldRoute(direction))).not.toEqual([]);
    });

    it.each([1, 2, 3, 4, 5, 6, 7, 8])('cross nothing they do not join in random graph %i', seed => {
      expect(crossings(laidOut(randomDag(seed, 40), direction, {}), newRoute)).toEqual([]);
    });
  });

  it('run straight and at right angles: down, across in a gap, down (top-down)', () => {
    const graph = laidOut(childAndGrandchild(), 'TB', {});
    const route = graph.routes.get(routeKey('e1', 'e3'))!;
    // Two turns: into the room kept beside the child, then back above the grandchild.
    expect(route).toHaveLength(6);
    for (let k = 0; k + 1 < route.length; k++) {
      const horizontal = route[k].y === route[k + 1].y;
      const vertical = route[k].x === route[k + 1].x;
      expect(horizontal || vertical).toBe(true);
    }
    const child = graph.at.get('e2')!;
    // The first turn is above the child's row, the second below it.
    expect(route[1].y).toBeLessThan(child.y - 13);
    expect(route[3].y).toBeGreaterThan(child.y);
  });

  it('run across, then along a gap, then across (left to right)', () => {
    const graph = laidOut(childAndGrandchild(), 'LR', {});
    const route = graph.routes.get(routeKey('e1', 'e3'))!;
    expect(route.length).toBeGreaterThan(2);
    // Leaves the parent to the right at its height.
    expect(route[1].y).toBe(route[0].y);
    expect(route[1].x).toBeGreaterThan(route[0].x);
  });
});
