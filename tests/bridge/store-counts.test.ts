// The store's schema 3: entries per workflow and state are kept beside the entries, so that a
// status reads a few rows. Every way an entry is written (submission, a state change, a removed
// workflow, a salvaged file, an older file brought forward) leaves the same counts as counting
// the entries themselves; a file opened read-only before it was brought forward still answers.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { Engine } from '../../core/engine.js';
import type { WorkflowDocument } from '../../core/spec.js';
import { MIGRATIONS } from '../../kernel-bridge/store/schema.js';
import { Store } from '../../kernel-bridge/store/store.js';

function fanOut(name: string, width: number): WorkflowDocument {
  const task = { kind: 'task' as const, name: 'noop', code: '/bin/true', args: {}, resources: '1:local:1m' };
  return {
    specVersion: 1,
    name,
    root: {
      kind: 'workflow',
      nodes: [
        { id: 'swg', node: { kind: 'static_width', name: 'SWG', width, body: task }, parents: [] },
        { id: 'join', node: { ...task, name: 'join' }, parents: ['swg'] }
      ]
    }
  };
}

/** The counts as the entries themselves say, per workflow. */
function counted(store: Store): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  const rows = store.db
    .prepare('SELECT workflow_id AS w, state, count(*) AS n FROM nodes GROUP BY workflow_id, state')
    .all() as {
    w: number;
    state: string;
    n: number;
  }[];
  for (const r of rows) out.set(r.w, { ...(out.get(r.w) ?? {}), [r.state]: r.n });
  return out;
}

function assertCountsTrue(store: Store): void {
  const truth = counted(store);
  const summaries = store.workflowSummaries();
  for (const s of summaries) {
    assert.deepEqual(s.counts, truth.get(s.id) ?? {}, `workflow ${s.id}`);
    assert.deepEqual(store.workflowSummary(s.id)!.counts, truth.get(s.id) ?? {}, `workflow ${s.id} alone`);
    assert.equal(
      s.total,
      Object.values(truth.get(s.id) ?? {}).reduce((a, b) => a + b, 0)
    );
  }
}

function tempPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'pq-store-counts-')), 'perqueue.sqlite');
}

describe('schema 3: entries counted per state', () => {
  it('submission, running, finishing, cancelling and removing keep the counts equal to the entries', () => {
    const store = new Store(tempPath());
    try {
      const engine = new Engine();
      const a = engine.submit(fanOut('a', 40));
      store.persist(engine.takeChanges());
      const b = engine.submit(fanOut('b', 7));
      store.persist(engine.takeChanges());
      assertCountsTrue(store);
      assert.equal(store.workflowSummary(a)!.counts.queued, 40);
      assert.equal(store.workflowSummary(a)!.counts.waiting, 1);
      const queued = engine.nodesOf(a).filter(n => n.state === 'queued');
      for (const [i, n] of queued.slice(0, 10).entries()) {
        engine.markRunning(n.id);
        store.persist(engine.takeChanges());
        if (i % 2 === 0) engine.finish(n.id, { state: 'succeeded', data: {} });
        else engine.finish(n.id, { state: 'failed', error: 'RuntimeError()' });
        store.persist(engine.takeChanges());
      }
      engine.cancelWorkflow(b);
      store.persist(engine.takeChanges());
      assertCountsTrue(store);
      assert.deepEqual(store.workflowSummary(a)!.counts, { queued: 30, succeeded: 5, failed: 5, blocked: 1 });
      store.removeWorkflow(b);
      assertCountsTrue(store);
      assert.equal(store.workflowSummary(b), undefined);
      assert.equal(
        (store.db.prepare('SELECT count(*) AS n FROM node_counts WHERE workflow_id=?').get(b) as { n: number }).n,
        0
      );
    } finally {
      store.close();
    }
  });

  it('a persist that fails leaves the counts as they were', () => {
    const store = new Store(tempPath());
    try {
      const engine = new Engine();
      engine.submit(fanOut('a', 5));
      store.persist(engine.takeChanges());
      const engine2 = new Engine({ firstNodeId: 100, firstWorkflowId: 2 });
      engine2.submit(fanOut('b', 5));
      assert.throws(() =>
        store.persist(engine2.takeChanges(), () => {
          throw new Error('the step after the writes failed');
        })
      );
      assertCountsTrue(store);
      assert.equal(store.workflowSummaries().length, 1);
    } finally {
      store.close();
    }
  });

  it('a schema-2 file with entries is brought forward with its counts; read-only before that, it counts the entries', () => {
    const path = tempPath();
    const db = new DatabaseSync(path);
    db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    db.exec(MIGRATIONS[0]);
    db.exec(MIGRATIONS[1]);
    db.exec("INSERT INTO meta(key, value) VALUES ('schema_version', '2'), ('next_node_id', '6')");
    db.exec("INSERT INTO workflows(id, name, doc, created_at) VALUES (1, 'old', '{}', 0)");
    const ins = db.prepare(
      "INSERT INTO nodes(id, workflow_id, kind, name, state, body) VALUES (?, 1, 'task', 't', ?, '{}')"
    );
    for (const [id, state] of [
      [1, 'succeeded'],
      [2, 'succeeded'],
      [3, 'failed'],
      [4, 'queued'],
      [5, 'queued']
    ] as const)
      ins.run(id, state);
    db.close();

    const reader = new Store(path, { readonly: true });
    try {
      assert.deepEqual(reader.workflowSummary(1)!.counts, { succeeded: 2, failed: 1, queued: 2 });
      assert.equal(reader.workflowSummaries()[0].total, 5);
    } finally {
      reader.close();
    }
    const store = new Store(path);
    try {
      assert.equal(store.schemaVersion(), 3);
      assert.deepEqual(store.workflowSummary(1)!.counts, { succeeded: 2, failed: 1, queued: 2 });
      assertCountsTrue(store);
    } finally {
      store.close();
    }
  });

  it('recountStates() rebuilds counts after rows were copied in bulk', () => {
    const store = new Store(tempPath());
    try {
      store.db.exec("INSERT INTO workflows(id, name, doc, created_at) VALUES (1, 'copied', '{}', 0)");
      store.db.exec(
        "INSERT INTO nodes(id, workflow_id, kind, name, state, body) VALUES (1, 1, 'task', 't', 'failed', '{}'), (2, 1, 'task', 't', 'queued', '{}')"
      );
      store.recountStates();
      assertCountsTrue(store);
      assert.deepEqual(store.workflowSummary(1)!.counts, { failed: 1, queued: 1 });
    } finally {
      store.close();
    }
  });
});
