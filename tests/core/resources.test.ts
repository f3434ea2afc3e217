// Table test of resource strings. The MyQueue rows are the doctests and documented examples of
// myqueue/resources.py, docs/documentation.rst and the `mq submit -R` help (MyQueue bc4953a and
// 26.8.1); the PerQueue rows are the `local` forms PerQueue scripts use.
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { ResourceError } from '../../core/errors.js';
import {
  formatDuration,
  formatResources,
  parseDuration,
  parseResources,
  type Resources
} from '../../core/resources.js';
import { REPO } from '../bridge/cli-harness.js';

interface Case {
  text: string;
  fields: Resources;
  printed: string;
  perqueueLocal?: boolean;
}
interface BadCase {
  text: string;
  error: string;
  myqueueRefuses: boolean;
}

// One table for both languages: tests/python/test_resources_states.py reads it too, and checks
// the MyQueue rows against MyQueue itself where the baseline is installed.
const CASES = JSON.parse(readFileSync(join(REPO, 'tests/fixtures/resources/cases.json'), 'utf8')) as {
  valid: Case[];
  invalid: BadCase[];
};

test('the shared table holds the cases named in the docs', () => {
  const texts = CASES.valid.map(c => c.text);
  for (const t of ['8:1:8G:sm3090el8:2h', '8:4G:gpu:1h', '8:1h:2.5', 's:1:1h', 'local'])
    assert.ok(texts.includes(t), t);
});

for (const c of CASES.valid) {
  test(`parse ${c.text}`, () => {
    const r = parseResources(c.text);
    assert.deepEqual(r, c.fields);
    assert.equal(formatResources(r), c.printed);
    // The printed form reads back to the same fields, but for the weight: MyQueue prints
    // int(weight), so a weight below 1 prints as ':0' and reads back as 0.
    const again = parseResources(c.printed);
    assert.deepEqual({ ...again, weight: 0 }, { ...c.fields, weight: 0 });
    assert.equal(again.weight, c.fields.weight > 0 ? Math.trunc(c.fields.weight) : -1);
  });
}

for (const c of CASES.invalid) {
  test(`reject '${c.text}'`, () => {
    assert.throws(
      () => parseResources(c.text),
      (e: unknown) => {
        assert.ok(e instanceof ResourceError, `expected a ResourceError, got ${String(e)}`);
        assert.ok(e.message.includes(`'${c.text}'`), `message names the string: ${e.message}`);
        assert.ok(e.message.includes(c.error), `${e.message} should say ${c.error}`);
        return true;
      }
    );
  });
}

test('parseResources refuses a value that is not a string', () => {
  assert.throws(() => parseResources(undefined as unknown as string), ResourceError);
});

// myqueue/resources.py seconds_to_short_time_string doctests and T()
test('durations', () => {
  const cases: [string, number][] = [
    ['42s', 42],
    ['2h', 7200],
    ['10m', 600],
    ['1d', 86400],
    ['90s', 90],
    ['36h', 129600]
  ];
  for (const [text, seconds] of cases) {
    assert.equal(parseDuration(text), seconds, text);
    assert.equal(formatDuration(seconds), text, String(seconds));
  }
  assert.equal(formatDuration(3600 * 48), '2d');
  assert.equal(formatDuration(90.7), '90s', 'int() first, like MyQueue');
  for (const t of ['', '10', 'm', '1.5h', '10 m', '-1m', '10w']) {
    assert.throws(
      () => parseDuration(t),
      (e: unknown) => e instanceof ResourceError && e.message.includes(`'${t}'`),
      t
    );
  }
});
