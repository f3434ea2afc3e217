// Removing workflows (`pql rm -w`, POST /api/workflows/{id}/remove) as a user does: through the
// CLI against a real daemon, checked in the real SQLite file and the project folder.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { chainOf, Project, projectMaker, pyTask, spec } from './cli-harness.js';

const project = projectMaker('pq-rm-');

const ADD = 'def main(x=0, **kw):\n    return True, {"x": x + 1}\n';
const SLEEP = 'import time\ndef main(**kw):\n    time.sleep(600)\n    return True, {}\n';

/** Rows of the workflow in each table of the project's SQLite file (its removal event aside). */
function rowsOf(p: Project, wf: number): Record<string, number> {
  return withDb(p, db => {
    const count = (sql: string) => (db.prepare(sql).get({ wf }) as { n: number }).n;
    const entries = 'SELECT id FROM nodes WHERE workflow_id=:wf';
    return {
      workflows: count('SELECT count(*) AS n FROM workflows WHERE id=:wf'),
      nodes: count('SELECT count(*) AS n FROM nodes WHERE workflow_id=:wf'),
      edges: count(`SELECT count(*) AS n FROM edges WHERE child IN (${entries}) OR parent IN (${entries})`),
      runs: count(`SELECT count(*) AS n FROM runs WHERE node_id IN (${entries})`),
      events: count(
        "SELECT count(*) AS n FROM events WHERE workflow_id=:wf AND NOT (type='workflow' AND state='removed')"
      )
    };
  });
}

