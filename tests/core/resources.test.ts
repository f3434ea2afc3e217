// Table test of resource strings. The MyQueue rows are the doctests and documented examples of
// myqueue/resources.py, docs/documentation.rst and the `mq submit -R` help (MyQueue bc4953a and
// 26.8.1); the PerQueue rows are the `local` forms PerQueue scripts use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceError } from '../../core/errors.js';
import {
  formatDuration,
  formatResources,
  parseDuration,
  parseResources,
  type Resources,
} from '../../core/resources.js';

interface Row {
  text: string;
  /** Fields that differ from the defaults below. */
  want: Partial<Resources> & { cores: number; tmax: number };
  /** What formatResources prints; the input itself when omitted. */
  printed?: string;
  source: string;
}

const ROWS: Row[] = [
  // myqueue/resources.py Resources.from_string doctests
  { text: '16:1:xeon8:2h', want: { cores: 16, processes: 1, nodename: 'xeon8', tmax: 7200 }, source: 'doctest' },
  { text: '16:1m', want: { cores: 16, tmax: 60 }, source: 'doctest' },
  { text: '16:1m:25', want: { cores: 16, tmax: 60, weight: 25 }, source: 'doctest' },
  // docs/documentation.rst "Resources" examples and other docs
  { text: '1:1h', want: { cores: 1, tmax: 3600 }, source: 'docs' },
  { text: '64:xeon:2d', want: { cores: 64, nodename: 'xeon', tmax: 2 * 86400 }, source: 'docs' },
  { text: '24:1:30m', want: { cores: 24, processes: 1, tmax: 1800 }, source: 'docs' },
  { text: '40:1d', want: { cores: 40, tmax: 86400 }, source: 'docs (# MQ: resources=40:1d)' },
  { text: '24:2h:5', want: { cores: 24, tmax: 7200, weight: 5 }, source: 'docs/configuration.rst' },
  { text: '1:10s', want: { cores: 1, tmax: 10 }, source: 'docs/quickstart.rst' },
  { text: '1:2s', want: { cores: 1, tmax: 2 }, source: 'docs' },
  { text: '8:10h', want: { cores: 8, tmax: 36000 }, source: 'docs' },
  { text: '24:1:1m', want: { cores: 24, processes: 1, tmax: 60 }, source: 'test/scheduler_test.py' },
  { text: '2:1h', want: { cores: 2, tmax: 3600 }, source: 'test/more_test.py' },
  // `mq submit -R` help (26.8.1)
  { text: '8:1h', want: { cores: 8, tmax: 3600 }, source: 'cli help' },
  { text: '16:1:30m', want: { cores: 16, processes: 1, tmax: 1800 }, source: 'cli help' },
  { text: '40:xeon40:5m', want: { cores: 40, nodename: 'xeon40', tmax: 300 }, source: 'cli help' },
  { text: '40:1:xeon40:5m', want: { cores: 40, processes: 1, nodename: 'xeon40', tmax: 300 }, source: 'cli help' },
  {
    text: '40:1:xeon40:5m:0.5',
    want: { cores: 40, processes: 1, nodename: 'xeon40', tmax: 300, weight: 0.5 },
    // MyQueue prints int(weight) = ':0', which reads back as no weight; kept exact here
    source: 'cli help',
  },
  // GPUs per node, MyQueue 24.10+: a number ending in G
  { text: '8:4G:1h', want: { cores: 8, gpus: 4, tmax: 3600 }, source: 'cli help (4G)' },
  { text: '8:1:2G:a100:1d', want: { cores: 8, processes: 1, gpus: 2, nodename: 'a100', tmax: 86400 }, source: 'c:p:g:n:t' },
  { text: '8:a100:2G:1h', want: { cores: 8, gpus: 2, nodename: 'a100', tmax: 3600 }, printed: '8:2G:a100:1h', source: 'any order' },
  // MyQueue reads processes and node name in any order
  { text: '16:xeon8:1:2h', want: { cores: 16, processes: 1, nodename: 'xeon8', tmax: 7200 }, printed: '16:1:xeon8:2h', source: 'any order' },
  // time printed in the largest unit that divides it
  { text: '1:120m', want: { cores: 1, tmax: 7200 }, printed: '1:2h', source: 'canonical' },
  { text: '1:90s', want: { cores: 1, tmax: 90 }, source: 'canonical' },
  { text: '4:4:1h', want: { cores: 4, processes: 4, tmax: 3600 }, printed: '4:1h', source: 'canonical' },
  // PerQueue's local forms
  { text: '1:local:10m', want: { cores: 1, nodename: 'local', tmax: 600 }, source: 'PerQueue' },
  { text: '4:local:2h', want: { cores: 4, nodename: 'local', tmax: 7200 }, source: 'PerQueue' },
  { text: '1:local:1h', want: { cores: 1, nodename: 'local', tmax: 3600 }, source: 'PerQueue' },
  { text: 'local', want: { cores: 1, nodename: 'local', tmax: 60 }, printed: '1:local:1m', source: 'PerQueue' },
  { text: '1:local', want: { cores: 1, nodename: 'local', tmax: 60 }, printed: '1:local:1m', source: 'PerQueue' },
  { text: '4:2:local', want: { cores: 4, processes: 2, nodename: 'local', tmax: 60 }, printed: '4:2:local:1m', source: 'PerQueue' },
  { text: '24:1:xeon24el8:2d', want: { cores: 24, processes: 1, nodename: 'xeon24el8', tmax: 172800 }, source: 'PerQueue docs' },
  { text: '8:sm3090el8:3h', want: { cores: 8, nodename: 'sm3090el8', tmax: 10800 }, source: 'PerQueue docs' },
];

