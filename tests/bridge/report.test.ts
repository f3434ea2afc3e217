// `pql report` as a user runs it: a process on a real project with a finished workflow; the HTML
// it writes is read back and checked against the project's database.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, it } from 'node:test';
import { chainOf, checkOverwriteNeedsForce, projectMaker, pyTask, spec } from './cli-harness.js';

const project = projectMaker('pq-report-');

const OK = 'def main(x=0, **kw):\n    return True, {"x": x + 1}\n';
const FAIL = 'def main(**kw):\n    raise RuntimeError("this one fails")\n';

interface StoredNode {
  id: number;
  name: string;
  kind: string;
  state: string;
  index: number[];
  startedAt: number | null;
  endedAt: number | null;
}

function storedNodes(dir: string, wf: number): StoredNode[] {
  const db = new DatabaseSync(join(dir, '.perqueue/perqueue.sqlite'), { readOnly: true });
  try {
    return db
      .prepare('SELECT body FROM nodes WHERE workflow_id = ?')
      .all(wf)
      .map(r => JSON.parse(String(r.body)) as StoredNode);
  } finally {
    db.close();
  }
}

describe('pql report', () => {
  it('writes a standalone HTML file with every entry, the counts per state and the slowest entry first', async () => {
    const p = project();
    const ok = p.script('ok.py', OK);
    const fail = p.script('fail.py', FAIL);
    // A first task, a column of four, then one that fails and one that never runs after it.
    const root = chainOf(
      pyTask('first', ok),
      { kind: 'static_width', body: pyTask('col', ok, { x: 1 }), width: 4 },
      pyTask('breaks', fail),
      pyTask('never', ok)
    );
    const wf = await p.submit(spec('report-me', root));
    await p.wait(wf);

    const r = await p.pql('report', '-w', String(wf), '-o', 'report.html');
    assert.equal(r.code, 0, r.stderr);
    const file = join(p.dir, 'report.html');
    assert.match(r.stdout, new RegExp(`wrote the report of workflow ${wf} \\('report-me', 7 entries\\) to ${file}`));
    const html = readFileSync(file, 'utf8');

    // Standalone: no address outside the file (scripts, styles, images, fonts).
    assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    assert.doesNotMatch(html, /@import|url\(\s*["']?https?:/i);
    assert.match(html, /<svg class="plot"/);

    const nodes = storedNodes(p.dir, wf).filter(n => n.kind === 'task');
    assert.equal(nodes.length, 7);
    // Every entry that ran has its bar in the timeline; the one that never ran has its row, empty.
    for (const n of nodes) {
      if (n.startedAt !== null)
        assert.match(
          html,
          new RegExp(`<g class="bar[^"]*" data-entry="${n.id}" data-state="${n.state}">`),
          `entry ${n.id}`
        );
    }
    assert.match(html, /<text[^>]*>col \(4\)<\/text>/);
    assert.match(html, /<text[^>]*>never<\/text>/);
    assert.match(html, /<span id="entry-count">7<\/span> entries/);

    // The funnel's counts equal the database's.
    const counts = new Map<string, number>();
    for (const n of nodes) counts.set(n.state, (counts.get(n.state) ?? 0) + 1);
    assert.deepEqual(Object.fromEntries(counts), { succeeded: 5, failed: 1, blocked: 1 });
    for (const [state, count] of counts) {
      assert.match(html, new RegExp(`<tr data-state="${state}">.*?<td class="count">${count}</td>`), state);
    }
    assert.match(html, /class="wf-state">failed</);

    // The slowest table starts with the entry that ran longest, by the database's times.
    const ran = nodes.filter(n => n.startedAt !== null && n.endedAt !== null);
    const longest = Math.max(...ran.map(n => n.endedAt! - n.startedAt!));
    const slowestIds = ran.filter(n => n.endedAt! - n.startedAt! === longest).map(n => n.id);
    const table = html.slice(html.indexOf('<table class="slowest">'));
    const firstRow = /<tr data-entry="(\d+)">/.exec(table);
    assert.ok(firstRow, 'the slowest table has rows');
    assert.ok(slowestIds.includes(Number(firstRow[1])), `first row ${firstRow[1]}, longest runs ${slowestIds}`);
    // Every entry that ran is listed (fewer than the table's limit).
    for (const n of ran) assert.match(table, new RegExp(`<tr data-entry="${n.id}">`));
  });

  it('refuses an unknown workflow, a missing -w, a file that exists and a folder it cannot write, naming each', async () => {
    const p = project();
    const wf = await p.submit(spec('small', chainOf(pyTask('a', p.script('ok.py', OK)))));
    await p.wait(wf);

    const unknown = await p.pql('report', '-w', '999');
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /no workflow 999 in /);

    const missing = await p.pql('report');
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /pql report needs -w WF/);

    const notANumber = await p.pql('report', '-w', 'abc');
    assert.notEqual(notANumber.code, 0);
    assert.match(notANumber.stderr, /expected a workflow id \(a number\), got 'abc'/);

    const noFolder = await p.pql('report', '-w', String(wf), '-o', 'nowhere/r.html');
    assert.notEqual(noFolder.code, 0);
    assert.match(noFolder.stderr, /cannot write the report to .*nowhere\/r\.html: no folder .*nowhere/);

    // Below a file rather than a folder: the system refuses, and the message says where.
    writeFileSync(join(p.dir, 'plain'), 'x');
    const belowFile = await p.pql('report', '-w', String(wf), '-o', 'plain/r.html');
    assert.notEqual(belowFile.code, 0);
    assert.match(belowFile.stderr, /cannot write the report to .*plain\/r\.html/);

    mkdirSync(join(p.dir, 'dir.html'));
    const folder = await p.pql('report', '-w', String(wf), '-o', 'dir.html', '--force');
    assert.notEqual(folder.code, 0);
    assert.match(folder.stderr, /dir\.html is a folder/);

    const kept = await checkOverwriteNeedsForce(p, 'report', wf, 'kept.html');
    assert.match(readFileSync(kept, 'utf8'), /^<!DOCTYPE html>/);

    // The default name is the workflow's, beside the caller.
    const plain = await p.pql('report', '-w', String(wf));
    assert.equal(plain.code, 0, plain.stderr);
    assert.ok(existsSync(join(p.dir, `small-${wf}-report.html`)));
  });
});
