// Layered layout of a plain node/edge list: what the graph view runs, on the main thread for
// small graphs and in the layout worker for large ones. Pure, so it is timed and tested on its
// own. A workflow reads top-down, so:
//  - ranks are longest paths from the sources: every node sits right below its deepest parent,
//    so columns of a width group start on one row even when one of them was cut short (a
//    discarded entry), and iteration k of a cycle is below all of iteration k - 1;
//  - edges over several ranks get virtual nodes, so they keep room between the nodes they pass;
//    where those virtual nodes sit is returned, so the drawn edge can run through that room
//    (edgeRoute.ts);
//  - each rank is ordered by barycentre sweeps (down, up, down);
//  - across a rank, nodes keep the width of their label and are placed as close to the mean of
//    their parents (then children) as their order and spacing allow: an exact least-squares
//    fit per rank (pool-adjacent-violators), linear in the rank's size.
// Every step is linear or n log n, so 10,000 nodes take tens of milliseconds.

export interface ILayoutRequest {
  /** Node ids; the arrays below are in the same order. */
  ids: string[];
  /** The node's shape. */
  widths: number[];
  heights: number[];
  /** The label's box, drawn under the shape (0 × 0 without a label). */
  labelWidths: number[];
  labelHeights: number[];
  /** Edges as index pairs into `ids`: [source0, target0, source1, target1, ...]. */
  edges: number[];
  rankDir: 'TB' | 'LR';
  nodeSep: number;
  rankSep: number;
}

export interface ILayoutResult {
  /** Centre of each node's shape, in the order of `ids`: [x0, y0, x1, y1, ...]. */
  positions: Float64Array;
  /** Each node's rank (its row top-down, its column left to right), in the order of `ids`. */
  ranks: Int32Array;
  /** Where each rank begins along the layout's direction (its top, or its left side). */
  rankStarts: Float64Array;
  /**
   * The room kept for edges over several ranks: for the request's edge k, the across-coordinate
   * (x top-down, y left to right) of its virtual node in each rank it passes, in rank order, are
   * `bends[bendStarts[k]]` up to (not including) `bends[bendStarts[k + 1]]`.
   */
  bendStarts: Int32Array;
  bends: Float64Array;
  /** Time spent laying out, for the bench. */
  ms: number;
}

export function layeredLayout(request: ILayoutRequest): ILayoutResult {
  const started = performance.now();
  const result = layered(request);
  return { ...result, ms: performance.now() - started };
}

/** Longest-path rank of each node; nodes on a cycle (none in a workflow) keep what they reached. */
export function longestPathRanks(n: number, edges: readonly number[]): Int32Array {
  const children: number[][] = Array.from({ length: n }, () => []);
  const indegree = new Int32Array(n);
  for (let i = 0; i + 1 < edges.length; i += 2) {
    if (edges[i] !== edges[i + 1]) {
      children[edges[i]].push(edges[i + 1]);
      indegree[edges[i + 1]]++;
    }
  }
  const rank = new Int32Array(n);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) {
    if (indegree[i] === 0) {
      queue.push(i);
    }
  }
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head];
    for (const c of children[v]) {
      rank[c] = Math.max(rank[c], rank[v] + 1);
      if (--indegree[c] === 0) {
        queue.push(c);
      }
    }
  }
  return rank;
}

