// The layout worker: layoutCore.ts runs here, off the main thread, and positions go back through
// comlink as transferred arrays. It holds no state between calls.
import * as Comlink from 'comlink';

import { layeredLayout, type ILayoutRequest, type ILayoutResult } from './layoutCore';

export const layoutWorkerApi = {
  layout(request: ILayoutRequest): ILayoutResult {
    const result = layeredLayout(request);
    const buffers = [result.positions, result.ranks, result.rankStarts, result.bendStarts, result.bends].map(
      array => array.buffer as ArrayBuffer
    );
    return Comlink.transfer(result, buffers);
  }
};

export type LayoutWorkerApi = typeof layoutWorkerApi;

Comlink.expose(layoutWorkerApi);
