// `pql ls` reads entries as it prints them: a listing longer than one chunk of rows is whole,
// in id order, with the same counts, as text, as JSON and as counts; a reader that stops early
// (`pql ls | head -1`) ends it quietly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { PQL, projectMaker, spec } from './cli-harness.js';

const project = projectMaker('pq-ls-stream-');
const manual = { kind: 'manual', name: 'm', args: {}, onReject: 'fail' };
const WIDTH = 1200; // more than two chunks of rows

describe('pql ls streams', () => {
  it('lists every entry of a wide group in id order, as text, JSON and counts', async () => {
    const p = project();
    const small = await p.submit(spec('small', { kind: 'static_width', name: 'few', width: 3, body: manual }));
    const wide = await p.submit(spec('wide', { kind: 'static_width', name: 'columns', width: WIDTH, body: manual }));

    const text = await p.pql('ls');
    assert.equal(text.code, 0, text.stderr);
    const lines = text.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^id\s+wf\s+name\s+kind\s+state\s+index\s+iter\s+try\s+job\s+args\s+data\s+error$/);
    assert.equal(lines.at(-1), `awaiting_input: ${WIDTH + 3}. Total: ${WIDTH + 3}`);
    const ids = lines.slice(1, -1).map(l => Number(l.split(/\s+/)[0]));
    assert.equal(ids.length, WIDTH + 3);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b)
    );
    assert.equal(new Set(ids).size, ids.length);
    // The columns line up across chunks: every row's state starts where the header's does.
    const at = lines[0].indexOf('state');
    for (const l of lines.slice(1, -1)) assert.equal(l.slice(at, at + 'awaiting_input'.length), 'awaiting_input', l);

    const json = await p.pql('ls', '--json', '-w', String(wide));
    assert.equal(json.code, 0, json.stderr);
    const entries = JSON.parse(json.stdout) as { id: number; workflowId: number; index: number[] }[];
    assert.equal(entries.length, WIDTH);
    assert.ok(entries.every(e => e.workflowId === wide));
    assert.deepEqual(
      entries.map(e => e.index[0]),
      Array.from({ length: WIDTH }, (_, i) => i)
    );
    assert.deepEqual(JSON.parse((await p.pql('ls', '--json', '-w', '999')).stdout), []);

    assert.equal((await p.pql('ls', '-C', '-w', String(small))).stdout.trim(), 'awaiting_input: 3. Total: 3');
    assert.deepEqual(JSON.parse((await p.pql('ls', '-C', '--json')).stdout), { awaiting_input: WIDTH + 3 });
    // A selection filters the stream; a short listing keeps the exact layout (no empty error column).
    const some = await p.pql('ls', '-i', `${entries[10].id}-${entries[12].id}`);
    const someLines = some.stdout.trimEnd().split('\n');
    assert.doesNotMatch(someLines[0], /error/);
    assert.deepEqual(
      someLines.slice(1, -1).map(l => Number(l.split(/\s+/)[0])),
      [entries[10].id, entries[11].id, entries[12].id]
    );
    assert.equal(someLines.at(-1), 'awaiting_input: 3. Total: 3');
  });

  it('a reader that closes the pipe after the first line ends the listing without an error', async () => {
    const p = project();
    await p.submit(spec('wide', { kind: 'static_width', name: 'columns', width: WIDTH, body: manual }));
    const child = spawn(process.execPath, [PQL, 'ls'], { cwd: p.dir, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', c => (stderr += c));
    const first = await new Promise<string>(ok => {
      let got = '';
      child.stdout.on('data', (c: Buffer) => {
        got += c.toString();
        if (got.includes('\n')) {
          child.stdout.destroy();
          ok(got.split('\n')[0]);
        }
      });
    });
    assert.match(first, /^id\s+wf\s+name/);
    const code = await new Promise<number | null>(ok => child.on('close', c => ok(c)));
    assert.equal(stderr, '');
    assert.equal(code, 0);
  });
});
