// How edges are drawn in the layered layout, so that they never run across the shape or label of a
// node they do not join. Ranks (rows top-down, columns left to right) are separated by gaps where
// no shape or label is, and an edge over several ranks has a virtual node in each rank it passes,
// which the layout keeps clear of the nodes beside it. So an edge leaves its parent along the
// layout's direction (through its own label, or beside it), and before each rank it enters it
// turns in the gap, runs across to its room in that rank (its virtual node, or at the last rank
// its child) and goes on into that rank. The view draws exactly these points (cytoscape's segment
// edges, `segmentsOf`); the tests check the same points against every shape and label.
import type { IBox } from './bands';
import type { ILayoutRequest, ILayoutResult } from './worker/layoutCore';

export interface IPoint {
  x: number;
  y: number;
}

/** Across-offsets smaller than this are drawn straight on: a jog of a pixel is noise, not routing. */
const MIN_JOG = 0.5;

/** The key of an edge's route in `edgeRoutes`' answer. */
export function routeKey(source: string, target: string): string {
  return `${source}\n${target}`;
}

/**
 * The polyline of every edge of the request, from the parent's centre to the child's centre,
 * keyed by `routeKey(parent id, child id)`.
 */
export function edgeRoutes(
  request: ILayoutRequest,
  result: Pick<ILayoutResult, 'positions' | 'ranks' | 'rankStarts' | 'bendStarts' | 'bends'>
): Map<string, IPoint[]> {
  const lr = request.rankDir === 'LR';
  const across = (p: IPoint) => (lr ? p.y : p.x);
  const at = (along: number, acrossAt: number): IPoint => (lr ? { x: along, y: acrossAt } : { x: acrossAt, y: along });
  const centre = (i: number): IPoint => ({ x: result.positions[2 * i], y: result.positions[2 * i + 1] });
  const routes = new Map<string, IPoint[]>();
  for (let k = 0; 2 * k + 1 < request.edges.length; k++) {
    const s = request.edges[2 * k];
    const t = request.edges[2 * k + 1];
    const from = centre(s);
    const to = centre(t);
    const points = [from];
    const first = result.ranks[s];
    const last = result.ranks[t];
    let current = across(from);
    for (let r = first + 1; r <= last; r++) {
      const next = r < last ? result.bends[result.bendStarts[k] + (r - first - 1)] : across(to);
      if (Math.abs(next - current) >= MIN_JOG) {
        // The middle of the gap before rank r.
        const turn = result.rankStarts[r] - request.rankSep / 2;
        points.push(at(turn, current), at(turn, next));
        current = next;
      }
    }
    points.push(to);
    routes.set(routeKey(request.ids[s], request.ids[t]), points);
  }
  return routes;
}

/**
 * A route's bends as cytoscape's segment edges take them (`edge-distances: node-position`): each
 * bend is `source + weight × (target − source) + distance × normal`, the normal being the unit
 * vector (−dy, dx) / length of the line from the source's centre to the target's.
 */
export function segmentsOf(points: readonly IPoint[]): { weights: number[]; distances: number[] } {
  const source = points[0];
  const target = points[points.length - 1];
  const dx = target.x - source.x;
  const dy = target.y - source.y;
  const length2 = dx * dx + dy * dy;
  const weights: number[] = [];
  const distances: number[] = [];
  if (length2 === 0) {
    return { weights, distances };
  }
  const length = Math.sqrt(length2);
  for (const p of points.slice(1, -1)) {
    const px = p.x - source.x;
    const py = p.y - source.y;
    weights.push((px * dx + py * dy) / length2);
    distances.push((-px * dy + py * dx) / length);
  }
  return { weights, distances };
}

/** Whether the segment a-b passes through the inside of the box (touching its border is not crossing). */
export function segmentCrossesBox(a: IPoint, b: IPoint, box: IBox): boolean {
  // Liang–Barsky clipping against the open box.
  let t0 = 0;
  let t1 = 1;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const edges: [number, number][] = [
    [-dx, a.x - box.x1],
    [dx, box.x2 - a.x],
    [-dy, a.y - box.y1],
    [dy, box.y2 - a.y]
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q <= 0) {
        return false;
      }
      continue;
    }
    const r = q / p;
    if (p < 0) {
      t0 = Math.max(t0, r);
    } else {
      t1 = Math.min(t1, r);
    }
    if (t0 >= t1) {
      return false;
    }
  }
  return true;
}
