// What the archive viewer says about a file that is not a workflow archive, and the archived
// logs it shows: each message names the file and what it is, and how to get a real archive.
import { archiveFileName, fileProblem } from '../problems';
import { ArchiveError, checkArchive, hasLogs, readLog } from '../queries';
import { buildArchive, loadSqlJs } from './archiveFixture';
import { queryArchive } from './archiveQuery';
import { SCHEMA_VERSION } from '../../../kernel-bridge/store/schema.js';

const queryOf = queryArchive;

async function sqliteWith(statements: string): Promise<Uint8Array> {
  const SQL = await loadSqlJs();
  const db = new SQL.Database();
  db.run(statements);
  const bytes = db.export();
  db.close();
  return bytes;
}

describe('a file that is not a workflow archive', () => {
  it('an empty file is said to be empty', () => {
    expect(fileProblem('run.pqarchive', new Uint8Array(), null)).toBe(
      "run.pqarchive is empty, not a workflow archive. Make an archive with 'pql export -w WF' or “Export Workflow…” in the Workflows sidebar."
    );
  });

  it('a text file is named as text, with its first words', () => {
    const bytes = new TextEncoder().encode('name,score\nrelax,0.5\n'.repeat(10));
    expect(fileProblem('scores.db', bytes, null)).toMatch(
      /^scores\.db is not a SQLite database \(it is text starting with “name,score relax,0\.5 nam”\), so not a workflow archive\. Make an archive with 'pql export -w WF'/
    );
  });

  it('a binary file is named by its first bytes', () => {
    const bytes = new Uint8Array(200);
    bytes.set([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]);
    expect(fileProblem('data.sqlite', bytes, null)).toMatch(
      /^data\.sqlite is not a SQLite database \(it starts with the bytes 50 4b 03 04 14 00 00 00\)/
    );
  });

  it('a live database with its write-ahead log beside it is explained, with the way out', async () => {
    const bytes = await buildArchive();
    expect(fileProblem('perqueue.sqlite', bytes, 4152)).toBe(
      'perqueue.sqlite-wal lies beside perqueue.sqlite: this is a live project database copied while its bridge ran, and what is still in that write-ahead log (4152 bytes) is missing from this file. ' +
        "Make an archive with 'pql export -w WF' or “Export Workflow…” in the Workflows sidebar."
    );
    // An empty WAL (everything checkpointed) or none: the file is read.
    expect(fileProblem('perqueue.sqlite', bytes, 0)).toBeNull();
    expect(fileProblem('perqueue.sqlite', bytes, null)).toBeNull();
  });

  it('a SQLite database of something else names the tables it has instead', async () => {
    const query = await queryOf(await sqliteWith('CREATE TABLE samples (id INTEGER); CREATE TABLE results (x REAL);'));
    expect(() => checkArchive(query)).toThrow(ArchiveError);
    expect(() => checkArchive(query)).toThrow(
      "this SQLite database is not a workflow archive: it has no 'workflows', 'nodes', 'edges' tables (its tables are results, samples)"
    );
    const empty = await queryOf(
      await sqliteWith('CREATE TABLE workflows (id INTEGER); CREATE TABLE nodes (id INTEGER);')
    );
    expect(() => checkArchive(empty)).toThrow("it has no 'edges' table (its tables are nodes, workflows)");
  });

  it('a database written by a newer store is refused, naming both versions', async () => {
    const query = await queryOf(
      await sqliteWith(
        `CREATE TABLE workflows(id); CREATE TABLE nodes(id); CREATE TABLE edges(child);
         CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
         INSERT INTO meta VALUES ('schema_version', '${SCHEMA_VERSION + 1}');`
      )
    );
    expect(() => checkArchive(query)).toThrow(ArchiveError);
    expect(() => checkArchive(query)).toThrow(
      `this database has schema version ${SCHEMA_VERSION + 1}, newer than this viewer reads (${SCHEMA_VERSION}): update PerQueue Lab`
    );
  });
});

describe('archived logs', () => {
  it('the last lines of the latest attempt, and none for an archive without logs', async () => {
    const bytes = await buildArchive();
    const without = await queryOf(bytes);
    expect(hasLogs(without)).toBe(false);
    const query = await queryOf(
      await sqliteWith(
        'CREATE TABLE logs (node_id INTEGER, attempt INTEGER, stream TEXT, text TEXT, truncated INTEGER, PRIMARY KEY (node_id, attempt, stream));' +
          "INSERT INTO logs VALUES (5, 1, 'stdout', 'old\n', 0), (5, 2, 'stdout', 'one\ntwo\nthree\n', 0), (5, 2, 'stderr', '', 0);"
      )
    );
    expect(hasLogs(query)).toBe(true);
    expect(readLog(query, 5, 'stdout', 2)).toBe('two\nthree\n');
    expect(readLog(query, 5, 'stdout', 200)).toBe('one\ntwo\nthree\n');
    expect(readLog(query, 5, 'stderr', 10)).toBe('');
    expect(readLog(query, 6, 'stdout', 10)).toBe('');
  });

  it('export file names keep to safe characters', () => {
    expect(archiveFileName('my run/1', 3)).toBe('my_run_1-3.pqarchive');
    expect(archiveFileName('../..', 4)).toBe('_..-4.pqarchive');
    expect(archiveFileName('', 5)).toBe('workflow-5.pqarchive');
  });
});
