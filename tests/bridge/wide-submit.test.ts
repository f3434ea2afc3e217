// A StaticWidthGroup three times wider than the old limit (the width that once overflowed the
// stack with a 500) is submitted through `pql submit`, stored in one transaction and read back
// through the paged API and `pql status`/`pql ls -C` without anything reading it whole.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectMaker, spec } from './cli-harness.js';

const project = projectMaker('pq-wide-');
const WIDTH = 300_000;

describe('a wide group', () => {
  it(`${WIDTH.toLocaleString('en-US')} columns are submitted, stored and counted`, async () => {
    const p = project();
    // Manual steps: every column waits for a person, so nothing runs and the test stays light.
    const manual = { kind: 'manual', name: 'm', args: {}, onReject: 'fail' };
    const wf = await p.submit(spec('wide', { kind: 'static_width', name: 'columns', width: WIDTH, body: manual }));
    const info = JSON.parse(readFileSync(join(p.dir, '.perqueue/bridge.json'), 'utf8')) as {
      port: number;
      token: string;
    };
    const get = (path: string) =>
      fetch(`http://127.0.0.1:${info.port}${path}`, { headers: { authorization: `Bearer ${info.token}` } });

    const page = (await (await get(`/api/workflows?after=${wf - 1}&limit=1`)).json()) as {
      workflows: { id: number; total: number; counts: Record<string, number> }[];
    };
    assert.equal(page.workflows[0].id, wf);
    assert.equal(page.workflows[0].total, WIDTH);
    assert.deepEqual(page.workflows[0].counts, { awaiting_input: WIDTH });

    const first = (await (await get(`/api/entries?workflow=${wf}&limit=3`)).json()) as {
      entries: { index: number[] }[];
      next: number;
    };
    assert.deepEqual(
      first.entries.map(e => e.index),
      [[0], [1], [2]]
    );
    const last = (await (await get(`/api/entries?workflow=${wf}&after=${first.next + WIDTH - 4}`)).json()) as {
      entries: { index: number[] }[];
      next: null;
    };
    assert.deepEqual(
      last.entries.map(e => e.index),
      [[WIDTH - 1]]
    );
    assert.equal(last.next, null);

    const counts = await p.pql('ls', '-C', '-w', String(wf));
    assert.equal(counts.stdout.trim(), `awaiting_input: ${WIDTH}. Total: ${WIDTH}`);
    const status = await p.pql('status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`\\b${WIDTH}\\b`));
  });
});
