// `pql export` (POST /api/export) as a user runs it: a process against a real daemon while a
// workflow runs; the archive is checked as a real SQLite file with node:sqlite.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { chainOf, checkOverwriteNeedsForce, Project, projectMaker, pyTask, spec } from './cli-harness.js';

const project = projectMaker('pq-export-');

const SAY = 'def main(x=0, **kw):\n    print("hello from", x, flush=True)\n    return True, {"x": x + 1}\n';
// Prints a line, then waits for the file 'go' in the project folder: running for as long as the test wants.
const gateCode = (goFile: string) =>
  'import os, time\ndef main(**kw):\n    print("gate started", flush=True)\n' +
  `    while not os.path.exists(${JSON.stringify(goFile)}):\n        time.sleep(0.05)\n    return True, {}\n`;

function openArchive(file: string): DatabaseSync {
  return new DatabaseSync(file, { readOnly: true });
}

async function untilRunning(p: Project, wf: number): Promise<void> {
  // Wait on what the bridge reports (the entry running and its first line written), never on time.
  for (;;) {
    const running = (await p.entries(wf)).find(e => e.state === 'running');
    if (
      running &&
      existsSync(join(p.dir, `.perqueue/runs/${wf}/${running.id}.1/stdout`)) &&
      readFileSync(join(p.dir, `.perqueue/runs/${wf}/${running.id}.1/stdout`), 'utf8').includes('gate started')
    )
      return;
    await new Promise(r => setTimeout(r, 100));
  }
}

