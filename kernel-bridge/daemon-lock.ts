// One bridge per project, held by the kernel rather than by a file that can be deleted.
//
// On Linux the lock is a Unix socket in the abstract namespace named after the project folder's
// device and inode: binding it is atomic, only one process can hold the name, and the kernel
// frees it the moment the process dies (kill -9 included), so no stale lock is ever left. It
// does not live in `.perqueue/`, so deleting that folder under a running bridge cannot let a
// second bridge start. The holder answers a connection with its pid, so a refused start names it.
// Elsewhere (no abstract namespace) a lock file with the holder's pid is used, as before.
import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { connect, createServer, type Server } from 'node:net';
import { isAlive } from './executors/local.js';
import type { ProjectPaths } from './project.js';

export class LockHeld extends Error {}

export interface ProjectLock {
  release(): void;
}

/**
 * The abstract socket name of a project's lock (Linux). Abstract names have no permissions, so
 * the folder's device and inode are keyed with a secret of the user's (~/.config/perqueue-lab/
 * lock-key, 0600): another local user cannot compute the name and hold it first to keep the
 * owner's bridge from starting.
 */
function lockName(root: string): string {
  const st = statSync(root);
  const key = createHmac('sha256', userLockKey()).update(`${st.dev}:${st.ino}`).digest('hex').slice(0, 32);
  return `\0perqueue-lab-bridge-${process.getuid?.() ?? ''}-${key}`;
}

/**
 * The user's lock key, made on first use; without a writable home, a key known to all. The home
 * comes from the password database, not $HOME: every start by one user must find the same key.
 */
function userLockKey(): string {
  let home: string;
  try {
    home = userInfo().homedir;
  } catch {
    home = homedir();
  }
  const path = join(home, '.config', 'perqueue-lab', 'lock-key');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    try {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, randomBytes(16).toString('hex'), { flag: 'wx', mode: 0o600 });
    } catch {
      /* made meanwhile by another start, or no writable home */
    }
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return 'perqueue-lab';
    }
  }
}

export async function takeProjectLock(paths: ProjectPaths): Promise<ProjectLock> {
  if (process.platform !== 'linux') return takeLockFile(paths);
  const name = lockName(paths.root);
  const server: Server = createServer(socket => socket.end(`${process.pid}\n`));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(name, () => ok());
  }).catch(async (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EADDRINUSE') throw e;
    const pid = await holderOf(name);
    throw new LockHeld(`a bridge already runs for ${paths.root}${pid ? ` (pid ${pid})` : ''}`);
  });
  server.unref();
  return { release: () => server.close() };
}

/** The pid the lock's holder answers with, or null if it does not answer within a second. */
function holderOf(name: string): Promise<number | null> {
  return new Promise(ok => {
    let text = '';
    const s = connect(name);
    const timer = setTimeout(() => (s.destroy(), ok(null)), 1000);
    s.on('data', d => (text += d.toString()));
    s.on('error', () => (clearTimeout(timer), ok(null)));
    s.on('close', () => (clearTimeout(timer), ok(Number(text.trim()) || null)));
  });
}

function takeLockFile(paths: ProjectPaths): ProjectLock {
  for (let i = 0; i < 2; i++) {
    try {
      const fd = openSync(paths.lock, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        release: () => {
          try {
            unlinkSync(paths.lock);
          } catch {
            /* gone already */
          }
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(paths.lock, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid))
        throw new LockHeld(`a bridge already runs for ${paths.root} (pid ${pid})`);
      unlinkSync(paths.lock); // stale: its process is gone
    }
  }
  throw new Error(`could not take the lock ${paths.lock}`);
}
