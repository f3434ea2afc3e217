// Where a project's files live. A project is a folder holding `.perqueue/`; commands find it
// by walking up from the current folder, as git does.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const STATE_DIR = '.perqueue';

export interface ProjectPaths {
  root: string;
  stateDir: string;
  db: string;
  socket: string;
  /** Connection file: pid, version, socket, port and token (mode 0600). */
  connection: string;
  lock: string;
  daemonLog: string;
  runs: string;
  config: string;
}

export function projectPaths(root: string): ProjectPaths {
  const stateDir = join(root, STATE_DIR);
  return {
    root,
    stateDir,
    db: join(stateDir, 'perqueue.sqlite'),
    socket: join(stateDir, 'bridge.sock'),
    connection: join(stateDir, 'bridge.json'),
    lock: join(stateDir, 'bridge.lock'),
    daemonLog: join(stateDir, 'bridge.log'),
    runs: join(stateDir, 'runs'),
    config: join(stateDir, 'config.json'),
  };
}

/** The nearest folder at or above `start` that holds `.perqueue/`, or null. */
export function findProject(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, STATE_DIR))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Make `.perqueue/` in `root` (idempotent) and return the paths. */
export function initProject(root: string): ProjectPaths {
  const p = projectPaths(resolve(root));
  mkdirSync(p.runs, { recursive: true, mode: 0o700 });
  return p;
}
