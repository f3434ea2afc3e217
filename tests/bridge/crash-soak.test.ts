// The randomized crash soak of bench/crash-soak.ts at a small size: kill -9 of the bridge at
// random moments of a mixed workflow (chain, StaticWidthGroup, CyclicalGroup around a
// DynamicWidthGroup); every entry ran exactly once, none is lost, and every output equals the
// one of the same workflow run without kills. The seed is printed, so a failure can be replayed.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { soak } from '../../bench/crash-soak.js';

it('kill -9 at random moments of a mixed workflow: 0 duplicates, 0 lost, identical outputs', async t => {
  const seed = Number(process.env.PQ_SOAK_SEED ?? Date.now() % 100000);
  t.diagnostic(`seed ${seed} (PQ_SOAK_SEED replays it)`);
  const r = await soak({ columns: 20, iterations: 2, dynamicWidth: 10, kills: 6, maxGapMs: 120 }, seed);
  t.diagnostic(JSON.stringify(r));
  assert.ok(r.kills >= 1, `the bridge was killed during the run (seed ${seed})`);
  assert.equal(r.entries, 3 + 2 * 20 + 1 + 2 * (1 + 10 + 1) + 1, 'every entry of the workflow exists');
  assert.equal(r.duplicates, 0, `no entry ran twice (seed ${seed})`);
  assert.equal(r.lost, 0, `no entry lost (seed ${seed})`);
  assert.equal(r.identicalOutputs, r.comparedOutputs, `outputs identical to the run without kills (seed ${seed})`);
});
