// The node-id rule of tests/fixtures/node-ids/cases.json, as core/nodeIds.ts writes it and the
// TypeScript builder uses it (the graphical builder and the Python builder read the same table).
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { StaticWidthGroup, Task, Workflow } from '../../core/builder.js';
import { scriptName, taskName, uniqueIds } from '../../core/nodeIds.js';
import type { WorkflowSpec } from '../../core/spec.js';
import { REPO } from '../bridge/cli-harness.js';

interface IdCase {
  name: string;
  names: string[];
  ids: string[];
}
interface TaskNameCase {
  name: string;
  code: string;
  given: string | null;
  displayName: string;
}

const CASES = JSON.parse(readFileSync(join(REPO, 'tests/fixtures/node-ids/cases.json'), 'utf8')) as {
  ids: IdCase[];
  taskNames: TaskNameCase[];
  refusedGroupNames: string[];
};

for (const c of CASES.ids) {
  test(`node ids: ${c.name}`, () => {
    assert.deepEqual(uniqueIds(c.names), c.ids);
    // The builder gives a workflow of tasks so named the same ids, parents following them.
    const tasks = c.names.map(n => new Task('/work/x.py', null, undefined, { name: n }));
    const chain = new Workflow(tasks).toSpec() as WorkflowSpec;
    assert.deepEqual(
      chain.nodes.map(n => n.id),
      c.ids
    );
    assert.deepEqual(
      chain.nodes.map(n => n.parents),
      c.ids.map((_id, i) => (i === 0 ? [] : [c.ids[i - 1]]))
    );
  });
}

for (const c of CASES.taskNames) {
  test(`task names: ${c.name}`, () => {
    assert.equal(taskName(c.given, c.code), c.displayName);
    const task = new Task(c.code, null, undefined, c.given === null ? {} : { name: c.given });
    assert.equal(task.displayName, c.displayName);
    assert.equal((task.toSpec() as { name: string }).name, c.displayName);
  });
}

test('a group with an empty name is refused where it is written', () => {
  for (const name of CASES.refusedGroupNames) {
    assert.throws(
      () => new StaticWidthGroup(new Task('/work/x.py'), 2, name),
      /the name of a group must be a non-empty string/
    );
  }
});

test('the script name of a path that is all slashes or dots is empty', () => {
  assert.equal(scriptName('/'), '');
  assert.equal(scriptName('/a/..'), '');
});
