// A second local user for the attacks of the security suite: made with useradd when the tests
// run as root, removed after the file (also when a test fails). Without root the suite skips,
// unless PQ_REQUIRE_ROOT is set: then it fails, so a CI run as root can never skip it silently.
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OtherUser {
  name: string;
  uid: number;
  gid: number;
  /** A folder both users reach: mode 1777, like /tmp or a shared group folder. */
  shared: string;
  /** Delete the user (the test file calls this from a top-level `after`). */
  remove(): void;
  /** Run a program as this user; resolves with its exit code and output. */
  run(
    file: string,
    args: string[],
    opts?: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }
  ): Promise<RunResult>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const IS_ROOT = process.getuid?.() === 0;

/** Why the suite cannot run here, or null; with PQ_REQUIRE_ROOT set a non-root run is an error. */
export function skipReason(): string | null {
  if (IS_ROOT) return null;
  const why = 'the security suite needs root: it creates a second local user (useradd) to attack from';
  if (process.env.PQ_REQUIRE_ROOT) throw new Error(`${why}, and PQ_REQUIRE_ROOT is set`);
  return `${why}; skipped (set PQ_REQUIRE_ROOT=1 to make this an error)`;
}

/** Make the user now; the caller removes it in a top-level `after` (one in a hook runs at once). */
export function makeOtherUser(): OtherUser {
  const name = `pqsec${process.pid}`;
  const add = spawnSync('useradd', ['--no-create-home', '--shell', '/bin/sh', '--user-group', name], {
    encoding: 'utf8'
  });
  if (add.status !== 0) throw new Error(`useradd ${name} failed: ${add.stderr}`);
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    spawnSync('userdel', [name], { encoding: 'utf8' });
  };
  process.once('exit', remove); // a file that dies early still leaves no user behind
  const id = (flag: string) => Number(spawnSync('id', [flag, name], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  const shared = mkdtempSync(join(tmpdir(), 'pq-shared-'));
  chmodSync(shared, 0o1777);
  return {
    name,
    uid,
    gid,
    shared,
    remove,
    run(file, args, opts = {}) {
      return new Promise(ok => {
        execFile(
          file,
          args,
          {
            uid,
            gid,
            cwd: opts.cwd ?? shared,
            env: opts.env ?? { PATH: process.env.PATH, HOME: shared },
            timeout: opts.timeoutMs ?? 60_000,
            maxBuffer: 16 << 20
          },
          (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
        );
      });
    }
  };
}
