// A running bridge's check of the ground under it, once a second: its `.perqueue/` folder and
// database still there (not deleted, not replaced by another), and the database still
// writable (not made read-only or immutable). The first problem found is reported once; the
// daemon then stops taking work and exits. SQLite in WAL mode writes the database file only at
// checkpoints, so a database made immutable would otherwise go unnoticed for a long time.
import { accessSync, constants, statSync } from 'node:fs';
import type { ProjectPaths } from './project.js';

const CHECK_EVERY_MS = 1000;

export class ProjectWatch {
  private readonly timer: NodeJS.Timeout;
  private readonly folder: number;
  private readonly db: number;

  constructor(
    private readonly paths: ProjectPaths,
    private readonly onProblem: (reason: string) => void
  ) {
    this.folder = statSync(paths.stateDir).ino;
    this.db = statSync(paths.db).ino;
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** What is wrong, or null. */
  problem(): string | null {
    const { stateDir, db } = this.paths;
    const ino = (path: string) => {
      try {
        return statSync(path).ino;
      } catch {
        return null;
      }
    };
    const folder = ino(stateDir);
    if (folder === null)
      return `the project's folder ${stateDir} was deleted: its workflows, run folders and socket are gone`;
    if (folder !== this.folder) return `the project's folder ${stateDir} was replaced by another folder`;
    const file = ino(db);
    if (file === null) return `the workflow database ${db} was deleted`;
    if (file !== this.db) return `the workflow database ${db} was replaced by another file`;
    for (const path of [db, stateDir]) {
      try {
        accessSync(path, constants.W_OK);
      } catch (e) {
        return `${path} can no longer be written (${(e as NodeJS.ErrnoException).code}: made read-only or immutable, e.g. chattr +i): nothing more can be recorded`;
      }
    }
    return null;
  }

  private check(): void {
    const p = this.problem();
    if (p === null) return;
    this.close();
    this.onProblem(p);
  }
}
