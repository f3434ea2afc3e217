// Workflows on a real Slurm cluster through the CLI, the daemon and the manager, as a user runs
// them: `pql config slurm`, then submissions whose resource strings name a partition. Scenarios
// run side by side on the one-node cluster (tests/slurm/start-slurm.sh) to keep the file short;
// the time-out scenarios set the pace (Slurm enforces whole minutes: 60-95 s).
// With PQ_REQUIRE_SLURM=1 a missing cluster is a failure; without it the file is skipped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isTerminal, type EntryState } from '../../core/states.js';
import { chainOf, Project, pyTask, spec, type EntryJson } from './cli-harness.js';
import { explained, type Watched } from './slurm-diagnostics.js';
import { slurmStatus } from './slurm-probe.js';

const { notRunning, skip } = slurmStatus('Slurm end-to-end tests');

interface Entry extends EntryJson {
  jobId: string | null;
  host: string | null;
  resources: string;
  startedAt: number | null;
  endedAt: number | null;
}

/** A project whose daemon sees extra environment (PATH wrappers, fault hooks, poll pace). */
class SlurmProject extends Project {
  extra: NodeJS.ProcessEnv = {};
  constructor() {
    super('pq-slurm-e2e-');
  }
  override get env(): NodeJS.ProcessEnv {
    return { ...super.env, PQ_SCHEDULER_POLL_MS: '1000', ...this.extra };
  }
  async configure(): Promise<void> {
    const r = await this.pql('config', 'slurm');
    assert.equal(r.code, 0, r.stdout + r.stderr);
  }
  async list(wf: number): Promise<Entry[]> {
    return (await this.entries(wf)) as Entry[];
  }
  /** Polls until `ok`; gives up early once `hopeless` says it cannot come any more. */
  async until(
    wf: number,
    what: string,
    ok: (es: Entry[]) => boolean,
    seconds = 60,
    hopeless = (_: Entry[]) => false
  ): Promise<Entry[]> {
    const end = Date.now() + seconds * 1000;
    let es: Entry[] = [];
    while (Date.now() < end) {
      es = await this.list(wf);
      if (ok(es)) return es;
      if (hopeless(es)) break;
      await new Promise(r => setTimeout(r, 250));
    }
    assert.fail(
      `${what}: not within ${seconds} s (or it cannot come any more); entries: ${JSON.stringify(es.map(e => [e.id, e.name, e.state, e.attempt, e.jobId, e.resources, e.error]))}`
    );
  }
}

const projects: SlurmProject[] = [];
function project(): SlurmProject {
  const p = new SlurmProject();
  projects.push(p);
  return p;
}

/**
 * The test `title`, skipped without Slurm: `scenario` in a new project configured for Slurm; what
 * Slurm says of its jobs is printed when it fails.
 */
function onSlurm(title: string, scenario: (p: SlurmProject, scene: Watched) => Promise<void>, timeout?: number): void {
  it(title, { skip, ...(timeout === undefined ? {} : { timeout }) }, () =>
    explained(async scene => {
      const p = scene.watch(project());
      await p.configure();
      await scenario(p, scene);
    })
  );
}

after(async () => {
  for (const p of projects) {
    await p.stop();
    // A scenario that failed may leave jobs waiting for a gate: end them on the shared cluster.
    const left = jobsOf(p, 'live').map(j => j.id);
    if (left.length > 0) spawnSync('scancel', left);
  }
});

