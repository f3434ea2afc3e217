// The archive reader's Web Worker: sql.js (SQLite compiled to WebAssembly) opens the bytes of
// an archived database in memory and answers the viewer's queries through comlink, off the
// main thread. It never writes anything back: the file stays as it was.
import * as Comlink from 'comlink';
import initSqlJs, { type Database, type SqlJsStatic } from 'sql.js';

import {
  checkArchive,
  hasLogs,
  isSqlite,
  listWorkflows,
  readEntry,
  readLog,
  readWorkflow,
  withoutWal,
  ArchiveError,
  type QueryFn,
  type SqlValue
} from './queries';

// The engine's WebAssembly file, emitted by the extension's build next to its other assets.
const WASM_URL = new URL('../../../node_modules/sql.js/dist/sql-wasm-browser.wasm', import.meta.url);

let engine: Promise<SqlJsStatic> | null = null;
const databases = new Map<number, Database>();
let nextHandle = 1;

function runner(db: Database): QueryFn {
  return (sql: string, params: SqlValue[] = []) => {
    const statement = db.prepare(sql);
    try {
      statement.bind(params);
      const rows: Record<string, SqlValue>[] = [];
      while (statement.step()) {
        rows.push(statement.getAsObject() as Record<string, SqlValue>);
      }
      return rows;
    } finally {
      statement.free();
    }
  };
}

function database(handle: number): QueryFn {
  const db = databases.get(handle);
  if (!db) {
    throw new ArchiveError('the archive was closed');
  }
  return runner(db);
}

export const archiveWorkerApi = {
  /** Opens a database from its bytes; returns a handle for the other calls. */
  async open(bytes: Uint8Array): Promise<number> {
    if (!isSqlite(bytes)) {
      throw new ArchiveError('this file is not an SQLite database');
    }
    engine ??= initSqlJs({ locateFile: () => WASM_URL.href });
    const SQL = await engine;
    const db = new SQL.Database(withoutWal(bytes));
    try {
      checkArchive(runner(db));
    } catch (error) {
      db.close();
      throw error;
    }
    const handle = nextHandle++;
    databases.set(handle, db);
    return handle;
  },
  workflows(handle: number) {
    return listWorkflows(database(handle));
  },
  workflow(handle: number, id: number) {
    return readWorkflow(database(handle), id);
  },
  entry(handle: number, id: number) {
    return readEntry(database(handle), id);
  },
  hasLogs(handle: number) {
    return hasLogs(database(handle));
  },
  log(handle: number, id: number, stream: 'stdout' | 'stderr', tail: number) {
    return readLog(database(handle), id, stream, tail);
  },
  close(handle: number): void {
    databases.get(handle)?.close();
    databases.delete(handle);
  }
};

export type ArchiveWorkerApi = typeof archiveWorkerApi;

Comlink.expose(archiveWorkerApi);
