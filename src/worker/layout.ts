// Layout of large graphs off the main thread: from OFF_THREAD_LAYOUT_MIN_NODES nodes on, the
// graph's nodes and edges go to a worker running dagre, and the positions come back to be
// applied in one preset layout, so the page stays responsive while thousands of nodes are
// placed. A newer layout of the same graph makes an older pending one a no-op.
import type cytoscape from 'cytoscape';
import * as Comlink from 'comlink';

import type { ILayoutRequest } from './layoutCore';
import type { LayoutWorkerApi } from './layoutWorker';

export const OFF_THREAD_LAYOUT_MIN_NODES = 2000;

export interface IOffThreadLayoutOptions {
  rankDir: 'TB' | 'LR';
  nodeSep: number;
  rankSep: number;
  padding: number;
  /** Largest zoom after fitting. */
  maxZoom?: number;
}

let worker: Comlink.Remote<LayoutWorkerApi> | null = null;

function layoutWorker(): Comlink.Remote<LayoutWorkerApi> {
  if (!worker) {
    worker = Comlink.wrap<LayoutWorkerApi>(new Worker(new URL('./layoutWorker.js', import.meta.url), { name: 'perqueue-layout' }));
  }
  return worker;
}

const generations = new WeakMap<cytoscape.Core, number>();

/** The request for a graph: visible nodes with their drawn sizes, edges by index. */
export function layoutRequest(cy: cytoscape.Core, options: IOffThreadLayoutOptions): ILayoutRequest {
  const nodes = cy.nodes();
  const index = new Map<string, number>();
  const ids: string[] = [];
  const widths: number[] = [];
  const heights: number[] = [];
  nodes.forEach((n, i) => {
    const id = n.id();
    index.set(id, i);
    ids.push(id);
    // The node and the label under it, estimated from the label's length: measuring thousands
    // of labels would cost the main thread what the worker saves.
    const label = String(n.data('label') ?? '');
    widths.push(Math.max(n.width(), Math.min(140, label.length * 6.5)) + 4);
    heights.push(n.height() + (label ? 18 : 0));
  });
  const edges: number[] = [];
  cy.edges().forEach((e) => {
    const s = index.get(e.source().id());
    const t = index.get(e.target().id());
    if (s !== undefined && t !== undefined) {
      edges.push(s, t);
    }
  });
  return { ids, widths, heights, edges, rankDir: options.rankDir, nodeSep: options.nodeSep, rankSep: options.rankSep };
}

/**
 * Lays the graph out in the worker and applies the positions; resolves to false when a newer
 * layout (or the graph's destruction) made this one moot.
 */
export async function layoutOffThread(cy: cytoscape.Core, options: IOffThreadLayoutOptions): Promise<boolean> {
  const generation = (generations.get(cy) ?? 0) + 1;
  generations.set(cy, generation);
  const request = layoutRequest(cy, options);
  const result = await layoutWorker().layout(request);
  if (generations.get(cy) !== generation || cy.destroyed()) {
    return false;
  }
  largeGraphStyle(cy);
  const at = new Map<string, { x: number; y: number }>();
  request.ids.forEach((id, i) => at.set(id, { x: result.positions[2 * i], y: result.positions[2 * i + 1] }));
  cy.layout({
    name: 'preset',
    positions: (node: cytoscape.NodeSingular) => at.get(node.id()) ?? node.position(),
    fit: true,
    padding: options.padding,
    animate: false,
  } as cytoscape.LayoutOptions).run();
  const maxZoom = options.maxZoom ?? 1.25;
  if (cy.zoom() > maxZoom) {
    cy.zoom(maxZoom);
    cy.center();
  }
  return true;
}

/**
 * Drawing shortcuts for graphs this large, where a full redraw follows every batch of events:
 * straight edges without arrowheads (cytoscape's "haystack" edges), labels only once they are
 * readable, and a cached texture while panning or zooming.
 */
export function largeGraphStyle(cy: cytoscape.Core): void {
  cy.style()
    .selector('edge')
    .style({ 'curve-style': 'haystack', 'haystack-radius': 0, 'target-arrow-shape': 'none' })
    .selector('node')
    .style({ 'min-zoomed-font-size': 9 })
    .update();
  const renderer = (cy as unknown as { renderer(): { options?: Record<string, unknown> } }).renderer?.();
  if (renderer?.options) {
    renderer.options.textureOnViewport = true;
    renderer.options.hideEdgesOnViewport = true;
  }
}
