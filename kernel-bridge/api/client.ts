// How the CLI reaches a project's daemon: HTTP over the 0600 Unix socket, starting the daemon
// first when none runs. The socket is used only when it is this user's (bridge.json is not read:
// its port and token are for the loopback clients).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, lstatSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePrivateFile, userName, type ProjectPaths } from '../project.js';
import type { StorageStatus } from './server.js';

export class BridgeError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

/**
 * One request to the daemon. HTTP/1.1 is written and read here directly: node:http's client
 * costs ~8 ms to load and set up, a fifth of a short CLI command, and the daemon always answers
 * with a Content-Length and closes the connection after it (Connection: close).
 */
export function call<T = unknown>(
  paths: ProjectPaths,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = requestTimeoutMs(path)
): Promise<T> {
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
    socket.on('data', c => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') {
        reject(
          new BridgeError(
            0,
            `the bridge of ${paths.root} is not running (${e.code} on ${paths.socket}): start it with 'pql daemon start'`
          )
        );
      } else reject(e);
    });
    // A bridge that accepts but never answers (stopped with SIGSTOP, stuck) must not hang the CLI.
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(
        new BridgeError(
          0,
          `the bridge of ${paths.root} did not answer ${method} ${path} within ${Math.round(timeoutMs / 1000)} s: ` +
            `it may be stuck or overloaded; see ${paths.daemonLog}, or restart it (pql daemon stop; pql daemon start). ` +
            `PQ_CLI_TIMEOUT_S sets this limit.`
        )
      );
    });
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const status = Number(
        /^HTTP\/1\.[01] (\d{3})/.exec(raw.subarray(0, Math.max(0, split)).toString('latin1'))?.[1] ?? 0
      );
      if (split < 0 || !status)
        return reject(new BridgeError(502, `the bridge closed the connection without an answer to ${method} ${path}`));
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

/**
 * How long a request may wait for its answer: PQ_CLI_TIMEOUT_S (default 30 s), plus what a
 * long-poll asks to wait (`timeout=` in the path).
 */
function requestTimeoutMs(path: string): number {
  const base = Number(process.env.PQ_CLI_TIMEOUT_S) > 0 ? Number(process.env.PQ_CLI_TIMEOUT_S) * 1000 : 30_000;
  const poll = Number(/[?&]timeout=([\d.]+)/.exec(path)?.[1] ?? 0);
  return base + poll * 1000;
}

/** Why the socket at `path` is not this user's bridge, or null (also when it is missing). */
function foreignSocket(path: string): string | null {
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
export async function daemonInfo(
  paths: ProjectPaths
): Promise<{ pid: number; version: string; storage?: StorageStatus } | null> {
  if (!existsSync(paths.socket)) return null;
  try {
    // A quick question: a bridge that cannot answer it within 5 s is treated as not running.
    return await call<{ pid: number; version: string; storage?: StorageStatus }>(
      paths,
      'GET',
      '/api/version',
      undefined,
      Math.min(5000, requestTimeoutMs(''))
    );
  } catch (e) {
    if (e instanceof BridgeError && e.status === 403) throw e; // another user's socket: say so
    return null;
  }
}

export async function isDaemonUp(paths: ProjectPaths): Promise<boolean> {
  return (await daemonInfo(paths)) !== null;
}

/** Start the project's daemon unless one answers; wait until it does, or say at once why it did not start. */
export async function ensureDaemon(paths: ProjectPaths, cliScript: string): Promise<void> {
  if (await isDaemonUp(paths)) return;
  // Only what this start writes to the log explains its failure.
  let logPath = paths.daemonLog;
  let logFd: number;
  try {
    logFd = makePrivateFile(logPath);
  } catch {
    // A folder that cannot be written: the daemon says so, in a log we can read back.
    logPath = join(tmpdir(), `pql-daemon-start-${process.pid}.log`);
    logFd = openSync(logPath, 'w', 0o600);
  }
  const logStart = statSync(logPath).size;
  const child = spawn(process.execPath, [cliScript, 'daemon', 'run', '--project', paths.root], {
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: process.env
  });
  child.unref();
  closeSync(logFd);
  let exited = false;
  child.once('exit', () => (exited = true));
  const startTimeout =
    Number(process.env.PQ_DAEMON_START_TIMEOUT_S) > 0 ? Number(process.env.PQ_DAEMON_START_TIMEOUT_S) * 1000 : 30_000;
  const deadline = Date.now() + startTimeout;
  while (Date.now() < deadline && !exited) {
    if (await isDaemonUp(paths)) return;
    await new Promise(r => setTimeout(r, 50));
  }
  // Another start may have won the lock: accept its daemon.
  if (await isDaemonUp(paths)) return;
  const said = logSince(logPath, logStart);
  if (logPath !== paths.daemonLog) rmSync(logPath, { force: true });
  if (!exited) {
    throw new BridgeError(
      0,
      `the bridge daemon for ${paths.root} did not answer within ${startTimeout / 1000} s of its start (pid ${child.pid})${said ? `; its log says:\n${said}` : ''}`
    );
  }
  throw new BridgeError(
    0,
    `the bridge daemon for ${paths.root} did not start${said ? `:\n${said}` : ` (exit code ${child.exitCode}); see ${paths.daemonLog}`}`
  );
}

/** What a log file got since `offset` (the last 20 lines of it), without the time stamps. */
function logSince(path: string, offset: number): string {
  try {
    const text = readFileSync(path).subarray(offset).toString('utf8');
    return text
      .trimEnd()
      .split('\n')
      .slice(-20)
      .map(l => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, ''))
      .join('\n');
  } catch {
    return '';
  }
}
