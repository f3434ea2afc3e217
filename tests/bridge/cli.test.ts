// End to end through the CLI: real daemon, real SQLite file, real task processes.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chainOf, projectMaker, pyTask, REPO, spec } from './cli-harness.js';
import { isAlive } from '../../kernel-bridge/executors/local.js';

const project = projectMaker();

const ADD = `
def main(x=0, step=1, **kw):
    return True, {"x": x + step}
`;

/** The process ends (a stopped job's whole process group goes); 30 s is room for a busy machine. */
async function assertGone(pid: number): Promise<void> {
  assert.ok(pid > 0);
  for (const end = Date.now() + 30_000; isAlive(pid) && Date.now() < end;) await new Promise(r => setTimeout(r, 50));
  assert.equal(isAlive(pid), false, `process ${pid} is still running`);
}

describe('pql with Python tasks', () => {
  it('runs a chain through the Python runner, passing data, with the daemon started by submit', async () => {
    const p = project();
    const add = p.script('add.py', ADD);
    const wf = await p.finish(
      spec('chain', chainOf(pyTask('a', add, { x: 1 }), pyTask('b', add, { step: 10 }), pyTask('c', add)))
    );
    const es = await p.entries(wf);
    assert.deepEqual(
      es.map(e => [e.name, e.state, e.data]),
      [
        ['a', 'succeeded', { x: 2 }],
        ['b', 'succeeded', { x: 12 }],
        ['c', 'succeeded', { x: 13 }]
      ]
    );
    const st = await p.pql('status');
    assert.match(st.stdout, /chain\s+3\s+s:3/);
  });

  it('a script that raises fails with the repr; retry after fixing it resumes the workflow', async () => {
    const p = project();
    const flaky = p.script('flaky.py', 'def main(**kw):\n    raise ValueError("bad input file")\n');
    const add = p.script('add.py', ADD);
    const wf = await p.submit(spec('fix', chainOf(pyTask('flaky', flaky), pyTask('after', add))));
    assert.equal((await p.wait(wf)).code, 1);
    let es = await p.entries(wf);
    assert.equal(es[0].state, 'failed');
    assert.match(es[0].error!, /^ValueError\('bad input file'\)/);
    assert.equal(es[1].state, 'blocked');
    const show = await p.pql('show', String(es[0].id));
    assert.match(show.stdout, /error: ValueError/);
    p.script('flaky.py', 'def main(**kw):\n    return True, {"x": 5}\n');
    assert.equal((await p.pql('retry', String(es[0].id))).code, 0);
    assert.equal((await p.wait(wf)).code, 0);
    es = await p.entries(wf);
    assert.deepEqual(
      es.map(e => [e.state, e.attempt]),
      [
        ['succeeded', 2],
        ['succeeded', 1]
      ]
    );
    assert.deepEqual(es[1].data, { x: 6 });
  });

  it('an unexpected keyword ends the entry failed with a TypeError', async () => {
    const p = project();
    const strict = p.script('strict.py', 'def main(a):\n    return True, {}\n');
    const wf = await p.submit(spec('kw', chainOf(pyTask('strict', strict, { a: 1, cfg: 2 }))));
    await p.wait(wf);
    const [e] = await p.entries(wf);
    assert.equal(e.state, 'failed');
    assert.match(e.error!, /^TypeError\(.*unexpected keyword argument 'cfg'/);
  });

  it('bad results fail with a message naming the problem: non-dict, garbage, huge output, non-zero exit', async () => {
    const p = project();
    const nondict = p.script('nondict.py', 'def main(**kw):\n    return True, [1, 2]\n');
    const huge = p.script('huge.py', 'def main(**kw):\n    return True, {"blob": "x" * (50 * 1024 * 1024)}\n');
    const garbage = p.script('garbage.sh', '#!/bin/bash\necho "this is not json {" > "$PQ_OUTPUT"\n');
    const exit3 = p.script('exit3.sh', '#!/bin/bash\necho oops >&2\nexit 3\n');
    const root = {
      kind: 'workflow',
      nodes: [
        { id: 'a', node: pyTask('nondict', nondict), parents: [] },
        { id: 'b', node: pyTask('huge', huge), parents: [] },
        { id: 'c', node: pyTask('garbage', garbage), parents: [] },
        { id: 'd', node: pyTask('exit3', exit3), parents: [] }
      ]
    };
    const wf = await p.submit(spec('bad', root));
    await p.wait(wf);
    const es = Object.fromEntries((await p.entries(wf)).map(e => [e.name, e]));
    for (const e of Object.values(es)) assert.equal(e.state, 'failed', `${e.name}: ${e.error}`);
    assert.match(es.nondict.error!, /expected \(ok, dict\) or dict/);
    assert.match(es.huge.error!, /over the limit/);
    assert.match(es.garbage.error!, /not JSON/);
    assert.match(es.exit3.error!, /exit code 3[\s\S]*oops/);
  });

  it('a task past its time limit is killed, with what it started, and ends timed_out', async () => {
    const p = project();
    const slow = p.script('slow.sh', '#!/bin/bash\nsleep 60 &\necho $! > child.pid\nsleep 60\n');
    const wf = await p.submit(spec('slow', chainOf(pyTask('slow', slow, {}, '1:local:2s'))));
    // Settled well before its 60 s of sleep: the limit ended it (wait gives up at 60 s otherwise).
    await p.wait(wf, 60);
    const [e] = await p.entries(wf);
    assert.equal(e.state, 'timed_out');
    await assertGone(Number(p.read('child.pid')));
  });

  it('cancel stops a running task (its background processes too) and everything below it', async () => {
    const p = project();
    const slow = p.script('slow.sh', '#!/bin/bash\nsleep 60 &\necho $! > child.pid\nsleep 60\necho done > finished\n');
    const wf = await p.submit(spec('cancel', chainOf(pyTask('slow', slow), pyTask('next', slow))));
    // Running, and its background process started (its pid is what the test checks afterwards).
    for (const end = Date.now() + 60_000; !existsSync(join(p.dir, 'child.pid')) && Date.now() < end;)
      await new Promise(r => setTimeout(r, 50));
    const [first] = await p.entries(wf);
    assert.equal(first.state, 'running');
    assert.equal((await p.pql('cancel', String(first.id))).code, 0);
    const es = await p.entries(wf);
    assert.deepEqual(
      es.map(e => e.state),
      ['cancelled', 'cancelled']
    );
    await assertGone(Number(p.read('child.pid')));
  });

  it('modify changes the args of a waiting entry before it runs', async () => {
    const p = project();
    const gate = p.script('gate.sh', '#!/bin/bash\nwhile [ ! -f go ]; do sleep 0.05; done\n');
    const add = p.script('add.py', ADD);
    const wf = await p.submit(spec('mod', chainOf(pyTask('gate', gate), pyTask('add', add, { x: 1 }))));
    const es = await p.entries(wf);
    const r = await p.pql('modify', String(es[1].id), '--args', '{"x": 100}');
    assert.equal(r.code, 0, r.stderr);
    // Valid args with a bad resource string: refused as a whole, the args stay as they were.
    const half = await p.pql('modify', String(es[1].id), '--args', '{"x": 5}', '--resources', 'bad');
    assert.notEqual(half.code, 0);
    assert.match(half.stderr, /field 'resources'/);
    assert.deepEqual((await p.entries(wf))[1].args, { x: 100 });
    writeFileSync(join(p.dir, 'go'), '');
    await p.wait(wf);
    assert.deepEqual((await p.entries(wf))[1].data, { x: 101 });
    const bad = await p.pql('modify', String(es[1].id), '--args', '{not json');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--args is not JSON/);
  });

  it('a manual step waits for approve and passes the given data on', async () => {
    const p = project();
    const add = p.script('add.py', ADD);
    const root = chainOf(
      pyTask('a', add),
      { kind: 'manual', name: 'check', args: {}, onReject: 'discard' },
      pyTask('b', add)
    );
    const wf = await p.submit(spec('human', root));
    let es = await p.entries(wf);
    for (const end = Date.now() + 60_000; es[1].state !== 'awaiting_input' && Date.now() < end;) {
      await new Promise(r => setTimeout(r, 50));
      es = await p.entries(wf);
    }
    assert.equal(es[1].state, 'awaiting_input');
    const waiting = await p.wait(wf, 10);
    assert.equal(waiting.code, 3, 'wait says a person is needed');
    assert.match(waiting.stdout, /waiting for a person/);
    const r = await p.pql('approve', String(es[1].id), '--data', '{"x": 7}', '--by', 'alice');
    assert.equal(r.code, 0, r.stderr);
    await p.wait(wf);
    es = await p.entries(wf);
    assert.deepEqual(es[2].data, { x: 8 });
  });
});