function withDb<T>(p: Project, fn: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(join(p.dir, '.perqueue/perqueue.sqlite'), { readOnly: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

async function statusIds(p: Project): Promise<number[]> {
  const r = await p.pql('status', '--json');
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { id: number }[]).map(w => w.id);
}

describe('pql rm', () => {
  it('removes a finished workflow from the store and its run folders; the others are untouched; ids are not reused', async () => {
    const p = project();
    const add = p.script('add.py', ADD);
    const gone = await p.submit(spec('old', chainOf(pyTask('a', add), pyTask('b', add), pyTask('c', add))));
    const kept = await p.submit(spec('kept', chainOf(pyTask('a', add), pyTask('b', add))));
    for (const wf of [gone, kept]) assert.equal((await p.wait(wf)).code, 0);
    const keptBefore = rowsOf(p, kept);
    const keptEntries = await p.entries(kept);
    assert.ok(existsSync(join(p.dir, `.perqueue/runs/${gone}`)));

    const r = await p.pql('rm', '-w', String(gone));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `workflow ${gone} ('old') removed: 3 entries and its run folders`);
    assert.deepEqual(rowsOf(p, gone), { workflows: 0, nodes: 0, edges: 0, runs: 0, events: 0 });
    assert.equal(existsSync(join(p.dir, `.perqueue/runs/${gone}`)), false);
    assert.deepEqual(await statusIds(p), [kept]);
    assert.deepEqual(rowsOf(p, kept), keptBefore);
    assert.deepEqual(await p.entries(kept), keptEntries);
    assert.ok(existsSync(join(p.dir, `.perqueue/runs/${kept}`)));
    const show = await p.pql('show', String(keptEntries[0].id - 3));
    assert.notEqual(show.code, 0, 'an entry of the removed workflow is gone');

    // Live clients hear of it once, as the newest event.
    const newest = withDb(p, db =>
      db.prepare('SELECT workflow_id AS wf, node_id AS node, type, state FROM events ORDER BY seq DESC LIMIT 1').get()
    );
    assert.deepEqual({ ...newest }, { wf: gone, node: null, type: 'workflow', state: 'removed' });
    // A daemon restart keeps counting from where it was: no id of the removed workflow comes back.
    await p.stop();
    const next = await p.submit(spec('next', chainOf(pyTask('a', add))));
    assert.ok(next > kept, `workflow id ${next} after ${kept}`);
    const nextEntries = await p.entries(next);
    assert.ok(nextEntries[0].id > keptEntries[keptEntries.length - 1].id);
    assert.equal((await p.wait(next)).code, 0);
  });

  it('--keep-files keeps the run folders; several workflows at once', async () => {
    const p = project();
    const add = p.script('add.py', ADD);
    const a = await p.submit(spec('a', chainOf(pyTask('a', add))));
    const b = await p.submit(spec('b', chainOf(pyTask('b', add))));
    for (const wf of [a, b]) assert.equal((await p.wait(wf)).code, 0);
    const r = await p.pql('rm', '-w', String(a), String(b), '--keep-files');
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`workflow ${a} \\('a'\\) removed: 1 entries \\(run folders kept in .*/runs/${a}\\)`)
    );
    assert.match(r.stdout, new RegExp(`workflow ${b} \\('b'\\) removed`));
    assert.deepEqual(await statusIds(p), []);
    assert.ok(existsSync(join(p.dir, `.perqueue/runs/${a}`)));
    assert.ok(readdirSync(join(p.dir, `.perqueue/runs/${b}`)).length > 0);
  });

  it('a failed or cancelled workflow can be removed; a running one or one waiting for a person is refused and kept whole', async () => {
    const p = project();
    const sleep = p.script('sleep.py', SLEEP);
    const bad = p.script('bad.py', 'def main(**kw):\n    raise RuntimeError("no")\n');
    const add = p.script('add.py', ADD);
    const running = await p.submit(spec('busy', chainOf(pyTask('s', sleep), pyTask('after', add))));
    const human = await p.submit(
      spec('human', chainOf({ kind: 'manual', name: 'check', args: {}, onReject: 'fail' }, pyTask('after', add)))
    );
    const failed = await p.submit(spec('failing', chainOf(pyTask('bad', bad), pyTask('after', add))));
    assert.equal((await p.wait(failed)).code, 1);
    for (const end = Date.now() + 60_000; (await p.entries(running))[0].state !== 'running' && Date.now() < end;)
      await new Promise(res => setTimeout(res, 100));
    assert.equal((await p.wait(human, 5)).code, 3);

    const before = rowsOf(p, running);
    const r1 = await p.pql('rm', '-w', String(running));
    assert.equal(r1.code, 2);
    assert.equal(
      r1.stderr.trim(),
      `pql: workflow ${running} ('busy') is still running (1 running, 1 waiting): cancel it first (pql cancel -w ${running})`
    );
    assert.deepEqual(rowsOf(p, running), before, 'nothing of it was removed');
    assert.ok(existsSync(join(p.dir, `.perqueue/runs/${running}`)));
    assert.equal((await p.entries(running))[0].state, 'running');

    const r2 = await p.pql('rm', '-w', String(human));
    assert.equal(r2.code, 2);
    assert.match(
      r2.stderr,
      new RegExp(
        `workflow ${human} \\('human'\\) is waiting for a person \\(1 waiting, 1 awaiting_input\\): cancel it first`
      )
    );
    assert.equal(rowsOf(p, human).nodes, 2);

    assert.equal((await p.pql('rm', '-w', String(failed))).code, 0);
    assert.equal((await p.pql('cancel', '-w', String(running))).code, 0);
    const r3 = await p.pql('rm', '-w', String(running));
    assert.equal(r3.code, 0, r3.stderr);
    assert.deepEqual(await statusIds(p), [human]);
  });

  it('bad input: no workflow, a workflow that does not exist, an id that is not a number', async () => {
    const p = project();
    const add = p.script('add.py', ADD);
    const wf = await p.finish(spec('one', chainOf(pyTask('a', add))));
    const none = await p.pql('rm');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /rm needs -w WF/);
    const missing = await p.pql('rm', '-w', '999');
    assert.equal(missing.code, 2);
    assert.equal(missing.stderr.trim(), 'pql: no workflow 999');
    const word = await p.pql('rm', '-w', 'one');
    assert.equal(word.code, 2);
    assert.match(word.stderr, /expected a workflow id \(a number\), got 'one'/);
    assert.deepEqual(await statusIds(p), [wf], 'nothing was removed');
  });

  it('run files that cannot be deleted are named; the workflow is removed from the store all the same', async () => {
    const p = project();
    const add = p.script('add.py', ADD);
    const wf = await p.finish(spec('stuck', chainOf(pyTask('a', add))));
    const pinned = join(p.dir, `.perqueue/runs/${wf}/pinned`);
    writeFileSync(pinned, '');
    // An immutable file (root included cannot delete it) stands for any file system refusal.
    const chattr = spawnSync('chattr', ['+i', pinned], { encoding: 'utf8' });
    assert.equal(chattr.status, 0, `chattr +i: ${chattr.stderr}`);
    try {
      const r = await p.pql('rm', '-w', String(wf));
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(
          `workflow ${wf} \\('stuck'\\) removed: 1 entries but not all of .*/runs/${wf}: .*(not permitted|EPERM)`
        )
      );
      assert.deepEqual(await statusIds(p), []);
      assert.ok(existsSync(pinned));
    } finally {
      spawnSync('chattr', ['-i', pinned]);
    }
  });
});
