// The README's first command: scripts/start.sh prints the address to open, and that exact
// address (parsed from its output) opens JupyterLab logged in, with the quick-start graph shown.
// start.sh runs here as a user runs it, in a fresh demo folder on a port of its own.
import { expect, test } from '@jupyterlab/galata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');

test.use({ autoGoto: false });

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/** Resolves with the address start.sh prints, once Jupyter answers on it. */
function printedUrl(child: ChildProcess, output: string[]): Promise<string> {
  return new Promise((ok, fail) => {
    let url: string | null = null;
    const look = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      url ??= /start: open PerQueue Lab at (\S+)/.exec(output.join(''))?.[1] ?? null;
      // Jupyter is listening once it prints its own address lines.
      if (url && /is running at|Use Control-C to stop/.test(output.join(''))) {
        ok(url);
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', (code) => fail(new Error(`start.sh exited with ${code}:\n${output.join('')}`)));
  });
}

test('the address start.sh prints opens JupyterLab logged in on the quick-start graph', async ({ browser }) => {
  test.setTimeout(240_000);
  const demo = mkdtempSync(join(tmpdir(), 'perqueue-start-'));
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(join(REPO, 'scripts/start.sh'), ['--no-browser'], {
    env: { ...process.env, PQ_SKIP_INSTALL: '1', PQ_DEMO_DIR: demo, PQ_PORT: String(port), JUPYTER_TOKEN: '' },
    detached: true,
  });
  try {
    const url = await printedUrl(child, output);
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/lab\\?perqueue-open=latest&token=[0-9a-f]{48}$`));
    // Jupyter's own address line is the same, with one '?'.
    expect(output.join('')).toContain(`    ${url}`);

    // A fresh browser context: no cookie from another server.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await expect(page.locator('#jp-main-dock-panel')).toBeVisible({ timeout: 60_000 });
    expect(page.url()).not.toContain('/login');
    const graph = page.locator('.jp-PerQueue-graph');
    await expect(graph).toBeVisible({ timeout: 60_000 });
    await expect(graph).toHaveAttribute('data-entry-count', /[1-9]/);
    await expect(page.locator('.lm-TabBar-tab.lm-mod-current', { hasText: /quick/i })).toBeVisible();
    await context.close();
  } finally {
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    spawnSync(join(REPO, '.venv/bin/pql'), ['daemon', 'stop', '--project', demo], { env: { ...process.env, PATH: `${join(REPO, '.venv/bin')}:${process.env.PATH}` } });
    rmSync(demo, { recursive: true, force: true });
  }
});
