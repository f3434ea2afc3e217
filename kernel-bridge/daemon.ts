// The bridge daemon of one project folder: opens the store, runs the manager and serves the
// API on a 0600 Unix socket and on loopback with a random token. A kernel-held lock keeps it
// single (daemon-lock.ts). It refuses a store it must not trust (startup-checks.ts), pauses on
// a full disk and resumes when space returns, and stops, saying why, when its folder is deleted
// or its database can no longer be written.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, renameSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { createApiServer, API_VERSION, type StorageStatus } from './api/server.js';
import { LockHeld, takeProjectLock, type ProjectLock } from './daemon-lock.js';
import { Manager } from './manager/manager.js';
import { initProject, tightenProject, type ProjectPaths } from './project.js';
import { ProjectWatch } from './project-watch.js';
import { StorageFault } from './store/faults.js';
import { openCheckedStore, StoreRefused } from './store/startup-checks.js';
import type { Store } from './store/store.js';
import { VERSION } from './version.js';

export interface ConnectionInfo {
  pid: number;
  version: string;
  apiVersion: number;
  socket: string;
  port: number;
  token: string;
}

/** Exit code of a daemon that refused to start (the CLI shows the log line that says why). */
export const REFUSED_EXIT = 78;
/** Free space a full disk must have again before the bridge resumes (so it does not flap). */
const RESUME_FREE_BYTES = 4 << 20;

const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);

export async function runDaemon(root: string): Promise<void> {
  // The log is on the project's disk: when that disk is full a line is lost, not the bridge
  // (an unheard 'error' would end the process). The API names the full disk meanwhile.
  process.stderr.on('error', () => {});
  let paths: ProjectPaths;
  let lock: ProjectLock;
  let store: Store;
  // Set before the store exists: a fault while opening it is reported by the refusal itself.
  let onFault: (fault: StorageFault) => void = () => {};
  try {
    paths = initProject(root);
    lock = await takeProjectLock(paths);
    store = openCheckedStore(paths, { onWarning: log, onFault: f => onFault(f) });
    tightenProject(paths);
  } catch (e) {
    if (e instanceof LockHeld || e instanceof StoreRefused) log(e.message);
    else log(`cannot start: ${(e as Error).message}`);
    process.exit(REFUSED_EXIT);
  }
  const newManager = () =>
    new Manager({
      paths,
      store,
      localCores: Number(process.env.PQ_LOCAL_CORES) || availableParallelism(),
      defaultPython: process.env.PQ_PYTHON || 'python3',
      log
    });
  let manager = newManager();
  let storage: StorageStatus = { ok: true };
  let stopping = false;
  const servers: Server[] = [];
  let watch: ProjectWatch | undefined;
  let port: number | null = null;

  const shutdown = (code = 0) => {
    if (stopping) return;
    stopping = true;
    watch?.close();
    manager.close();
    for (const s of servers) s.close();
    // The store is closed (checkpointed) before the connection file goes: `pql daemon stop`
    // returns when that file is gone, and the database must then be free for others.
    for (const tidy of [
      () => store.close(),
      () => [paths.connection, paths.socket].forEach(f => existsSync(f) && unlinkSync(f))
    ]) {
      try {
        tidy();
      } catch {
        /* a folder deleted under us, or a file that cannot be written: nothing more to tidy */
      }
    }
    lock.release();
    log(code === 0 ? 'bridge stopped' : 'bridge stopped (see the reason above)');
    process.exit(code);
  };

  /** Stop taking work, tell clients why for a moment, then exit. */
  const stopFor = (reason: string) => {
    if (stopping || (!storage.ok && storage.fatal)) return;
    log(`the bridge stops: ${reason}`);
    storage = { ok: false, problem: 'stopped', message: reason, since: Date.now(), fatal: true };
    manager.close();
    setTimeout(() => shutdown(1), 1000).unref();
  };

  /** A full disk: keep what is committed, run nothing new, and try again every second. */
  let probe: NodeJS.Timeout | undefined;
  const pause = (fault: StorageFault) => {
    if (!storage.ok) return;
    log(`paused: ${fault.message}`);
    storage = { ok: false, problem: fault.problem, message: fault.message, since: Date.now() };
    // The engine in memory may hold a step the store refused: it is dropped, and a fresh one is
    // loaded from what was committed (as after a crash), so nothing half-done is acted upon.
    manager.close();
    probe = setInterval(tryResume, 1000);
  };
  const tryResume = () => {
    let next: Manager | undefined;
    try {
      const fs = statfsSync(paths.stateDir);
      if (fs.bavail * fs.bsize < RESUME_FREE_BYTES) return;
      store.transaction(() => store.setMeta('space_checked_at', String(Date.now())));
      next = newManager();
      next.takeListenersFrom(manager);
      next.start();
      manager = next;
    } catch (e) {
      // The disk filled again while recovering: this manager goes too, the next try starts afresh.
      next?.close();
      if (!(e instanceof StorageFault)) log(`could not resume: ${(e as Error).message}`);
      return;
    }
    clearInterval(probe);
    const was = storage.ok ? '' : ` (paused since ${new Date(storage.since).toISOString()}: ${storage.message})`;
    log(`space is available again on ${paths.stateDir}: the bridge resumes${was}`);
    storage = { ok: true };
  };
  onFault = fault => {
    if (fault.problem === 'disk_full') pause(fault);
    else stopFor(fault.message);
  };
  // A storage fault inside a timer's step has been handled by onFault: the step is dropped with
  // the manager that ran it. Anything else is a bug: say it and stop rather than run on.
  process.on('uncaughtException', e => {
    if (e instanceof StorageFault) return;
    log(`internal error: ${e.stack ?? e}`);
    shutdown(1);
  });

  try {
    manager.start();
    const token = randomBytes(24).toString('hex');
    // One server per listener: only the Unix socket's is trusted without the token.
    const make = (trustedListener: boolean) =>
      createApiServer({
        get manager() {
          return manager;
        },
        store,
        version: VERSION,
        token,
        shutdown: () => shutdown(0),
        trustedListener,
        port: () => port,
        log,
        storage: () => storage
      });
    if (existsSync(paths.socket)) unlinkSync(paths.socket);
    const unixServer = make(true);
    await new Promise<void>((ok, fail) => unixServer.once('error', fail).listen(paths.socket, ok));
    chmodSync(paths.socket, 0o600);
    const tcpServer = make(false);
    await new Promise<void>((ok, fail) => tcpServer.once('error', fail).listen(0, '127.0.0.1', ok));
    servers.push(unixServer, tcpServer);
    port = (tcpServer.address() as { port: number }).port;
    const info: ConnectionInfo = {
      pid: process.pid,
      version: VERSION,
      apiVersion: API_VERSION,
      socket: paths.socket,
      port,
      token
    };
    writeFileSync(`${paths.connection}.tmp`, JSON.stringify(info), { mode: 0o600 });
    chmodSync(`${paths.connection}.tmp`, 0o600);
    renameSync(`${paths.connection}.tmp`, paths.connection);
    tightenProject(paths); // the -shm and -wal files SQLite has made by now
  } catch (e) {
    // Whatever failed, a daemon that cannot serve must not linger with its timers running.
    log(`cannot start: ${e instanceof StorageFault ? e.message : ((e as Error).stack ?? e)}`);
    manager.close();
    lock.release();
    process.exit(REFUSED_EXIT);
  }
  watch = new ProjectWatch(paths, reason => stopFor(reason));
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(0));
  log(`bridge ${VERSION} for ${paths.root}: pid ${process.pid}, socket ${paths.socket}, port ${port}`);
}
