// Hostile or huge input against a real daemon: each is refused or failed with a clear error,
// the daemon stays up, nothing stored is lost and the workflow goes on. The limits are those of
// core/limits.ts (docs/contracts.md, "Limits").
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import {
  MAX_GROUP_WIDTH,
  MAX_JSON_DEPTH,
  MAX_LOG_LINES,
  MAX_REQUEST_BYTES,
  MAX_WORKFLOW_ENTRIES
} from '../../core/limits.js';
import { chainOf, Project, projectMaker, pyTask, spec, type EntryJson } from './cli-harness.js';

// A client that reads nothing for this long is dropped (the default is 10 s).
process.env.PQ_WS_STALL_MS = '3000';
const project = projectMaker('pq-hostile-');

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
/** A terminal control character (C0 but newline and tab, DEL, C1): none may reach the terminal. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, tries = 1200): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

interface Api {
  base: string;
  token: string;
  pid: number;
  get(path: string): Promise<Response>;
  post(path: string, body: unknown): Promise<Response>;
}

function api(p: Project): Api {
  const info = JSON.parse(p.read('.perqueue/bridge.json')) as { port: number; token: string; pid: number };
  const base = `http://127.0.0.1:${info.port}`;
  const headers = { authorization: `Bearer ${info.token}`, 'content-type': 'application/json' };
  return {
    base,
    token: info.token,
    pid: info.pid,
    get: path => fetch(base + path, { headers }),
    post: (path, body) =>
      fetch(base + path, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
  };
}

async function errorOf(r: Response): Promise<string> {
  return ((await r.json()) as { error: string }).error;
}

async function entryNamed(p: Project, wf: number, name: string): Promise<EntryJson> {
  return (await p.entries(wf)).find(e => e.name === name)!;
}

/** Submits a manual step 'check' (with `form`, if given) before a Python task `use`; the step once it awaits input. */
/**
 * A new project whose workflow `name` is a manual step `check` (with `form`) and then a task `use`
 * running the Python `source`; once the step waits: the project, its API, the workflow, the step.
 */
async function awaitingStep(
  name: string,
  source: string,
  form?: unknown
): Promise<{ p: Project; a: Api; wf: number; step: EntryJson }> {
  const p = project();
  const task = p.script('use.py', source);
  const wf = await p.submit(
    spec(
      name,
      chainOf(
        { kind: 'manual', name: 'check', args: {}, onReject: 'fail', ...(form ? { form } : {}) },
        pyTask('use', task)
      )
    )
  );
  const step = await until('the step to wait', async () => {
    const e = await entryNamed(p, wf, 'check');
    return e?.state === 'awaiting_input' ? e : undefined;
  });
  return { p, a: api(p), wf, step };
}

async function settledEntry(p: Project, wf: number, name: string): Promise<EntryJson> {
  return until(`'${name}' to finish`, async () => {
    const e = await entryNamed(p, wf, name);
    return e && ['succeeded', 'failed', 'timed_out', 'discarded', 'cancelled'].includes(e.state) ? e : undefined;
  });
}

const deepJson = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

