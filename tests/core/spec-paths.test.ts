// The spec-path format of tests/fixtures/spec-paths/cases.json: core numbers every node with its
// path, finds the node a path names, and names the node in SpecError (the graphical builder reads
// the same table in src/builder/__tests__/specPaths.spec.ts).
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { SpecError } from '../../core/errors.js';
import { numberTemplates, validateSpec, type NodeSpec } from '../../core/spec.js';
import { branchPath, itemsAlong, nodeAtPath, splitBranchPath } from '../../core/specPath.js';
import { REPO } from '../bridge/cli-harness.js';

const CASES = JSON.parse(readFileSync(join(REPO, 'tests/fixtures/spec-paths/cases.json'), 'utf8')) as {
  root: NodeSpec;
  places: { path: string; kind: string; name?: string }[];
  nowhere: string[];
  errors: { name: string; root: NodeSpec; node: string; field: string }[];
};

test('the case tree is a valid document', () => {
  validateSpec({ specVersion: 1, name: 'paths', root: CASES.root });
});

test('core numbers every node with its path, in pre-order', () => {
  assert.deepEqual(
    numberTemplates(CASES.root).byId.map(t => t.path),
    CASES.places.map(p => p.path)
  );
});

for (const place of CASES.places) {
  test(`${place.path} names the ${place.kind}${place.name ? ` '${place.name}'` : ''}`, () => {
    const node = nodeAtPath(CASES.root, place.path);
    assert.equal(node?.kind, place.kind);
    if (place.name) assert.equal(node?.name, place.name);
  });
}

for (const path of CASES.nowhere) {
  test(`${path} names no node`, () => assert.equal(nodeAtPath(CASES.root, path), undefined));
}

for (const c of CASES.errors) {
  test(`SpecError names the place: ${c.name}`, () => {
    assert.throws(
      () => validateSpec({ specVersion: 1, name: 'paths', root: c.root }),
      (e: unknown) => e instanceof SpecError && e.place.node === c.node && e.place.field === c.field
    );
  });
}

test('a branch path splits back into its SwitchGroup and key', () => {
  for (const { path } of CASES.places.filter(p => p.path.includes('/branch:') && !p.path.endsWith('.py'))) {
    const split = splitBranchPath(path)!;
    assert.equal(branchPath(split.switchPath, split.key), path);
  }
  assert.deepEqual(splitBranchPath('root/SWG/body/SG/branch:x%2Fy'), { switchPath: 'root/SWG/body/SG', key: 'x/y' });
  assert.equal(splitBranchPath('root/SWG/body/SG/branch:2/c.py'), null);
});

test('the workflow items along a path come with their ids unescaped', () => {
  const workflows = new Set(
    numberTemplates(CASES.root)
      .byId.filter(t => t.spec.kind === 'workflow')
      .map(t => t.path)
  );
  assert.deepEqual(
    itemsAlong('root/fit%2Frelax', p => workflows.has(p)),
    [{ workflow: 'root', id: 'fit/relax' }]
  );
  assert.deepEqual(
    itemsAlong('root/SWG/body/SG/branch:2/c.py', p => workflows.has(p)),
    [
      { workflow: 'root', id: 'SWG' },
      { workflow: 'root/SWG/body', id: 'SG' },
      { workflow: 'root/SWG/body/SG/branch:2', id: 'c.py' }
    ]
  );
});
