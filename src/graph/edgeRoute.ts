// How edges are drawn in the top-down layout, so that they never run across the label of a node
// they do not join: down from the parent (through its own label), across in the free gap between
// the ranks just above the child, and down into the child. The view draws exactly this with
// cytoscape's taxi edges (turning EDGE_TURN_ABOVE_TARGET above the child's centre); the tests
// check the same route against every label box. An edge that spans several ranks goes down at
// its parent's x through the ranks between; the layout keeps room for it elsewhere in those ranks
// (its virtual nodes), which the drawn route does not follow yet, so it can still cross a label.
import type { IBox } from './bands';
import { GROUP_SIZE, RANK_SEP } from './layout';

/**
 * How far above the child's centre the edge turns: past the tallest shape's half height of the
 * child's rank, into the middle of the gap between ranks, where no shape or label is.
 */
export const EDGE_TURN_ABOVE_TARGET = GROUP_SIZE.height / 2 + RANK_SEP / 2;

export interface IPoint {
  x: number;
  y: number;
}

/** The polyline of an edge from the parent's centre to the child's centre (top-down layout). */
export function edgeRoute(source: IPoint, target: IPoint): IPoint[] {
  if (Math.abs(target.x - source.x) < 0.5) {
    return [source, target];
  }
  const turn = target.y - EDGE_TURN_ABOVE_TARGET;
  return [source, { x: source.x, y: turn }, { x: target.x, y: turn }, target];
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
