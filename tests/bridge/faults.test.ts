// Fault injection: storage faults and a daemon that is down, each made to happen for real
// (a truncated database, garbage written over one of its pages, a read-only mount, chattr +i,
// a full 50 MB tmpfs, a deleted .perqueue/, kill -9), each checked for what the user is told and
// for nothing committed being lost. The tests that mount file systems or set chattr need root
// (CI runs as root); without it they are skipped with the reason, unless PQ_REQUIRE_ROOT is set.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
  closeSync
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, it } from 'node:test';
import { PQL, Project, projectMaker, pyTask, spec } from './cli-harness.js';

const project = projectMaker('pq-faults-');
const isRoot = process.getuid?.() === 0;
const needsRoot =
  isRoot || process.env.PQ_REQUIRE_ROOT
    ? false
    : 'needs root (tmpfs mounts, chattr): run as root, or set PQ_REQUIRE_ROOT=1 to fail instead of skipping';

/** chattr +i needs a file system that has it (ext4, xfs…; not tmpfs): false, or why the test is skipped. */
function needsChattr(): string | false {
  const probe = join(mkdtempSync(join(tmpdir(), 'pq-chattr-')), 'probe');
  writeFileSync(probe, '');
  const r = spawnSync('chattr', ['+i', probe], { encoding: 'utf8' });
  spawnSync('chattr', ['-i', probe]);
  rmSync(dirname(probe), { recursive: true, force: true });
  if (r.status === 0 || process.env.PQ_REQUIRE_ROOT) return false;
  return `chattr +i does not work in ${tmpdir()} (${(r.stderr || r.error?.message || '').trim()}): set TMPDIR to an ext4 folder`;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

/** A fresh tmpfs of `mb` megabytes, unmounted (after its projects' bridges stop) at the end. */
function tmpfs(mb: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'pq-tmpfs-'));
  run('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir]);
  after(() => void spawnSync('umount', ['-l', dir]));
  return dir;
}

/** A project in `parent`, whose bridge is stopped at the end (before the tmpfs goes). */
function projectIn(parent: string): Project {
  const p = new Project('pq-faults-', parent);
  after(() => p.stop());
  return p;
}

async function until<T>(what: string, fn: () => T | Promise<T>, ms = 60_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 50));
  }
}

const state = (p: Project) => join(p.dir, '.perqueue');
const dbOf = (p: Project) => join(state(p), 'perqueue.sqlite');
const logOf = (p: Project) =>
  existsSync(join(state(p), 'bridge.log')) ? readFileSync(join(state(p), 'bridge.log'), 'utf8') : '';

