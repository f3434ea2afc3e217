// The layout worker: layoutCore.ts runs here, off the main thread, and positions go back through
// comlink as one transferred array. It holds no state between calls.
import * as Comlink from 'comlink';

import { layeredLayout, type ILayoutRequest, type ILayoutResult } from './layoutCore';

export const layoutWorkerApi = {
  layout(request: ILayoutRequest): ILayoutResult {
    const result = layeredLayout(request);
    return Comlink.transfer(result, [result.positions.buffer as ArrayBuffer]);
  }
};

export type LayoutWorkerApi = typeof layoutWorkerApi;

Comlink.expose(layoutWorkerApi);
