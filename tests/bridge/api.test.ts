// The bridge API over HTTP as the server extension and kernels reach it: loopback with the
// token, answers matching openapi.json, and the event stream (long poll and WebSocket).
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chainOf, Project, pyTask, REPO, spec } from './cli-harness.js';

type Schema = Record<string, unknown>;
const doc = JSON.parse(readFileSync(join(REPO, 'kernel-bridge/api/openapi.json'), 'utf8'));

/** Enough of JSON Schema for our document: $ref, type, enum, const, required, properties, items. */
function check(value: unknown, schema: Schema, path = '$'): void {
  if (schema.$ref) return check(value, resolveRef(schema.$ref as string), path);
  if (schema.enum)
    assert.ok((schema.enum as unknown[]).includes(value), `${path}: ${JSON.stringify(value)} not in enum`);
  if ('const' in schema) assert.deepEqual(value, schema.const, path);
  if (schema.type) {
    const types = ([] as string[]).concat(schema.type as string);
    const actual =
      value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;
    assert.ok(
      types.includes(actual) || (actual === 'integer' && types.includes('number')),
      `${path}: ${actual} is not ${types}`
    );
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    for (const r of (schema.required as string[]) ?? []) assert.ok(r in (value as object), `${path}: missing '${r}'`);
    for (const [k, s] of Object.entries((schema.properties as Record<string, Schema>) ?? {})) {
      if (k in (value as object)) check((value as Record<string, unknown>)[k], s, `${path}.${k}`);
    }
  }
  if (Array.isArray(value) && schema.items) value.forEach((v, i) => check(v, schema.items as Schema, `${path}[${i}]`));
}

function resolveRef(ref: string): Schema {
  return ref
    .replace('#/', '')
    .split('/')
    .reduce((o: Record<string, unknown>, k) => o[k] as Record<string, unknown>, doc) as Schema;
}

function responseSchema(path: string, method: string): Schema {
  return doc.paths[path][method].responses['200'].content['application/json'].schema;
}

const p = new Project('pq-api-');
let base = '';
let token = '';
let wf = 0;

before(async () => {
  const add = p.script('add.py', 'def main(x=0, **kw):\n    return True, {"x": x + 1}\n');
  wf = await p.submit(spec('api', chainOf(pyTask('a', add, { x: 1 }), pyTask('b', add))));
  await p.wait(wf);
  const info = JSON.parse(p.read('.perqueue/bridge.json'));
  base = `http://127.0.0.1:${info.port}`;
  token = info.token;
});
after(() => p.stop());

const get = (path: string, t = token) => fetch(base + path, { headers: t ? { authorization: `Bearer ${t}` } : {} });
const post = (path: string, body: unknown) =>
  fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body)
  });

