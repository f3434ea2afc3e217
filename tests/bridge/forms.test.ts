// A manual step's form, end to end: `pql approve` and POST /api/entries/:id/approve refuse data
// the form does not accept (the entry keeps waiting, nothing stored changes), accept data that
// fits and pass it on; submit refuses a form we cannot enforce and a default the form refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chainOf, Project, projectMaker, pyTask, spec, type EntryJson } from './cli-harness.js';

const project = projectMaker('pq-forms-');

/** Reports what it was given, so the test sees the approved data arrive. */
const ECHO = `
def main(quality=None, labels=None, **kw):
    return True, {"got_quality": quality, "got_labels": labels}
`;

const FORM = {
  type: 'object',
  title: 'Check the segmentation',
  required: ['quality'],
  additionalProperties: false,
  properties: {
    quality: { type: 'number', minimum: 0, maximum: 1 },
    labels: { type: 'array', items: { type: 'integer' }, maxItems: 4 }
  }
};

const manualStep = (extra: Record<string, unknown> = {}) => ({
  kind: 'manual',
  name: 'check',
  args: {},
  form: FORM,
  onReject: 'fail',
  ...extra
});

async function untilAwaiting(p: Project, wf: number, name = 'check'): Promise<EntryJson> {
  for (const end = Date.now() + 60_000; Date.now() < end;) {
    const e = (await p.entries(wf)).find(x => x.name === name);
    if (e?.state === 'awaiting_input') return e;
    await new Promise(r => setTimeout(r, 50));
  }
  throw new Error(`'${name}' never waited for input`);
}

async function entry(p: Project, wf: number, name: string): Promise<EntryJson> {
  return (await p.entries(wf)).find(x => x.name === name)!;
}

describe('approving a manual step checks the data against its form', () => {
  it('pql approve refuses data the form does not accept, and the entry keeps waiting', async () => {
    const p = project();
    const echo = p.script('echo.py', ECHO);
    const wf = await p.submit(spec('segment', chainOf(pyTask('a', echo), manualStep(), pyTask('use', echo))));
    const step = await untilAwaiting(p, wf);

    const bad = await p.pql(
      'approve',
      String(step.id),
      '--data',
      '{"quality": "high", "labels": [1, "x"], "qualty": 1}',
      '--by',
      'ann'
    );
    assert.equal(bad.code, 2, bad.stdout + bad.stderr);
    assert.equal(bad.stdout, '');
    assert.equal(
      bad.stderr.trim(),
      `pql: workflow ${wf} ('segment'), entry ${step.id} ('check'), node 'root/n1': the data does not match the step's form: ` +
        `data.quality: expected a number, got "high"; data.labels[1]: expected an integer, got "x"; ` +
        `data.qualty: not a field of the form (the form has 'quality', 'labels')`
    );
    const missing = await p.pql('approve', String(step.id));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /entry \d+ \('check'\), node 'root\/n1': .*data: missing required field 'quality'/);
    const tooMany = await p.pql('approve', String(step.id), '--data', '{"quality": 1.5, "labels": [1, 2, 3, 4, 5]}');
    assert.equal(tooMany.code, 2);
    assert.match(
      tooMany.stderr,
      /data\.quality: must be at most 1, got 1\.5; data\.labels: must have at most 4 items, got 5/
    );

    const still = await entry(p, wf, 'check');
    assert.equal(still.state, 'awaiting_input');
    assert.equal(still.data, null);
    assert.equal((await entry(p, wf, 'use')).state, 'waiting');
    assert.equal((await p.wait(wf, 10)).code, 3, 'wait still says a person is needed');

    const good = await p.pql(
      'approve',
      String(step.id),
      '--data',
      '{"quality": 0.75, "labels": [1, 0, 2]}',
      '--by',
      'ann'
    );
    assert.equal(good.code, 0, good.stderr);
    assert.equal((await p.wait(wf)).code, 0);
    assert.deepEqual((await entry(p, wf, 'check')).data, { quality: 0.75, labels: [1, 0, 2] });
    assert.deepEqual((await entry(p, wf, 'use')).data, { got_quality: 0.75, got_labels: [1, 0, 2] });
  });

  it('POST /api/entries/:id/approve answers 400 with the message and changes nothing', async () => {
    const p = project();
    const echo = p.script('echo.py', ECHO);
    const wf = await p.submit(spec('over-http', chainOf(pyTask('a', echo), manualStep(), pyTask('use', echo))));
    const step = await untilAwaiting(p, wf);
    const info = JSON.parse(p.read('.perqueue/bridge.json'));
    const approve = (data: unknown) =>
      fetch(`http://127.0.0.1:${info.port}/api/entries/${step.id}/approve`, {
        method: 'POST',
        headers: { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ data, by: 'ann' })
      });

    const bad = await approve({ quality: -1, labels: [1.5] });
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      error:
        `workflow ${wf} ('over-http'), entry ${step.id} ('check'), node 'root/n1': the data does not match the step's form: ` +
        'data.quality: must be at least 0, got -1; data.labels[0]: expected an integer, got 1.5'
    });
    const before = await entry(p, wf, 'check');
    assert.equal(before.state, 'awaiting_input');
    assert.equal(before.data, null);

    const good = await approve({ quality: 0 });
    assert.equal(good.status, 200);
    assert.equal((await p.wait(wf)).code, 0);
    assert.deepEqual((await entry(p, wf, 'use')).data, { got_quality: 0, got_labels: null });
  });

  it("a timeout's default, checked at submit, goes on like an answer", async () => {
    const p = project();
    const echo = p.script('echo.py', ECHO);
    const wf = await p.submit(
      spec(
        'defaulted',
        chainOf(manualStep({ timeout: 0.5, default: { quality: 0.5, labels: [7] } }), pyTask('use', echo))
      )
    );
    // `pql wait` returns at once while a person is needed; the bridge applies the default within a tick.
    for (const end = Date.now() + 60_000; (await entry(p, wf, 'check')).state === 'awaiting_input' && Date.now() < end;)
      await new Promise(r => setTimeout(r, 50));
    assert.equal((await p.wait(wf, 30)).code, 0);
    assert.deepEqual((await entry(p, wf, 'check')).data, { quality: 0.5, labels: [7] });
    assert.deepEqual((await entry(p, wf, 'use')).data, { got_quality: 0.5, got_labels: [7] });
  });
});

