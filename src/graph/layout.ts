// From the drawn graph (elements.ts) to what the layout needs: each node's shape, its label's lines
// and their box, so nodes are spaced by their labels; and back, the boxes of the iteration bands
// around the laid-out nodes. Pure: text widths come from the caller (a canvas in the page,
// an estimate in tests).
import { BAND_PADDING, bandBoxes, type IBox } from './bands';
import type { IGraphElements, IGraphNode } from './elements';
import { estimateTextWidth, labelHeight, labelLines } from './labels';
import type { ILayoutRequest } from './worker/layoutCore';

/** Shapes drawn by the graph view's style, in px. */
export const ENTRY_SIZE = 26;
export const GROUP_SIZE = { width: 44, height: 30 };
const NODE_SEP = 24;
export const RANK_SEP = 48;

export interface IShownLabel {
  /** The lines joined by newlines, as cytoscape draws them. */
  text: string;
  width: number;
  height: number;
}

export function shapeOf(node: IGraphNode): { width: number; height: number } {
  return node.entryId === null ? GROUP_SIZE : { width: ENTRY_SIZE, height: ENTRY_SIZE };
}

export function shownLabel(label: string, measure: (text: string) => number = estimateTextWidth): IShownLabel {
  const lines = label ? labelLines(label) : [];
  let width = 0;
  for (const line of lines) {
    width = Math.max(width, Math.ceil(measure(line)));
  }
  return { text: lines.join('\n'), width, height: labelHeight(lines.length) };
}

/**
 * `bandLabelWidths`: the width of each iteration band's label; its entries keep that much room
 * across, so a band as narrow as one chain of entries still holds its label.
 */
export function layoutRequestOf(
  elements: IGraphElements,
  labels: ReadonlyMap<string, IShownLabel>,
  rankDir: 'TB' | 'LR',
  bandLabelWidths: ReadonlyMap<string, number> = new Map()
): ILayoutRequest {
  const index = new Map<string, number>();
  const request: ILayoutRequest = {
    ids: [],
    widths: [],
    heights: [],
    labelWidths: [],
    labelHeights: [],
    edges: [],
    rankDir,
    nodeSep: NODE_SEP,
    rankSep: RANK_SEP
  };
  elements.nodes.forEach((node, i) => {
    const shape = shapeOf(node);
    const label = labels.get(node.id);
    index.set(node.id, i);
    request.ids.push(node.id);
    request.widths.push(shape.width);
    request.heights.push(shape.height);
    let room = label?.width ?? 0;
    for (const band of node.bands) {
      room = Math.max(room, (bandLabelWidths.get(band) ?? 0) + 2 * BAND_PADDING.side);
    }
    request.labelWidths.push(room);
    request.labelHeights.push(label?.height ?? 0);
  });
  for (const edge of elements.edges) {
    const s = index.get(edge.source);
    const t = index.get(edge.target);
    if (s !== undefined && t !== undefined) {
      request.edges.push(s, t);
    }
  }
  return request;
}

/** A node's box with its label under it, centred on its shape's centre (x, y). */
export function nodeBox(node: IGraphNode, label: IShownLabel | undefined, x: number, y: number): IBox {
  const shape = shapeOf(node);
  const half = Math.max(shape.width, label?.width ?? 0) / 2;
  return { x1: x - half, x2: x + half, y1: y - shape.height / 2, y2: y + shape.height / 2 + (label?.height ?? 0) };
}

/** The iteration bands' boxes once every node has its position. */
export function layoutBands(
  elements: IGraphElements,
  labels: ReadonlyMap<string, IShownLabel>,
  position: (id: string) => { x: number; y: number } | undefined
): Map<string, IBox> {
  const members: { bands: readonly string[]; box: IBox }[] = [];
  for (const node of elements.nodes) {
    const at = node.bands.length ? position(node.id) : undefined;
    if (at) {
      members.push({ bands: node.bands, box: nodeBox(node, labels.get(node.id), at.x, at.y) });
    }
  }
  return bandBoxes(elements.bands, members);
}

/** The box around every node and band: what "fit" shows, known without asking cytoscape. */
export function graphBox(
  elements: IGraphElements,
  labels: ReadonlyMap<string, IShownLabel>,
  position: (id: string) => { x: number; y: number } | undefined,
  bands: Iterable<IBox>
): IBox | null {
  let box: IBox | null = null;
  const grow = (b: IBox) => {
    box = box
      ? {
          x1: Math.min(box.x1, b.x1),
          y1: Math.min(box.y1, b.y1),
          x2: Math.max(box.x2, b.x2),
          y2: Math.max(box.y2, b.y2)
        }
      : { ...b };
  };
  for (const node of elements.nodes) {
    const at = position(node.id);
    if (at) {
      grow(nodeBox(node, labels.get(node.id), at.x, at.y));
    }
  }
  for (const band of bands) {
    grow(band);
  }
  return box;
}

/** Zoom and pan that show `box` centred in a width × height canvas, within the zoom limits. */
export function fitViewport(
  box: IBox,
  width: number,
  height: number,
  padding: number,
  minZoom: number,
  maxZoom: number
): { zoom: number; pan: { x: number; y: number } } {
  const fits = Math.min(
    (width - 2 * padding) / Math.max(1, box.x2 - box.x1),
    (height - 2 * padding) / Math.max(1, box.y2 - box.y1)
  );
  const zoom = Math.max(minZoom, Math.min(maxZoom, fits));
  return { zoom, pan: { x: (width - (box.x1 + box.x2) * zoom) / 2, y: (height - (box.y1 + box.y2) * zoom) / 2 } };
}

/** Below this zoom the 11 px labels are too small to read. */
export const READABLE_ZOOM = 0.75;

/**
 * The first view of a laid-out graph: the fitted one when it is readable, else READABLE_ZOOM on
 * the top of the graph (where it starts), centred across.
 */
export function readableViewport(
  box: IBox,
  width: number,
  fitted: { zoom: number; pan: { x: number; y: number } },
  padding: number
): { zoom: number; pan: { x: number; y: number } } {
  if (fitted.zoom >= READABLE_ZOOM) {
    return fitted;
  }
  const zoom = READABLE_ZOOM;
  return { zoom, pan: { x: width / 2 - ((box.x1 + box.x2) / 2) * zoom, y: padding - box.y1 * zoom } };
}
