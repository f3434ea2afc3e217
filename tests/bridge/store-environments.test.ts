// The store's schema 2: a project file of schema 1 is brought forward (with a backup first) and
// its workflows keep running as they did (the bridge's environment, the project folder); new
// submissions keep their submitter's environment, deduplicated, and nothing unused is kept.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { Launches } from '../../kernel-bridge/manager/launch.js';
import { MIGRATIONS } from '../../kernel-bridge/store/schema.js';
import { Store } from '../../kernel-bridge/store/store.js';

function schemaOneFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pq-store-env-'));
  const path = join(dir, 'perqueue.sqlite');
  const db = new DatabaseSync(path);
  db.exec('CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  db.exec(MIGRATIONS[0]);
  db.exec("INSERT INTO meta(key, value) VALUES ('schema_version', '1')");
  db.prepare('INSERT INTO workflows(id, name, doc, created_at, python) VALUES (1, ?, ?, 0, ?)').run(
    'old',
    '{}',
    JSON.stringify({ python: '/py', venv: '/old-venv' })
  );
  db.close();
  return path;
}

describe('schema 2: submitters environments', () => {
  it('brings a schema-1 file forward with a backup; its workflow runs as before', () => {
    const path = schemaOneFile();
    const store = new Store(path);
    try {
      assert.equal(store.schemaVersion(), MIGRATIONS.length);
      assert.ok(existsSync(`${path}.v1.bak`), 'a backup of the schema-1 file');
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.deepEqual(store.workflowOrigin(1), { envId: null, cwd: null });
      const launch = new Launches(store, '/project', '/default-python').of(1);
      assert.deepEqual(launch, { python: '/py', venv: '/old-venv', envId: null, vars: null, workDir: '/project' });
      assert.equal(Launches.environmentLines(launch), null, "no stored environment: the job keeps the bridge's");
      assert.equal(Launches.scriptSuffix(launch), '');
    } finally {
      store.close();
    }
  });

  it('stores identical environments once, a retry replaces the workflow environment, unused ones go', () => {
    const store = new Store(schemaOneFile());
    try {
      const launches = new Launches(store, '/project', '/default-python');
      store.transaction(() => {
        for (const id of [2, 3]) {
          store.db
            .prepare('INSERT INTO workflows(id, name, doc, created_at) VALUES (?, ?, ?, 0)')
            .run(id, `wf${id}`, '{}');
          launches.recordSubmission(id, { python: '/py', environment: { PATH: '/a', X: '1' }, cwd: '/work/sub' });
        }
      });
      assert.equal(store.environmentCount(), 1);
      const two = launches.of(2);
      assert.deepEqual(
        [two.vars, two.workDir, two.envId === launches.of(3).envId],
        [{ PATH: '/a', X: '1' }, '/work/sub', true]
      );
      assert.equal(Launches.scriptSuffix(two), `-e${two.envId}`);
      store.transaction(() => launches.recordRetry(2, { PATH: '/a', X: '2' }));
      assert.equal(store.environmentCount(), 2);
      assert.deepEqual(launches.of(2).vars, { PATH: '/a', X: '2' });
      assert.equal(launches.of(2).workDir, '/work/sub', 'a retry keeps the working folder');
      store.transaction(() => launches.recordRetry(3, { PATH: '/a', X: '2' }));
      assert.equal(store.environmentCount(), 1, 'the first environment is used by no workflow any more');
      store.removeWorkflow(2);
      assert.equal(store.environmentCount(), 1);
      store.removeWorkflow(3);
      assert.equal(store.environmentCount(), 0);
    } finally {
      store.close();
    }
  });
});