describe('submit checks the form and the default', () => {
  it('refuses a form we cannot enforce and a default the form refuses, naming workflow, node and field; nothing is stored', async () => {
    const p = project();
    const echo = p.script('echo.py', ECHO);
    await p.finish(spec('good', chainOf(pyTask('a', echo))));
    const withForm = (form: unknown, extra: Record<string, unknown> = {}) =>
      chainOf(pyTask('a', echo), manualStep({ form, ...extra }));
    const cases: [string, unknown, RegExp][] = [
      [
        'one-of',
        withForm({ type: 'object', properties: { quality: { oneOf: [{ type: 'number' }, { type: 'null' }] } } }),
        /^pql: workflow 'one-of', node 'root\/n1', field 'form\.properties\.quality\.oneOf': the keyword 'oneOf' is not supported in a form; supported: type, properties, required/
      ],
      [
        'bad-type',
        withForm({ type: 'object', properties: { labels: { type: 'array', items: { type: 'int' } } } }),
        /^pql: workflow 'bad-type', node 'root\/n1', field 'form\.properties\.labels\.items\.type': unknown type "int"/
      ],
      [
        'bad-bound',
        withForm({ type: 'object', properties: { quality: { minimum: 1, maximum: 0 } } }),
        /field 'form\.properties\.quality\.minimum': minimum 1 is above maximum 0: no value can match/
      ],
      [
        'bad-pattern',
        withForm({ properties: { name: { type: 'string', pattern: '(?P<x>a)' } } }),
        /field 'form\.properties\.name\.pattern': is not a valid regular expression/
      ],
      [
        'bad-default',
        withForm(FORM, { timeout: 60, default: { quality: 'n/a' } }),
        /^pql: workflow 'bad-default', node 'root\/n1', field 'default': the default does not match the form: default\.quality: expected a number, got "n\/a"$/
      ],
      [
        'partial-default',
        withForm(FORM, { timeout: 60, default: { labels: [1] } }),
        /field 'default': the default does not match the form: default: missing required field 'quality'$/
      ]
    ];
    for (const [name, root, says] of cases) {
      const r = await p.pqlWithInput(JSON.stringify(spec(name, root)), 'submit', '--spec', '-');
      assert.equal(r.code, 2, `${name}: ${r.stdout} ${r.stderr}`);
      assert.match(r.stderr.trim(), says, name);
    }
    const status = JSON.parse((await p.pql('status', '--json')).stdout);
    assert.deepEqual(
      status.map((s: { name: string }) => s.name),
      ['good'],
      'nothing of the refused workflows is stored'
    );
  });
});
