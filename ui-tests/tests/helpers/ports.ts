// A TCP port for a server a UI test starts itself (Jupyter Notebook 7, scripts/start.sh), free
// right now, so that it never meets the suite's own Jupyter or another checkout's.
import { createServer, type AddressInfo } from 'net';

export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => ok(port));
    });
  });
}