describe('access', () => {
  it('refuses requests without the token or with a wrong one', async () => {
    assert.equal((await get('/api/workflows', '')).status, 401);
    assert.equal((await get('/api/workflows', 'x'.repeat(48))).status, 401);
    assert.equal((await get('/api/workflows')).status, 200);
  });

  it('keeps the socket and the connection file private (mode 0600)', () => {
    assert.equal(statSync(join(p.dir, '.perqueue/bridge.sock')).mode & 0o777, 0o600);
    assert.equal(statSync(join(p.dir, '.perqueue/bridge.json')).mode & 0o777, 0o600);
  });

  it('answers bad requests with 400/404 and a message', async () => {
    const r = await post('/api/workflows', '{not json');
    assert.equal(r.status, 400);
    assert.match(((await r.json()) as { error: string }).error, /not JSON/);
    assert.equal((await get('/api/nothing')).status, 404);
    const bad = await post('/api/workflows', {
      spec: { specVersion: 1, name: 'x', root: { kind: 'static_width', width: 0, body: {} } }
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /workflow 'x', node 'root', field 'width'/);
    const retry = await post('/api/entries/1/retry', {});
    assert.equal(retry.status, 400);
    assert.match(((await retry.json()) as { error: string }).error, /succeeded: only failed/);
  });
});

describe('answers match openapi.json', () => {
  it('documents every route the server has, and the server has every documented route', async () => {
    const server = readFileSync(join(REPO, 'kernel-bridge/api/server.ts'), 'utf8');
    const routes = [...server.matchAll(/route\('(GET|POST)', '([^']+)'/g)].map(
      ([, m, r]) => `${m} ${r.replace(/:id/g, '{id}')}`
    );
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).map(m => `${m.toUpperCase()} ${path}`)
    );
    assert.deepEqual(routes.sort(), documented.filter(d => d !== 'GET /api/events/ws').sort());
  });

  it('GET answers carry the documented fields and types', async () => {
    const entries = (await (await get(`/api/entries?workflow=${wf}`)).json()) as { id: number }[];
    const id = entries[0].id;
    const cases: [string, string][] = [
      ['/api/version', '/api/version'],
      ['/api/workflows', '/api/workflows'],
      [`/api/workflows/${wf}`, '/api/workflows/{id}'],
      [`/api/entries?workflow=${wf}&states=s`, '/api/entries'],
      [`/api/entries/${id}`, '/api/entries/{id}'],
      [`/api/entries/${id}/log?stream=stdout`, '/api/entries/{id}/log'],
      [`/api/entries/${id}/log?stream=stdout&offset=0`, '/api/entries/{id}/log'],
      ['/api/approvals', '/api/approvals'],
      ['/api/events?since=0', '/api/events'],
      [`/api/workflows/${wf}/wait?timeout=1`, '/api/workflows/{id}/wait']
    ];
    for (const [url, path] of cases) {
      const r = await get(url);
      assert.equal(r.status, 200, url);
      check(await r.json(), responseSchema(path, 'get'), url);
    }
  });
});

describe('timing of entries (the timeline and pql report read it)', () => {
  it('gives each finished task its queue, start and end times in order, and its executor and job id', async () => {
    const detail = (await (await get(`/api/workflows/${wf}`)).json()) as {
      nodes: {
        name: string;
        kind: string;
        createdAt: number;
        queuedAt: number | null;
        startedAt: number | null;
        endedAt: number | null;
        executor: string | null;
        jobId: string | null;
      }[];
    };
    const tasks = detail.nodes.filter(n => n.kind === 'task');
    assert.deepEqual(tasks.map(n => n.name).sort(), ['a', 'b']);
    for (const n of tasks) {
      assert.ok(n.queuedAt !== null && n.startedAt !== null && n.endedAt !== null, `${n.name}: ${JSON.stringify(n)}`);
      assert.ok(
        n.createdAt <= n.queuedAt! && n.queuedAt! <= n.startedAt! && n.startedAt! <= n.endedAt!,
        `${n.name}: times out of order ${JSON.stringify(n)}`
      );
      assert.equal(n.executor, 'local');
      assert.ok(n.jobId, `${n.name} has a job id`);
    }
    // b waits for a: it is queued only once a has ended.
    const [a, b] = ['a', 'b'].map(name => tasks.find(n => n.name === name)!);
    assert.ok(b.queuedAt! >= a.endedAt!);
  });
});