function rssKb(pid: number, field = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

/** A project with a running daemon (made by a first, small workflow) and a script writing `out`. */
async function started(p: Project): Promise<Api> {
  const ok = p.script('ok.py', 'def main(**kw):\n    return True, {"ok": 1}\n');
  const wf = await p.submit(spec('warm', chainOf(pyTask('ok', ok))));
  await p.wait(wf);
  return api(p);
}

describe('a task output nested a million levels deep', () => {
  it('fails its entry with a message; the daemon stays up and the workflow goes on', async () => {
    const p = project();
    const deep = p.script(
      'deep.sh',
      `#!/bin/bash\nhead -c 1000000 /dev/zero | tr '\\0' '[' > "$PQ_OUTPUT"\nhead -c 1000000 /dev/zero | tr '\\0' ']' >> "$PQ_OUTPUT"\n`
    );
    const ok = p.script('ok.py', 'def main(**kw):\n    return True, {"after": 1}\n');
    const wf = await p.submit(
      spec('deep', chainOf({ kind: 'task', name: 'deep', code: deep, args: {}, resources: '1:local:1m' }))
    );
    await p.wait(wf);
    const e = await entryNamed(p, wf, 'deep');
    assert.equal(e.state, 'failed');
    assert.match(e.error!, new RegExp(`the output is refused: the JSON nests deeper than ${MAX_JSON_DEPTH} levels`));
    const wf2 = await p.submit(spec('after', chainOf(pyTask('after', ok))));
    await p.wait(wf2);
    assert.equal((await entryNamed(p, wf2, 'after')).state, 'succeeded');
  });

  it('found by recovery after a restart: the entry fails, the daemon starts', async () => {
    const p = project();
    const gate = join(p.dir, 'gate');
    const deep = p.script(
      'deep.sh',
      `#!/bin/bash\ntouch "${p.dir}/started"\nuntil [ -e "${gate}" ]; do sleep 0.05; done\n` +
        `head -c 1000000 /dev/zero | tr '\\0' '{' | sed 's/{/{"a":/g' > "$PQ_OUTPUT"\nhead -c 1000000 /dev/zero | tr '\\0' '}' >> "$PQ_OUTPUT"\n`
    );
    const wf = await p.submit(
      spec('deep', chainOf({ kind: 'task', name: 'deep', code: deep, args: {}, resources: '1:local:5m' }))
    );
    await until('the task to start', () => (existsSync(join(p.dir, 'started')) ? true : undefined));
    await p.stop();
    writeFileSync(gate, '');
    const e0 = await entryNamed(p, wf, 'deep');
    const runDir = join(p.dir, '.perqueue/runs', String(wf), `${e0.id}.${e0.attempt}`);
    await until('the job to end while no daemon runs', () => (existsSync(join(runDir, 'marker')) ? true : undefined));
    const start = await p.pql('daemon', 'start');
    assert.equal(start.code, 0, start.stderr);
    const e = await settledEntry(p, wf, 'deep');
    assert.equal(e.state, 'failed');
    assert.match(e.error!, /nests deeper than/);
    const status = await p.pql('daemon', 'status');
    assert.match(status.stdout, /bridge running/);
  });
});

describe('approve data nested a million levels deep', () => {
  it('is refused with 400; the step keeps waiting in memory and in the store, and a good answer still goes through', async () => {
    const { p, a, wf, step } = await awaitingStep(
      'deep-approve',
      'def main(**kw):\n    return True, {"got": sorted(kw)}\n'
    );
    const r = await a.post(`/api/entries/${step.id}/approve`, `{"data": {"x": ${deepJson(1_000_000)}}, "by": "eve"}`);
    assert.equal(r.status, 400);
    const error = await errorOf(r);
    assert.match(error, new RegExp(`nests deeper than ${MAX_JSON_DEPTH} levels`));
    assert.doesNotMatch(error, /\n\s+at /);
    // Memory (the API reads the engine) and the store (pql ls reads the file) agree: still waiting.
    const live = (await (await a.get('/api/approvals')).json()) as { node: { id: number } }[];
    assert.ok(live.some(x => x.node.id === step.id));
    assert.equal((await entryNamed(p, wf, 'check')).state, 'awaiting_input');
    // Through the CLI too (an argument holds at most 128 KiB): refused with the limit, not a stack trace.
    const cli = await p.pql('approve', String(step.id), '--data', `{"x": ${deepJson(50_000)}}`);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /^pql: --data is refused: the JSON nests deeper than 256 levels/);
    const good = await a.post(`/api/entries/${step.id}/approve`, { data: { x: [[1]] }, by: 'ann' });
    assert.equal(good.status, 200, await good.clone().text());
    await p.wait(wf);
    assert.equal((await entryNamed(p, wf, 'use')).state, 'succeeded');
  });
});