/** Slurm jobs (live or finished) whose working folder is inside the project. */
function jobsOf(p: Project, states: 'live' | 'all'): { id: string; name: string; state: string }[] {
  const r = spawnSync('squeue', ['-h', ...(states === 'all' ? ['-t', 'all'] : []), '-o', '%i|%T|%Z|%j'], {
    encoding: 'utf8'
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(l => l.split('|'))
    .filter(f => f[2].startsWith(p.dir))
    .map(f => ({ id: f[0], state: f[1], name: f.slice(3).join('|') }));
}

/** Jobs of the project in squeue by the end of their name (`-<entry>-<attempt>`), with their dependency. */
function dependencies(p: Project): Map<string, { id: string; dep: string }> {
  const r = spawnSync('squeue', ['-h', '-t', 'all', '-o', '%i|%E|%Z|%j'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = new Map<string, { id: string; dep: string }>();
  for (const f of r.stdout
    .split('\n')
    .filter(Boolean)
    .map(l => l.split('|'))) {
    if (!f[2].startsWith(p.dir)) continue;
    const m = /(-\d+-\d+)$/.exec(f.slice(3).join('|'));
    if (m) out.set(m[1], { id: f[0], dep: f[1] });
  }
  return out;
}

/** Polls `ok` every 100 ms until it holds (true) or `seconds` pass (false). */
async function eventually(ok: () => boolean, seconds: number): Promise<boolean> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (ok()) return true;
    await new Promise(r => setTimeout(r, 100));
  }
  return ok();
}

/** Shell lines that hold a task until the test creates `<project>/<name>` (the run folder is four levels down). */
const waitFor = (name: string) => `until [ -e "$PQ_RUN_DIR/../../../../${name}" ]; do sleep 0.1; done\n`;

const ADD = 'def main(x=0, step=1, **kw):\n    return True, {"x": x + step}\n';

describe('workflows on a real Slurm through pql', { concurrency: true, timeout: 300_000 }, () => {
  before(() => {
    if (skip) return;
    if (notRunning) throw new Error(`Slurm is not running: ${notRunning}`);
  });

  it('a Slurm cluster is reachable', { skip }, () => {
    assert.equal(notRunning, undefined, `Slurm is not running: ${notRunning}`);
  });

  onSlurm('a chain of Python tasks passes data; job id, node and times are recorded and shown', async p => {
    const config = JSON.parse(p.read('.perqueue/config.json'));
    assert.equal(config.scheduler, 'slurm');
    const part = config.nodes[0].name as string;
    const add = p.script('add.py', ADD);
    const wf = await p.submit(
      spec(
        'chain',
        chainOf(
          pyTask('a', add, { x: 1 }, `1:${part}:1m`),
          pyTask('b', add, { step: 10 }, `1:${part}:1m`),
          pyTask('c', add, {}, '1:1m'),
          pyTask('d', add, {}, '1:local:1m')
        )
      )
    );
    const w = await p.wait(wf, 60);
    assert.equal(w.code, 0, w.stdout + w.stderr);
    let es = await p.list(wf);
    assert.deepEqual(
      es.map(e => [e.name, e.state, e.data]),
      [
        ['a', 'succeeded', { x: 2 }],
        ['b', 'succeeded', { x: 12 }],
        ['c', 'succeeded', { x: 13 }],
        ['d', 'succeeded', { x: 14 }]
      ]
    );
    // The scheduler's facts arrive with its next answer.
    es = await p.until(wf, 'node names recorded', xs => xs.slice(0, 3).every(e => e.host !== null));
    const jobs = jobsOf(p, 'all');
    for (const e of es.slice(0, 3)) {
      assert.match(e.jobId ?? '', /^\d+$/, `${e.name} has a Slurm job id`);
      assert.ok(
        jobs.some(j => j.id === e.jobId && j.state === 'COMPLETED'),
        `${e.name}'s job ${e.jobId} is a completed Slurm job`
      );
      assert.ok(e.startedAt && e.endedAt && e.endedAt >= e.startedAt);
    }
    assert.equal(
      es[3].jobId !== null && jobs.some(j => j.id === es[3].jobId),
      false,
      "the ':local:' task ran on the local pool"
    );
    const show = await p.pql('show', String(es[1].id));
    assert.match(show.stdout, new RegExp(`job: slurm ${es[1].jobId} on \\S+, started .*, ended `));
    assert.match(show.stdout, /slurm says: completed \(exit code 0\)/);
  });

  onSlurm(
    'native afterok: a static chain is submitted ahead; Slurm starts each child as its parent ends',
    async (p, scene) => {
      // Stamps of the task's first and last command. Each waits for the gate, which the test opens
      // once it has seen the children submitted ahead: the parent is certainly still running then.
      const link = p.script(
        'link.sh',
        `#!/bin/bash\ndate +%s%N > "$PQ_RUN_DIR/t-start"\n${waitFor('gate')}date +%s%N > "$PQ_RUN_DIR/t-end"\necho '{"ok": true}' > "$PQ_OUTPUT"\n`
      );
      const wf = scene.workflow(
        await p.submit(
          spec(
            'afterok',
            chainOf(pyTask('a', link, {}, '1:1m'), pyTask('b', link, {}, '1:1m'), pyTask('c', link, {}, '1:1m'))
          )
        )
      );
      // While a runs, b and c wait in Slurm with afterok on their parents' jobs.
      let deps = new Map<string, { id: string; dep: string }>();
      await eventually(() => {
        deps = dependencies(p);
        return deps.size === 3 && [...deps.values()].filter(d => /afterok/.test(d.dep)).length === 2;
      }, 60);
      const [a, b, c] = await p.list(wf);
      assert.match(a.state, /^(queued|running)$/, 'the parent waits for the gate: it cannot have ended');
      assert.equal(b.state, 'waiting', 'submitted ahead, the engine still waits for the parent');
      assert.equal(c.state, 'waiting');
      const job = (e: Entry) => deps.get(`-${e.id}-1`);
      assert.ok(job(a) && job(b) && job(c), `three jobs in squeue: ${JSON.stringify([...deps])}`);
      assert.match(job(b)!.dep, new RegExp(`afterok:${job(a)!.id}\\b`));
      assert.match(job(c)!.dep, new RegExp(`afterok:${job(b)!.id}\\b`));
      writeFileSync(join(p.dir, 'gate'), '');
      const w = await p.wait(wf, 60);
      assert.equal(w.code, 0, w.stdout + w.stderr);
      const es = await p.list(wf);
      assert.deepEqual(
        es.map(e => [e.name, e.state, e.attempt]),
        [
          ['a', 'succeeded', 1],
          ['b', 'succeeded', 1],
          ['c', 'succeeded', 1]
        ]
      );
      assert.deepEqual(
        es.map(e => e.jobId),
        [job(a)!.id, job(b)!.id, job(c)!.id],
        'one job per entry: the ones submitted ahead'
      );
      const stamp = (e: Entry, f: string) => Number(p.read(`.perqueue/runs/${wf}/${e.id}.1/${f}`).trim()) / 1e6;
      // Slurm, not the bridge, started them (the jobs submitted ahead ran, see above), each after
      // its parent's end; how soon is Slurm's pace, which the product does not promise.
      for (let i = 1; i < 3; i++) {
        const gap = stamp(es[i], 't-start') - stamp(es[i - 1], 't-end');
        assert.ok(gap >= 0, `${es[i].name} started ${gap.toFixed(0)} ms after ${es[i - 1].name} ended`);
      }
    }
  );

  onSlurm(
    'native afterok: a parent that discards cancels the child submitted ahead, which ends skipped',
    async (p, scene) => {
      // The parent decides only once the test has seen the child submitted ahead (the gate).
      const no = p.script('no.sh', `#!/bin/bash\n${waitFor('gate')}echo '[false, {}]' > "$PQ_OUTPUT"\n`);
      const link = p.script(
        'yes.sh',
        '#!/bin/bash\necho ran > "$PQ_RUN_DIR/ran"\necho \'{"ok": true}\' > "$PQ_OUTPUT"\n'
      );
      const wf = scene.workflow(
        await p.submit(spec('discard', chainOf(pyTask('no', no, {}, '1:1m'), pyTask('child', link, {}, '1:1m'))))
      );
      await eventually(() => [...dependencies(p).values()].some(d => /afterok/.test(d.dep)), 60);
      const childJob = [...dependencies(p).values()].find(d => /afterok/.test(d.dep));
      assert.ok(childJob, 'the child was submitted ahead');
      scene.job(childJob.id);
      writeFileSync(join(p.dir, 'gate'), '');
      const w = await p.wait(wf, 60);
      assert.equal(w.code, 0, w.stdout + w.stderr);
      const [parent, child] = await p.list(wf);
      assert.equal(parent.state, 'discarded');
      assert.equal(child.state, 'skipped');
      await eventually(() => jobsOf(p, 'live').length === 0, 60);
      assert.deepEqual(jobsOf(p, 'live'), [], 'no job left');
      assert.equal(jobsOf(p, 'all').find(j => j.id === childJob!.id)?.state ?? 'CANCELLED', 'CANCELLED');
      assert.equal(existsSync(join(p.dir, `.perqueue/runs/${wf}/${child.id}.1/ran`)), false, 'the child never ran');
    }
  );

  onSlurm('a fan-out of six columns and its join', async (p, scene) => {
    const col = p.script('col.py', 'def main(pq_index, **kw):\n    return True, {"v": pq_index[0] * 10}\n');
    const sum = p.script('sum.py', 'def main(v, **kw):\n    return True, {"total": sum(v.values()), "n": len(v)}\n');
    const root = chainOf(
      { kind: 'static_width', body: pyTask('col', col, {}, '1:1m'), width: 6 },
      pyTask('sum', sum, {}, '1:1m')
    );
    const wf = scene.workflow(await p.submit(spec('fan', root)));
    const w = await p.wait(wf, 90);
    assert.equal(w.code, 0, w.stdout + w.stderr);
    const es = await p.list(wf);
    assert.equal(es.length, 7);
    assert.deepEqual(es.find(e => e.name === 'sum')!.data, { total: 150, n: 6 });
    assert.equal(new Set(es.map(e => e.jobId)).size, 7, 'one Slurm job per entry');
  });

  onSlurm('a CyclicalGroup with a DynamicWidthGroup inside', async (p, scene) => {
    const select = p.script(
      'select.py',
      'def main(pq_iteration, **kw):\n    return True, {"pq_dwg_width": pq_iteration[0] + 2}\n'
    );
    const label = p.script('label.py', 'def main(pq_index, **kw):\n    return True, {"y": pq_index[-1]}\n');
    const retrain = p.script(
      'retrain.py',
      'def main(pq_iteration, y=None, **kw):\n    n = len(y) if isinstance(y, dict) else 1\n    return True, {"labelled": n, "pq_toggle_key": pq_iteration[0] >= 1}\n'
    );
    const body = chainOf(
      pyTask('select', select, {}, '1:1m'),
      { kind: 'dynamic_width', body: pyTask('label', label, {}, '1:1m') },
      pyTask('retrain', retrain, {}, '1:1m')
    );
    const wf = scene.workflow(await p.submit(spec('loop', { kind: 'cyclical', body, maxTries: 4 })));
    const w = await p.wait(wf, 120);
    assert.equal(w.code, 0, w.stdout + w.stderr);
    const tasks = (await p.list(wf)).filter(e => e.kind === 'task');
    // Iteration 0: select, 2 labels, retrain; iteration 1: select, 3 labels, retrain.
    assert.equal(tasks.length, 4 + 5);
    assert.ok(
      tasks.every(e => e.state === 'succeeded' && /^\d+$/.test(e.jobId ?? '')),
      JSON.stringify(tasks.map(e => [e.name, e.state, e.jobId]))
    );
    const last = tasks.filter(e => e.name === 'retrain').map(e => e.data);
    assert.deepEqual(last, [
      { labelled: 2, pq_toggle_key: false },
      { labelled: 3, pq_toggle_key: true }
    ]);
  });

  onSlurm(
    'a failing job fails with its exit code and stderr; retry submits a new job that succeeds',
    async (p, scene) => {
      const flaky = p.script(
        'flaky.sh',
        '#!/bin/bash\nif [ ! -e "$PQ_RUN_DIR/../../../../fixed" ]; then echo "not fixed yet" >&2; exit 3; fi\necho \'{"ok": 1}\' > "$PQ_OUTPUT"\n'
      );
      const add = p.script('add.py', ADD);
      const wf = scene.workflow(
        await p.submit(spec('fail', chainOf(pyTask('flaky', flaky, {}, '1:1m'), pyTask('after', add, {}, '1:1m'))))
      );
      const w = await p.wait(wf, 60);
      assert.equal(w.code, 1, w.stdout + w.stderr);
      let [f, a] = await p.list(wf);
      assert.equal(f.state, 'failed');
      assert.match(f.error ?? '', /exit code 3/);
      assert.match(f.error ?? '', /not fixed yet/);
      assert.equal(a.state, 'blocked');
      const firstJob = f.jobId;
      writeFileSync(join(p.dir, 'fixed'), '');
      const r = await p.pql('retry', String(f.id));
      assert.equal(r.code, 0, r.stderr);
      const w2 = await p.wait(wf, 60);
      assert.equal(w2.code, 0, w2.stdout + w2.stderr);
      [f, a] = await p.list(wf);
      assert.equal(f.state, 'succeeded');
      assert.equal(f.attempt, 2);
      assert.notEqual(f.jobId, firstJob, 'the retry is a new Slurm job');
      assert.deepEqual(a.data, { x: 1 });
    }
  );

  onSlurm(
    'time-outs: timed_out without retries; with retries resubmitted with twice the time (60-95 s)',
    async (p, scene) => {
      // Sleeps past the limit on the first attempt only, and fails if its sleep is killed alone:
      // a task that goes on to write its output and exit 0 has succeeded, time limit or not.
      const slow = p.script(
        'slow.sh',
        '#!/bin/bash\nif [ "$PQ_ATTEMPT" = 1 ]; then sleep 600 || exit 1; fi\necho \'{"done": true}\' > "$PQ_OUTPUT"\n'
      );
      const kicked = { ...pyTask('kicked', slow, {}, '1:1m'), retries: 1 };
      // A job script that outlives the kill writes a failed marker and an error line after Slurm's
      // own: the scheduler's TIMEOUT decides, not the task's stderr. Certainly, whatever the order
      // in which Slurm signals the job's processes (one by one, each may act before the next is
      // signalled): the job script has a TERM handler from its preamble on, so TERM never ends it,
      // and the task says it was stopped and exits 1 however the limit reaches it — TERM to itself
      // (its handler: `wait` returns at once on a trapped signal) or to its sleep first.
      const caught = p.script(
        'caught.sh',
        `#!/bin/bash\ntrap 'echo "error: the task was stopped" >&2; exit 1' TERM\nsleep 600 &\nwait $!\necho "error: the task was stopped" >&2\nexit 1\n`
      );
      const trapped = {
        ...pyTask('trapped', caught, {}, '1:1m'),
        preamble: `trap 'echo "error: the job got SIGTERM" >&2' TERM`
      };
      const root = {
        kind: 'workflow',
        nodes: [
          { id: 'plain', node: pyTask('plain', slow, {}, '1:1m'), parents: [] },
          { id: 'kicked', node: kicked, parents: [] },
          { id: 'trapped', node: trapped, parents: [] }
        ]
      };
      const wf = scene.workflow(await p.submit(spec('timeouts', root)));
      const es = await p.until(
        wf,
        'time-outs handled',
        xs => xs[0].state === 'timed_out' && xs[1].state === 'succeeded' && xs[2].state === 'timed_out',
        300,
        xs => xs.every(e => isTerminal(e.state as EntryState))
      );
      assert.match(es[2].error ?? '', /time limit/);
      // Slurm writes its line before it signals, so the task's line comes after it.
      const trappedErr = p.read(`.perqueue/runs/${wf}/${es[2].id}.1/stderr`);
      const slurmSaid = trappedErr.search(/DUE TO TIME LIMIT/);
      assert.ok(slurmSaid >= 0, 'Slurm’s time-limit line is in stderr');
      assert.ok(trappedErr.indexOf('error: the task was stopped') > slurmSaid, 'the task’s line comes after Slurm’s');
      assert.equal(
        p.read(`.perqueue/runs/${wf}/${es[2].id}.1/marker`).trim(),
        '1',
        'the job script outlived TERM and wrote the task’s exit code'
      );
      assert.match(es[0].error ?? '', /time limit/);
      assert.match(es[0].error ?? '', /TIMEOUT|DUE TO TIME LIMIT/);
      assert.equal(es[1].attempt, 2);
      assert.equal(es[1].resources, '1:2m', 'MyQueue kick: twice the time');
      const facts = JSON.parse(p.read(`.perqueue/runs/${wf}/${es[1].id}.1/scheduler.json`));
      assert.equal(facts.state, 'timed_out');
      assert.equal(facts.resubmittedWith, '1:2m');
      const show = await p.pql('show', String(es[0].id));
      assert.match(show.stdout, /DUE TO TIME LIMIT/, 'Slurm’s own line is in the entry’s stderr');
    },
    330_000
  );

  it('out of memory with retries left: resubmitted on a whole node (MyQueue kick)', { skip }, () =>
    explained(async scene => {
      const p = scene.watch(project());
      // A hand-written configuration: nodes of 2 cores, so that the whole-node re-run leaves room
      // for the other scenarios on the shared one-node cluster.
      const partition = spawnSync('sinfo', ['-h', '-o', '%P'], { encoding: 'utf8' })
        .stdout.split('\n')[0]
        .replace('*', '')
        .trim();
      await p.pql('init');
      writeFileSync(
        join(p.dir, '.perqueue/config.json'),
        JSON.stringify({ scheduler: 'slurm', nodes: [{ name: 'small', cores: 2, partition }] })
      );
      const hungry = p.script(
        'hungry.py',
        'import os\ndef main(**kw):\n    if os.environ["PQ_ATTEMPT"] == "1":\n        raise MemoryError()\n    return True, {"fed": True}\n'
      );
      const wf = scene.workflow(
        await p.submit(spec('oom', chainOf({ ...pyTask('hungry', hungry, {}, '1:1m'), retries: 1 })))
      );
      const w = await p.wait(wf, 60);
      assert.equal(w.code, 0, w.stdout + w.stderr);
      const [e] = await p.list(wf);
      const cores = 2;
      assert.equal(e.attempt, 2);
      assert.equal(e.resources, `${cores}:1m`, 'the re-run asks for a whole node');
      assert.deepEqual(e.data, { fed: true });
      const facts = JSON.parse(p.read(`.perqueue/runs/${wf}/${e.id}.1/scheduler.json`));
      assert.equal(facts.state, 'out_of_memory');
      assert.equal(facts.resubmittedWith, `${cores}:1m`);
    })
  );

  onSlurm('a cancelled workflow leaves no job behind in squeue', async (p, scene) => {
    const sleepy = p.script('sleepy.sh', '#!/bin/bash\nsleep 600\n');
    const root = chainOf(
      { kind: 'static_width', body: pyTask('s', sleepy, {}, '1:10m'), width: 3 },
      pyTask('after', sleepy, {}, '1:10m')
    );
    const wf = scene.workflow(await p.submit(spec('cancel', root)));
    await p.until(wf, 'three jobs running', es => es.filter(e => e.state === 'running').length === 3, 60);
    assert.equal(jobsOf(p, 'live').length, 3);
    const r = await p.pql('cancel', '-w', String(wf));
    assert.equal(r.code, 0, r.stderr);
    const es = await p.list(wf);
    assert.ok(
      es.every(e => e.state === 'cancelled'),
      JSON.stringify(es.map(e => e.state))
    );
    await eventually(() => jobsOf(p, 'live').length === 0, 60);
    assert.deepEqual(jobsOf(p, 'live'), [], 'no job left');
  });

  onSlurm(
    'SIGKILL right after sbatch, before the job id is recorded: one job, found by name after the restart',
    async (p, scene) => {
      // The job stays live until the restarted bridge is up (the gate), so the restart finds it running.
      const once = p.script(
        'once.sh',
        `#!/bin/bash\necho "$PQ_ENTRY_ID" >> "$PQ_RUN_DIR/../../../../ran.log"\n${waitFor('gate')}echo '{"ok": true}' > "$PQ_OUTPUT"\n`
      );
      p.extra = { PQ_FAULT: 'after-sbatch' };
      const wf = scene.workflow(await p.submit(spec('crash', chainOf(pyTask('once', once, {}, '1:1m')))));
      const firstPid = JSON.parse(p.read('.perqueue/bridge.json')).pid as number;
      // The hook kills the bridge as soon as sbatch has answered.
      await eventually(() => !alive(firstPid), 60);
      assert.equal(alive(firstPid), false, 'the fault hook killed the bridge');
      let [e] = await p.list(wf);
      assert.equal(e.jobId, null, 'the job id was not recorded before the crash');
      assert.equal(jobsOf(p, 'all').length, 1, 'sbatch did submit');
      p.extra = {};
      const r = await p.pql('daemon', 'start');
      assert.equal(r.code, 0, r.stderr);
      writeFileSync(join(p.dir, 'gate'), '');
      const w = await p.wait(wf, 60);
      assert.equal(w.code, 0, w.stdout + w.stderr);
      // Reconciliation by name records the job id (at the bridge's first scheduler poll).
      [e] = await p.until(wf, 'job id recorded', es => es[0].jobId !== null, 60);
      const jobs = jobsOf(p, 'all');
      assert.equal(jobs.length, 1, `exactly one job for the entry: ${JSON.stringify(jobs)}`);
      assert.equal(e.jobId, jobs[0].id, 'the entry holds the job found by its name');
      assert.equal(e.attempt, 1);
      assert.equal(p.read('ran.log').trim(), String(e.id), 'the task ran once');
    }
  );

  onSlurm(
    'squeue and sacct failing: entries stay running (never failed) and recover when they answer again',
    async (p, scene) => {
      // While the flag is there, each call of the wrappers fails and leaves a line in `calls`.
      const wrappers = mkdtempSync(join(tmpdir(), 'pq-fault-slurm-'));
      const flag = join(wrappers, 'down');
      for (const tool of ['squeue', 'sacct']) {
        const real = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
        writeFileSync(
          join(wrappers, tool),
          `#!/bin/bash\nif [ -e ${flag} ]; then echo ${tool} >> ${join(wrappers, 'calls')}; echo "${tool}: error: Unable to contact slurm controller (connect failure)" >&2; exit 1; fi\nexec ${real} "$@"\n`
        );
        chmodSync(join(wrappers, tool), 0o755);
      }
      writeFileSync(flag, '');
      p.extra = { PATH: `${wrappers}:${process.env.PATH}`, PQ_SCHEDULER_POLL_MS: '300' };
      // 'vanish' kills its own job script: no marker, so only Slurm can tell how it ended.
      const vanish = p.script('vanish.sh', '#!/bin/bash\ntouch "$PQ_RUN_DIR/../../../../vanished"\nkill -9 $PPID\n');
      const fine = p.script('fine.sh', '#!/bin/bash\necho \'{"fine": true}\' > "$PQ_OUTPUT"\n');
      const root = {
        kind: 'workflow',
        nodes: [
          { id: 'v', node: pyTask('vanish', vanish, {}, '1:1m'), parents: [] },
          { id: 'f', node: pyTask('fine', fine, {}, '1:1m'), parents: [] }
        ]
      };
      const wf = scene.workflow(await p.submit(spec('outage', root)));
      // Marker first: the entry that wrote its marker finishes without the scheduler.
      await p.until(wf, 'fine succeeded from its marker', es => es[1].state === 'succeeded', 60);
      // The vanished job has ended in Slurm (the test's own squeue is the real one) and the bridge
      // has asked twice since, in vain: it had every chance to get it wrong.
      assert.ok(
        await eventually(() => existsSync(join(p.dir, 'vanished')) && jobsOf(p, 'live').length === 0, 60),
        'the vanishing job ended'
      );
      const squeueCalls = () =>
        existsSync(join(wrappers, 'calls'))
          ? readFileSync(join(wrappers, 'calls'), 'utf8')
              .split('\n')
              .filter(l => l === 'squeue').length
          : 0;
      const before = squeueCalls();
      assert.ok(
        await eventually(() => squeueCalls() >= before + 2, 120),
        `the bridge asked squeue twice more (calls while down: ${squeueCalls()})`
      );
      let [v] = await p.list(wf);
      assert.equal(v.state, 'running', 'an unreachable scheduler is no reason to fail an entry');
      const log = readFileSync(join(p.dir, '.perqueue/bridge.log'), 'utf8');
      assert.match(log, /Unable to contact slurm controller/);
      rmSync(flag);
      [v] = await p.until(wf, 'the vanished job is reported failed', es => es[0].state === 'failed', 90);
      assert.match(v.error ?? '', /exit code 137|killed by signal 9|FAILED/);
      rmSync(wrappers, { recursive: true, force: true });
    },
    240_000
  );
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'; // a zombie is dead
  } catch {
    return false;
  }
}