describe('bad submissions are refused with the place named, and nothing stored is lost', () => {
  it('rejects each bad spec and keeps the earlier workflow intact', async () => {
    const p = project();
    const add = p.script('add.py', ADD);
    await p.finish(spec('good', chainOf(pyTask('a', add))));
    const cases: [string, unknown, RegExp][] = [
      [
        'cycle',
        {
          kind: 'workflow',
          nodes: [
            { id: 'a', node: pyTask('a', add), parents: ['b'] },
            { id: 'b', node: pyTask('b', add), parents: ['a'] }
          ]
        },
        /workflow 'cycle', node 'root', field 'nodes': the dependencies form a cycle: (a -> b -> a|b -> a -> b)/
      ],
      [
        'missing',
        chainOf(pyTask('m', join(p.dir, 'nope.py'))),
        /node 'root\/n0', field 'code': the script '.*nope.py' does not exist/
      ],
      ['dwg', { kind: 'dynamic_width', body: pyTask('x', add) }, /node 'root': a DynamicWidthGroup needs parents/],
      [
        'switch',
        chainOf(pyTask('a', add), { kind: 'switch', branches: { a: { kind: 'workflow', nodes: [] } } }),
        /branch:a.*needs at least one node|empty/
      ],
      ['res', chainOf(pyTask('r', add, {}, '1:forever')), /field 'resources': bad resource string '1:forever'/]
    ];
    for (const [name, root, re] of cases) {
      const r = await p.pqlWithInput(JSON.stringify(spec(name, root)), 'submit', '--spec', '-');
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, re, name);
    }
    const notJson = await p.pqlWithInput('{"specVersion": 1,', 'submit', '--spec', '-');
    assert.notEqual(notJson.code, 0);
    const status = JSON.parse((await p.pql('status', '--json')).stdout);
    assert.equal(status.length, 1);
    assert.equal(status[0].counts.succeeded, 1);
  });
});

