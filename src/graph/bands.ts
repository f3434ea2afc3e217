// The iterations of a cyclical group, drawn as bands: every entry made for iteration k of a
// cycle (its body, nested groups and the toggle that closes the iteration) belongs to that
// cycle's band k. The layout puts iteration k below k - 1; the bands make that read as rows,
// each labelled with its iteration. Pure: which band holds which node, and the boxes around them.
import type { PerQueue } from '../tokens';

export interface IIterationBand {
  /** `b<cycle id>.<iteration>` */
  key: string;
  cycleId: number;
  iteration: number;
  label: string;
  /** 0 for a cycle at top level, 1 for a cycle inside another cycle's body, ... */
  depth: number;
}

export interface IBox {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** Room inside a band around its entries: the top holds the band's label. */
export const BAND_PADDING = { top: 26, side: 10, bottom: 6 };
/** Nested bands sit this much inside the band that holds them. */
const BAND_NESTING_INSET = 6;

/** The bands of every node, outermost first (nodes outside cycles have none). */
export function iterationBands(nodes: readonly PerQueue.Node[]): {
  bands: Map<string, IIterationBand>;
  of: Map<number, string[]>;
} {
  const byId = new Map(nodes.map(n => [n.id, n]));
  const bands = new Map<string, IIterationBand>();
  const of = new Map<number, string[]>();
  for (const node of nodes) {
    const keys: string[] = [];
    const seen = new Set<number>();
    let parent = node.groupId === undefined || node.groupId === null ? undefined : byId.get(node.groupId);
    while (parent && !seen.has(parent.id)) {
      seen.add(parent.id);
      if (parent.kind === 'cyclical') {
        const depth = (parent.iteration ?? []).length;
        const iteration = (node.iteration ?? [])[depth];
        if (iteration !== undefined) {
          const key = `b${parent.id}.${iteration}`;
          if (!bands.has(key)) {
            bands.set(key, {
              key,
              cycleId: parent.id,
              iteration,
              label: `${parent.name} · iteration ${iteration}`,
              depth
            });
          }
          keys.unshift(key);
        }
      }
      parent = parent.groupId === undefined || parent.groupId === null ? undefined : byId.get(parent.groupId);
    }
    if (keys.length) {
      of.set(node.id, keys);
    }
  }
  return { bands, of };
}

/**
 * The box of each band around its members' boxes (node and label), padded; a band nested in
 * another gets less room, so the outer one shows around it.
 */
export function bandBoxes(
  bands: ReadonlyMap<string, IIterationBand>,
  members: Iterable<{ bands: readonly string[]; box: IBox }>
): Map<string, IBox> {
  const boxes = new Map<string, IBox>();
  let deepest = 0;
  for (const band of bands.values()) {
    deepest = Math.max(deepest, band.depth);
  }
  for (const member of members) {
    for (const key of member.bands) {
      const box = boxes.get(key);
      if (!box) {
        boxes.set(key, { ...member.box });
      } else {
        box.x1 = Math.min(box.x1, member.box.x1);
        box.y1 = Math.min(box.y1, member.box.y1);
        box.x2 = Math.max(box.x2, member.box.x2);
        box.y2 = Math.max(box.y2, member.box.y2);
      }
    }
  }
  for (const [key, box] of boxes) {
    const band = bands.get(key);
    const extra = (deepest - (band?.depth ?? 0)) * BAND_NESTING_INSET;
    box.x1 -= BAND_PADDING.side + extra;
    box.x2 += BAND_PADDING.side + extra;
    // The outer band's label needs a line of its own above the inner band's.
    box.y1 -= BAND_PADDING.top + extra * 3;
    box.y2 += BAND_PADDING.bottom + extra;
  }
  return boxes;
}