describe('wide groups', () => {
  const manual = { kind: 'manual', name: 'm', args: {}, onReject: 'fail' };

  it(`a StaticWidthGroup wider than ${MAX_GROUP_WIDTH} is refused at submission, naming it; nothing is left behind`, async () => {
    const p = project();
    const a = await started(p);
    const before = (await (await a.get('/api/workflows')).json()) as unknown[];
    for (const width of [MAX_GROUP_WIDTH + 1, 100_000_000]) {
      const r = await a.post('/api/workflows', {
        spec: spec('wide', { kind: 'static_width', name: 'columns', width, body: manual })
      });
      assert.equal(r.status, 400);
      assert.equal(
        await errorOf(r),
        `workflow 'wide', node 'root', field 'width': StaticWidthGroup 'columns' has a width of ${width}, over the limit of 1,000,000 columns per group`
      );
    }
    const nested = await a.post('/api/workflows', {
      spec: spec('nested', {
        kind: 'static_width',
        name: 'outer',
        width: 2000,
        body: { kind: 'static_width', name: 'inner', width: 1000, body: manual }
      })
    });
    assert.equal(nested.status, 400);
    assert.match(
      await errorOf(nested),
      new RegExp(
        `makes 2,000,000 entries at submission, over the limit of ${MAX_WORKFLOW_ENTRIES.toLocaleString('en-US')}`
      )
    );
    // The same refusal through `pql submit`: exit status 2 and the message, no traceback.
    const viaCli = await p.pqlWithInput(
      JSON.stringify(spec('wide', { kind: 'static_width', name: 'columns', width: MAX_GROUP_WIDTH + 1, body: manual })),
      'submit',
      '--spec',
      '-'
    );
    assert.equal(viaCli.code, 2, viaCli.stderr);
    assert.match(
      viaCli.stderr,
      /workflow 'wide', node 'root', field 'width': StaticWidthGroup 'columns' has a width of 1000001, over the limit of 1,000,000 columns per group/
    );
    assert.doesNotMatch(viaCli.stderr, /\bat .*\.js:\d+/);
    // The next, unrelated submission stores only itself.
    const ok = p.script('ok2.py', 'def main(**kw):\n    return True, {}\n');
    const next = await a.post('/api/workflows', { spec: spec('small', chainOf(pyTask('one', ok))) });
    assert.equal(next.status, 200);
    const { workflowId, entries } = (await next.json()) as { workflowId: number; entries: number };
    assert.equal(entries, 1);
    const after = (await (await a.get('/api/workflows')).json()) as { id: number; total: number }[];
    assert.equal(after.length, before.length + 1);
    assert.equal(after.find(w => w.id === workflowId)!.total, 1);
    assert.equal((await p.entries()).length, 2);
  });

  it('a DynamicWidthGroup asked for too many columns fails with the limit; a width modification over it is refused', async () => {
    const p = project();
    const width = p.script('width.py', `def main(**kw):\n    return True, {"pq_dwg_width": ${MAX_GROUP_WIDTH + 1}}\n`);
    const ok = p.script('ok.py', 'def main(**kw):\n    return True, {}\n');
    const wf = await p.submit(
      spec('dwg', chainOf(pyTask('width', width), { kind: 'dynamic_width', name: 'cols', body: pyTask('col', ok) }))
    );
    await p.wait(wf);
    const dwg = (await p.entries(wf)).find(e => e.kind === 'dynamic_width')!;
    assert.equal(dwg.state, 'failed');
    assert.match(
      dwg.error!,
      /DynamicWidthGroup 'cols': a width of 1000001 is over the limit of 1,000,000 columns per group/
    );
    assert.equal((await p.entries(wf)).length, 2);
    const r = await p.pql('modify', String(dwg.id), '--width', String(MAX_GROUP_WIDTH + 1));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /field 'width': 1000001 is over the limit of 1,000,000 columns per group/);
  });
});

