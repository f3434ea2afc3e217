// Log tails by lines, read from the end of the file (kernel-bridge/runner/results.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tailLines } from '../../kernel-bridge/runner/results.js';

const dir = mkdtempSync(join(tmpdir(), 'pq-tail-'));
const file = (name: string, text: string | Buffer) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('tailLines', () => {
  it('gives the last N lines, with or without a final newline', () => {
    const f = file('a', 'one\ntwo\nthree\n');
    assert.equal(tailLines(f, 1), 'three\n');
    assert.equal(tailLines(f, 2), 'two\nthree\n');
    assert.equal(tailLines(f, 3), 'one\ntwo\nthree\n');
    assert.equal(tailLines(f, 10), 'one\ntwo\nthree\n');
    assert.equal(tailLines(f, 0), '');
    const g = file('b', 'one\ntwo\nthree');
    assert.equal(tailLines(g, 1), 'three');
    assert.equal(tailLines(g, 2), 'two\nthree');
    assert.equal(tailLines(file('c', '\n\n\n'), 2), '\n\n');
    assert.equal(tailLines(file('d', ''), 5), '');
    assert.equal(tailLines(join(dir, 'missing'), 5), '');
  });

  it('finds lines across the chunks it reads', () => {
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i}`);
    const f = file('e', `${lines.join('\n')}\n`);
    assert.equal(tailLines(f, 30_000), `${lines.slice(20_000).join('\n')}\n`);
  });

  it('reads at most maxBytes, starting at a whole line, or at a whole character', () => {
    const f = file('f', `${'x'.repeat(100)}\nshort\nlast\n`);
    assert.equal(tailLines(f, 10, 20), 'short\nlast\n');
    const g = file('g', 'ééééééééé'); // two bytes each, no newline
    const t = tailLines(g, 10, 5);
    assert.ok(!t.includes('\ufffd'), JSON.stringify(t));
    assert.equal(t, 'éé');
  });
});
