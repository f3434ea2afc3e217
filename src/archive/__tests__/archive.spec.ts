// The archive reader: an archived project database, read with sql.js as the browser's worker
// reads it, gives the bridge API's shapes, and the graph panel's mapping draws it.
import { ArchiveError, checkArchive, isSqlite, listWorkflows, readEntry, readWorkflow, type QueryFn } from '../queries';
import { buildGraph } from '../../graph/elements';
import { ARCHIVE_WORKFLOWS, buildArchive, loadSqlJs } from './archiveFixture';
import { queryArchive } from './archiveQuery';
import { SCHEMA_VERSION } from '../../../kernel-bridge/store/schema.js';

const open = queryArchive;

describe('an archived PerQueue database', () => {
  let query: QueryFn;
  beforeAll(async () => {
    const bytes = await buildArchive();
    expect(isSqlite(bytes)).toBe(true);
    expect([bytes[18], bytes[19]]).toEqual([2, 2]);
    query = await open(bytes);
  });

  it('is recognised, WAL flag and all', () => {
    // Written by today's bridge, so it has the store's newest schema.
    expect(checkArchive(query)).toBe(SCHEMA_VERSION);
  });

  it('lists its workflows with counts and the overall state', () => {
    const list = listWorkflows(query);
    expect(list.map(w => [w.id, w.name, w.state, w.total])).toEqual([
      [1, 'screening', 'running', 8],
      [2, ARCHIVE_WORKFLOWS[1].name, 'running', 1]
    ]);
    expect(list[0].counts).toEqual({ succeeded: 3, failed: 1, blocked: 2, running: 1, waiting: 1 });
  });

  it('maps a workflow to the graph the panel draws: entries, edges, width groups', () => {
    const detail = readWorkflow(query, 1);
    expect(detail.workflow).toEqual({ id: 1, name: 'screening', createdAt: expect.any(Number) });
    expect(detail.nodes).toHaveLength(8);
    const graph = buildGraph(detail, { collapseAbove: 4 });
    const label = (id: string) => graph.nodes.find(n => n.id === id)!.label;
    expect(graph.nodes.map(n => [n.label, n.state])).toEqual([
      ['prepare.py', 'succeeded'],
      ['relax.py [0]', 'succeeded'],
      ['score.py [0]', 'succeeded'],
      ['relax.py [1]', 'failed'],
      ['score.py [1]', 'blocked'],
      ['relax.py [2]', 'running'],
      ['score.py [2]', 'waiting'],
      ['collect.py', 'blocked']
    ]);
    const edges = graph.edges.map(e => `${label(e.source)} -> ${label(e.target)}${e.join ? ' (join)' : ''}`).sort();
    expect(edges).toEqual(
      [
        'prepare.py -> relax.py [0]',
        'prepare.py -> relax.py [1]',
        'prepare.py -> relax.py [2]',
        'relax.py [0] -> score.py [0]',
        'relax.py [1] -> score.py [1]',
        'relax.py [2] -> score.py [2]',
        'score.py [0] -> collect.py (join)',
        'score.py [1] -> collect.py (join)',
        'score.py [2] -> collect.py (join)'
      ].sort()
    );
    const collapsed = buildGraph(detail, { collapseAbove: 2 });
    expect(collapsed.nodes.map(n => n.label)).toEqual(['prepare.py', 'relax.py ×3', 'score.py ×3', 'collect.py']);
    expect(collapsed.nodes[1].state).toBe('failed');
  });

  it('keeps what tasks wrote as data, for the panel to show as text', () => {
    const detail = readWorkflow(query, 1);
    const relax0 = detail.nodes.find(n => n.name === 'relax.py' && n.index?.[0] === 0)!;
    expect(relax0.data).toEqual({ energy: -1.5, note: '<script>alert(2)</script>' });
    expect(relax0.jobId).toMatch(/^pid-/);
    const failed = detail.nodes.find(n => n.state === 'failed')!;
    expect(failed.error).toContain('did not converge');
  });

  it('reads one entry with its run folder', () => {
    const entry = readEntry(query, 1);
    expect(entry.node.name).toBe('prepare.py');
    expect(entry.runDir).toBe('/project/.perqueue/runs/1/2.1');
    expect(() => readEntry(query, 999)).toThrow(ArchiveError);
    expect(() => readWorkflow(query, 999)).toThrow(/no workflow #999/);
  });

  it('refuses an SQLite file that is not a PerQueue database, and bytes that are not SQLite', async () => {
    const SQL = await loadSqlJs();
    const other = new SQL.Database();
    other.run('CREATE TABLE photos (id INTEGER)');
    const bytes = other.export();
    await expect(open(bytes).then(q => checkArchive(q))).rejects.toThrow(
      "it has no 'workflows', 'nodes', 'edges' tables (its tables are photos)"
    );
    expect(isSqlite(new TextEncoder().encode('{"specVersion": 1}'.padEnd(200)))).toBe(false);
  });
});
