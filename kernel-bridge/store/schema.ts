// Schema migrations, applied in order inside one transaction. Never edit a released step:
// add a new one, so that every existing project file can be brought forward.
export const MIGRATIONS: string[] = [
  // 1: workflows, nodes (a JSON body plus the columns queries filter on), edges, runs, events.
  `
  CREATE TABLE workflows (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    width_overrides TEXT NOT NULL DEFAULT '{}',
    active INTEGER NOT NULL DEFAULT 1,
    python TEXT
  );
  CREATE TABLE nodes (
    id INTEGER PRIMARY KEY,
    workflow_id INTEGER NOT NULL REFERENCES workflows(id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    body TEXT NOT NULL
  );
  CREATE INDEX nodes_by_workflow_state ON nodes(workflow_id, state);
  CREATE INDEX nodes_by_state ON nodes(state);
  CREATE TABLE edges (
    child INTEGER NOT NULL,
    parent INTEGER NOT NULL,
    join_id INTEGER,
    PRIMARY KEY (child, parent)
  ) WITHOUT ROWID;
  CREATE INDEX edges_by_parent ON edges(parent);
  CREATE TABLE runs (
    node_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    run_dir TEXT NOT NULL,
    job_name TEXT NOT NULL,
    executor TEXT NOT NULL,
    job_id TEXT,
    submitted_at INTEGER NOT NULL,
    PRIMARY KEY (node_id, attempt)
  );
  CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    workflow_id INTEGER NOT NULL,
    node_id INTEGER,
    type TEXT NOT NULL,
    state TEXT
  );
  `,
  // 2: the submitter's environment and working folder. Environments are shared by every
  // submission and retry that sent the same variables; a retry's replaces the workflow's.
  `
  CREATE TABLE environments (
    id INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    vars TEXT NOT NULL
  );
  ALTER TABLE workflows ADD COLUMN env_id INTEGER REFERENCES environments(id);
  ALTER TABLE workflows ADD COLUMN cwd TEXT;
  `,
  // 3: entries per workflow and state: the status of a 1,000,000-entry workflow is a few rows
  // instead of a scan of its index. Changes and deletions are counted by triggers; new entries
  // by Store.persist() itself, a row per state instead of a trigger per entry (which doubled
  // the time to store a wide group). Writers update nodes in place (an upsert), never with
  // INSERT OR REPLACE, whose delete fires no trigger.
  `
  CREATE TABLE node_counts (
    workflow_id INTEGER NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, state)
  ) WITHOUT ROWID;
  INSERT INTO node_counts(workflow_id, state, n) SELECT workflow_id, state, count(*) FROM nodes GROUP BY workflow_id, state;
  CREATE TRIGGER node_counts_delete AFTER DELETE ON nodes BEGIN
    UPDATE node_counts SET n = n - 1 WHERE workflow_id = OLD.workflow_id AND state = OLD.state;
  END;
  CREATE TRIGGER node_counts_update AFTER UPDATE OF workflow_id, state ON nodes
    WHEN OLD.workflow_id IS NOT NEW.workflow_id OR OLD.state IS NOT NEW.state BEGIN
    UPDATE node_counts SET n = n - 1 WHERE workflow_id = OLD.workflow_id AND state = OLD.state;
    INSERT INTO node_counts(workflow_id, state, n) VALUES (NEW.workflow_id, NEW.state, 1)
      ON CONFLICT(workflow_id, state) DO UPDATE SET n = n + 1;
  END;
  `
];

export const SCHEMA_VERSION = MIGRATIONS.length;
