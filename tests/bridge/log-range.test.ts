// Logs read from a byte offset on (kernel-bridge/runner/logRange.ts and GET /api/entries/:id/log
// ?offset=N): what a viewer following a running entry asks for, and every bad offset refused.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OffsetPastEnd, readLogRange } from '../../kernel-bridge/runner/logRange.js';
import { chainOf, Project, pyTask, spec } from './cli-harness.js';

describe('readLogRange', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pq-range-'));

  it('returns the bytes from the offset, the next offset and the size; appended bytes come next', () => {
    const f = join(dir, 'grow');
    writeFileSync(f, 'one\ntwo\n');
    assert.deepEqual(readLogRange(f, 0), { text: 'one\ntwo\n', offset: 8, size: 8 });
    assert.deepEqual(readLogRange(f, 4), { text: 'two\n', offset: 8, size: 8 });
    assert.deepEqual(readLogRange(f, 8), { text: '', offset: 8, size: 8 });
    appendFileSync(f, 'three');
    assert.deepEqual(readLogRange(f, 8), { text: 'three', offset: 13, size: 13 });
  });

  it('reads at most maxBytes and never ends inside a UTF-8 character', () => {
    const f = join(dir, 'utf8');
    writeFileSync(f, 'aé€😀z'); // 1 + 2 + 3 + 4 + 1 bytes
    assert.deepEqual(readLogRange(f, 0, 3), { text: 'aé', offset: 3, size: 11 });
    // A character cut by the bound is held back: nothing read, the same offset to ask again.
    assert.deepEqual(readLogRange(f, 3, 2), { text: '', offset: 3, size: 11 });
    assert.deepEqual(readLogRange(f, 3, 3), { text: '€', offset: 6, size: 11 });
    assert.deepEqual(readLogRange(f, 6, 3), { text: '', offset: 6, size: 11 });
    assert.deepEqual(readLogRange(f, 6, 5), { text: '😀z', offset: 11, size: 11 });
  });

  it('a missing file is empty at offset 0, and any offset past the end is refused', () => {
    assert.deepEqual(readLogRange(join(dir, 'none'), 0), { text: '', offset: 0, size: 0 });
    assert.deepEqual(readLogRange(null, 0), { text: '', offset: 0, size: 0 });
    assert.throws(() => readLogRange(join(dir, 'none'), 1), OffsetPastEnd);
    const f = join(dir, 'short');
    writeFileSync(f, 'abc');
    assert.throws(() => readLogRange(f, 4), /'offset' 4 is past the end of the log \(3 bytes\)/);
  });
});

describe('GET /api/entries/:id/log?offset=N', () => {
  const p = new Project('pq-logrange-');
  let base = '';
  let token = '';
  after(() => p.stop());
  const get = (path: string) => fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
  type Range = { text: string; offset: number; size: number; attempt: number; state: string };
  const read = async (id: number, offset: number, stream = 'stdout'): Promise<Range> => {
    const r = await get(`/api/entries/${id}/log?stream=${stream}&offset=${offset}`);
    assert.equal(r.status, 200, await r.clone().text());
    return (await r.json()) as Range;
  };

  it('follows a running entry: the first lines, then what it prints after its gate opens', async () => {
    const gate = join(p.dir, 'gate');
    const printer = p.script(
      'printer.py',
      'import os, sys, time\n' +
        'def main(gate, **kw):\n' +
        '    for i in range(3):\n' +
        '        print(f"early line {i}", flush=True)\n' +
        '    print("to stderr", file=sys.stderr, flush=True)\n' +
        '    while not os.path.exists(gate):\n' +
        '        time.sleep(0.05)\n' +
        '    for i in range(3):\n' +
        '        print(f"late line {i}", flush=True)\n' +
        '    return True, {}\n'
    );
    const wf = await p.submit(spec('printer', chainOf(pyTask('printer', printer, { gate }))));
    const info = JSON.parse(p.read('.perqueue/bridge.json'));
    base = `http://127.0.0.1:${info.port}`;
    token = info.token;
    const [entry] = await p.entries(wf);

    // Poll by offset until the early lines are there (the way the viewer follows).
    let text = '';
    let offset = 0;
    let last: Range | null = null;
    for (let i = 0; i < 600 && !text.includes('early line 2\n'); i++) {
      last = await read(entry.id, offset);
      text += last.text;
      offset = last.offset;
      if (!text.includes('early line 2\n')) await new Promise(r => setTimeout(r, 100));
    }
    // The runner's header (key, code, arguments) comes first, then what the task printed.
    assert.ok(text.startsWith('Perqueue key:') && text.endsWith('early line 0\nearly line 1\nearly line 2\n'), text);
    assert.equal(last!.state, 'running');
    assert.equal(last!.attempt, 1);
    assert.equal(last!.size, offset);
    assert.equal(text.includes('late line'), false, 'the gate is still closed');
    // Nothing new while the gate is closed: the same offset, empty text.
    const still = await read(entry.id, offset);
    assert.deepEqual([still.text, still.offset], ['', offset]);
    assert.match((await read(entry.id, 0, 'stderr')).text, /to stderr\n$/);

    writeFileSync(gate, '');
    assert.equal((await p.wait(wf)).code, 0);
    const rest = await read(entry.id, offset);
    assert.equal(rest.text, 'late line 0\nlate line 1\nlate line 2\n');
    assert.equal(rest.state, 'succeeded');
    assert.equal(rest.offset, rest.size);
    // The whole log read in one go equals the pieces.
    assert.equal((await read(entry.id, 0)).text, text + rest.text);

    // Bad offsets: 400 with what is wrong and where; unknown entries 404.
    for (const bad of ['abc', '-1', '1.5', '1e3', '', '9999999999999999']) {
      const r = await get(`/api/entries/${entry.id}/log?offset=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.match(((await r.json()) as { error: string }).error, /'offset'/, bad);
    }
    const past = await get(`/api/entries/${entry.id}/log?offset=${rest.size + 1}`);
    assert.equal(past.status, 400);
    assert.equal(
      ((await past.json()) as { error: string }).error,
      `entry ${entry.id}, stdout: 'offset' ${rest.size + 1} is past the end of the log (${rest.size} bytes)`
    );
    const both = await get(`/api/entries/${entry.id}/log?offset=0&tail=5`);
    assert.equal(both.status, 400);
    assert.match(((await both.json()) as { error: string }).error, /either 'offset' or 'tail', not both/);
    assert.equal((await get(`/api/entries/999999/log?offset=0`)).status, 404);
    assert.ok(existsSync(gate));
  });
});
