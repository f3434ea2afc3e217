// The nesting checks that keep deep JSON away from recursive code (core/limits.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonNestingProblem, nestsDeeperThan } from '../../core/limits.js';

describe('jsonNestingProblem', () => {
  it('counts objects and arrays, not brackets inside strings or escaped quotes', () => {
    assert.equal(jsonNestingProblem('[[[]]]', 3), null);
    assert.match(jsonNestingProblem('[[[[]]]]', 3)!, /nests deeper than 3 levels \(at character 3\)/);
    assert.match(jsonNestingProblem('{"a":{"b":{"c":{}}}}', 3)!, /deeper than 3/);
    assert.equal(jsonNestingProblem('{"a":"[[[[[[{{{{"}', 2), null);
    assert.equal(jsonNestingProblem('["\\"[[[[[", "\\\\", []]', 2), null);
    assert.match(jsonNestingProblem('["\\\\", [[]]]', 2)!, /deeper than 2/);
  });

  it('takes a million levels in one pass', () => {
    assert.match(jsonNestingProblem('['.repeat(1_000_000) + ']'.repeat(1_000_000))!, /deeper than 256/);
  });
});

describe('nestsDeeperThan', () => {
  it('walks without recursion, so any depth is safe', () => {
    let v: unknown = 1;
    for (let i = 0; i < 1_000_000; i++) v = [v];
    assert.equal(nestsDeeperThan(v), true);
    assert.equal(nestsDeeperThan({ a: [{ b: [] }] }, 4), false);
    assert.equal(nestsDeeperThan({ a: [{ b: [] }] }, 3), true);
    assert.equal(nestsDeeperThan('text', 0), false);
  });
});
