// PerQueue's `pq` habits through `pql`, as a process: each verb and flag of `pq` 0.3.2 with its
// meaning, and strict options (an option a command does not take is an error naming both).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chainOf, projectMaker, pyTask, spec, type Project } from './cli-harness.js';

const project = projectMaker('pq-cli-');

const ADD = 'def main(x=0, step=1, **kw):\n    return True, {"x": x + step}\n';
const FAIL = 'def main(**kw):\n    raise RuntimeError("not yet")\n';
const FILTER = 'def main(x=0, **kw):\n    return x > 1, {"x": x}\n';

/** A workflow that failed at its first task: a chain fail -> 3 columns, the columns blocked. */
async function failedFanOut(p: Project): Promise<{ wf: number; first: number; columns: number[] }> {
  const fail = p.script('first.py', FAIL);
  const col = p.script('col.py', ADD);
  const root = chainOf(pyTask('first.py', fail), {
    kind: 'static_width',
    body: pyTask('col.py', col, { x: 1 }),
    width: 3
  });
  const wf = await p.submit(spec('fan', root));
  assert.equal((await p.wait(wf)).code, 1);
  const es = await p.entries(wf);
  const first = es.find(e => e.name === 'first.py')!;
  assert.equal(first.state, 'failed');
  const columns = es.filter(e => e.name === 'col.py').map(e => e.id);
  assert.equal(columns.length, 3);
  return { wf, first: first.id, columns };
}

/** A finished workflow: a -> b (b discards when x <= 1) and c. */
async function finished(p: Project): Promise<{ wf: number; ids: Record<string, number> }> {
  const add = p.script('add.py', ADD);
  const filter = p.script('filter.py', FILTER);
  const wf = await p.submit(
    spec('done', chainOf(pyTask('add.py', add, { x: 0 }), pyTask('filter.py', filter), pyTask('last.py', add)))
  );
  await p.wait(wf);
  const es = await p.entries(wf);
  return { wf, ids: Object.fromEntries(es.map(e => [e.name, e.id])) };
}

