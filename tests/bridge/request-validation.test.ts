// Malformed requests to a running bridge, as a client could send them: every query parameter and
// every JSON body field is checked before anything acts, the 400 names the parameter or field and
// the value given, and a refused request changes nothing stored. Also `pql submit` by file name.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chainOf, Project, pyTask, spec } from './cli-harness.js';

const p = new Project('pq-reqval-');
let base = '';
let token = '';
let port = 0;
let wf = 0;
let stepId = 0;
let afterId = 0;

const manual = { kind: 'manual', name: 'check', args: {}, onReject: 'fail' };

before(async () => {
  const add = p.script('add.py', 'def main(x=0, **kw):\n    return True, {"x": x + 1}\n');
  wf = await p.submit(spec('checked', chainOf(manual, pyTask('after', add, { x: 1 }))));
  assert.equal((await p.wait(wf)).code, 3, 'the workflow waits for a person');
  const info = JSON.parse(p.read('.perqueue/bridge.json'));
  port = info.port;
  base = `http://127.0.0.1:${port}`;
  token = info.token;
  stepId = (await p.entry(wf, 'check')).id;
  afterId = (await p.entry(wf, 'after')).id;
});
after(() => p.stop());

const get = (path: string) => fetch(base + path, { headers: { authorization: `Bearer ${token}` } });
const post = (path: string, body: unknown) =>
  fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  });

async function refused(r: Response, message: RegExp, what: string): Promise<void> {
  const text = await r.text();
  assert.equal(r.status, 400, `${what}: ${r.status} ${text}`);
  assert.match((JSON.parse(text) as { error: string }).error, message, what);
}

/** Everything a refused request could have changed: the entries, the workflows, the event log. */
async function stored(): Promise<unknown> {
  const version = (await (await get('/api/version')).json()) as { lastSeq: number };
  const workflows = (await (await get('/api/workflows')).json()) as { id: number }[];
  const entries = await (await get(`/api/entries?workflow=${wf}`)).json();
  return { lastSeq: version.lastSeq, workflows: workflows.map(w => w.id), entries };
}

describe('query parameters', () => {
  it('GET /api/events refuses a since, limit or timeout that is not a number', async () => {
    const cases: [string, RegExp][] = [
      ['since=abc', /query parameter 'since' must be a whole number from 0 to \d+, got 'abc'/],
      ['since=-1', /'since' .* got '-1'/],
      ['since=1.5', /'since' .* got '1.5'/],
      ['since=', /'since' .* got ''/],
      ['limit=abc', /query parameter 'limit' must be a whole number from 1 to \d+, got 'abc'/],
      ['limit=0', /'limit' .* got '0'/],
      ['timeout=soon', /query parameter 'timeout' must be a number of seconds from 0, got 'soon'/],
      ['timeout=-2', /'timeout' .* got '-2'/]
    ];
    for (const [query, message] of cases) await refused(await get(`/api/events?${query}`), message, query);
    // Well-formed values still work, and too long a wait or too many events are cut as documented.
    const ok = await get('/api/events?since=0&limit=99999&timeout=0');
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { events: unknown[]; last: number };
    assert.ok(body.events.length > 0 && Number.isInteger(body.last));
  });

  it('GET /api/workflows/:id/wait refuses a timeout that is not a number', async () => {
    await refused(
      await get(`/api/workflows/${wf}/wait?timeout=later`),
      /query parameter 'timeout' must be a number of seconds from 0, got 'later'/,
      'wait'
    );
    const ok = await get(`/api/workflows/${wf}/wait?timeout=0.05`);
    assert.equal(ok.status, 200);
  });

  it('GET /api/entries and /api/workflows refuse a malformed workflow, limit or after', async () => {
    const cases: [string, RegExp][] = [
      ['/api/entries?workflow=abc', /query parameter 'workflow' must be a whole number from 0 to \d+, got 'abc'/],
      ['/api/entries?workflow=-3', /'workflow' .* got '-3'/],
      ['/api/entries?limit=ten', /'limit' .* got 'ten'/],
      ['/api/entries?after=x', /'after' .* got 'x'/],
      ['/api/workflows?limit=-1', /'limit' .* got '-1'/],
      ['/api/workflows?after=1.5', /'after' .* got '1.5'/]
    ];
    for (const [path, message] of cases) await refused(await get(path), message, path);
  });

  it('GET /api/entries/:id/log refuses an unknown stream and a malformed offset or tail', async () => {
    const log = `/api/entries/${afterId}/log`;
    const cases: [string, RegExp][] = [
      [`${log}?stream=stdrr`, /query parameter 'stream' must be one of 'stdout', 'stderr', got 'stdrr'/],
      [`${log}?offset=-5`, /'offset' must be a whole number of bytes from 0, got '-5'/],
      [`${log}?offset=abc`, /'offset' .* got 'abc'/],
      [`${log}?tail=many`, /'tail' must be a whole number of lines .* got 'many'/]
    ];
    for (const [path, message] of cases) await refused(await get(path), message, path);
    assert.equal((await get(`${log}?stream=stderr&offset=0`)).status, 200);
  });

  it('the WebSocket event stream refuses a since that is not a number before upgrading', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: '/api/events/ws?since=abc',
        headers: {
          authorization: `Bearer ${token}`,
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-key': Buffer.from('0123456789abcdef').toString('base64'),
          'sec-websocket-version': '13'
        }
      });
      req.on('response', res => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('upgrade', res => reject(new Error(`upgraded with ${res.statusCode}`)));
      req.on('error', reject);
      req.end();
    });
    assert.equal(answer.status, 400);
    assert.match(JSON.parse(answer.body).error, /query parameter 'since' must be a whole number .* got 'abc'/);
  });
});

