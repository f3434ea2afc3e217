// Attacks on a bridge owned by root, made by a second local user on this machine (an HPC login
// node is shared by hundreds): each must be refused with nothing changed. Runs as root (useradd);
// see second-user.ts for when it skips. Regression checks for what already held are here too.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chainOf, PQL, projectMaker, pyTask, spec, type CliResult } from './cli-harness.js';
import { makeOtherUser, skipReason, type OtherUser } from './second-user.js';

const skip = skipReason();
const newProject = projectMaker('pq-sec-');
const newOddProject = projectMaker("pq-q'$(touch PWNED0)`touch PWNED4`-");
let other: OtherUser;

before(() => {
  if (!skip) other = makeOtherUser();
});
after(() => other?.remove());

/** `pql` as root in `cwd`, finding the project by walking up (no PQ_PROJECT), with `env` added. */
function pqlIn(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  const base = { ...process.env };
  delete base.PQ_PROJECT;
  delete base.PQ_SAFE_DIRECTORY;
  return new Promise(ok => {
    const child = execFile(process.execPath, [PQL, ...args], { cwd, env: { ...base, ...env } }, (err, stdout, stderr) =>
      ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
    );
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** A script written by the attacker that would leave a mark if it ever ran as root. */
function evilScript(): { path: string; mark: string } {
  const mark = join(other.shared, `ran-as-root-${Math.random().toString(36).slice(2)}`);
  const path = join(other.shared, `evil-${Math.random().toString(36).slice(2)}.sh`);
  writeFileSync(path, `#!/bin/sh\ntouch ${mark}\necho '{}' > "$PQ_OUTPUT"\n`);
  chmodSync(path, 0o755);
  return { path, mark };
}

/** Node code run as the other user: its file is in the shared folder, readable by both. */
async function asOther(code: string, args: string[] = []) {
  const file = join(other.shared, `attack-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  chmodSync(file, 0o644);
  return other.run(process.execPath, [file, ...args]);
}

const RESET_ATTACK = `
import { connect } from 'node:net';
const [port, tries, body] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]];
const submit = 'POST /api/workflows HTTP/1.1\\r\\nHost: bridge\\r\\nContent-Type: application/json\\r\\n' +
  'Content-Length: ' + Buffer.byteLength(body) + '\\r\\n\\r\\n' + body;
const upgrade = 'GET /api/events/ws?since=0 HTTP/1.1\\r\\nHost: bridge\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n';
// Send a request without a token, then close with a TCP reset (SO_LINGER 0) at varied moments:
// the server then sees no remote address for the connection.
function once(i, text) {
  return new Promise((done) => {
    const s = connect(port, '127.0.0.1', () => {
      s.write(text);
      const reset = () => s.resetAndDestroy();
      if (i % 3 === 0) reset();
      else if (i % 3 === 1) setImmediate(reset);
      else setTimeout(reset, i % 5);
    });
    s.on('error', () => {});
    s.on('close', done);
  });
}
for (let i = 0; i < tries; i++) await once(i, i % 4 === 3 ? upgrade : submit);
// The same requests kept open: answered 401.
const plain = await fetch('http://127.0.0.1:' + port + '/api/workflows', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
const ws = await new Promise((done) => {
  const s = connect(port, '127.0.0.1', () => s.write(upgrade));
  let text = '';
  s.on('data', (c) => (text += c));
  s.on('close', () => done(text.split('\\r\\n')[0]));
  s.on('error', () => done('error'));
});
console.log(JSON.stringify({ post: plain.status, ws }));
`;

const LISTEN_AND_RECORD = `
import { createServer } from 'node:net';
import { appendFileSync } from 'node:fs';
const [port, log] = [Number(process.argv[2]), process.argv[3]];
const server = createServer((s) => s.on('data', (c) => appendFileSync(log, c)));
server.on('error', (e) => { console.log('error ' + e.code); process.exit(1); });
server.listen(port, '127.0.0.1', () => console.log('listening'));
`;

describe('security: another local user against a bridge owned by root', { skip: skip ?? false }, () => {
  it('a request without the token is refused even when its client resets the connection (many tries, nothing submitted)', async () => {
    const p = newProject();
    const { path, mark } = evilScript();
    await p.pql('init');
    await p.pql('daemon', 'start');
    const port = JSON.parse(p.read('.perqueue/bridge.json')).port as number;
    const body = JSON.stringify({ spec: spec('evil', pyTask('evil', path, {}, '1:local:1m')) });
    const r = await asOther(RESET_ATTACK, [String(port), '60', body]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { post: 401, ws: 'HTTP/1.1 401 Unauthorized' });
    const status = await p.pql('status', '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.deepEqual(JSON.parse(status.stdout), [], 'no workflow was submitted');
    assert.equal(existsSync(mark), false, "the attacker's script never ran");
    assert.equal((await p.pql('daemon', 'status')).code, 0, 'the bridge still runs');
  });

  it("the other user cannot reach the owner's Unix socket or read the project's files", async () => {
    const p = newProject();
    await p.submit(spec('mine', pyTask('a', p.script('a.sh', '#!/bin/sh\necho \'{"secret": 1}\' > "$PQ_OUTPUT"\n'))));
    chmodSync(p.dir, 0o755); // even with the project folder open to all, .perqueue/ is not
    const r = await asOther(
      `
      import { connect } from 'node:net';
      import { readFileSync } from 'node:fs';
      const dir = process.argv[2];
      const out = {};
      try { readFileSync(dir + '/.perqueue/perqueue.sqlite'); out.db = 'read'; } catch (e) { out.db = e.code; }
      try { readFileSync(dir + '/.perqueue/bridge.json'); out.json = 'read'; } catch (e) { out.json = e.code; }
      out.socket = await new Promise((done) => {
        const s = connect(dir + '/.perqueue/bridge.sock', () => done('connected'));
        s.on('error', (e) => done(e.code));
      });
      console.log(JSON.stringify(out));`,
      [p.dir]
    );
    assert.deepEqual(JSON.parse(r.stdout), { db: 'EACCES', json: 'EACCES', socket: 'EACCES' });
  });

  it('a .perqueue/ planted by the other user in a shared folder is refused with the reason and the override', async () => {
    const proj = join(other.shared, `planted-${Date.now()}`);
    const made = await other.run('/bin/sh', [
      '-c',
      `mkdir -p "${proj}/.perqueue" "${proj}/work" && chmod 777 "${proj}" "${proj}/work"`
    ]);
    assert.equal(made.code, 0, made.stderr);
    const { path, mark } = evilScript();
    const wf = JSON.stringify(spec('w', pyTask('t', path)));
    for (const args of [['submit', '--spec', '-'], ['status'], ['ls'], ['daemon', 'start'], ['init']]) {
      const r = await pqlIn(join(proj, 'work'), args, {}, wf);
      assert.equal(r.code, 2, `pql ${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`refusing the project in ${proj}: .*belongs to ${other.name}`));
      assert.match(r.stderr, new RegExp(`PQ_SAFE_DIRECTORY=${proj}`));
    }
    const explicit = await pqlIn('/', ['submit', '--spec', '-', '--project', proj], {}, wf);
    assert.equal(explicit.code, 2);
    assert.match(explicit.stderr, /belongs to/);
    assert.deepEqual(readdirSync(join(proj, '.perqueue')), [], 'nothing was made in the planted folder');
    assert.equal(existsSync(mark), false);
  });

  it("a .perqueue/ that others can write to is refused, even when it is root's; PQ_SAFE_DIRECTORY overrides", async () => {
    const proj = join(other.shared, `open-${Date.now()}`);
    mkdirSync(join(proj, '.perqueue'), { recursive: true });
    chmodSync(join(proj, '.perqueue'), 0o777);
    const r = await pqlIn(proj, ['status']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is writable by every user \(mode 777\).*chmod 700.*PQ_SAFE_DIRECTORY/);
    chmodSync(join(proj, '.perqueue'), 0o770);
    assert.match((await pqlIn(proj, ['status'])).stderr, /is writable by its group/);
    const trusted = await pqlIn(proj, ['init'], { PQ_SAFE_DIRECTORY: `/nowhere:${proj}` });
    assert.equal(trusted.code, 0, trusted.stderr);
  });

  it("the CLI never talks to another user's socket, even in a folder the user chose to trust", async () => {
    const proj = join(other.shared, `sock-${Date.now()}`);
    const heard = join(other.shared, `heard-sock-${Date.now()}`);
    const made = await other.run('/bin/sh', ['-c', `mkdir -p "${proj}/.perqueue"`]);
    assert.equal(made.code, 0, made.stderr);
    const file = join(other.shared, `sock-${Date.now()}.mjs`);
    writeFileSync(
      file,
      LISTEN_AND_RECORD.replace("server.listen(port, '127.0.0.1',", 'server.listen(process.argv[2],')
    );
    chmodSync(file, 0o644);
    const listener = spawn(process.execPath, [file, join(proj, '.perqueue/bridge.sock'), heard], {
      uid: other.uid,
      gid: other.gid,
      stdio: ['ignore', 'pipe', 'inherit']
    });
    try {
      assert.equal(
        await new Promise<string>(ok => listener.stdout!.once('data', c => ok(String(c).trim()))),
        'listening'
      );
      const { path, mark } = evilScript();
      for (const args of [
        ['daemon', 'status'],
        ['submit', '--spec', '-'],
        ['daemon', 'stop']
      ]) {
        const r = await pqlIn(proj, args, { PQ_SAFE_DIRECTORY: proj }, JSON.stringify(spec('w', pyTask('t', path))));
        assert.equal(r.code, 2, `pql ${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, new RegExp(`bridge.sock belongs to ${other.name} .*not your bridge`));
      }
      assert.equal(existsSync(heard), false, "nothing was sent to the other user's socket");
      assert.equal(existsSync(mark), false);
    } finally {
      listener.kill();
    }
  });

  it('a .perqueue symbolic link made by the other user is refused', async () => {
    const mine = newProject();
    await mine.pql('init');
    const proj = join(other.shared, `link-${Date.now()}`);
    const made = await other.run('/bin/sh', [
      '-c',
      `mkdir -p "${proj}" && ln -s "${mine.dir}/.perqueue" "${proj}/.perqueue"`
    ]);
    assert.equal(made.code, 0, made.stderr);
    const r = await pqlIn(proj, ['status']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is a symbolic link made by/);
    // The owner's own link to the owner's own project is fine.
    const own = join(mine.dir, 'elsewhere');
    mkdirSync(own);
    symlinkSync(join(mine.dir, '.perqueue'), join(own, '.perqueue'));
    assert.equal((await pqlIn(own, ['init'])).code, 0);
  });

  it("a bridge.json the daemon did not write (another owner, another pid) does not decide which process 'pql daemon stop' signals", async () => {
    const p = newProject();
    await p.pql('daemon', 'start');
    const decoy = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const file = join(p.dir, '.perqueue/bridge.json');
      const info = JSON.parse(readFileSync(file, 'utf8'));
      writeFileSync(file, JSON.stringify({ ...info, pid: decoy.pid }));
      chownSync(file, other.uid, other.gid);
      const stop = await p.pql('daemon', 'stop');
      assert.equal(stop.code, 0, stop.stderr);
      assert.match(stop.stdout, new RegExp(`bridge stopped \\(pid ${info.pid}\\)`));
      assert.equal(decoy.exitCode, null, 'the decoy process was not signalled');
      assert.equal(decoy.signalCode, null);
    } finally {
      decoy.kill();
    }
  });

  it('after a crash, a listener the other user put on the old port gets nothing from the CLI', async () => {
    const p = newProject();
    const add = p.script('a.sh', '#!/bin/sh\necho \'{"x": 1}\' > "$PQ_OUTPUT"\n');
    await p.submit(spec('first', pyTask('a', add)));
    const info = JSON.parse(p.read('.perqueue/bridge.json'));
    process.kill(info.pid, 'SIGKILL');
    while (existsSync(`/proc/${info.pid}`)) await new Promise(r => setTimeout(r, 20));
    const heard = join(other.shared, `heard-${Date.now()}`);
    const file = join(other.shared, `listen-${Date.now()}.mjs`);
    writeFileSync(file, LISTEN_AND_RECORD);
    chmodSync(file, 0o644);
    const listener = spawn(process.execPath, [file, String(info.port), heard], {
      uid: other.uid,
      gid: other.gid,
      cwd: other.shared,
      stdio: ['ignore', 'pipe', 'inherit']
    });
    try {
      const said = await new Promise<string>(ok => listener.stdout!.once('data', c => ok(String(c).trim())));
      assert.equal(said, 'listening');
      await p.finish(spec('second', pyTask('b', add)));
      assert.equal((await p.pql('status')).code, 0);
      assert.notEqual(JSON.parse(p.read('.perqueue/bridge.json')).port, info.port);
      assert.equal(existsSync(heard), false, 'the listener on the old port received nothing');
    } finally {
      listener.kill();
    }
  });
});

describe('permissions are made, not assumed', () => {
  it('tightens an existing .perqueue/ (0755) and makes the database, -wal, -shm, bridge.json and the log 0600 under umask 000', async () => {
    const p = newProject();
    mkdirSync(join(p.dir, '.perqueue'), { mode: 0o755 });
    chmodSync(join(p.dir, '.perqueue'), 0o755);
    const add = p.script('a.sh', '#!/bin/sh\necho \'{"x": 1}\' > "$PQ_OUTPUT"\n');
    const body = JSON.stringify(spec('w', pyTask('a', add)));
    const r = spawnSync('/bin/sh', ['-c', `umask 000 && exec "${process.execPath}" "${PQL}" submit --spec - --json`], {
      cwd: p.dir,
      env: p.env,
      input: body,
      encoding: 'utf8'
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal((await p.wait(JSON.parse(r.stdout).workflowId)).code, 0);
    const mode = (f: string) => statSync(join(p.dir, '.perqueue', f)).mode & 0o777;
    assert.equal(mode('.'), 0o700);
    assert.equal(mode('runs'), 0o700);
    for (const f of [
      'perqueue.sqlite',
      'perqueue.sqlite-wal',
      'perqueue.sqlite-shm',
      'bridge.json',
      'bridge.log',
      'bridge.sock'
    ]) {
      assert.equal(mode(f), 0o600, `${f} is ${mode(f).toString(8)}`);
    }
  });
});

describe('names, paths and arguments reach the shell only quoted', () => {
  it('a project, script, workflow and task named with quotes, $(...) and backticks run as named, and nothing they spell out runs', async () => {
    const evil = `q'$(touch PWNED1)"\`touch PWNED2\`;touch PWNED3; x`;
    const p = newOddProject();
    const dir = join(p.dir, evil);
    mkdirSync(dir);
    const script = join(dir, `${evil}.sh`);
    writeFileSync(script, '#!/bin/sh\necho \'{}\' > "$PQ_OUTPUT"\n');
    chmodSync(script, 0o755);
    const py = join(dir, `${evil}.py`);
    writeFileSync(py, 'def main(text, **kw):\n    return True, {"text": text}\n');
    const wf = await p.finish(
      spec(evil, chainOf({ ...pyTask(evil, script), name: evil }, pyTask('py', py, { text: evil })))
    );
    const entries = await p.entries(wf);
    assert.deepEqual(
      entries.map(e => [e.name, e.state]),
      [
        [evil, 'succeeded'],
        ['py', 'succeeded']
      ]
    );
    assert.equal(entries[1].data?.text, evil);
    const found = spawnSync('find', [p.dir, '/tmp', '-maxdepth', '6', '-name', 'PWNED*'], {
      encoding: 'utf8'
    }).stdout.trim();
    assert.equal(found, '', 'nothing in the names ran');
  });
});

after(() => {
  if (skip) process.stdout.write(`# ${skip}\n`);
});