describe('entries page by page', () => {
  const manual = { kind: 'manual', name: 'm', args: {}, onReject: 'fail' };

  it('?limit and ?after page through every entry in id order; next is null on the last page', async () => {
    const wide = await p.submit(spec('paged', { kind: 'static_width', name: 'columns', width: 25, body: manual }));
    const whole = ((await (await get(`/api/entries?workflow=${wide}`)).json()) as { id: number }[]).map(e => e.id);
    assert.equal(whole.length, 25);
    const seen: number[] = [];
    const pageSizes: number[] = [];
    let after: number | null = 0;
    while (after !== null) {
      const r = await get(`/api/entries?workflow=${wide}&limit=7&after=${after}`);
      assert.equal(r.status, 200);
      const page = (await r.json()) as { entries: { id: number; workflowId: number }[]; next: number | null };
      check(page, responseSchema('/api/entries', 'get'), 'page');
      pageSizes.push(page.entries.length);
      for (const e of page.entries) seen.push(e.id);
      assert.ok(page.entries.every(e => e.workflowId === wide));
      after = page.next;
      if (after !== null) assert.equal(after, page.entries[page.entries.length - 1].id);
    }
    assert.deepEqual(pageSizes, [7, 7, 7, 4]);
    assert.deepEqual(seen, whole);
    assert.deepEqual(
      seen,
      [...seen].sort((a, b) => a - b)
    );
    // A full last page says so too, and a cursor past the end is an empty last page.
    const exact = (await (await get(`/api/entries?workflow=${wide}&limit=25`)).json()) as {
      entries: unknown[];
      next: number | null;
    };
    assert.equal(exact.entries.length, 25);
    assert.equal(exact.next, null);
    const past = (await (await get(`/api/entries?workflow=${wide}&after=${whole[24]}`)).json()) as {
      entries: unknown[];
      next: number | null;
    };
    assert.deepEqual(past, { entries: [], next: null });
    // ?after alone takes the default page size; filters combine with the cursor.
    const rest = (await (
      await get(`/api/entries?workflow=${wide}&states=awaiting_input&after=${whole[19]}`)
    ).json()) as { entries: { id: number }[] };
    assert.deepEqual(
      rest.entries.map(e => e.id),
      whole.slice(20)
    );
    const none = (await (await get(`/api/entries?workflow=${wide}&states=f&limit=5`)).json()) as {
      entries: unknown[];
      next: number | null;
    };
    assert.deepEqual(none, { entries: [], next: null });
  });

  it('GET /api/workflows pages the same way', async () => {
    const whole = (await (await get('/api/workflows')).json()) as { id: number; total: number }[];
    assert.ok(whole.length >= 2);
    const seen: { id: number; total: number }[] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const r = await get(`/api/workflows?limit=1&after=${after}`);
      assert.equal(r.status, 200);
      const page = (await r.json()) as { workflows: { id: number; total: number }[]; next: number | null };
      check(page, responseSchema('/api/workflows', 'get'), 'page');
      assert.ok(page.workflows.length <= 1);
      seen.push(...page.workflows);
      after = page.next;
      pages++;
    }
    assert.deepEqual(
      seen.map(w => [w.id, w.total]),
      whole.map(w => [w.id, w.total])
    );
    assert.equal(pages, whole.length);
    const bad = await get('/api/workflows?limit=0');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /query parameter 'limit'/);
    const badAfter = await get('/api/workflows?after=x');
    assert.equal(badAfter.status, 400);
    assert.match(((await badAfter.json()) as { error: string }).error, /query parameter 'after'/);
  });

  it('a bad ?limit or ?after is a 400 naming the parameter', async () => {
    const cases: [string, RegExp][] = [
      ['limit=0', /query parameter 'limit' must be a whole number from 1 to 10000, got '0'/],
      ['limit=10001', /'limit' .* got '10001'/],
      ['limit=abc', /'limit' .* got 'abc'/],
      ['limit=', /'limit' .* got ''/],
      ['limit=2.5', /'limit' .* got '2.5'/],
      ['after=-1', /query parameter 'after' must be a whole number from 0 to \d+, got '-1'/],
      ['after=1e3', /'after' .* got '1e3'/],
      ['after=99999999999999999999', /'after' .* got '99999999999999999999'/],
      ['limit=5&states=z', /unknown state 'z'/]
    ];
    for (const [query, message] of cases) {
      const r = await get(`/api/entries?${query}`);
      assert.equal(r.status, 400, query);
      assert.match(((await r.json()) as { error: string }).error, message, query);
    }
  });
});