describe('body fields of the write endpoints', () => {
  it('refuses a wrongly typed field with a 400 naming it, and changes nothing', async () => {
    const before = await stored();
    const step = (await (await get(`/api/entries/${stepId}`)).json()) as { node: { state: string } };
    assert.equal(step.node.state, 'awaiting_input');
    const env = { PATH: process.env.PATH };
    const cases: [string, unknown, RegExp][] = [
      [`/api/entries/${stepId}/approve`, { by: 42 }, /^entry \d+, field 'by': must be a string, got 42$/],
      [`/api/entries/${stepId}/approve`, { data: {}, by: ['ann'] }, /field 'by': must be a string, got \["ann"\]/],
      [`/api/entries/${stepId}/approve`, { data: null }, /field 'data': must be a JSON object, got null/],
      [`/api/entries/${stepId}/approve`, { data: [1] }, /field 'data': must be a JSON object, got \[1\]/],
      [`/api/entries/${stepId}/approve`, [1, 2], /entry \d+, the request body must be a JSON object, got \[1,2\]/],
      [`/api/entries/${stepId}/reject`, { by: 7 }, /field 'by': must be a string, got 7/],
      [`/api/entries/${stepId}/reject`, { by: 'ann', reason: { why: 1 } }, /field 'reason': must be a string/],
      [`/api/entries/${stepId}/cancel`, '"now"', /the request body must be a JSON object, got 'now'/],
      [`/api/workflows/${wf}/cancel`, 'true', /the request body must be a JSON object, got true/],
      [`/api/entries/${stepId}/complete`, { error: 5 }, /field 'error': must be a string, got 5/],
      [`/api/entries/${stepId}/fail`, { data: 'x' }, /field 'data': must be a JSON object or null, got 'x'/],
      [`/api/entries/${afterId}/modify`, { resources: 4 }, /field 'resources': must be a string, got 4/],
      [`/api/entries/${afterId}/modify`, { retries: '2' }, /field 'retries': must be a whole number, got '2'/],
      [`/api/entries/${afterId}/modify`, { args: [1] }, /field 'args': must be a JSON object, got \[1\]/],
      [`/api/entries/${afterId}/modify`, { args: null }, /field 'args': must be a JSON object, got null/],
      [`/api/entries/${afterId}/modify`, { code: false }, /field 'code': must be a string, got false/],
      [`/api/entries/${afterId}/modify`, { width: 1.5 }, /field 'width': must be a whole number, got 1.5/],
      [`/api/entries/${afterId}/retry`, { environment: 'PATH=/bin' }, /field 'environment'/],
      [`/api/workflows/${wf}/remove`, { keepFiles: 1 }, /field 'keepFiles': must be true or false, got 1/],
      [
        '/api/workflows',
        { spec: spec('x', manual), python: 3, environment: env },
        /field 'python': must be a string, got 3/
      ],
      ['/api/workflows', { spec: spec('x', manual), virtualEnv: true }, /field 'virtualEnv': must be a string/],
      ['/api/workflows', { spec: spec('x', manual), cwd: 5 }, /field 'cwd': must be an absolute path, got 5/],
      ['/api/export', { workflows: [wf], withLogs: 'yes' }, /field 'withLogs': must be true or false, got 'yes'/]
    ];
    for (const [path, body, message] of cases) {
      await refused(await post(path, body), message, `${path} ${JSON.stringify(body)}`);
    }
    assert.deepEqual(await stored(), before, 'a refused request changed what is stored');

    // The same endpoints take well-typed fields: the person's name is recorded with the answer.
    const ok = await post(`/api/entries/${stepId}/approve`, { data: { fine: true }, by: 'ann' });
    assert.equal(ok.status, 200, await ok.text());
    const after = (await (await get(`/api/entries/${stepId}`)).json()) as { node: { state: string } };
    assert.notEqual(after.node.state, 'awaiting_input');
    assert.notDeepEqual(await stored(), before);
  });
});

describe('pql submit by file name', () => {
  it('takes a builder document saved as .pqwf like .pqwf.json, scripts relative to its folder', async () => {
    mkdirSync(join(p.dir, 'defs'), { recursive: true });
    p.script('defs/one.py', 'def main(**kw):\n    return True, {"ran": __file__}\n');
    const doc = { ...spec('from-pqwf', pyTask('one', 'one.py')), layout: { positions: {} } };
    writeFileSync(join(p.dir, 'defs', 'run.pqwf'), JSON.stringify(doc));
    const r = await p.pql('submit', 'defs/run.pqwf', '--json');
    assert.equal(r.code, 0, r.stderr);
    const id = JSON.parse(r.stdout).workflowId as number;
    assert.equal((await p.wait(id)).code, 0);
    assert.deepEqual((await p.entry(id, 'one')).data, { ran: join(p.dir, 'defs', 'one.py') });
  });

  it('refuses a file of another kind, naming it and the endings it takes; nothing is submitted', async () => {
    writeFileSync(join(p.dir, 'run.yaml'), 'specVersion: 1\n');
    const workflows = async () => ((await (await get('/api/workflows')).json()) as unknown[]).length;
    const before = await workflows();
    const r = await p.pql('submit', 'run.yaml');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /cannot submit run\.yaml: .*\.py.*\.json, \.pqwf.*\.mjs/);
    assert.equal(await workflows(), before);
  });
});
