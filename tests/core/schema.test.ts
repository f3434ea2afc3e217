// The JSON Schema of the spec (core/spec.schema.json) agrees with validateSpec: every shared
// fixture passes both, and structural mistakes fail both.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { validateSpec } from '../../core/spec.js';
import { REPO } from '../bridge/cli-harness.js';

type S = Record<string, any>;
const schema: S = JSON.parse(readFileSync(join(REPO, 'core/spec.schema.json'), 'utf8'));

/** The draft 2020-12 keywords the schema uses; returns the first violation or null. */
function violation(v: unknown, s: S, path = '$'): string | null {
  if (s.$ref)
    return violation(
      v,
      s.$ref
        .replace('#/', '')
        .split('/')
        .reduce((o: S, k: string) => o[k], schema),
      path
    );
  if (s.oneOf) {
    const ok = (s.oneOf as S[]).filter(x => violation(v, x, path) === null).length;
    return ok === 1 ? null : `${path}: matches ${ok} of oneOf`;
  }
  if (s.not && violation(v, s.not, path) === null) return `${path}: matches a forbidden schema`;
  if ('const' in s && JSON.stringify(v) !== JSON.stringify(s.const)) return `${path}: not ${JSON.stringify(s.const)}`;
  if (s.enum && !s.enum.includes(v)) return `${path}: not in enum`;
  const t = v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
  if (s.type && !(t === s.type || (s.type === 'number' && t === 'integer'))) return `${path}: ${t} is not ${s.type}`;
  if (typeof v === 'string') {
    if (s.minLength && v.length < s.minLength) return `${path}: too short`;
    if (s.pattern && !new RegExp(s.pattern).test(v)) return `${path}: does not match ${s.pattern}`;
  }
  if (typeof v === 'number') {
    if (s.minimum !== undefined && v < s.minimum) return `${path}: below ${s.minimum}`;
    if (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum) return `${path}: not above ${s.exclusiveMinimum}`;
  }
  if (Array.isArray(v)) {
    if (s.minItems && v.length < s.minItems) return `${path}: too few items`;
    if (s.uniqueItems && new Set(v.map(x => JSON.stringify(x))).size !== v.length) return `${path}: repeated items`;
    for (const [i, x] of v.entries()) {
      const r = s.items ? violation(x, s.items, `${path}[${i}]`) : null;
      if (r) return r;
    }
  }
  if (t === 'object') {
    const o = v as S;
    for (const r of s.required ?? []) if (!(r in o)) return `${path}: missing ${r}`;
    if (s.minProperties && Object.keys(o).length < s.minProperties) return `${path}: too few properties`;
    for (const [k, x] of Object.entries(o)) {
      if (s.propertyNames) {
        const r = violation(k, s.propertyNames, `${path}.${k}`);
        if (r) return r;
      }
      const sub =
        s.properties?.[k] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (sub) {
        const r = violation(x, sub, `${path}.${k}`);
        if (r) return r;
      } else if (s.additionalProperties === false) return `${path}: unknown field ${k}`;
    }
  }
  return null;
}

const FIXTURES = join(REPO, 'tests/fixtures/specs');
const task = { kind: 'task', name: 't', code: '/x/t.py', args: {}, resources: '1:local:10m' };
const docOf = (root: unknown, extra = {}) => ({ specVersion: 1, name: 'w', root, ...extra });

describe('the JSON Schema and validateSpec agree', () => {
  for (const f of readdirSync(FIXTURES).filter(x => x.endsWith('.json'))) {
    it(`fixture ${f} passes both`, () => {
      const d = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8'));
      assert.equal(violation(d, schema), null);
      validateSpec(d);
    });
  }

  const bad: [string, unknown][] = [
    ['a misspelt field', docOf({ ...task, max_tries: 3 })],
    ['an unknown kind', docOf({ ...task, kind: 'taks' })],
    ['a relative script path', docOf({ ...task, code: 't.py' })],
    ['a zero width', docOf({ kind: 'static_width', body: task, width: 0 })],
    ['an empty workflow', docOf({ kind: 'workflow', nodes: [] })],
    [
      'a repeated parent',
      docOf({
        kind: 'workflow',
        nodes: [
          { id: 'a', node: task, parents: [] },
          { id: 'b', node: task, parents: ['a', 'a'] }
        ]
      })
    ],
    [
      'the reserved skip key as a branch',
      docOf({
        kind: 'workflow',
        nodes: [
          { id: 'a', node: task, parents: [] },
          { id: 's', node: { kind: 'switch', branches: { pq_skip_route: task } }, parents: ['a'] }
        ]
      })
    ],
    ['a wrong spec version', { specVersion: 2, name: 'w', root: task }],
    ['an unknown top-level field', docOf(task, { owner: 'me' })],
    ['a bad onReject', docOf({ kind: 'manual', name: 'm', args: {}, onReject: 'ignore' })]
  ];
  for (const [what, d] of bad) {
    it(`${what} fails both`, () => {
      assert.notEqual(violation(d, schema), null);
      assert.throws(() => validateSpec(d));
    });
  }

  it('a builder layout key is allowed by both', () => {
    const d = docOf(task, { layout: { t: { x: 1, y: 2 } } });
    assert.equal(violation(d, schema), null);
    validateSpec(d);
  });
});
