// How the CLI reaches a project's daemon: HTTP over the 0600 Unix socket, starting the daemon
// first when none runs. The socket is used only when it is this user's (bridge.json is not read:
// its port and token are for the loopback clients).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, lstatSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { makePrivateFile, userName, type ProjectPaths } from '../project.js';

export class BridgeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One request to the daemon. HTTP/1.1 is written and read here directly: node:http's client
 * costs ~8 ms to load and set up, a fifth of a short CLI command, and the daemon always answers
 * with a Content-Length and closes the connection after it (Connection: close).
 */
export function call<T = unknown>(paths: ProjectPaths, method: string, path: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const foreign = foreignSocket(paths.socket);
    if (foreign) return reject(new BridgeError(403, foreign));
    const text = body === undefined ? '' : JSON.stringify(body);
    const head =
      `${method} ${path} HTTP/1.1\r\nHost: bridge\r\nConnection: close\r\n` +
      (body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\n`) +
      '\r\n';
    const chunks: Buffer[] = [];
    const socket = connect(paths.socket, () => socket.write(head + text));
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw.subarray(0, Math.max(0, split)).toString('latin1'))?.[1] ?? 0);
      if (split < 0 || !status) return reject(new BridgeError(502, `the bridge closed the connection without an answer to ${method} ${path}`));
      const payload = raw.subarray(split + 4).toString('utf8');
      let value: unknown;
      try {
        value = JSON.parse(payload);
      } catch {
        return reject(new BridgeError(status, payload));
      }
      if (status >= 400) return reject(new BridgeError(status, (value as { error?: string })?.error ?? payload));
      resolve(value as T);
    });
  });
}

/** Why the socket at `path` is not this user's bridge, or null (also when it is missing). */
export function foreignSocket(path: string): string | null {
  const uid = process.getuid?.();
  if (uid === undefined) return null;
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (!st.isSocket()) return `${path} is not a socket: it is not this project's bridge`;
  if (st.uid !== uid) return `${path} belongs to ${userName(st.uid)}, not to you: it is not your bridge`;
  return null;
}

/**
 * The daemon answering on the project's socket (checked to be this user's), or null. Its pid
 * comes from the daemon itself, never from bridge.json, which a crash leaves behind naming a pid
 * the system may since have given to another process.
 */
export async function daemonInfo(paths: ProjectPaths): Promise<{ pid: number; version: string } | null> {
  if (!existsSync(paths.socket)) return null;
  try {
    return await call<{ pid: number; version: string }>(paths, 'GET', '/api/version');
  } catch (e) {
    if (e instanceof BridgeError && e.status === 403) throw e; // another user's socket: say so
    return null;
  }
}

export async function isDaemonUp(paths: ProjectPaths): Promise<boolean> {
  return (await daemonInfo(paths)) !== null;
}

/** Start the project's daemon unless one answers; wait until it does. */
export async function ensureDaemon(paths: ProjectPaths, cliScript: string): Promise<void> {
  if (await isDaemonUp(paths)) return;
  const logFd = makePrivateFile(paths.daemonLog);
  const child = spawn(process.execPath, [cliScript, 'daemon', 'run', '--project', paths.root], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: process.env,
  });
  child.unref();
  closeSync(logFd);
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