function layered(request: ILayoutRequest): Omit<ILayoutResult, 'ms'> {
  const n = request.ids.length;
  const lr = request.rankDir === 'LR';
  const rank = Array.from(longestPathRanks(n, request.edges));
  // Sizes across a rank and along the layout's direction; virtual nodes are thin.
  const across: number[] = [];
  const along: number[] = [];
  const centreAlong: number[] = [];
  for (let i = 0; i < n; i++) {
    const w = request.widths[i];
    const h = request.heights[i];
    const lw = request.labelWidths[i];
    const lh = request.labelHeights[i];
    across.push(lr ? h + lh : Math.max(w, lw));
    along.push(lr ? Math.max(w, lw) : h + lh);
    centreAlong.push(lr ? Math.max(w, lw) / 2 : h / 2);
  }
  const up: number[][] = Array.from({ length: n }, () => []);
  const down: number[][] = Array.from({ length: n }, () => []);
  const link = (s: number, t: number) => {
    down[s].push(t);
    up[t].push(s);
  };
  const edgeCount = Math.floor(request.edges.length / 2);
  // The virtual nodes of edge k are virtualOf[virtualStarts[k]] ... (filled in rank order).
  const virtualStarts = new Int32Array(edgeCount + 1);
  const virtualOf: number[] = [];
  for (let k = 0; k < edgeCount; k++) {
    const s = request.edges[2 * k];
    const t = request.edges[2 * k + 1];
    virtualStarts[k] = virtualOf.length;
    if (rank[t] <= rank[s]) {
      continue;
    }
    let from = s;
    for (let r = rank[s] + 1; r < rank[t]; r++) {
      const v = rank.length;
      virtualOf.push(v);
      rank.push(r);
      across.push(2);
      along.push(0);
      centreAlong.push(0);
      up.push([]);
      down.push([]);
      link(from, v);
      from = v;
    }
    link(from, t);
  }
  virtualStarts[edgeCount] = virtualOf.length;
  const total = rank.length;
  let ranks = 0;
  for (let v = 0; v < total; v++) {
    ranks = Math.max(ranks, rank[v] + 1);
  }
  const layers: number[][] = Array.from({ length: ranks }, () => []);
  for (let v = 0; v < total; v++) {
    layers[rank[v]].push(v);
  }

  // Order within ranks.
  const where = new Float64Array(total);
  const number = (layer: number[]) => layer.forEach((v, k) => (where[v] = (k + 0.5) / layer.length));
  layers.forEach(number);
  const orderBy = (layer: number[], neighbours: number[][]) => {
    const key = new Map<number, number>();
    for (const v of layer) {
      const ns = neighbours[v];
      key.set(v, ns.length ? ns.reduce((sum, u) => sum + where[u], 0) / ns.length : where[v]);
    }
    layer.sort((a, b) => key.get(a)! - key.get(b)! || where[a] - where[b]);
    number(layer);
  };
  for (const layer of layers) {
    orderBy(layer, up);
  }
  for (let r = ranks - 2; r >= 0; r--) {
    orderBy(layers[r], down);
  }
  for (let r = 1; r < ranks; r++) {
    orderBy(layers[r], up);
  }

  // Across: packed and centred, then pulled towards parents, children, parents.
  const x = new Float64Array(total);
  for (const layer of layers) {
    const desired = layer.map(() => 0);
    placeRank(layer, desired, across, request.nodeSep, x);
  }
  const pull = (layer: number[], neighbours: number[][]) => {
    const desired = layer.map(v => {
      const ns = neighbours[v];
      return ns.length ? ns.reduce((sum, u) => sum + x[u], 0) / ns.length : x[v];
    });
    placeRank(layer, desired, across, request.nodeSep, x);
  };
  for (let r = 1; r < ranks; r++) {
    pull(layers[r], up);
  }
  for (let r = ranks - 2; r >= 0; r--) {
    pull(layers[r], down);
  }
  for (let r = 1; r < ranks; r++) {
    pull(layers[r], up);
  }

  // Along: one line per rank, through the centres of its shapes.
  const positions = new Float64Array(n * 2);
  const rankStarts = new Float64Array(ranks);
  let offset = 0;
  layers.forEach((layer, r) => {
    let centre = 0;
    for (const v of layer) {
      centre = Math.max(centre, centreAlong[v]);
    }
    // A node whose shape is smaller than the rank's largest starts lower, so its label ends lower.
    let thickness = 0;
    for (const v of layer) {
      thickness = Math.max(thickness, centre - centreAlong[v] + along[v]);
    }
    rankStarts[r] = offset;
    for (const v of layer) {
      if (v < n) {
        positions[2 * v] = lr ? offset + centre : x[v];
        positions[2 * v + 1] = lr ? x[v] : offset + centre;
      }
    }
    offset += thickness + request.rankSep;
  });
  const bends = new Float64Array(virtualOf.length);
  virtualOf.forEach((v, i) => (bends[i] = x[v]));
  return { positions, ranks: Int32Array.from(rank.slice(0, n)), rankStarts, bendStarts: virtualStarts, bends };
}

/**
 * Places one rank: as close (least squares) to `desired` as keeping the order and at least
 * `sep` between neighbours allows. With c_j the packed offset of node j from the first, the
 * positions are c_j + the mean of (desired - c) over the block of nodes pushed together.
 */
export function placeRank(
  layer: readonly number[],
  desired: readonly number[],
  size: readonly number[],
  sep: number,
  x: Float64Array
): void {
  const m = layer.length;
  const c = new Float64Array(m);
  for (let j = 1; j < m; j++) {
    c[j] = c[j - 1] + (size[layer[j - 1]] + size[layer[j]]) / 2 + sep;
  }
  const starts: number[] = [];
  const sums: number[] = [];
  const counts: number[] = [];
  for (let j = 0; j < m; j++) {
    starts.push(j);
    sums.push(desired[j] - c[j]);
    counts.push(1);
    while (sums.length > 1) {
      const b = sums.length - 1;
      if (sums[b - 1] / counts[b - 1] <= sums[b] / counts[b]) {
        break;
      }
      sums[b - 1] += sums[b];
      counts[b - 1] += counts[b];
      sums.pop();
      counts.pop();
      starts.pop();
    }
  }
  for (let b = 0; b < starts.length; b++) {
    const end = b + 1 < starts.length ? starts[b + 1] : m;
    const mean = sums[b] / counts[b];
    for (let j = starts[b]; j < end; j++) {
      x[layer[j]] = mean + c[j];
    }
  }
}