describe('strict options', () => {
  it('every command refuses an option it does not take, naming the option and the command, and changes nothing', async () => {
    const p = project();
    const { wf, ids } = await finished(p);
    const id = String(ids['add.py']);
    const commands: string[][] = [
      ['init'],
      ['info'],
      ['submit', 'x.json'],
      ['status'],
      ['ls'],
      ['list'],
      ['show', id],
      ['inspect', id],
      ['logs', id],
      ['wait', String(wf)],
      ['retry', id],
      ['resubmit'],
      ['cancel', id],
      ['rm', '-w', String(wf)],
      ['remove', '-w', String(wf)],
      ['modify', id, '--retries', '1'],
      ['approve', id],
      ['reject', id],
      ['daemon', 'status'],
      ['config'],
      ['help']
    ];
    for (const cmd of commands) {
      for (const bad of ['--bogus', '-Z']) {
        const r = await p.pql(...cmd, bad);
        assert.equal(r.code, 2, `${cmd.join(' ')} ${bad}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(`^pql ${cmd[0]}: unknown option '${bad}'`), cmd.join(' '));
        assert.equal(r.stdout, '');
      }
    }
    const es = await p.entries(wf);
    assert.deepEqual(
      es.map(e => [e.name, e.state, e.attempt]),
      [
        ['add.py', 'succeeded', 1],
        ['filter.py', 'discarded', 1],
        ['last.py', 'skipped', 0]
      ]
    );
  });

  it('an option without its value, a flag with one, an extra argument and an option before the command are errors', async () => {
    const p = project();
    await finished(p);
    const cases: [string[], RegExp][] = [
      [['ls', '-s'], /^pql ls: option '-s' needs a value \(STATES\)/],
      [['ls', '--json=yes'], /^pql ls: option '--json' takes no value, got 'yes'/],
      [['status', 'extra'], /^pql status: unexpected argument 'extra'/],
      [['show'], /^pql show: missing argument/],
      [['-x', 'ls'], /unknown option '-x' before the command/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['ls', '-s', 'u'], /state 'u' \(PerQueue's "undefined"\) does not exist here/],
      [['ls', '-s', 'z'], /unknown state 'z'/],
      [['ls', '-i', 'abc'], /-i takes numbers and ranges like '3,7-9', got 'abc'/],
      [['ls', '-i', '9-3'], /-i '9-3' is an empty range/],
      [['init', '-b', 'mongo'], /backend 'mongo' is not available/],
      [
        ['submit', 'pq_submit.py', '--size', '5'],
        /^pql submit: unknown option '--size' .*go after '--': pql submit script.py -- --size 5/
      ]
    ];
    for (const [argv, re] of cases) {
      const r = await p.pql(...argv);
      assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re, argv.join(' '));
    }
  });

  it("arguments after '--' go to a submission script; --project may come before the command", async () => {
    const p = project();
    p.script('args.py', 'import sys, json\nopen("argv.json", "w").write(json.dumps(sys.argv[1:]))\n');
    const r = await p.pql('submit', 'args.py', '--', '--size', '5', '-x');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(p.read('argv.json')), ['--size', '5', '-x']);
    await finished(p);
    const before = await p.pql('--project', p.dir, 'ls', '-C');
    assert.equal(before.stdout.trim(), 'succeeded: 1, discarded: 1, skipped: 1. Total: 3');
  });
});

describe("pq's verbs and flags", () => {
  it('help lists the pq verbs, and each command its options', async () => {
    const p = project();
    for (const argv of [['--help'], ['help'], []]) {
      const r = await p.pql(...argv);
      assert.equal(r.code, 0);
      for (const verb of ['info', 'inspect', 'ls|list', 'resubmit', 'rm|remove', 'modify'])
        assert.match(r.stdout, new RegExp(`^  ${verb.replace('|', '\\|')}\\s`, 'm'));
      assert.match(r.stdout, /pq modify a\|r\|c \[INPUT\] -i ID \[--all\]/);
    }
    const ls = await p.pql('help', 'ls');
    for (const flag of [
      '-i, --id',
      '-m, --mq-id',
      '-n, --name',
      '-s, --states',
      '-C, --count',
      '-e, --show-errors',
      '-d, --hide-data'
    ]) {
      assert.ok(ls.stdout.includes(flag), flag);
    }
    assert.equal((await p.pql('ls', '--help')).stdout, ls.stdout);
    assert.equal((await p.pql('list', '-h')).stdout, ls.stdout);
    assert.match((await p.pql('-V')).stdout, /^\d+\.\d+\.\d+/);
  });

  it('init --folder makes the project there; info shows it with its counts', async () => {
    const p = project();
    const sub = join(p.dir, 'sub');
    mkdirSync(sub);
    const r = await p.pql('init', '--folder', sub, '-b', 'sqlite');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(sub, '.perqueue')));
    const missing = await p.pql('init', '--folder', join(p.dir, 'nope'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--folder '.*nope' is not a directory/);
    await finished(p);
    const info = await p.pql('info');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, new RegExp(`Path: ${p.dir}/`));
    assert.match(info.stdout, /Workflows: 1\n\s+Entries: 3/);
    assert.match(info.stdout, /Bridge: running \(pid \d+\)/);
    const json = JSON.parse((await p.pql('info', '--json')).stdout);
    assert.equal(json.entries, 3);
    assert.equal(json.type, 'sqlite');
  });

  it('ls -i, -m, -n and -s select as PerQueue selects; -C counts; -d hides data; -e shows whole errors', async () => {
    const p = project();
    const { ids } = await finished(p);
    const es = await p.entries();
    const idsOf = async (...argv: string[]) => {
      const r = await p.pql('ls', '--json', ...argv);
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { id: number }[]).map(e => e.id);
    };
    const all = es.map(e => e.id);
    assert.deepEqual(await idsOf('-i', String(ids['filter.py'])), [ids['filter.py']]);
    assert.deepEqual(await idsOf('-i', `${all[0]}-${all[1]}`), all.slice(0, 2)); // ranges include both ends
    assert.deepEqual(await idsOf('-i', `${all[0]},${all[2]}`), [all[0], all[2]]);
    assert.deepEqual(await idsOf('-n', 'ADD.PY'), [ids['add.py']]); // whole name, any case
    assert.deepEqual(await idsOf('-n', '*l*.py'), [ids['filter.py'], ids['last.py']]);
    assert.deepEqual(await idsOf('-n', 'add'), []);
    assert.deepEqual(await idsOf('-s', 'dx'), [ids['filter.py'], ids['last.py']]);
    assert.deepEqual(await idsOf('-n', '*.py', '-s', 's'), [ids['add.py']]);
    assert.deepEqual(await idsOf('-s', 'g'), []); // PerQueue's goahead is our queued: nothing now
    assert.deepEqual(await idsOf('-s', 'DX'), [ids['filter.py'], ids['last.py']]); // letters in any case, as PerQueue
    assert.deepEqual(await idsOf('-s', 'running,succeeded'), [ids['add.py']]); // our names: no letter mapping
    assert.deepEqual(await idsOf('-i', ` ${all[0]}, ${all[2]}`), [all[0], all[2]]);
    const job = es.find(e => e.name === 'add.py') as unknown as { jobId: string };
    assert.match(job.jobId, /^\d+$/);
    assert.deepEqual(await idsOf('-m', job.jobId), [ids['add.py']]);

    const count = await p.pql('ls', '-C');
    assert.equal(count.stdout.trim(), 'succeeded: 1, discarded: 1, skipped: 1. Total: 3');
    assert.deepEqual(JSON.parse((await p.pql('ls', '-C', '--json', '-s', 's')).stdout), { succeeded: 1 });

    const table = await p.pql('ls');
    assert.match(
      table.stdout.split('\n')[0],
      /^id\s+wf\s+name\s+kind\s+state\s+index\s+iter\s+try\s+job\s+args\s+data$/
    );
    assert.match(table.stdout, /\{"x":1\}/);
    const noData = await p.pql('ls', '-d');
    assert.doesNotMatch(noData.stdout.split('\n')[0], /data/);
    assert.doesNotMatch(noData.stdout, /\{"x":1\}/);
    const grouped = await p.pql('ls', '-dC');
    assert.equal(grouped.stdout, count.stdout);

    const q = project();
    const long = q.script('long.py', `def main(**kw):\n    raise RuntimeError("${'a'.repeat(80)}")\n`);
    const wf = await q.submit(spec('err', chainOf(pyTask('long.py', long))));
    await q.wait(wf);
    const short = await q.pql('ls', '-s', 'f');
    assert.match(short.stdout, /error/);
    assert.doesNotMatch(short.stdout, /a{80}/);
    assert.match((await q.pql('ls', '-s', 'f', '-e')).stdout, /RuntimeError\('a{80}'\)/);
  });

  it('inspect shows the graph of the entry, layer by layer; -k and -H as PerQueue', async () => {
    const p = project();
    const { wf, ids } = await finished(p);
    const r = await p.pql('inspect', String(ids['filter.py']));
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0], new RegExp(`^workflow ${wf} 'done': 3 entries$`));
    assert.match(lines[1], new RegExp(`^\\s+0\\s+ ${ids['add.py']} add.py  succeeded$`));
    assert.match(lines[2], new RegExp(`^\\s+1  \\* ${ids['filter.py']} filter.py  discarded  ← ${ids['add.py']}$`));
    assert.match(lines[3], new RegExp(`^\\s+2\\s+ ${ids['last.py']} last.py  skipped  ← ${ids['filter.py']}$`));
    const keys = await p.pql('inspect', String(ids['add.py']), '-k');
    assert.doesNotMatch(keys.stdout, /add\.py/);
    assert.match(keys.stdout, new RegExp(`\\* ${ids['add.py']}  succeeded`));
    const hidden = await p.pql('inspect', String(ids['add.py']), '-H');
    assert.deepEqual(
      hidden.stdout
        .trim()
        .split('\n')
        .slice(1)
        .map(l => l.trim()),
      ['0  s*', '1  d', '2  x']
    );
    const json = JSON.parse((await p.pql('inspect', String(ids['last.py']), '--json')).stdout);
    assert.deepEqual(
      json.nodes.map((n: { layer: number; parents: number[] }) => [n.layer, n.parents]),
      [
        [0, []],
        [1, [ids['add.py']]],
        [2, [ids['filter.py']]]
      ]
    );
    const negative = await p.pql('inspect', '-3');
    assert.equal(negative.code, 2);
    assert.match(negative.stderr, /-3 is a PerQueue DynamicTaskGroup key/);
    assert.match((await p.pql('inspect', '999')).stderr, /no entry 999/);
  });

  it("modify a|r|c -i ID [--all]: arguments from a file (with PerQueue's constant names) or the editor, resources, code", async () => {
    const p = project();
    const { wf, first, columns } = await failedFanOut(p);
    p.script('args.json', '{"x": 10, "key": DYNAMICWIDTHGROUP_KEY}');
    const a = await p.pql('modify', 'a', p.dir + '/args.json', '-i', String(columns[0]));
    assert.equal(a.code, 0, a.stderr);
    let es = await p.entries(wf);
    assert.deepEqual(es.find(e => e.id === columns[0])!.args, { x: 10, key: 'pq_dwg_width' });
    assert.deepEqual(es.find(e => e.id === columns[1])!.args, { x: 1 }); // without --all, one entry

    // The editor form: $EDITOR gets a file with the current arguments and saves new ones.
    const editor = p.script(
      'editor.sh',
      '#!/bin/sh\ngrep -q \'"x": 1\' "$1" || exit 1\nprintf \'{"x": 100}\' > "$1"\n'
    );
    const ed = await p.pqlEnv({ EDITOR: editor }, 'modify', 'arguments', '-i', String(columns[1]), '--all');
    assert.equal(ed.code, 0, ed.stderr);
    es = await p.entries(wf);
    // --all: every entry of the same task that can still change (the other columns; not column 0, whose args differ now)
    assert.deepEqual(
      columns.map(id => es.find(e => e.id === id)!.args),
      [{ x: 10, key: 'pq_dwg_width' }, { x: 100 }, { x: 100 }]
    );
    const broken = p.script('broken.sh', '#!/bin/sh\nprintf \'{"x": \' > "$1"\n');
    const bad = await p.pqlEnv({ EDITOR: broken }, 'modify', 'a', '-i', String(columns[1]));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /the edited text is not a JSON object of arguments: .*nothing changed/);

    const r = await p.pql('modify', 'r', '2:local:5m', '-i', String(columns[2]));
    assert.equal(r.code, 0, r.stderr);
    const badRes = await p.pql('modify', 'resources', '1:forever', '-i', String(columns[2]));
    assert.match(badRes.stderr, /field 'resources': .*'1:forever'/);

    // c: a new script for the failed first task; resubmit runs it.
    const fixed = p.script('fixed.py', 'def main(**kw):\n    return True, {"step": 2}\n');
    const noFile = await p.pql('modify', 'c', join(p.dir, 'nope.py'), '-i', String(first));
    assert.match(noFile.stderr, /the new script must be an existing file/);
    assert.equal((await p.pql('modify', 'c', '-i', String(first))).code, 2);
    const c = await p.pql('modify', 'c', 'fixed.py', '-i', String(first));
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await p.pql('resubmit', '-i', String(first))).code, 0);
    assert.equal((await p.wait(wf)).code, 0);
    es = await p.entries(wf);
    assert.equal((es.find(e => e.id === first) as unknown as { code: string }).code, fixed);
    assert.deepEqual(
      columns.map(id => es.find(e => e.id === id)!.data),
      [{ x: 12 }, { x: 102 }, { x: 102 }]
    );
    const mixed = await p.pql('modify', 'a', '-i', String(first), '--args', '{}');
    assert.match(mixed.stderr, /--args belongs to the other form/);
    const noId = await p.pql('modify', 'r', '1:local:1m');
    assert.match(noId.stderr, /which entry\? give -i ID/);
  });

  it('modify ID --args ... --all and --code: the same in pql spelling', async () => {
    const p = project();
    const { wf, columns } = await failedFanOut(p);
    const r = await p.pql('modify', String(columns[0]), '--args', '{"x": 5}', '--all');
    assert.equal(r.code, 0, r.stderr);
    const other = p.script('other.py', ADD);
    assert.equal((await p.pql('modify', String(columns[2]), '--code', 'other.py')).code, 0);
    const es = await p.entries(wf);
    assert.deepEqual(
      columns.map(id => es.find(e => e.id === id)!.args),
      [{ x: 5 }, { x: 5 }, { x: 5 }]
    );
    const codes = columns.map(id => (es.find(e => e.id === id) as unknown as { code: string }).code);
    assert.deepEqual(
      codes.map(c => c === other),
      [false, false, true]
    );
    const missing = await p.pql('modify', String(columns[2]), '--code', 'nope.py');
    assert.match(missing.stderr, /the new script must be an existing file, got 'nope.py'/);
  });

  it('resubmit: every failed and timed-out entry by default; -i, -n, -s, -m select; refusals are named', async () => {
    const p = project();
    const { wf, first } = await failedFanOut(p);
    const { ids } = await finished(p);
    assert.equal((await p.pql('resubmit', '-i', '1', '-m', '2')).code, 2);
    const mix = await p.pql('resubmit', '-i', String(first), '-s', 'f');
    assert.match(mix.stderr, /-s and -n do not apply/);
    const none = await p.pql('resubmit', '-n', 'nothing-like-this');
    assert.equal(none.stdout.trim(), 'nothing to resubmit');
    const refused = await p.pql('resubmit', '-i', String(ids['add.py']));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`pql resubmit: entry ${ids['add.py']}: .*succeeded`));
    p.script('first.py', 'def main(**kw):\n    return True, {}\n');
    const r = await p.pql('resubmit');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `entry ${first} ('first.py') queued again`);
    assert.equal((await p.wait(wf)).code, 0);
  });

  it('rm by selection removes the workflows it covers from their first entries, and refuses a part, removing nothing', async () => {
    const p = project();
    const a = await finished(p);
    const b = await finished(p);
    const part = await p.pql('rm', '-i', String(a.ids['filter.py']));
    assert.equal(part.code, 2);
    assert.match(
      part.stderr,
      new RegExp(
        `entry ${a.ids['filter.py']} \\('filter.py'\\) of workflow ${a.wf} does not start it.*'pql rm -w ${a.wf}'.*Nothing was removed`
      )
    );
    assert.equal((await p.entries()).length, 6);
    const both = await p.pql('rm', '-w', String(a.wf), '-i', '1');
    assert.match(both.stderr, /not both/);
    const r = await p.pql('rm', '-i', String(a.ids['add.py']));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`workflow ${a.wf} \\('done'\\) removed: 3 entries`));
    assert.deepEqual(
      (await p.entries()).map(e => e.workflowId),
      [b.wf, b.wf, b.wf]
    );
    const byName = await p.pql('remove', '-n', 'add.py', '-s', 's');
    assert.equal(byName.code, 0, byName.stderr);
    assert.deepEqual(await p.entries(), []);
    assert.equal((await p.pql('rm', '-s', 'f')).stdout.trim(), 'nothing selected: no workflow removed');
  });
});

describe('PerQueue state letters and ids', () => {
  it('-m matches scheduler job ids only for entries that have one', async () => {
    const p = project();
    await finished(p);
    const pids = (await p.entries())
      .map(e => Number((e as unknown as { jobId: string | null }).jobId))
      .filter(n => n > 0);
    assert.equal(pids.length, 2);
    const r = await p.pql('ls', '--json', '-m', `${Math.min(...pids)}-${Math.max(...pids)}`);
    const names = (JSON.parse(r.stdout) as { name: string }[]).map(e => e.name);
    assert.deepEqual(names, ['add.py', 'filter.py']); // the skipped entry never had a job
  });
});
