// What the bridge checks before it trusts a project's store: a database that is missing or
// empty while run folders exist (lost or truncated: starting afresh would hand old results to
// new entries), a folder or file it cannot write, and damaged pages (PRAGMA quick_check).
// Each refusal says what is wrong and what to do.
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { makePrivateFile, type ProjectPaths } from '../project.js';
import { describeStorageProblem, storageProblemOf } from './faults.js';
import { Store, type OpenOptions } from './store.js';

export class StoreRefused extends Error {}

/** Workflow folders under runs/ (each is a workflow's history). */
function runHistory(paths: ProjectPaths): number {
  try {
    return readdirSync(paths.runs, { withFileTypes: true }).filter(d => d.isDirectory()).length;
  } catch {
    return 0;
  }
}

/** Refuses a folder or database file that cannot be written (read-only mount, chattr +i, modes). */
function checkWritable(paths: ProjectPaths): void {
  const probe = join(paths.stateDir, `.write-probe-${process.pid}`);
  try {
    // access() alone is not enough for root on a read-only mount of some file systems: write.
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    throw new StoreRefused(
      `cannot start: ${describeStorageProblem(storageProblemOf(e) ?? 'read_only', paths.stateDir, (e as Error).message)}`
    );
  }
  for (const f of [paths.db, `${paths.db}-wal`, `${paths.db}-shm`]) {
    if (!existsSync(f)) continue;
    try {
      accessSync(f, constants.W_OK);
    } catch (e) {
      throw new StoreRefused(`cannot start: ${describeStorageProblem('read_only', f, (e as Error).message)}`);
    }
  }
}

/** Open the project's store for the bridge, or say why it must not be used. */
export function openCheckedStore(paths: ProjectPaths, opts: OpenOptions): Store {
  checkWritable(paths);
  const size = existsSync(paths.db) ? statSync(paths.db).size : -1;
  if (size <= 0) {
    const workflows = runHistory(paths);
    if (workflows > 0) {
      const what = size < 0 ? 'is missing' : 'is empty (0 bytes: truncated?)';
      throw new StoreRefused(
        `cannot start: the workflow database ${paths.db} ${what}, but ${paths.runs} holds the run folders of ${workflows} workflow(s). ` +
          `Starting a new database would reuse their ids and could take their old results. Restore the database from a backup; ` +
          `or, to start afresh, move the old run folders aside (mv ${paths.runs} ${paths.runs}.old) and start again.`
      );
    }
  }
  let store: Store;
  try {
    // The database is made private before SQLite creates it: its -wal and -shm take its mode.
    closeSync(makePrivateFile(paths.db));
    store = new Store(paths.db, opts);
  } catch (e) {
    const problem = storageProblemOf(e);
    if (!problem) throw e;
    throw new StoreRefused(
      `cannot start: ${problem === 'corrupt' ? damaged(paths, (e as Error).message) : describeStorageProblem(problem, paths.db, (e as Error).message)}`
    );
  }
  let verdict: string[];
  try {
    verdict = (store.db.prepare('PRAGMA quick_check').all() as { quick_check: string }[]).map(r => r.quick_check);
  } catch (e) {
    verdict = [(e as Error).message];
  }
  if (verdict.length !== 1 || verdict[0] !== 'ok') {
    store.close();
    throw new StoreRefused(`cannot start: ${damaged(paths, verdict.slice(0, 3).join('; '))}`);
  }
  return store;
}

function damaged(paths: ProjectPaths, detail: string): string {
  return `the workflow database ${paths.db} is damaged (${detail}). Run 'pql doctor' to salvage what can be read into a new database (the damaged file is kept next to it).`;
}