describe('more of the CLI', () => {
  it('submits a TypeScript module that builds the workflow with the TypeScript API', async () => {
    const p = project();
    const add = p.script('add.py', ADD);
    const builder = join(REPO, 'build/core/builder.js');
    p.script(
      'wf.mjs',
      `import { Task, Workflow, StaticWidthGroup } from ${JSON.stringify(builder)};\n` +
        `const a = new Task(${JSON.stringify(add)}, { x: 1 }, '1:local:1m');\n` +
        `export default new Workflow([a, new StaticWidthGroup(new Task(${JSON.stringify(add)}, null, '1:local:1m', { name: 'col' }), 3)]).toDocument('from-ts');\n`
    );
    const r = await p.pql('submit', 'wf.mjs', '--json');
    assert.equal(r.code, 0, r.stderr);
    const wf = JSON.parse(r.stdout).workflowId;
    assert.equal((await p.wait(wf)).code, 0);
    const cols = (await p.entries(wf)).filter(e => e.name === 'col');
    assert.deepEqual(
      cols.map(e => e.data),
      [{ x: 3 }, { x: 3 }, { x: 3 }]
    );
  });

  it('submits a builder file whose script paths are relative to the file', async () => {
    const p = project();
    mkdirSync(join(p.dir, 'defs', 'sub'), { recursive: true });
    const here = "def main(**kw):\n    return True, {'ran': __file__}\n";
    p.script('defs/prep.py', here);
    p.script('defs/sub/step.py', here);
    p.script('top.py', here);
    const task = (id: string, code: string, parents: string[]) => ({ id, node: pyTask(id, code), parents });
    const file = {
      ...spec('relative', {
        kind: 'workflow',
        nodes: [
          task('prep', 'prep.py', []),
          task('step', 'sub/step.py', ['prep']),
          task('top', '../top.py', ['step']),
          task('abs', join(p.dir, 'top.py'), ['top'])
        ]
      }),
      layout: { positions: {} }
    };
    writeFileSync(join(p.dir, 'defs', 'relative.pqwf.json'), JSON.stringify(file));
    const r = await p.pql('submit', 'defs/relative.pqwf.json', '--json');
    assert.equal(r.code, 0, r.stderr);
    const wf = JSON.parse(r.stdout).workflowId;
    assert.equal((await p.wait(wf)).code, 0);
    const ran = Object.fromEntries((await p.entries(wf)).map(e => [e.name, (e.data as { ran: string }).ran]));
    assert.deepEqual(ran, {
      prep: join(p.dir, 'defs', 'prep.py'),
      step: join(p.dir, 'defs', 'sub', 'step.py'),
      top: join(p.dir, 'top.py'),
      abs: join(p.dir, 'top.py')
    });
  });

  it('a PerQueue submission script runs after changing only the import', async () => {
    const p = project();
    p.script(
      'gen.py',
      'from perqueue_lab.constants import DYNAMICWIDTHGROUP_KEY\n\ndef main(n, **kw):\n    return True, {DYNAMICWIDTHGROUP_KEY: n, "items": list(range(n))}\n'
    );
    p.script(
      'item.py',
      'from perqueue_lab.constants import INDEX_KW\n\ndef main(items, **kwargs):\n    idx, *_ = kwargs[INDEX_KW]\n    return True, {"sq": items[idx] ** 2}\n'
    );
    p.script(
      'loop.py',
      'from perqueue_lab.constants import CYCLICALGROUP_KEY, ITER_KW\n\ndef main(**kwargs):\n    it, *_ = kwargs[ITER_KW]\n    return True, {CYCLICALGROUP_KEY: it >= 1}\n'
    );
    p.script(
      'pq_submit.py',
      [
        'from perqueue_lab import PersistentQueue, Task, Workflow, DynamicWidthGroup, CyclicalGroup',
        'gen = Task("gen.py", {"n": 3}, "1:local:10m")',
        'item = Task("item.py", None, "1:local:10m")',
        'loop = CyclicalGroup(Task("loop.py", None, "1:local:10m"), max_tries=5)',
        'wf = Workflow({gen: [], DynamicWidthGroup(item): [gen], loop: [gen]})',
        'with PersistentQueue() as pq:',
        '    pq.submit(wf)',
        ''
      ].join('\n')
    );
    const r = await p.pql('submit', 'pq_submit.py');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await p.wait(1)).code, 0);
    const es = await p.entries(1);
    assert.deepEqual(
      es.filter(e => e.name === 'item.py').map(e => e.data),
      [{ sq: 0 }, { sq: 1 }, { sq: 4 }]
    );
    assert.equal(es.filter(e => e.name === 'loop.py').length, 2);
  });

  it('max_tries used up, then raised with modify and resumed with retry', async () => {
    const p = project();
    const loop = p.script(
      'loop.py',
      'def main(pq_iteration, **kw):\n    return True, {"pq_toggle_key": pq_iteration[0] >= 3}\n'
    );
    const add = p.script('add.py', ADD);
    const root = chainOf({ kind: 'cyclical', body: pyTask('loop', loop), maxTries: 2 }, pyTask('after', add));
    const wf = await p.submit(spec('tries', root));
    assert.equal((await p.wait(wf)).code, 1);
    const gate = (await p.entries(wf)).find(e => e.state === 'failed')!;
    assert.match(gate.error!, /ran out of tries/);
    const bad = await p.pql('modify', String(gate.id), '--max-tries', 'many');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max-tries must be a whole number/);
    assert.equal((await p.pql('modify', String(gate.id), '--max-tries', '6')).code, 0);
    assert.equal((await p.pql('retry', String(gate.id))).code, 0);
    assert.equal((await p.wait(wf)).code, 0);
    const es = await p.entries(wf);
    assert.equal(es.filter(e => e.name === 'loop').length, 4);
    assert.equal(es.find(e => e.name === 'after')!.state, 'succeeded');
  });

  it('the width of a dynamic group can be set before it expands; logs show a task output', async () => {
    const p = project();
    const gate = p.script(
      'gate.sh',
      '#!/bin/bash\necho "gate says hi"\nwhile [ ! -f go ]; do sleep 0.05; done\necho \'{"pq_dwg_width": 5}\' > "$PQ_OUTPUT"\n'
    );
    const add = p.script('add.py', ADD);
    const wf = await p.submit(
      spec('width', chainOf(pyTask('gate', gate), { kind: 'dynamic_width', body: pyTask('col', add) }))
    );
    const dwg = (await p.entries(wf)).find(e => e.kind === 'dynamic_width')!;
    assert.equal((await p.pql('modify', String(dwg.id), '--width', '2')).code, 0);
    const wrong = await p.pql('modify', String((await p.entries(wf))[0].id), '--width', '2');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /not a DynamicWidthGroup/);
    writeFileSync(join(p.dir, 'go'), '');
    await p.wait(wf);
    assert.equal((await p.entries(wf)).filter(e => e.name === 'col').length, 2);
    const logs = await p.pql('logs', String((await p.entries(wf))[0].id));
    assert.match(logs.stdout, /gate says hi/);
  });
});