for (const row of ROWS) {
  test(`parse ${row.text} (${row.source})`, () => {
    const r = parseResources(row.text);
    const want: Resources = { processes: row.want.cores, gpus: 0, nodename: '', weight: 0, ...row.want };
    assert.deepEqual(r, want);
    const printed = formatResources(r);
    assert.equal(printed, row.printed ?? row.text);
    // The printed form is canonical: it reads back to the same thing and prints unchanged.
    assert.equal(formatResources(parseResources(printed)), printed);
  });
}

// Strings MyQueue rejects with "Bad resource string" (its except clause), plus the cases
// where this parser is deliberately stricter (see the header of core/resources.ts).
const BAD: { text: string; says: RegExp; why: string }[] = [
  { text: '', says: /empty/, why: 'empty' },
  { text: '   ', says: /empty/, why: 'blank' },
  { text: '16', says: /time limit is missing/, why: 'no time (MyQueue: IndexError)' },
  { text: '16:', says: /neither a time .* nor a weight/, why: 'empty last field' },
  { text: 'x:1h', says: /cores 'x'/, why: 'cores not a number (MyQueue: int())' },
  { text: '1.5:1h', says: /cores '1.5'/, why: 'fractional cores' },
  { text: '16:1x', says: /'1x' is neither a time/, why: 'unknown unit (MyQueue: float() fails)' },
  { text: '16:m', says: /bad time 'm'/, why: 'unit without number (MyQueue: int(""))' },
  { text: '16:1.5h', says: /bad time '1.5h'/, why: 'fractional time' },
  { text: '16:xeon', says: /'xeon' is neither a time/, why: 'node name but no time' },
  { text: '16:2h:5:xeon', says: /'xeon' is neither a time/, why: 'fields after the weight' },
  { text: '16:5:2h:xeon8', says: /'xeon8' is neither a time/, why: 'time not last' },
  { text: '16:1:xeon8', says: /'xeon8' is neither a time/, why: 'missing time, node last' },
  { text: '16:2h:4G', says: /'4G' is neither a time/, why: 'GPU field after the time' },
  { text: '1:2:1h', says: /processes \(2\) exceed cores \(1\)/, why: 'processes > cores (MyQueue 24.5: ValueError)' },
  { text: '0:1h', says: /cores must be .* at least 1/, why: 'stricter: MyQueue reads 0 cores as 1' },
  { text: '4:0:1h', says: /processes must be at least 1/, why: 'stricter: MyQueue reads 0 processes as all cores' },
  { text: '4:0m', says: /more than 0/, why: 'stricter: MyQueue reads 0 time as 10 minutes' },
  { text: '16:1:2:1h', says: /two process counts/, why: 'stricter: MyQueue keeps the last' },
  { text: '16:a:b:1h', says: /two node names/, why: 'stricter: MyQueue keeps the last' },
  { text: '16:1G:2G:1h', says: /two GPU counts/, why: 'stricter: MyQueue keeps the last' },
  { text: '16:x y:1h', says: /'x y' is neither a process count/, why: 'stricter: a node name with a space (MyQueue takes it)' },
  { text: 's:24:1m', says: /'s:' prefix/, why: 'newer MyQueue serial prefix, not supported' },
  { text: 'p:24:1m', says: /'p:' prefix/, why: 'newer MyQueue MPI prefix, not supported' },
  { text: '1:local:5', says: /bad time 'local'/, why: 'local with a weight but no time' },
  { text: '99999999999999999999:1h', says: /cores must be/, why: 'too large to be exact' },
];

for (const row of BAD) {
  test(`reject '${row.text}' (${row.why})`, () => {
    assert.throws(
      () => parseResources(row.text),
      (e: unknown) => {
        assert.ok(e instanceof ResourceError, `expected a ResourceError, got ${String(e)}`);
        assert.ok(e.message.includes(`'${row.text}'`), `message names the string: ${e.message}`);
        assert.match(e.message, row.says);
        return true;
      },
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
    ['36h', 129600],
  ];
  for (const [text, seconds] of cases) {
    assert.equal(parseDuration(text), seconds, text);
    assert.equal(formatDuration(seconds), text, String(seconds));
  }
  assert.equal(formatDuration(3600 * 48), '2d');
  assert.equal(formatDuration(90.7), '90s', 'int() first, like MyQueue');
  for (const t of ['', '10', 'm', '1.5h', '10 m', '-1m', '10w']) {
    assert.throws(() => parseDuration(t), (e: unknown) => e instanceof ResourceError && e.message.includes(`'${t}'`), t);
  }
});
