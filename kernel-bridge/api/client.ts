// How the CLI reaches a project's daemon: HTTP over the 0600 Unix socket, starting the daemon
// first when none runs.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAlive } from '../executors/local.js';
import type { ProjectPaths } from '../project.js';

// `import ... from 'node:http'` would build its ES-module facade, which reads every export and so
// loads fetch's implementation (undici): 20 ms of every CLI call. require() reads only `request`.
const { request } = createRequire(import.meta.url)('node:http') as typeof import('node:http');

export class BridgeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function call<T = unknown>(paths: ProjectPaths, method: string, path: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: paths.socket,
        method,
        path,
        headers: text ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let value: unknown;
          try {
            value = JSON.parse(raw);
          } catch {
            return reject(new BridgeError(res.statusCode ?? 500, raw));
          }
          if ((res.statusCode ?? 500) >= 400) {
            return reject(new BridgeError(res.statusCode ?? 500, (value as { error?: string })?.error ?? raw));
          }
          resolve(value as T);
        });
      },
    );
    req.on('error', reject);
    if (text) req.write(text);
    req.end();
  });
}

/** The running daemon's pid, or null. */
export function daemonPid(paths: ProjectPaths): number | null {
  try {
    const info = JSON.parse(readFileSync(paths.connection, 'utf8')) as { pid: number };
    return isAlive(info.pid) ? info.pid : null;
  } catch {
    return null;
  }
}

export async function isDaemonUp(paths: ProjectPaths): Promise<boolean> {
  if (!existsSync(paths.socket) || daemonPid(paths) === null) return false;
  try {
    await call(paths, 'GET', '/api/version');
    return true;
  } catch {
    return false;
  }
}

/** Start the project's daemon unless one answers; wait until it does. */
export async function ensureDaemon(paths: ProjectPaths, cliScript: string): Promise<void> {
  if (await isDaemonUp(paths)) return;
  const logFd = openSync(paths.daemonLog, 'a');
  const child = spawn(process.execPath, [cliScript, 'daemon', 'run', '--project', paths.root], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: process.env,
  });
  child.unref();
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (await isDaemonUp(paths)) return;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  // Another start may have won the lock: accept its daemon.
  if (await isDaemonUp(paths)) return;
  const logTail = existsSync(paths.daemonLog) ? readFileSync(paths.daemonLog, 'utf8').split('\n').slice(-8).join('\n') : '';
  throw new Error(`the bridge daemon did not start for ${paths.root}; its log says:\n${logTail}`);
}