describe('warm starts of Python tasks', () => {
  it('forks each Python task from one warm server: separate processes, same parent, limits still enforced', async () => {
    const p = project();
    const who = p.script(
      'who.py',
      'import os\n\ndef main(**kw):\n    print("entry", os.environ["PQ_ENTRY_ID"])\n    return True, {"pid": os.getpid(), "ppid": os.getppid(), "cwd": os.getcwd()}\n'
    );
    const slow = p.script('slow.py', 'import time\n\ndef main(**kw):\n    time.sleep(60)\n    return True, {}\n');
    const root = {
      kind: 'workflow',
      nodes: [
        { id: 'a', node: pyTask('a', who), parents: [] },
        { id: 'b', node: pyTask('b', who), parents: ['a'] },
        { id: 'slow', node: pyTask('slow', slow, {}, '1:local:2s'), parents: [] }
      ]
    };
    const wf = await p.submit(spec('warm', root));
    await p.wait(wf, 30);
    const es = Object.fromEntries((await p.entries(wf)).map(e => [e.name, e]));
    assert.equal(es.a.state, 'succeeded');
    assert.notEqual(es.a.data!.pid, es.b.data!.pid);
    assert.equal(es.a.data!.ppid, es.b.data!.ppid, 'both forked by the same server');
    assert.equal(es.a.data!.cwd, p.dir, 'tasks run in the project folder');
    assert.match((await p.pql('logs', String(es.b.id))).stdout, new RegExp(`entry ${es.b.id}`));
    assert.equal(es.slow.state, 'timed_out');
  });
});
