// Layout of large graphs off the main thread: from OFF_THREAD_LAYOUT_MIN_NODES nodes on, the
// layout request goes to a worker and the positions come back as transferred arrays, so the
// page stays responsive while thousands of nodes are placed. Smaller graphs are laid out in
// place (layoutCore.ts is fast enough; a worker's round trip would cost more).
import * as Comlink from 'comlink';

import type { ILayoutRequest, ILayoutResult } from './layoutCore';
import type { LayoutWorkerApi } from './layoutWorker';

export const OFF_THREAD_LAYOUT_MIN_NODES = 2000;

let worker: Comlink.Remote<LayoutWorkerApi> | null = null;

function layoutWorker(): Comlink.Remote<LayoutWorkerApi> {
  if (!worker) {
    worker = Comlink.wrap<LayoutWorkerApi>(
      new Worker(new URL('./layoutWorker.js', import.meta.url), { name: 'perqueue-layout' })
    );
  }
  return worker;
}

export function layoutOffThread(request: ILayoutRequest): Promise<ILayoutResult> {
  return layoutWorker().layout(request);
}