describe('events', () => {
  it('long poll returns what happened after a sequence number, waiting for the next change', async () => {
    const { last } = (await (await get('/api/events?since=0')).json()) as { last: number };
    const waiting = get(`/api/events?since=${last}&timeout=20`);
    const add = join(p.dir, 'add.py');
    const wf2 = await p.submit(spec('more', chainOf(pyTask('c', add))));
    const { events } = (await (await waiting).json()) as { events: { seq: number; workflowId: number }[] };
    assert.ok(events.length > 0);
    assert.ok(events.every(e => e.seq > last));
    assert.ok(events.some(e => e.workflowId === wf2));
    await p.wait(wf2);
  });

  it('limit caps how many events one answer carries', async () => {
    const { events } = (await (await get('/api/events?since=0&limit=2')).json()) as { events: { seq: number }[] };
    assert.equal(events.length, 2);
  });

  it('wait answers when the workflow settles, or unsettled at its timeout; 404 for no workflow', async () => {
    // The task holds until the test opens its gate: the first wait certainly times out unsettled.
    const nap = p.script(
      'nap.py',
      'import os, time\ndef main(gate, **kw):\n    while not os.path.exists(gate):\n        time.sleep(0.05)\n    return True, {}\n'
    );
    const gate = join(p.dir, 'nap-gate');
    const wf3 = await p.submit(spec('nap', chainOf(pyTask('n', nap, { gate }))));
    const early = (await (await get(`/api/workflows/${wf3}/wait?timeout=0.2`)).json()) as {
      settled: boolean;
      state: string;
    };
    assert.deepEqual([early.settled, early.state], [false, 'running']);
    writeFileSync(gate, '');
    const done = (await (await get(`/api/workflows/${wf3}/wait?timeout=60`)).json()) as {
      settled: boolean;
      state: string;
      counts: Record<string, number>;
    };
    assert.deepEqual([done.settled, done.state, done.counts.succeeded], [true, 'succeeded', 1]);
    assert.equal((await get('/api/workflows/999999/wait?timeout=1')).status, 404);
  });

  it('the WebSocket stream resumes after a reconnect with nothing lost and nothing doubled', async () => {
    const seen: number[] = [];
    const listen = (since: number, until: (n: number) => boolean) =>
      new Promise<void>((ok, fail) => {
        const ws = new WebSocket(`${base.replace('http', 'ws')}/api/events/ws?since=${since}&token=${token}`);
        ws.onmessage = m => {
          seen.push(JSON.parse(String(m.data)).seq);
          if (until(seen.length)) {
            ws.close();
            ok();
          }
        };
        ws.onerror = () => fail(new Error('websocket error'));
      });
    const all = ((await (await get('/api/events?since=0')).json()) as { events: { seq: number }[] }).events.map(
      e => e.seq
    );
    await listen(0, n => n >= 3);
    await listen(seen[seen.length - 1], n => n >= all.length);
    assert.deepEqual(seen.slice(0, all.length), all);
    const refused = await new Promise<boolean>(ok => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/events/ws?since=0`);
      ws.onopen = () => ok(false);
      ws.onerror = () => ok(true);
    });
    assert.ok(refused, 'no token, no stream');
  });

  it('with batch=1 a burst comes as arrays of events: every event once, in order, fewer messages than events', async () => {
    const all = ((await (await get('/api/events?since=0')).json()) as { events: { seq: number }[] }).events.map(
      e => e.seq
    );
    assert.ok(all.length >= 2);
    const messages: { seq: number }[][] = [];
    await new Promise<void>((ok, fail) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/events/ws?since=0&batch=1&token=${token}`);
      let n = 0;
      ws.onmessage = m => {
        const batch = JSON.parse(String(m.data)) as { seq: number }[];
        assert.ok(Array.isArray(batch) && batch.length > 0);
        messages.push(batch);
        n += batch.length;
        if (n >= all.length) {
          ws.close();
          ok();
        }
      };
      ws.onerror = () => fail(new Error('websocket error'));
    });
    assert.deepEqual(
      messages
        .flat()
        .map(e => e.seq)
        .slice(0, all.length),
      all
    );
    assert.ok(messages.length < all.length, `${messages.length} messages for ${all.length} events`);

    // A live burst: a 60-column group submitted while listening comes in far fewer messages.
    const head = ((await (await get('/api/version')).json()) as { lastSeq: number }).lastSeq;
    const live: { seq: number; workflowId: number }[][] = [];
    let burstWf = 0;
    await new Promise<void>((ok, fail) => {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/api/events/ws?since=${head}&batch=1&token=${token}`);
      ws.onopen = async () => {
        const r = await post('/api/workflows', {
          spec: spec('burst', {
            kind: 'static_width',
            name: 'columns',
            width: 60,
            body: { kind: 'manual', name: 'm', args: {}, onReject: 'fail' }
          })
        });
        burstWf = ((await r.json()) as { workflowId: number }).workflowId;
      };
      ws.onmessage = m => {
        live.push(JSON.parse(String(m.data)));
        if (burstWf && live.flat().filter(e => e.workflowId === burstWf).length >= 61) {
          ws.close();
          ok();
        }
      };
      ws.onerror = () => fail(new Error('websocket error'));
    });
    const seqs = live.flat().map(e => e.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b)
    );
    assert.equal(new Set(seqs).size, seqs.length);
    assert.ok(live.length <= 3, `${live.length} messages for ${seqs.length} events of one submission`);
  });
});

describe('manual steps in notebooks', () => {
  it("makes the entry's copy of its notebook with the inputs injected, once per attempt", async () => {
    const nbPath = join(p.dir, 'label.ipynb');
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        { cell_type: 'markdown', metadata: {}, source: '# Label' },
        {
          cell_type: 'code',
          metadata: { tags: ['parameters'] },
          source: 'images = []',
          outputs: [],
          execution_count: null
        },
        { cell_type: 'code', metadata: {}, source: 'print(images)', outputs: [], execution_count: null }
      ]
    };
    (await import('node:fs')).writeFileSync(nbPath, JSON.stringify(nb));
    const make = p.script(
      'make.py',
      'def main(**kw):\n    return True, {"images": ["a.png", "b.png"], "ok": True, "none": None}\n'
    );
    const root = chainOf(
      pyTask('make', make),
      { kind: 'manual', name: 'label me', args: {}, notebook: nbPath, onReject: 'discard' },
      {
        kind: 'manual',
        name: 'form',
        args: {},
        onReject: 'fail'
      }
    );
    const wf2 = await p.submit(spec('human', root));
    // The entry named `name` as the API lists it, once it awaits input (or after a minute).
    const awaitingInput = async (name: string) => {
      let entries: { id: number; name: string; state: string }[] = [];
      for (const end = Date.now() + 60_000; Date.now() < end;) {
        entries = (await (await get(`/api/entries?workflow=${wf2}`)).json()) as typeof entries;
        if (entries.find(e => e.name === name)?.state === 'awaiting_input') break;
        await new Promise(r => setTimeout(r, 50));
      }
      return entries.find(e => e.name === name)!;
    };
    const step = await awaitingInput('label me');
    const r = await post(`/api/entries/${step.id}/notebook`, {});
    assert.equal(r.status, 200);
    const { path } = (await r.json()) as { path: string };
    assert.match(path, /^human-steps\/wf\d+-entry\d+-label_me-a1\.ipynb$/);
    const copy = JSON.parse(p.read(path));
    assert.equal(copy.cells.length, 4);
    assert.deepEqual(copy.cells[2].metadata.tags, ['injected-parameters']);
    assert.match(copy.cells[2].source, /images = \['a.png', 'b.png'\]\nok = True\nnone = None\npq_entry_id = \d+/);
    assert.deepEqual((await (await post(`/api/entries/${step.id}/notebook`, {})).json()) as unknown, { path });
    assert.equal((await post(`/api/approvals`, {})).status, 404);
    const approvals = (await (await get('/api/approvals')).json()) as { node: { id: number } }[];
    assert.ok(approvals.some(a => a.node.id === step.id));
    await post(`/api/entries/${step.id}/approve`, { data: { labels: [1, 0] }, by: 'ann' });
    const form = await awaitingInput('form');
    const noNb = await post(`/api/entries/${form.id}/notebook`, {});
    assert.equal(noNb.status, 400);
    assert.match(((await noNb.json()) as { error: string }).error, /has no notebook: it asks for a form/);
  });
});

describe('removing a workflow', () => {
  it('answers as documented, refuses a bad keepFiles, and tells live clients', async () => {
    const add = join(p.dir, 'add.py');
    const extra = await p.finish(spec('to remove', chainOf(pyTask('a', add))));
    const bad = await post(`/api/workflows/${extra}/remove`, { keepFiles: 'yes' });
    assert.equal(bad.status, 400);
    assert.equal(
      ((await bad.json()) as { error: string }).error,
      `workflow ${extra}, field 'keepFiles': must be true or false, got 'yes'`
    );
    assert.equal((await get(`/api/workflows/${extra}`)).status, 200, 'still there');

    const { last } = (await (await get('/api/events?since=0')).json()) as { last: number };
    const r = await post(`/api/workflows/${extra}/remove`, {});
    assert.equal(r.status, 200);
    const answer = (await r.json()) as { workflowId: number; name: string; entries: number; filesRemoved: boolean };
    check(answer, responseSchema('/api/workflows/{id}/remove', 'post'), 'remove');
    assert.deepEqual(
      [answer.workflowId, answer.name, answer.entries, answer.filesRemoved],
      [extra, 'to remove', 1, true]
    );
    assert.equal((await get(`/api/workflows/${extra}`)).status, 404);
    const { events } = (await (await get(`/api/events?since=${last}`)).json()) as {
      events: { workflowId: number; type: string; state: string | null }[];
    };
    assert.deepEqual(
      events.map(e => [e.workflowId, e.type, e.state]),
      [[extra, 'workflow', 'removed']]
    );
    const again = await post(`/api/workflows/${extra}/remove`, {});
    assert.equal(again.status, 400);
    assert.equal(((await again.json()) as { error: string }).error, `no workflow ${extra}`);
  });
});

describe('what an entry received', () => {
  it("is its args merged with its parents' data, the same shape for finished, failed and human entries", async () => {
    const give = p.script('give.py', 'def main(**kw):\n    return True, {"x": 1, "shared": "parent"}\n');
    const boom = p.script('boom-in.py', 'def main(**kw):\n    raise RuntimeError("boom")\n');
    type Detail = { node: { state: string; name: string }; kwargs: Record<string, unknown> };
    const detailOf = async (id: number) => {
      const answer = (await (await get(`/api/entries/${id}`)).json()) as Detail;
      check(answer, responseSchema('/api/entries/{id}', 'get'), 'entry');
      return answer;
    };
    const idsOf = async (w: number) =>
      ((await (await get(`/api/entries?workflow=${w}`)).json()) as { id: number }[])
        .map(e => e.id)
        .sort((a, b) => a - b);

    const w = await p.submit(
      spec('received', chainOf(pyTask('give', give, { a: 0 }), pyTask('boom', boom, { y: 2, shared: 'own' })))
    );
    await p.wait(w);
    const [given, failed] = await idsOf(w);
    const first = await detailOf(given);
    assert.deepEqual([first.node.state, first.kwargs], ['succeeded', { a: 0 }]);
    const second = await detailOf(failed);
    // A parent's key wins over the entry's own arg, as in the run.
    assert.deepEqual([second.node.state, second.kwargs], ['failed', { y: 2, shared: 'parent', x: 1 }]);

    const step = { kind: 'manual', name: 'check', args: { note: 'n' }, onReject: 'discard' };
    const w2 = await p.submit(spec('received by a person', chainOf(pyTask('give', give), step)));
    let manual: Detail | undefined;
    for (let i = 0; i < 600 && manual?.node.state !== 'awaiting_input'; i++) {
      const ids = await idsOf(w2);
      manual = ids.length === 2 ? await detailOf(ids[1]) : undefined;
      if (manual?.node.state !== 'awaiting_input') await new Promise(r => setTimeout(r, 50));
    }
    assert.deepEqual(manual?.kwargs, { note: 'n', x: 1, shared: 'parent' });
    const [, stepId] = await idsOf(w2);
    assert.equal((await post(`/api/entries/${stepId}/approve`, { data: { ok: true } })).status, 200);
    await p.wait(w2);
    const answered = await detailOf(stepId);
    assert.deepEqual([answered.node.state, answered.kwargs], ['succeeded', { note: 'n', x: 1, shared: 'parent' }]);
  });
});

describe('results set by hand (PerQueue complete / discard / fail)', () => {
  it('complete, discard and fail answer as documented and move what waits below', async () => {
    const boom = p.script('boom.py', 'def main(**kw):\n    raise RuntimeError("boom")\n');
    const add = join(p.dir, 'add.py');
    const w = await p.submit(spec('by hand', chainOf(pyTask('boom', boom), pyTask('after', add))));
    await p.wait(w);
    const entries = async () =>
      (await (await get(`/api/entries?workflow=${w}`)).json()) as {
        id: number;
        name: string;
        state: string;
        data: unknown;
        error: string | null;
      }[];
    const [first, second] = (await entries()).sort((a, b) => a.id - b.id);
    assert.deepEqual([first.state, second.state], ['failed', 'blocked']);

    const badData = await post(`/api/entries/${first.id}/complete`, { data: [1] });
    assert.equal(badData.status, 400);
    assert.equal(
      ((await badData.json()) as { error: string }).error,
      `entry ${first.id}, field 'data': must be a JSON object or null, got [1]`
    );

    const done = await post(`/api/entries/${first.id}/complete`, { data: { x: 41 } });
    assert.equal(done.status, 200);
    check(await done.json(), responseSchema('/api/entries/{id}/complete', 'post'), 'complete');
    await p.wait(w);
    const afterComplete = (await entries()).sort((a, b) => a.id - b.id);
    assert.deepEqual(
      afterComplete.map(e => [e.state, e.data]),
      [
        ['succeeded', { x: 41 }],
        ['succeeded', { x: 42 }]
      ]
    );
    const detail = (await (await get(`/api/entries/${second.id}`)).json()) as { parentData: unknown };
    check(detail, responseSchema('/api/entries/{id}', 'get'), 'entry');
    assert.deepEqual(detail.parentData, { x: 41 });

    const again = await post(`/api/entries/${first.id}/complete`, { data: {} });
    assert.equal(again.status, 400);
    assert.match(((await again.json()) as { error: string }).error, /is succeeded: it has a result already/);

    // A fresh failure: discard skips the child; fail keeps the given error and blocks it.
    const w2 = await p.submit(spec('by hand 2', chainOf(pyTask('boom', boom), pyTask('after', add))));
    await p.wait(w2);
    const [f2, c2] = ((await (await get(`/api/entries?workflow=${w2}`)).json()) as { id: number }[]).sort(
      (a, b) => a.id - b.id
    );
    assert.equal((await post(`/api/entries/${f2.id}/discard`, {})).status, 200);
    const state = async (id: number) =>
      ((await (await get(`/api/entries/${id}`)).json()) as { node: { state: string; error: string | null } }).node;
    assert.equal((await state(c2.id)).state, 'skipped');
    assert.equal((await post(`/api/entries/${f2.id}/fail`, { error: 'checked by hand' })).status, 200);
    assert.deepEqual(await state(f2.id).then(n => [n.state, n.error]), ['failed', 'checked by hand']);
    assert.equal((await state(c2.id)).state, 'blocked');
    const badError = await post(`/api/entries/${f2.id}/fail`, { error: 3 });
    assert.equal(badError.status, 400);
  });
});