describe('pql export', () => {
  it('writes a consistent archive of the workflows asked, with their logs, while one of them runs', async () => {
    const p = project();
    const say = p.script('say.py', SAY);
    const gate = p.script('gate.py', gateCode(join(p.dir, 'go')));
    // Submitted with a secret in the environment: the project keeps it for the tasks, the archive must not.
    process.env.PQ_EXPORT_TEST_SECRET = 'not-for-archives-8d1f';
    const done = await p.submit(spec('finished-one', chainOf(pyTask('a', say, { x: 1 }), pyTask('b', say))));
    const other = await p.submit(spec('secret-other-workflow', chainOf(pyTask('c', say, { x: 7 }))));
    for (const wf of [done, other]) assert.equal((await p.wait(wf)).code, 0);
    const live = await p.submit(spec('still-running', chainOf(pyTask('g', gate), pyTask('after', say))));
    await untilRunning(p, live);

    // What the bridge wrote last is still in the write-ahead log, which a plain file copy misses.
    assert.ok(statSync(join(p.dir, '.perqueue/perqueue.sqlite-wal')).size > 0);
    const r = await p.pql('export', '-w', String(done), '-w', String(live), '-o', 'both.pqarchive', '--with-logs');
    assert.equal(r.code, 0, r.stderr);
    const file = join(p.dir, 'both.pqarchive');
    assert.match(
      r.stdout,
      new RegExp(
        `exported workflows ${done} \\('finished-one', 2 entries\\), ${live} \\('still-running', 2 entries\\) with \\d+ logs to ${file}`
      )
    );
    // One file: nothing beside it, and nothing of the workflow not asked for, even in free pages.
    assert.equal(existsSync(`${file}-wal`), false);
    assert.equal(readFileSync(file).includes('secret-other-workflow'), false);
    const live_ = new DatabaseSync(join(p.dir, '.perqueue/perqueue.sqlite'), { readOnly: true });
    try {
      const vars = live_
        .prepare('SELECT vars FROM environments')
        .all()
        .map(r => String(r.vars));
      assert.ok(
        vars.some(v => v.includes('not-for-archives-8d1f')),
        'the project keeps the environment'
      );
    } finally {
      live_.close();
    }
    assert.equal(readFileSync(file).includes('not-for-archives-8d1f'), false);
    delete process.env.PQ_EXPORT_TEST_SECRET;

    const db = openArchive(file);
    try {
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
      assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'delete');
      const wfs = db
        .prepare('SELECT id, name FROM workflows ORDER BY id')
        .all()
        .map(w => ({ ...w }));
      assert.deepEqual(wfs, [
        { id: done, name: 'finished-one' },
        { id: live, name: 'still-running' }
      ]);
      const states = db
        .prepare('SELECT workflow_id AS wf, name, state FROM nodes ORDER BY id')
        .all()
        .map(n => ({ ...n }));
      assert.deepEqual(states, [
        { wf: done, name: 'a', state: 'succeeded' },
        { wf: done, name: 'b', state: 'succeeded' },
        { wf: live, name: 'g', state: 'running' },
        { wf: live, name: 'after', state: 'waiting' }
      ]);
      const foreign = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
      assert.equal(foreign(`SELECT count(*) AS n FROM events WHERE workflow_id NOT IN (${done}, ${live})`), 0);
      assert.equal(foreign('SELECT count(*) AS n FROM runs WHERE node_id NOT IN (SELECT id FROM nodes)'), 0);
      assert.equal(foreign('SELECT count(*) AS n FROM edges WHERE child NOT IN (SELECT id FROM nodes)'), 0);
      const logs = db
        .prepare(
          "SELECT n.name AS name, l.text AS text FROM logs l JOIN nodes n ON n.id = l.node_id WHERE l.stream = 'stdout' ORDER BY n.id"
        )
        .all();
      // The runner's header, then what the task printed: its last line is the task's own.
      const lastLine = (text: string) => text.trimEnd().split('\n').pop();
      assert.deepEqual(
        logs.map(l => ({ name: l.name, last: lastLine(String(l.text)) })),
        [
          { name: 'a', last: 'hello from 1' },
          { name: 'b', last: 'hello from 2' },
          { name: 'g', last: 'gate started' }
        ]
      );
      // The same bytes as the run folder's file.
      const [a] = await p.entries(done);
      assert.equal(logs[0].text, readFileSync(join(p.dir, `.perqueue/runs/${done}/${a.id}.1/stdout`), 'utf8'));
      const meta = JSON.parse(
        (db.prepare("SELECT value FROM meta WHERE key='archive'").get() as { value: string }).value
      );
      assert.deepEqual(meta.workflows, [done, live]);
    } finally {
      db.close();
    }

    // The workflow goes on after the export, and the project's own file is untouched by it.
    writeFileSync(join(p.dir, 'go'), '');
    assert.equal((await p.wait(live)).code, 0);
    assert.equal((await p.entries(other)).length, 1);
  });

  it('without --with-logs has no logs table; the default name comes from the workflow', async () => {
    const p = project();
    const say = p.script('say.py', SAY);
    const wf = await p.finish(spec('my run/1', chainOf(pyTask('a', say))));
    const r = await p.pql('export', String(wf));
    assert.equal(r.code, 0, r.stderr);
    const file = join(p.dir, `my_run_1-${wf}.pqarchive`);
    const db = openArchive(file);
    try {
      assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name='logs'").get(), undefined);
      assert.equal((db.prepare('SELECT count(*) AS n FROM nodes').get() as { n: number }).n, 1);
    } finally {
      db.close();
    }
  });

  it('refuses a missing workflow, no workflow and an existing file, writing nothing', async () => {
    const p = project();
    const say = p.script('say.py', SAY);
    const wf = await p.finish(spec('one', chainOf(pyTask('a', say))));

    const none = await p.pql('export');
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /pql export needs -w WF/);

    const missing = await p.pql('export', '-w', String(wf), '-w', '999', '-o', 'x.pqarchive');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no workflow 999/);
    assert.equal(existsSync(join(p.dir, 'x.pqarchive')), false);

    const bad = await p.pql('export', '-w', 'abc');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /abc/);

    const taken = await checkOverwriteNeedsForce(p, 'export', wf, 'taken.pqarchive');
    assert.equal(readFileSync(taken).subarray(0, 15).toString(), 'SQLite format 3');
  });

  it('POST /api/export answers the archive over HTTP and refuses bad bodies with 400', async () => {
    const p = project();
    const say = p.script('say.py', SAY);
    const wf = await p.finish(spec('api-one', chainOf(pyTask('a', say))));
    const info = JSON.parse(p.read('.perqueue/bridge.json'));
    const post = (body: unknown, token = info.token) =>
      fetch(`http://127.0.0.1:${info.port}/api/export`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body)
      });
    assert.equal((await post({ workflows: [wf] }, 'wrong')).status, 401);
    const ok = await post({ workflows: [wf], withLogs: true });
    assert.equal(ok.status, 200);
    const answer = (await ok.json()) as {
      workflows: { id: number; name: string; entries: number }[];
      logs: number;
      size: number;
      content: string;
    };
    assert.deepEqual(answer.workflows, [{ id: wf, name: 'api-one', entries: 1 }]);
    assert.equal(answer.logs, 2); // its stdout and stderr
    const bytes = Buffer.from(answer.content, 'base64');
    assert.equal(bytes.length, answer.size);
    const file = join(p.dir, 'api.pqarchive');
    writeFileSync(file, bytes);
    const db = openArchive(file);
    try {
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    } finally {
      db.close();
    }
    for (const [body, message] of [
      [{}, /'workflows' must be a list of workflow ids/],
      [{ workflows: ['1'] }, /field 'workflows': must be a list of workflow ids, got \["1"\]/],
      [{ workflows: [wf], withLogs: 'yes' }, /field 'withLogs': must be true or false, got 'yes'/],
      [{ workflows: [] }, /at least one workflow/],
      [{ workflows: [wf, 4242] }, /no workflow 4242/],
      [{ workflows: [-1] }, /'-1' is not a workflow id/]
    ] as const) {
      const r = await post(body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(((await r.json()) as { error: string }).error, message);
    }
  });
});
