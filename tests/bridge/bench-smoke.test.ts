// Every benchmark at smoke sizes: they must still run and print their tables. No assertion on
// any number: benchmarks measure, tests check. The comparison installs the published PerQueue and
// MyQueue from PyPI (bench/baseline/setup.sh); the Slurm one needs the one-node Slurm of the tests;
// the graph-panel one a built extension, Jupyter and Debian's Chromium.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO } from './cli-harness.js';
import { slurmStatus } from './slurm-probe.js';

const out = mkdtempSync(join(tmpdir(), 'pq-bench-smoke-'));
after(() => rmSync(out, { recursive: true, force: true }));

/** A port free right now, so a second checkout's smoke run beside this one takes another. */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

function runBench(name: string): {
  stdout: string;
  rows: { metric: string; ours: { median: number }; baseline?: { median: number } | null }[];
} {
  const rowsFile = join(out, `${name}.json`);
  const r = spawnSync(process.execPath, [join(REPO, 'build/bench', `${name}.js`), '--smoke', '--out', rowsFile], {
    cwd: REPO,
    encoding: 'utf8',
    // A bound for a hung benchmark, not for a slow one: smoke sizes take seconds on an idle machine.
    timeout: 600_000,
    env: { ...process.env, PQ_BENCH_PQL: join(REPO, 'perqueue_lab/bridge/pql.mjs') }
  });
  assert.equal(r.status, 0, `${name} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return { stdout: r.stdout, rows: JSON.parse(readFileSync(rowsFile, 'utf8')) };
}

describe('benchmarks (smoke sizes)', () => {
  it('engine.ts measures submit, transitions, status and the big store, each beside its baseline', () => {
    const { stdout, rows } = runBench('engine');
    assert.match(stdout, /^## Engine and store$/m);
    for (const tag of ['(a)', '(b)', '(c)', '(d)'])
      assert.ok(
        rows.some(r => r.metric.startsWith(tag)),
        `no row ${tag}`
      );
    for (const r of rows)
      assert.ok(Number.isFinite(r.ours.median) && r.ours.median > 0, `${r.metric}: ${r.ours.median}`);
  });

  it('local-executor.ts runs tasks through the real daemon and the xargs floor', () => {
    const { stdout, rows } = runBench('local-executor');
    assert.match(stdout, /^## Local executor$/m);
    assert.doesNotMatch(stdout, /only \d+\/\d+ entries succeeded/);
    assert.ok(rows.length >= 2);
    for (const r of rows)
      assert.ok(Number.isFinite(r.ours.median) && r.ours.median > 0, `${r.metric}: ${r.ours.median}`);
  });

  it('perqueue-alias.ts runs Python tasks with the alias off, on, and through an unchanged PerQueue script', () => {
    const { stdout, rows } = runBench('perqueue-alias');
    assert.match(stdout, /^## The perqueue import alias$/m);
    assert.equal(rows.length, 2);
    for (const r of rows)
      assert.ok(
        Number.isFinite(r.ours.median) && r.ours.median > 0 && r.baseline!.median > 0,
        `${r.metric}: ${r.ours.median}`
      );
  });

  it('readme-summary.ts writes the rows into the README block and leaves the rest alone', () => {
    // engine.json and local-executor.json come from the two runs above; the local rows stand in
    // for the run on this machine's disk.
    writeFileSync(join(out, 'local-disk.json'), readFileSync(join(out, 'local-executor.json')));
    const readme = join(out, 'README.md');
    writeFileSync(readme, '# Title\n\nbefore\n<!-- bench:begin -->\nold figures\n<!-- bench:end -->\nafter\n');
    const r = spawnSync(
      process.execPath,
      [join(REPO, 'build/bench/readme-summary.js'), out, readme, '--date', '2026-01-02'],
      { encoding: 'utf8' }
    );
    assert.equal(r.status, 0, r.stderr);
    const text = readFileSync(readme, 'utf8');
    assert.match(text, /^# Title\n\nbefore\n<!-- bench:begin -->\nMeasured by `bench\/run-all.sh` on 2026-01-02/);
    assert.match(text, /\n<!-- bench:end -->\nafter\n$/);
    assert.doesNotMatch(text, /old figures/);
    assert.match(text, /\| compile \+ store a 100,000-entry StaticWidthGroup \| ≤ 2 s \| [\d.]+ s \|/);
    assert.match(
      text,
      /\| local executor, 1,000 trivial shell tasks, projects on this machine's disk \| ≥ 300\/s \| [\d,.]+\/s \|/
    );
    const bad = spawnSync(
      process.execPath,
      [join(REPO, 'build/bench/readme-summary.js'), out, join(out, 'engine.json')],
      { encoding: 'utf8' }
    );
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /has no <!-- bench:begin -->/);
  });

  it(
    'compare.py runs every shape through PerQueue Lab, PerQueue alone and PerQueue through MyQueue',
    { timeout: 900_000 },
    () => {
      const setup = spawnSync('bash', [join(REPO, 'bench/baseline/setup.sh')], { encoding: 'utf8', timeout: 600_000 });
      assert.equal(setup.status, 0, `bench/baseline/setup.sh exited ${setup.status}\n${setup.stdout}\n${setup.stderr}`);
      assert.match(setup.stdout, /^perqueue==0\.3\.2$/m);
      const rowsFile = join(out, 'compare.json');
      const r = spawnSync(
        join(REPO, 'bench/.venv-baseline/bin/python'),
        [join(REPO, 'bench/compare.py'), '--smoke', '--mq-jobid-workaround', '--out', rowsFile],
        {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 600_000,
          env: { ...process.env, PQ_BENCH_PQL: join(REPO, 'perqueue_lab/bridge/pql.mjs') }
        }
      );
      assert.equal(r.status, 0, `compare.py exited ${r.status}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /^## Side by side with PerQueue 0\.3\.2 \(\+ MyQueue\)$/m);
      const rows = JSON.parse(readFileSync(rowsFile, 'utf8')) as {
        shape: string;
        system: string;
        tasks: number;
        succeeded: number[];
        errors: string[];
        ratio_vs_ours: number;
      }[];
      for (const shape of ['chain', 'fanout', 'cycle', 'al']) {
        for (const system of ['ours', 'pq-local', 'pq+mq']) {
          const row = rows.find(x => x.shape === shape && x.system === system);
          assert.ok(row, `no row for ${shape} ${system}`);
          assert.deepEqual(row.errors, [], `${shape} ${system}`);
          assert.deepEqual(row.succeeded, [row.tasks], `${shape} ${system}: every task succeeded`);
          assert.ok(
            Number.isFinite(row.ratio_vs_ours) && row.ratio_vs_ours > 0,
            `${shape} ${system}: ratio ${row.ratio_vs_ours}`
          );
        }
      }
    }
  );

  const slurm = slurmStatus('Slurm benchmark smoke run');
  it(
    'slurm-latency.ts measures chains, throughput and packing through the bridge beside raw Slurm',
    { skip: slurm.skip, timeout: 600_000 },
    () => {
      assert.equal(slurm.notRunning, undefined, slurm.notRunning);
      const r = spawnSync(
        process.execPath,
        [join(REPO, 'build/bench/slurm-latency.js'), '--chain', '2', '--jobs', '3', '--pack', '4'],
        {
          cwd: REPO,
          encoding: 'utf8',
          timeout: 600_000,
          env: { ...process.env, PQ_BENCH_PQL: join(REPO, 'perqueue_lab/bridge/pql.mjs') }
        }
      );
      assert.equal(r.status, 0, `slurm-latency exited ${r.status}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /bridge: submitted \(sbatch\) +median/);
      assert.match(r.stdout, /raw afterok: started +median/);
      assert.match(r.stdout, /bridge \(pql submit .. pql wait\) +[\d.]+ s = [\d.]+ jobs\/s/);
      assert.match(r.stdout, /packing: 4 one-second tasks/);
    }
  );

  it('ui-graph.ts draws a big workflow and feeds it events in Chromium', { timeout: 600_000 }, async () => {
    const port = String(await freePort());
    const r = spawnSync(
      process.execPath,
      [join(REPO, 'build/bench/ui-graph.js'), '--smoke', '--entries', '400', '--seconds', '2', '--port', port],
      {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 600_000,
        env: { ...process.env, PATH: `${join(REPO, '.venv/bin')}:${process.env.PATH}` }
      }
    );
    assert.equal(r.status, 0, `ui-graph exited ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^\(a\) first paint of a 400-entry workflow/m);
    assert.match(r.stdout, /^\(b\) [\d,]+ events in /m);
  });
});
