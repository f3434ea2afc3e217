// The bridge writes a manual step's injected parameters cell exactly as the Python runner does
// for notebook tasks: both read the cases of tests/fixtures/notebooks/parameters-cell.json
// (docs/contracts.md §6), and Python itself checks that the written cell runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { injectedSource } from '../../kernel-bridge/manager/notebooks.js';
import type { JsonObject } from '../../core/spec.js';
import { REPO } from './cli-harness.js';

interface Case {
  name: string;
  params: JsonObject;
  entryId: number;
  source: string;
}

const { cases } = JSON.parse(readFileSync(join(REPO, 'tests/fixtures/notebooks/parameters-cell.json'), 'utf8')) as {
  cases: Case[];
};

for (const c of cases) {
  test(`parameters cell: ${c.name}`, () => {
    assert.equal(injectedSource(c.params, c.entryId), c.source);
  });
}