describe('log tails are lines read from the end of the file', () => {
  it('?tail is validated; the last N lines come back; four parallel tails of a 200 MB log keep the daemon small', async () => {
    const p = project();
    const big = p.script(
      'big.sh',
      '#!/bin/bash\nyes "a line of a long log, over and over again, to make the file big" | head -c 200000000\necho "before last"\necho "the last line"\necho "ünïcödé end" >&2\n'
    );
    const wf = await p.submit(
      spec('log', chainOf({ kind: 'task', name: 'big', code: big, args: {}, resources: '1:local:5m' }))
    );
    await p.wait(wf, 120);
    const e = await entryNamed(p, wf, 'big');
    assert.equal(e.state, 'succeeded', e.error ?? '');
    const a = api(p);
    for (const bad of ['abc', '1e12', '-1', '1.5', String(MAX_LOG_LINES + 1), '99999999999999999999']) {
      const r = await a.get(`/api/entries/${e.id}/log?tail=${encodeURIComponent(bad)}`);
      assert.equal(r.status, 400, bad);
      assert.match(await errorOf(r), /'tail' must be a whole number of lines from 0 to 100000/);
    }
    const two = (await (await a.get(`/api/entries/${e.id}/log?tail=2`)).json()) as { text: string };
    assert.equal(two.text, 'before last\nthe last line\n');
    const err = (await (await a.get(`/api/entries/${e.id}/log?stream=stderr&tail=5`)).json()) as { text: string };
    assert.equal(err.text, 'ünïcödé end\n');
    // Peak memory from here on (clear_refs 5 resets the high-water mark; we own the process).
    writeFileSync(`/proc/${a.pid}/clear_refs`, '5');
    const before = rssKb(a.pid);
    const texts = await Promise.all(
      [1, 2, 3, 4].map(
        async () =>
          ((await (await a.get(`/api/entries/${e.id}/log?tail=${MAX_LOG_LINES}`)).json()) as { text: string }).text
      )
    );
    const peakGrowthMb = (rssKb(a.pid, 'VmHWM') - before) / 1024;
    for (const t of texts) {
      assert.ok(t.endsWith('before last\nthe last line\n'));
      assert.ok(t.length < 9 * 1024 * 1024, `${t.length} bytes`);
      assert.ok(t.startsWith('a line of a long log'), 'starts at a whole line');
    }
    // Before, each request read the whole 200 MB file: four took the daemon past 2 GB.
    assert.ok(peakGrowthMb < 200, `daemon peak grew by ${peakGrowthMb.toFixed(0)} MB`);
    // The CLI: --tail N lines, refused when it is not a number.
    const cli = await p.pql('logs', String(e.id), '--tail', '2');
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout, 'before last\nthe last line\n');
    const cliErr = await p.pql('logs', String(e.id), '--stderr', '--tail', '1');
    assert.equal(cliErr.stdout, 'ünïcödé end\n');
    const badCli = await p.pql('logs', String(e.id), '--tail', 'abc');
    assert.equal(badCli.code, 2);
    assert.match(badCli.stderr, /--tail must be a whole number, got 'abc'/);
    // 200 MB is not left behind in the temporary folder.
    writeFileSync(join(p.dir, '.perqueue/runs', String(wf), `${e.id}.${e.attempt}`, 'stdout'), '');
  });

  it('pql logs without --tail prints the whole log', async () => {
    const p = project();
    const small = p.script('small.sh', '#!/bin/bash\nfor i in 1 2 3; do echo "line $i"; done\n');
    const wf = await p.submit(
      spec('small', chainOf({ kind: 'task', name: 'small', code: small, args: {}, resources: '1:local:1m' }))
    );
    await p.wait(wf);
    const e = await entryNamed(p, wf, 'small');
    assert.equal((await p.pql('logs', String(e.id))).stdout, 'line 1\nline 2\nline 3\n');
    assert.equal((await p.pql('logs', String(e.id), '--tail', '0')).stdout, '');
  });
});

/** A WebSocket client that completes the handshake and then never reads. */
function silentClient(a: Api, since: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const url = new URL(a.base);
    const s = connect(Number(url.port), url.hostname, () => {
      s.write(
        `GET /api/events/ws?since=${since}&token=${a.token} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`
      );
      s.once('data', chunk => {
        if (!chunk.toString('latin1').startsWith('HTTP/1.1 101')) return reject(new Error(chunk.toString('latin1')));
        s.pause(); // from here on it reads nothing
        resolve(s);
      });
    });
    s.on('error', reject);
  });
}

