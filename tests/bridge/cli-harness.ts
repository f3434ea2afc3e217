// Drive `pql` the way a user does: as a process, in a fresh project folder with real scripts,
// against a real daemon and a real SQLite file.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const PQL = join(REPO, 'perqueue_lab/bridge/pql.mjs');
export const PYTHON = process.env.PQ_TEST_PYTHON ?? join(REPO, '.venv/bin/python');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Project {
  readonly dir: string;
  /** A fresh folder named `prefix…` in `parent` (the system's temporary folder by default). */
  constructor(prefix = 'pq-test-', parent = tmpdir()) {
    this.dir = mkdtempSync(join(parent, prefix));
  }

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, PQ_PYTHON: PYTHON, PYTHONPATH: REPO, PQ_PROJECT: this.dir, PQ_LOCAL_CORES: '4' };
  }

  /** Write an executable script into the project; returns its absolute path. */
  script(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  }

  pql(...args: string[]): Promise<CliResult> {
    return this.pqlWithInput(undefined, ...args);
  }

  /** `pql` with more environment variables (an $EDITOR, say). */
  pqlEnv(extra: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
    return this.run(undefined, extra, args);
  }

  pqlWithInput(input: string | undefined, ...args: string[]): Promise<CliResult> {
    return this.run(input, {}, args);
  }

  /** `pql` as typed in another shell: from `cwd`, with `vars` set (an undefined one is unset). */
  pqlIn(cwd: string, vars: NodeJS.ProcessEnv, input: string | undefined, ...args: string[]): Promise<CliResult> {
    return this.run(input, vars, args, cwd);
  }

  /** Submit a spec from `cwd` with `vars` in the submitting shell; returns the workflow id. */
  async submitFrom(cwd: string, vars: NodeJS.ProcessEnv, spec: unknown): Promise<number> {
    const r = await this.pqlIn(cwd, vars, JSON.stringify(spec), 'submit', '--spec', '-', '--json');
    if (r.code !== 0) throw new Error(`submit failed: ${r.stderr}`);
    return JSON.parse(r.stdout).workflowId;
  }

  // Node leaves out environment variables whose value is undefined: that is how `vars` unsets one.
  private run(input: string | undefined, extra: NodeJS.ProcessEnv, args: string[], cwd = this.dir): Promise<CliResult> {
    return new Promise(ok => {
      const child = execFile(
        process.execPath,
        [PQL, ...args],
        { cwd, env: { ...this.env, ...extra }, maxBuffer: 64 << 20 },
        (err, stdout, stderr) => ok({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })
      );
      if (input !== undefined) child.stdin!.end(input);
    });
  }

  /** Submit a spec (JSON) and return the workflow id. */
  async submit(spec: unknown): Promise<number> {
    const r = await this.pqlWithInput(JSON.stringify(spec), 'submit', '--spec', '-', '--json');
    if (r.code !== 0) throw new Error(`submit failed: ${r.stderr}`);
    return JSON.parse(r.stdout).workflowId;
  }

  async wait(wf: number, seconds = 60): Promise<CliResult> {
    return this.pql('wait', String(wf), '--timeout', String(seconds));
  }

  /** Submits the spec and waits for the workflow to end, which must be with success; its id. */
  async finish(spec: unknown, seconds = 60): Promise<number> {
    const wf = await this.submit(spec);
    const w = await this.wait(wf, seconds);
    assert.equal(w.code, 0, w.stdout + w.stderr);
    return wf;
  }

  async entries(wf?: number): Promise<EntryJson[]> {
    const r = await this.pql('ls', '--json', ...(wf ? ['-w', String(wf)] : []));
    if (r.code !== 0) throw new Error(`ls failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** The entry of workflow `wf` named `name`; the test fails when there is none. */
  async entry(wf: number, name: string): Promise<EntryJson> {
    const e = (await this.entries(wf)).find(x => x.name === name);
    assert.ok(e, `no entry ${name} in workflow ${wf}`);
    return e;
  }

  async stop(): Promise<void> {
    spawnSync(process.execPath, [PQL, 'daemon', 'stop'], { cwd: this.dir, env: this.env });
  }

  read(name: string): string {
    return readFileSync(join(this.dir, name), 'utf8');
  }
}

/** Wraps a maker of projects (of any subclass) so their daemons are stopped after the test file. */
export function stoppedAfterFile<A extends unknown[], P extends Project>(make: (...args: A) => P): (...args: A) => P {
  const made: P[] = [];
  after(async () => {
    for (const p of made) await p.stop();
  });
  return (...args) => {
    const p = make(...args);
    made.push(p);
    return p;
  };
}

/** A maker of fresh projects for one test file; their daemons are stopped after the file. */
export function projectMaker(prefix?: string): () => Project {
  return stoppedAfterFile(() => new Project(prefix));
}

/**
 * `pql <command> -w WF -o FILE` where FILE exists: refused with a hint, FILE kept as it was; with
 * --force FILE is written. Its path, for the caller to check what was written.
 */
export async function checkOverwriteNeedsForce(p: Project, command: string, wf: number, file: string): Promise<string> {
  const path = join(p.dir, file);
  writeFileSync(path, 'mine');
  const refused = await p.pql(command, '-w', String(wf), '-o', file);
  assert.notEqual(refused.code, 0);
  assert.ok(refused.stderr.includes(`${file} exists: choose another -o FILE or add --force`), refused.stderr);
  assert.equal(readFileSync(path, 'utf8'), 'mine');
  const forced = await p.pql(command, '-w', String(wf), '-o', file, '--force');
  assert.equal(forced.code, 0, forced.stderr);
  return path;
}

export interface EntryJson {
  id: number;
  workflowId: number;
  name: string;
  kind: string;
  state: string;
  index: number[];
  iteration: number[];
  args: Record<string, unknown> | null;
  data: Record<string, unknown> | null;
  error: string | null;
  attempt: number;
  jobId: string | null;
}

export const pyTask = (name: string, code: string, args: Record<string, unknown> = {}, resources = '1:local:1m') => ({
  kind: 'task',
  name,
  code,
  args,
  resources
});

export const spec = (name: string, root: unknown) => ({ specVersion: 1, name, root });

export const chainOf = (...nodes: unknown[]) => ({
  kind: 'workflow',
  nodes: nodes.map((node, i) => ({ id: `n${i}`, node, parents: i === 0 ? [] : [`n${i - 1}`] }))
});