function daemonPid(p: Project): number | null {
  try {
    return JSON.parse(readFileSync(join(state(p), 'bridge.json'), 'utf8')).pid;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A task that says it started (file started.<entry>) and ends when the file `gate` exists. */
function gatedTask(p: Project, gate = 'gate'): string {
  return p.script(
    `gated-${gate}.sh`,
    `#!/bin/bash\ntouch "started.$PQ_ENTRY_ID"\nwhile [ ! -e ${gate} ]; do sleep 0.05; done\necho '{"done": 1}' > "$PQ_OUTPUT"\n`
  );
}

const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at /, `no stack trace: ${text}`);

describe('a damaged or replaced store is never trusted', () => {
  it('a database truncated to 0 bytes or missing while runs/ holds history: the bridge refuses to start, says why and what to do', async () => {
    const p = project();
    const t = p.script('t.sh', '#!/bin/bash\necho \'{"v": 1}\' > "$PQ_OUTPUT"\n');
    const wf = await p.finish(spec('one', pyTask('t', t)));
    await p.stop();
    truncateSync(dbOf(p), 0);
    const r = await p.pql('daemon', 'start');
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /perqueue\.sqlite is empty \(0 bytes/);
    assert.match(r.stderr, /holds the run folders of 1 workflow/);
    assert.match(r.stderr, /Restore the database from a backup.*mv .*runs .*runs\.old/s);
    noStack(r.stderr);
    assert.ok(daemonPid(p) === null || !alive(daemonPid(p)!), 'no bridge runs');
    // A submission is refused the same way rather than starting workflow ids again at 1.
    rmSync(dbOf(p));
    const s = await p.pqlWithInput(JSON.stringify(spec('two', pyTask('t', t))), 'submit', '--spec', '-');
    assert.equal(s.code, 2);
    assert.match(s.stderr, /perqueue\.sqlite is missing/);
    assert.ok(existsSync(join(state(p), 'runs', String(wf))), 'the run folders are untouched');
  });

  it("a run folder another store wrote is set aside, never taken as a new entry's result", async () => {
    const p = project();
    const oldTask = p.script('old.sh', '#!/bin/bash\necho \'{"from": "old"}\' > "$PQ_OUTPUT"\n');
    const wf = await p.finish(spec('w', pyTask('t', oldTask)));
    const [entry] = await p.entries(wf);
    await p.stop();
    // The database is replaced by a new one (a restore gone wrong) while the old run folders stay.
    const oldRuns = join(p.dir, 'old-runs');
    renameSync(join(state(p), 'runs'), oldRuns);
    rmSync(dbOf(p));
    assert.equal((await p.pql('daemon', 'start')).code, 0);
    await p.stop();
    rmSync(join(state(p), 'runs'), { recursive: true });
    renameSync(oldRuns, join(state(p), 'runs'));
    // The same spec gets the same workflow and entry ids, hence the same run folder name.
    const newTask = p.script('new.sh', '#!/bin/bash\necho \'{"from": "new"}\' > "$PQ_OUTPUT"\n');
    const wf2 = await p.submit(spec('w', pyTask('t', newTask)));
    assert.equal(wf2, wf);
    assert.equal((await p.wait(wf2)).code, 0);
    const [again] = await p.entries(wf2);
    assert.equal(again.id, entry.id);
    assert.deepEqual(again.data, { from: 'new' });
    const folders = readdirSync(join(state(p), 'runs', String(wf)));
    const aside = folders.find(f => f.startsWith(`${entry.id}.1.foreign-`));
    assert.ok(aside, `the old folder is kept aside: ${folders}`);
    assert.match(readFileSync(join(state(p), 'runs', String(wf), aside!, 'output.json'), 'utf8'), /old/);
    assert.match(logOf(p), /belongs to another store/);
  });

  it('garbage over a page: the bridge refuses to start; pql doctor salvages the rest and names what was lost', async () => {
    const p = project();
    const t = p.script('t.sh', '#!/bin/bash\necho \'{"v": 1}\' > "$PQ_OUTPUT"\n');
    const pad = 'x'.repeat(400);
    const wf = await p.submit(spec('wide', { kind: 'static_width', width: 300, body: pyTask('t', t, { pad }) }));
    assert.equal((await p.wait(wf, 120)).code, 0);
    const before = await p.entries(wf);
    await p.stop();
    // Garbage over one page in the middle of the entries table.
    const db = new DatabaseSync(dbOf(p), { readOnly: true });
    const pages = db
      .prepare("SELECT pageno FROM dbstat WHERE name='nodes' AND pagetype='leaf' ORDER BY pageno")
      .all() as { pageno: number }[];
    const pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
    db.close();
    assert.ok(pages.length > 4, `the entries span pages: ${pages.length}`);
    const page = pages[Math.floor(pages.length / 2)].pageno;
    const fd = openSync(dbOf(p), 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);

    const r = await p.pql('daemon', 'start');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /perqueue\.sqlite is damaged .*Run 'pql doctor'/s);
    noStack(r.stderr);

    const d = await p.pql('doctor', '--json');
    assert.equal(d.code, 1, d.stderr);
    const report = JSON.parse(d.stdout);
    assert.equal(report.sound, false);
    assert.ok(existsSync(report.salvaged.damagedKept), 'the damaged file is kept');
    const lost: number[] = report.salvaged.lostEntries;
    assert.ok(lost.length > 0, 'the entries of the damaged page are named');
    const text = await p.pql('doctor');
    assert.equal(text.code, 0, 'the salvaged database is sound');
    assert.match(text.stdout, /sound/);

    assert.equal((await p.pql('daemon', 'start')).code, 0);
    const kept = await p.entries(wf);
    const keptIds = new Set(kept.map(e => e.id));
    assert.deepEqual(
      before.map(e => e.id).filter(id => !keptIds.has(id)),
      lost.filter(id => before.some(e => e.id === id)),
      'exactly the entries named as lost are missing'
    );
    for (const e of kept) assert.deepEqual(e.data, before.find(b => b.id === e.id)!.data, 'what was kept is unchanged');
  });

  it('a project on a read-only mount is refused at start with the reason', { skip: needsRoot }, async () => {
    const mnt = tmpfs(20);
    const p = projectIn(mnt);
    const t = p.script('t.sh', '#!/bin/bash\necho \'{"v": 1}\' > "$PQ_OUTPUT"\n');
    const wf = await p.finish(spec('one', pyTask('t', t)));
    const pid = daemonPid(p)!;
    await p.stop();
    await until('the bridge to exit', () => !alive(pid));
    // Files its helpers (launcher, fork server) still hold open for writing keep the mount busy
    // until they have exited too.
    await until(
      'the mount to turn read-only',
      () => spawnSync('mount', ['-o', 'remount,ro', mnt]).status === 0,
      20_000
    );
    try {
      const r = await p.pql('daemon', 'start');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /cannot start: .*\.perqueue cannot be written \(EROFS/s);
      noStack(r.stderr);
    } finally {
      run('mount', ['-o', 'remount,rw', mnt]);
    }
    assert.equal((await p.pql('daemon', 'start')).code, 0);
    assert.deepEqual((await p.entries(wf))[0].data, { v: 1 }, 'nothing was lost');
  });

  it(
    'an immutable database (chattr +i) is refused at start with the reason',
    { skip: needsRoot || needsChattr() },
    async () => {
      const q = project();
      const wf2 = await q.finish(
        spec('one', pyTask('t', q.script('t.sh', '#!/bin/bash\necho \'{"v": 2}\' > "$PQ_OUTPUT"\n')))
      );
      await q.stop();
      run('chattr', ['+i', dbOf(q)]);
      try {
        const r = await q.pql('daemon', 'start');
        assert.equal(r.code, 2);
        assert.match(r.stderr, /perqueue\.sqlite cannot be written \(.*EPERM.*immutable/s);
      } finally {
        run('chattr', ['-i', dbOf(q)]);
      }
      assert.equal((await q.pql('daemon', 'start')).code, 0);
      assert.deepEqual((await q.entries(wf2))[0].data, { v: 2 });
    }
  );

  it(
    'a database made immutable while the bridge runs ends the bridge with the reason in its log',
    { skip: needsRoot || needsChattr() },
    async () => {
      const p = project();
      const gate = gatedTask(p);
      const wf = await p.submit(spec('g', pyTask('g', gate)));
      await until('the task to start', () => readdirSync(p.dir).some(f => f.startsWith('started.')));
      const pid = daemonPid(p)!;
      run('chattr', ['+i', dbOf(p)]);
      try {
        await until('the bridge to stop', () => !alive(pid), 20_000);
        assert.match(
          logOf(p),
          /the bridge stops: .*perqueue\.sqlite can no longer be written \(EPERM: made read-only or immutable/
        );
      } finally {
        run('chattr', ['-i', dbOf(p)]);
      }
      writeFileSync(join(p.dir, 'gate'), '');
      const w = await p.wait(wf);
      assert.equal(w.code, 0, w.stdout + w.stderr);
      assert.deepEqual((await p.entries(wf))[0].data, { done: 1 });
    }
  );
});

describe('a full disk is named and survived', () => {
  it(
    'on a full 50 MB tmpfs the bridge pauses, names the full disk in log, CLI and API, keeps what was committed and resumes when space returns',
    { skip: needsRoot },
    async () => {
      const mnt = tmpfs(50);
      const p = projectIn(mnt);
      const gate = gatedTask(p, 'gate');
      const big = p.script(
        'big.sh',
        `#!/bin/bash\ntouch "started.$PQ_ENTRY_ID"\nwhile [ ! -e gate-big ]; do sleep 0.05; done\n${JSON.stringify(process.env.PQ_TEST_PYTHON ?? 'python3')} -c "import json; print(json.dumps({'x': 'a' * 3000000}))" > "$PQ_OUTPUT"\n`
      );
      const wf = await p.submit(
        spec('two', {
          kind: 'workflow',
          nodes: [
            { id: 'g', node: pyTask('g', gate), parents: [] },
            { id: 'b', node: pyTask('b', big), parents: [] }
          ]
        })
      );
      await until('both tasks to start', () => readdirSync(p.dir).filter(f => f.startsWith('started.')).length === 2);
      const pid = daemonPid(p)!;
      // Fill the file system to the last byte.
      const filler = join(mnt, 'filler');
      const fd = openSync(filler, 'w');
      for (const size of [1 << 20, 4096, 512, 1]) {
        try {
          for (;;) writeSync(fd, Buffer.alloc(size, 1));
        } catch (e) {
          assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
        }
      }
      closeSync(fd);
      // A task that writes its 3 MB result now hits the full disk.
      writeFileSync(join(p.dir, 'gate-big'), '');
      const bigEntry = (await p.entries(wf)).find(e => e.name === 'b')!;
      await until('the big task to end', () =>
        existsSync(join(state(p), 'runs', String(wf), `${bigEntry.id}.1`, 'marker'))
      );
      // A submission needs new pages: refused, naming the full disk.
      const wide = spec('wide', {
        kind: 'static_width',
        width: 2000,
        body: pyTask('t', gate, { pad: 'y'.repeat(2000) })
      });
      const s = await p.pqlWithInput(JSON.stringify(wide), 'submit', '--spec', '-');
      assert.equal(s.code, 2, s.stdout);
      assert.match(s.stderr, /the disk holding .*perqueue\.sqlite is full/);
      noStack(s.stderr);
      assert.ok(alive(pid), 'the bridge is still running');
      const status = await p.pql('daemon', 'status', '--json');
      const info = JSON.parse(status.stdout);
      assert.equal(info.storage.ok, false);
      assert.equal(info.storage.problem, 'disk_full');
      const st = await p.pql('status');
      assert.equal(st.code, 0);
      assert.match(st.stderr, /the bridge is paused: the disk holding .* is full/);
      assert.match(st.stdout, /two/, 'reads go on');
      assert.doesNotMatch(logOf(p), /cannot rollback/);

      rmSync(filler);
      await until(
        'the bridge to resume',
        async () => JSON.parse((await p.pql('daemon', 'status', '--json')).stdout).storage?.ok === true,
        20_000
      );
      // The log is on the full disk too: the line that says so may be lost then, so the resume names it.
      assert.match(logOf(p), /the bridge resumes \(paused since .*: the disk holding .*perqueue\.sqlite is full/);
      assert.doesNotMatch(logOf(p), /cannot rollback|internal error/);
      assert.equal(daemonPid(p), pid, 'the same bridge went on');
      // The task that hit the full disk failed, saying so; the other one goes on as if nothing happened.
      writeFileSync(join(p.dir, 'gate'), '');
      const w = await p.wait(wf);
      assert.equal(w.code, 1, w.stdout);
      const es = await p.entries(wf);
      assert.deepEqual(es.find(e => e.name === 'g')!.data, { done: 1 });
      const failed = es.find(e => e.name === 'b')!;
      assert.equal(failed.state, 'failed');
      assert.match(failed.error ?? '', /disk holding .* was full/);
      // Nothing committed was lost, and new work runs.
      assert.equal((await p.pql('retry', String(failed.id))).code, 0);
      assert.equal((await p.wait(wf)).code, 0);
      const small = await p.submit(spec('after', pyTask('g', gate)));
      assert.equal(small, wf + 1, 'the refused submission took no id');
      assert.equal((await p.wait(small)).code, 0);
    }
  );
});

/** `pql daemon run` in the foreground for `p`, and what it has written to stderr so far. */
function runDaemon(p: Project) {
  const child = spawn(process.execPath, [PQL, 'daemon', 'run'], {
    cwd: p.dir,
    env: p.env,
    stdio: ['ignore', 'ignore', 'pipe']
  });
  let stderr = '';
  child.stderr.on('data', d => (stderr += d));
  return { child, stderr: () => stderr };
}

describe('one bridge per project', () => {
  it('two bridges started at once: one runs, the other says which one holds the project', async () => {
    const p = project();
    mkdirSync(state(p), { recursive: true });
    const start = () =>
      new Promise<{ code: number | null; stderr: string; pid: number }>(ok => {
        const { child, stderr } = runDaemon(p);
        child.on('exit', code => ok({ code, stderr: stderr(), pid: child.pid! }));
        // The one that runs is reported once it serves.
        const timer = setInterval(() => {
          if (/: pid \d+, socket/.test(stderr())) {
            clearInterval(timer);
            ok({ code: null, stderr: stderr(), pid: child.pid! });
          }
        }, 20);
        child.on('exit', () => clearInterval(timer));
      });
    const [a, b] = await Promise.all([start(), start()]);
    const [winner, loser] = a.code === null ? [a, b] : [b, a];
    assert.equal(winner.code, null, `one runs: ${winner.stderr}`);
    assert.equal(loser.code, 78, loser.stderr);
    assert.match(loser.stderr, new RegExp(`a bridge already runs for .* \\(pid ${winner.pid}\\)`));
  });

  it('the lock is held by the process, not by a file: deleting the files of a running bridge does not let a second one start', async () => {
    const p = project();
    assert.equal((await p.pql('daemon', 'start')).code, 0);
    const pid = daemonPid(p)!;
    for (const f of ['bridge.json', 'bridge.sock']) rmSync(join(state(p), f));
    const r = await p.pql('daemon', 'start');
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`a bridge already runs for .* \\(pid ${pid}\\)`));
    noStack(r.stderr);
    process.kill(pid, 'SIGTERM');
    await until('the bridge to stop', () => !alive(pid));
  });

  it('a bridge whose .perqueue/ is deleted stops, saying why; a new one then starts cleanly', async () => {
    const p = project();
    mkdirSync(state(p), { recursive: true });
    const { child, stderr } = runDaemon(p);
    const exited = new Promise<number | null>(ok => child.on('exit', ok));
    await until('the bridge to serve', () => /: pid \d+, socket/.test(stderr()));
    rmSync(state(p), { recursive: true });
    assert.equal(await exited, 1);
    assert.match(stderr(), /the bridge stops: the project's folder .*\.perqueue was deleted/);
    const t = p.script('t.sh', '#!/bin/bash\necho \'{"v": 1}\' > "$PQ_OUTPUT"\n');
    await p.finish(spec('fresh', pyTask('t', t)));
  });
});

describe('a bridge that is down is said, and started when needed', () => {
  it('after kill -9, reading commands say so and start it (or say how); results that came meanwhile are taken in', async () => {
    const p = project();
    const wf = await p.submit(spec('g', pyTask('g', gatedTask(p))));
    await until('the task to start', () => readdirSync(p.dir).some(f => f.startsWith('started.')));
    process.kill(daemonPid(p)!, 'SIGKILL');
    writeFileSync(join(p.dir, 'gate'), '');
    const told = await new Promise<{ code: number; stderr: string; stdout: string }>(ok => {
      const child = spawn(process.execPath, [PQL, 'status'], { cwd: p.dir, env: { ...p.env, PQ_NO_AUTOSTART: '1' } });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', d => (stderr += d));
      child.stdout.on('data', d => (stdout += d));
      child.on('exit', code => ok({ code: code ?? 1, stderr, stdout }));
    });
    assert.equal(told.code, 0);
    assert.match(
      told.stderr,
      /is not running: 1 entries are recorded as queued or running.*start it with 'pql daemon start'/
    );
    assert.equal((await p.pql('daemon', 'status')).code, 3, 'still down: it was only told');
    const st = await p.pql('status');
    assert.match(st.stderr, /was not running \(1 entries queued or running\): starting it/);
    assert.equal((await p.pql('daemon', 'status')).code, 0);
    const w = await p.wait(wf);
    assert.equal(w.code, 0, w.stdout + w.stderr);
  });

  it('after kill -9 of the bridge and its job, pql wait starts the bridge and returns the failure', async () => {
    const p = project();
    const wf = await p.submit(spec('g', pyTask('g', gatedTask(p))));
    await until('the task to start', () => readdirSync(p.dir).some(f => f.startsWith('started.')));
    const [entry] = await p.entries(wf);
    const jobPid = Number(readFileSync(join(state(p), 'runs', String(wf), `${entry.id}.1`, 'pid'), 'utf8'));
    process.kill(daemonPid(p)!, 'SIGKILL');
    try {
      process.kill(-jobPid, 'SIGKILL'); // the job's process group
    } catch {
      process.kill(jobPid, 'SIGKILL');
    }
    const w = await p.wait(wf);
    assert.equal(w.code, 1, w.stdout + w.stderr);
    assert.match(w.stderr, /was not running .* starting it/);
    const [after] = await p.entries(wf);
    assert.equal(after.state, 'failed');
    assert.match(after.error ?? '', /ended without a result \(killed or lost\)/);
  });

  it('a bridge that does not answer: CLI requests end after their time limit with a message', async () => {
    const p = project();
    mkdirSync(state(p), { recursive: true });
    const socket = join(state(p), 'bridge.sock');
    // It answers the version probe, then never answers anything else.
    const server = createServer(c =>
      c.once('data', d => {
        if (d.toString().startsWith('GET /api/version')) {
          const body = JSON.stringify({
            version: 'x',
            apiVersion: 1,
            pid: process.pid,
            lastSeq: 0,
            storage: { ok: true }
          });
          c.end(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
        }
      })
    );
    await new Promise<void>(ok => server.listen(socket, ok));
    writeFileSync(join(state(p), 'bridge.json'), JSON.stringify({ pid: process.pid, socket }));
    try {
      const r = await new Promise<{ code: number | null; stderr: string }>(ok => {
        const child = spawn(process.execPath, [PQL, 'retry', '1'], {
          cwd: p.dir,
          env: { ...p.env, PQ_CLI_TIMEOUT_S: '1' }
        });
        let stderr = '';
        child.stderr.on('data', d => (stderr += d));
        child.on('exit', code => ok({ code, stderr }));
      });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /did not answer POST \/api\/entries\/1\/retry within 1 s.*PQ_CLI_TIMEOUT_S/s);
    } finally {
      server.close();
      rmSync(join(state(p), 'bridge.json'));
    }
  });
});
