// The archive reader's query function over sql.js, as the browser's worker builds it: shared by
// the Jest tests that read archives.
import { withoutWal, type QueryFn } from '../queries';
import { loadSqlJs } from './archiveFixture';

export async function queryArchive(bytes: Uint8Array): Promise<QueryFn> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database(withoutWal(bytes));
  return (sql, params = []) => {
    const statement = db.prepare(sql);
    statement.bind(params);
    const rows: Record<string, any>[] = [];
    while (statement.step()) {
      rows.push(statement.getAsObject());
    }
    statement.free();
    return rows;
  };
}