describe('event stream clients that never read', () => {
  it('are held to a bounded buffer and dropped; a reading client gets every event in order', async () => {
    const p = project();
    const a = await started(p);
    const since = ((await (await a.get('/api/version')).json()) as { lastSeq: number }).lastSeq;
    // A well-behaved client, through the ws library, counting what arrives.
    const good = new WebSocket(`${a.base.replace('http', 'ws')}/api/events/ws?since=${since}&token=${a.token}`);
    const seqs: number[] = [];
    let goodBytes = 0;
    good.on('message', (m: Buffer) => {
      goodBytes += m.length;
      seqs.push((JSON.parse(m.toString()) as { seq: number }).seq);
    });
    await new Promise(r => good.once('open', r));
    // About 10 MB of events per burst (50,000 entries made, then cancelled).
    const manual = { kind: 'manual', name: 'm', args: {}, onReject: 'fail' };
    const burst = async (round: number) => {
      const r = await a.post('/api/workflows', {
        spec: spec(`burst${round}`, { kind: 'static_width', name: 'many', width: 50_000, body: manual })
      });
      assert.equal(r.status, 200, await r.clone().text());
      const { workflowId } = (await r.json()) as { workflowId: number };
      assert.equal((await a.post(`/api/workflows/${workflowId}/cancel`, {})).status, 200);
      const last = ((await (await a.get('/api/version')).json()) as { lastSeq: number }).lastSeq;
      await until('the reading client to get every event', () => (seqs.at(-1) === last ? true : undefined));
      return last;
    };
    // One RSS reading depends on when V8 last collected garbage; the least of many readings
    // over a few seconds is what the daemon really holds on to.
    const settledRssKb = async () => {
      let least = Infinity;
      for (let i = 0; i < 30; i++) {
        least = Math.min(least, rssKb(a.pid));
        await sleep(100);
      }
      return least;
    };
    // Bursts without silent clients first: the daemon's memory settles for the work itself.
    await burst(0);
    await burst(1);
    const rssBefore = await settledRssKb();
    // Clients that never read, from the start: 30 MB of events each, more than the kernel's
    // socket buffers hold. The sockets stay open on this side until the reading below.
    const SILENT = 8;
    const silent = await Promise.all(Array.from({ length: SILENT }, () => silentClient(a, since)));
    const last = await burst(2);
    assert.equal(seqs.length, last - since);
    assert.ok(
      seqs.every((s, i) => s === since + i + 1),
      'in order, none missing'
    );
    const rssWithSilentClients = await settledRssKb();
    // Unbounded buffers keep every event sent to the silent clients (8 × ~30 MB) in the daemon,
    // several times over as strings and frames: RSS grew by ~800 MB when the high-water mark was
    // removed. Bounded ones keep next to none of it: the growth seen (30-120 MB, with the machine
    // busy) is the third workflow's own work and when V8 returns memory, so the bound is the volume
    // sent, which unbounded buffering exceeds several times over.
    const sentToSilentMb = (SILENT * goodBytes) / 1024 / 1024;
    const grewMb = (rssWithSilentClients - rssBefore) / 1024;
    assert.ok(
      grewMb < sentToSilentMb,
      `RSS grew by ${grewMb.toFixed(0)} MB with ${sentToSilentMb.toFixed(0)} MB of events sent to silent clients`
    );
    // Each silent client is dropped: reading now, its stream ends short of the last event.
    for (const s of silent) {
      const { received, closed } = await new Promise<{ received: number; closed: boolean }>(resolve => {
        let bytes = 0;
        // A stream still open after 30 s without data was never dropped.
        let quiet = setTimeout(() => (s.destroy(), resolve({ received: bytes, closed: false })), 30_000);
        s.on('data', (c: Buffer) => {
          bytes += c.length;
          clearTimeout(quiet);
          quiet = setTimeout(() => (s.destroy(), resolve({ received: bytes, closed: false })), 30_000);
        });
        s.on('close', () => (clearTimeout(quiet), resolve({ received: bytes, closed: true })));
        s.resume();
      });
      assert.ok(closed, 'the daemon closed the silent client');
      assert.ok(received < goodBytes / 2, `a dropped client got ${received} of ${goodBytes} bytes`);
    }
    // The daemon held at most its high-water mark (1 MiB) for each when it gave up on it.
    const drops = [
      ...p
        .read('.perqueue/bridge.log')
        .matchAll(/event stream: dropped a client that read nothing for [\d.]+ s \((\d+) bytes waiting/g)
    ];
    assert.equal(drops.length, SILENT, 'every silent client was dropped');
    for (const d of drops) assert.ok(Number(d[1]) < 4 * 1024 * 1024, `${d[1]} bytes waited for one client`);
    good.close();
  });
});

describe('event stream clients that send', () => {
  it('more than 64 KiB in one message are closed with 1009 (message too big)', async () => {
    const p = project();
    const a = await started(p);
    const ws = new WebSocket(`${a.base.replace('http', 'ws')}/api/events/ws?token=${a.token}`);
    await new Promise(r => ws.once('open', r));
    const closed = new Promise<number>(r => ws.once('close', code => r(code)));
    ws.send('x'.repeat(100 * 1024));
    assert.equal(await closed, 1009);
    assert.equal((await a.get('/api/version')).status, 200);
  });
});

describe('form patterns with catastrophic backtracking', () => {
  it('run in linear time on approval; lookaround, which cannot, is refused at submission', async () => {
    const form = { type: 'object', properties: { word: { type: 'string', pattern: '^(a+)+$' } } };
    const { p, a, wf, step } = await awaitingStep('pattern', 'def main(**kw):\n    return True, {}\n', form);
    // A backtracking engine would take longer than the age of the universe on this.
    const r = await a.post(`/api/entries/${step.id}/approve`, { data: { word: `${'a'.repeat(5000)}!` }, by: 'eve' });
    assert.equal(r.status, 400);
    assert.match(await errorOf(r), /data\.word: must match the pattern \^\(a\+\)\+\$/);
    assert.equal(
      (await a.post(`/api/entries/${step.id}/approve`, { data: { word: 'a'.repeat(5000) }, by: 'ann' })).status,
      200
    );
    await p.wait(wf);
    const look = await a.post('/api/workflows', {
      spec: spec(
        'look',
        chainOf({
          kind: 'manual',
          name: 'check',
          args: {},
          onReject: 'fail',
          form: { type: 'object', properties: { w: { type: 'string', pattern: '(?=a)a' } } }
        })
      )
    });
    assert.equal(look.status, 400);
    assert.match(await errorOf(look), /field 'form\.properties\.w\.pattern': cannot be run in linear time/);
  });
});

describe('a Python interpreter that does not exist', () => {
  it('fails the entries with the error, and frees their cores for later tasks', async () => {
    const p = project();
    const a = await started(p);
    const task = p.script('t.py', 'def main(**kw):\n    return True, {"ran": 1}\n');
    // More entries than cores (4): held cores would keep every later task from starting.
    const r = await a.post('/api/workflows', {
      spec: spec('nopython', { kind: 'static_width', name: 'cols', width: 6, body: pyTask('t', task) }),
      python: '/nonexistent/bin/python3'
    });
    assert.equal(r.status, 200, await r.clone().text());
    const { workflowId } = (await r.json()) as { workflowId: number };
    await p.wait(workflowId);
    const entries = await p.entries(workflowId);
    assert.equal(entries.length, 6);
    for (const e of entries) {
      assert.equal(e.state, 'failed');
      assert.match(e.error!, /cannot start the interpreter '\/nonexistent\/bin\/python3' \(no such file\)/);
    }
    const wf2 = await p.submit(spec('later', chainOf(pyTask('later', task))));
    await p.wait(wf2);
    assert.equal((await entryNamed(p, wf2, 'later')).state, 'succeeded');
  });
});

describe('a time limit beyond 24.8 days', () => {
  it('does not kill the task at once', async () => {
    const p = project();
    const gate = join(p.dir, 'gate');
    const slow = p.script(
      'slow.sh',
      `#!/bin/bash\ntouch "${p.dir}/started"\nuntil [ -e "${gate}" ]; do sleep 0.05; done\necho '{"done": true}' > "$PQ_OUTPUT"\n`
    );
    const wf = await p.submit(
      spec('long', chainOf({ kind: 'task', name: 'slow', code: slow, args: {}, resources: '1:local:25d' }))
    );
    await until('the task to start', () => (existsSync(join(p.dir, 'started')) ? true : undefined));
    // Today's bug killed it 1 ms after its start: it would be timed out before the gate opens.
    await sleep(300);
    assert.equal((await entryNamed(p, wf, 'slow')).state, 'running');
    writeFileSync(gate, '');
    await p.wait(wf);
    const e = await entryNamed(p, wf, 'slow');
    assert.equal(e.state, 'succeeded', e.error ?? '');
    assert.deepEqual(e.data, { done: true });
  });
});

describe('terminal escape sequences in names and outputs', () => {
  it('are printed escaped by pql status, ls and show, never raw', async () => {
    const p = project();
    const evil = '\u001b]0;owned\u0007\u001b[2J\u009b31m';
    const out = p.script('out.py', `def main(**kw):\n    return True, {"text": "\\u001b[31mred\\u009b0m"}\n`);
    const wf = await p.submit(spec(`wf${evil}`, chainOf(pyTask(`task${evil}`, out))));
    await p.wait(wf);
    const e = (await p.entries(wf))[0];
    for (const args of [['status'], ['ls'], ['show', String(e.id)]]) {
      const r = await p.pql(...args);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, TERMINAL_CONTROL, `pql ${args[0]} printed a control character`);
      assert.match(r.stdout, /\\x1b\]0;owned\\x07\\x1b\[2J\\u009b31m/, `pql ${args[0]}`);
    }
    const show = await p.pql('show', String(e.id));
    assert.match(show.stdout, /\\u001b\[31mred\\u009b0m/);
    const missing = await p.pql('approve', String(e.id));
    assert.doesNotMatch(missing.stderr, TERMINAL_CONTROL);
    // JSON output stays exact for programs.
    const json = await p.pql('ls', '--json', '-w', String(wf));
    assert.equal(JSON.parse(json.stdout)[0].name, `task${evil}`);
  });
});

describe('internal errors', () => {
  it('answer 500 with a request id and no stack trace; the details are in the bridge log; memory stays as stored', async () => {
    const { p, a, wf, step } = await awaitingStep('locked', 'def main(**kw):\n    return True, {}\n');
    // Another program holds the database's write lock past the bridge's busy timeout.
    const { DatabaseSync } = await import('node:sqlite');
    const other = new DatabaseSync(join(p.dir, '.perqueue/perqueue.sqlite'));
    other.exec('BEGIN EXCLUSIVE');
    let r: Response;
    try {
      r = await a.post(`/api/entries/${step.id}/approve`, { data: {}, by: 'ann' });
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    assert.equal(r.status, 500);
    const body = (await r.json()) as { error: string; requestId: string };
    assert.match(body.requestId, /^[0-9a-f]{12}$/);
    assert.equal(body.error, `internal error (request ${body.requestId}; details in the bridge log)`);
    const log = p.read('.perqueue/bridge.log');
    assert.match(
      log,
      new RegExp(
        `internal error in request ${body.requestId} \\(POST /api/entries/${step.id}/approve\\): Error: database is locked\\n\\s+at `
      )
    );
    // The approval was not stored, so it did not happen in memory either: it can be given again.
    assert.equal((await entryNamed(p, wf, 'check')).state, 'awaiting_input');
    const again = await a.post(`/api/entries/${step.id}/approve`, { data: {}, by: 'ann' });
    assert.equal(again.status, 200, await again.clone().text());
    await p.wait(wf);
    assert.equal((await entryNamed(p, wf, 'use')).state, 'succeeded');
  });
});

describe('request bodies', () => {
  it('over the size limit are refused with 413 and not held; a submission nested too deep with 400', async () => {
    const p = project();
    const a = await started(p);
    const big = await a.post('/api/workflows', `{"spec": "${'x'.repeat(MAX_REQUEST_BYTES)}"}`);
    assert.equal(big.status, 413);
    assert.equal(await errorOf(big), 'the request body is over the limit of 64 MiB');
    let node: unknown = { kind: 'task', name: 't', code: '/bin/true', args: {}, resources: '1:local:1m' };
    for (let i = 0; i < 300; i++) node = { kind: 'static_width', width: 1, body: node };
    const deep = await a.post('/api/workflows', { spec: spec('deep', node) });
    assert.equal(deep.status, 400);
    assert.match(await errorOf(deep), /the request body is refused: the JSON nests deeper than 256 levels/);
    assert.equal(((await (await a.get('/api/workflows')).json()) as unknown[]).length, 1);
  });
});
