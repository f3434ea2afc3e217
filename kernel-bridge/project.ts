// Where a project's files live, and whether they may be used. A project is a folder holding
// `.perqueue/`; commands find it by walking up from the current folder, as git does. Because a
// project's daemon runs its queued tasks as whoever starts it, a `.perqueue/` that another user
// made or can change (a shared, world-writable folder) is refused, as git refuses a repository
// owned by someone else; PQ_SAFE_DIRECTORY overrides that, like git's `safe.directory`.
import {
  chmodSync,
  existsSync,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync
} from 'node:fs';
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

function projectPaths(root: string): ProjectPaths {
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
    config: join(stateDir, 'config.json')
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

/** A project that must not be used: `message` says why and how to override. */
export class UnsafeProjectError extends Error {}

/** The environment variable listing project folders trusted whatever their owner or mode. */
export const SAFE_DIRECTORY_ENV = 'PQ_SAFE_DIRECTORY';

/** Whether PQ_SAFE_DIRECTORY (folders separated by ':', or '*' for all) names `root`. */
function trustedByOverride(root: string): boolean {
  const listed = (process.env[SAFE_DIRECTORY_ENV] ?? '').split(':').filter(Boolean);
  return listed.some(p => p === '*' || resolve(p) === root);
}

/** A user's name for messages, from /etc/passwd; the number when it is not there. */
export function userName(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === uid) return `${f[0]} (uid ${uid})`;
    }
  } catch {
    // no passwd file (containers): the number alone
  }
  return `uid ${uid}`;
}

/**
 * Refuse a `.perqueue/` of `root` that is not this user's, or that others can write to, or that
 * is a symbolic link made by another user. Nothing to check when it does not exist yet.
 */
function checkProjectTrust(root: string): void {
  const getuid = process.getuid;
  if (!getuid) return; // no owners to compare (Windows)
  const uid = getuid();
  const state = join(root, STATE_DIR);
  let link;
  try {
    link = lstatSync(state);
  } catch {
    return;
  }
  if (trustedByOverride(root)) return;
  const override = `If you trust it, set ${SAFE_DIRECTORY_ENV}=${root} (folders separated by ':', or '*' for all).`;
  if (link.isSymbolicLink() && link.uid !== uid && link.uid !== 0) {
    throw new UnsafeProjectError(
      `refusing the project in ${root}: ${state} is a symbolic link made by ${userName(link.uid)}, not by you. ${override}`
    );
  }
  const st = statSync(state);
  if (!st.isDirectory()) throw new UnsafeProjectError(`refusing the project in ${root}: ${state} is not a folder`);
  if (st.uid !== uid) {
    throw new UnsafeProjectError(
      `refusing the project in ${root}: ${state} belongs to ${userName(st.uid)}, not to you (${userName(uid)}); ` +
        `its daemon would run that user's queued tasks as you. ${override}`
    );
  }
  if (st.mode & 0o022) {
    const who = st.mode & 0o002 ? 'every user' : 'its group';
    throw new UnsafeProjectError(
      `refusing the project in ${root}: ${state} is writable by ${who} (mode ${(st.mode & 0o777).toString(8)}), ` +
        `so someone else could change what runs as you. Make it private with 'chmod 700 ${state}'. ${override}`
    );
  }
}

/**
 * Make the project's own files private whatever the umask: `.perqueue/` and `runs/` 0700, the
 * database (with its -wal and -shm), the connection file, the log and the lock 0600. Files of
 * another owner (a project trusted through PQ_SAFE_DIRECTORY) are left as they are.
 */
export function tightenProject(p: ProjectPaths): void {
  const uid = process.getuid?.();
  const dirs = [p.stateDir, p.runs];
  const files = [p.db, `${p.db}-wal`, `${p.db}-shm`, p.connection, p.daemonLog, p.lock, p.config];
  for (const [path, mode] of [...dirs.map(d => [d, 0o700] as const), ...files.map(f => [f, 0o600] as const)]) {
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (st.isSymbolicLink() || (uid !== undefined && st.uid !== uid)) continue;
    if ((st.mode & 0o777) !== mode) chmodSync(path, mode);
  }
}

/** The paths of an existing (or not yet made) project, after checking it may be used. */
export function openProject(root: string): ProjectPaths {
  const p = projectPaths(resolve(root));
  checkProjectTrust(p.root);
  if (existsSync(p.stateDir)) tightenProject(p);
  return p;
}

/** Make `.perqueue/` in `root` (idempotent), check it may be used, and return the paths. */
export function initProject(root: string): ProjectPaths {
  const p = projectPaths(resolve(root));
  checkProjectTrust(p.root);
  mkdirSync(p.runs, { recursive: true, mode: 0o700 });
  tightenProject(p);
  return p;
}

/** Open `path` for appending, created (if missing) as a private file: 0600 whatever the umask. */
export function makePrivateFile(path: string): number {
  const fd = openSync(path, 'a', 0o600);
  if (fstatSync(fd).uid === process.getuid?.()) fchmodSync(fd, 0o600);
  return fd;
}
