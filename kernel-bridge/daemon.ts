// The bridge daemon of one project folder: opens the store, runs the manager and serves the
// API on a 0600 Unix socket and on loopback with a random token. A lock file keeps it single.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import type { Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { createApiServer, API_VERSION } from './api/server.js';
import { isAlive } from './executors/local.js';
import { Manager } from './manager/manager.js';
import { initProject, makePrivateFile, tightenProject, type ProjectPaths } from './project.js';
import { Store } from './store/store.js';
import { VERSION } from './version.js';

export interface ConnectionInfo {
  pid: number;
  version: string;
  apiVersion: number;
  socket: string;
  port: number;
  token: string;
}

/** Take the project's daemon lock, or say who holds it. */
function takeLock(paths: ProjectPaths): void {
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(paths.lock, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`a bridge already runs for ${paths.root} (pid ${pid})`);
      }
      unlinkSync(paths.lock); // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock ${paths.lock}`);
}

export async function runDaemon(root: string): Promise<void> {
  const paths = initProject(root);
  takeLock(paths);
  const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  // The database is made private before SQLite creates it: its -wal and -shm take its mode.
  closeSync(makePrivateFile(paths.db));
  const store = new Store(paths.db, { onWarning: log });
  tightenProject(paths);
  const manager = new Manager({
    paths,
    store,
    localCores: Number(process.env.PQ_LOCAL_CORES) || availableParallelism(),
    defaultPython: process.env.PQ_PYTHON || 'python3',
    log,
  });
  manager.start();
  const token = randomBytes(24).toString('hex');
  const servers: Server[] = [];
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    manager.close();
    for (const s of servers) s.close();
    for (const f of [paths.connection, paths.socket]) if (existsSync(f)) unlinkSync(f);
    store.close();
    if (existsSync(paths.lock)) unlinkSync(paths.lock);
    log('bridge stopped');
    process.exit(0);
  };
  let port: number | null = null;
  // One server per listener: only the Unix socket's is trusted without the token.
  const make = (trustedListener: boolean) =>
    createApiServer({ manager, store, version: VERSION, token, shutdown, trustedListener, port: () => port, log });
  if (existsSync(paths.socket)) unlinkSync(paths.socket);
  const unixServer = make(true);
  await new Promise<void>((ok) => unixServer.listen(paths.socket, ok));
  chmodSync(paths.socket, 0o600);
  const tcpServer = make(false);
  await new Promise<void>((ok) => tcpServer.listen(0, '127.0.0.1', ok));
  servers.push(unixServer, tcpServer);
  port = (tcpServer.address() as { port: number }).port;
  const info: ConnectionInfo = { pid: process.pid, version: VERSION, apiVersion: API_VERSION, socket: paths.socket, port, token };
  writeFileSync(`${paths.connection}.tmp`, JSON.stringify(info), { mode: 0o600 });
  chmodSync(`${paths.connection}.tmp`, 0o600);
  const { renameSync } = await import('node:fs');
  renameSync(`${paths.connection}.tmp`, paths.connection);
  tightenProject(paths); // the -shm and -wal files SQLite has made by now
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  log(`bridge ${VERSION} for ${paths.root}: pid ${process.pid}, socket ${paths.socket}, port ${port}`);
}
