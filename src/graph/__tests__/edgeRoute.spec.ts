// Edges of the top-down layout do not run across the labels of nodes they do not join: every
// edge's route (edgeRoute.ts, what the view draws) is checked against every other node's label box.
import { buildGraph } from '../elements';
import { edgeRoute, type IPoint, segmentCrossesBox } from '../edgeRoute';
import { layoutRequestOf, shapeOf, shownLabel, type IShownLabel } from '../layout';
import { layeredLayout } from '../worker/layoutCore';
import type { PerQueue } from '../../tokens';
import { node } from '../../__tests__/fakeBridge';

/** prepare -> `width` columns of (name [i] -> score [i]) -> collect. */
function fixture(width: number, name: string): PerQueue.WorkflowDetail {
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
  return { workflow: { id: 1, name: 'fan', createdAt: 0 }, nodes, edges };
}

function crossings(detail: PerQueue.WorkflowDetail, route: (s: IPoint, t: IPoint) => IPoint[]): string[] {
  const elements = buildGraph(detail, { collapseAbove: 100 });
  const labels = new Map<string, IShownLabel>(elements.nodes.map(n => [n.id, shownLabel(n.label)]));
  const request = layoutRequestOf(elements, labels, 'TB');
  const { positions } = layeredLayout(request);
  const at = new Map(request.ids.map((id, i) => [id, { x: positions[2 * i], y: positions[2 * i + 1] }]));
  // A label's box: under its node's shape, as wide as its widest line.
  const labelBoxes = elements.nodes.map(n => {
    const p = at.get(n.id)!;
    const label = labels.get(n.id)!;
    const top = p.y + shapeOf(n).height / 2;
    return { id: n.id, box: { x1: p.x - label.width / 2, x2: p.x + label.width / 2, y1: top, y2: top + label.height } };
  });
  const out: string[] = [];
  for (const edge of elements.edges) {
    const points = route(at.get(edge.source)!, at.get(edge.target)!);
    for (const { id, box } of labelBoxes) {
      if (id === edge.source || id === edge.target) {
        continue;
      }
      for (let k = 0; k + 1 < points.length; k++) {
        if (segmentCrossesBox(points[k], points[k + 1], box)) {
          out.push(`${edge.id} crosses the label of ${id}`);
          break;
        }
      }
    }
  }
  return out;
}

describe('edge routes', () => {
  it('detect a segment through a box, not one along or beside it', () => {
    const box = { x1: 0, x2: 10, y1: 0, y2: 10 };
    expect(segmentCrossesBox({ x: -5, y: 5 }, { x: 15, y: 5 }, box)).toBe(true);
    expect(segmentCrossesBox({ x: 5, y: -5 }, { x: 5, y: 3 }, box)).toBe(true);
    expect(segmentCrossesBox({ x: -5, y: 12 }, { x: 15, y: 12 }, box)).toBe(false);
    expect(segmentCrossesBox({ x: 0, y: -5 }, { x: 0, y: 15 }, box)).toBe(false);
    expect(segmentCrossesBox({ x: -5, y: -5 }, { x: -1, y: 20 }, box)).toBe(false);
  });

  it("drawn straight from centre to centre, fan-out and fan-in edges would cross their neighbours' labels", () => {
    // What the route below avoids: the fixture is one where straight lines do cross.
    expect(crossings(fixture(8, 'relax_structure_with_constraints.py'), (s, t) => [s, t]).length).toBeGreaterThan(0);
  });

  it.each([3, 8, 30])('cross no label of a node they do not join (%i columns with long names)', width => {
    expect(crossings(fixture(width, 'relax_structure_with_constraints.py'), edgeRoute)).toEqual([]);
  });

  it('turn inside the gap between ranks, above the child', () => {
    const route = edgeRoute({ x: 0, y: 0 }, { x: 100, y: 120 });
    expect(route).toHaveLength(4);
    expect(route[1].x).toBe(0);
    expect(route[2].x).toBe(100);
    expect(route[1].y).toBe(route[2].y);
    expect(route[2].y).toBeLessThan(120);
    expect(edgeRoute({ x: 5, y: 0 }, { x: 5, y: 80 })).toHaveLength(2);
  });
});
