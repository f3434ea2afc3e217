// The README's first command: scripts/start.sh prints the address to open, and that exact
// address (parsed from its output) opens JupyterLab logged in, with the quick-start graph shown.
// start.sh runs here as a user runs it, in a fresh demo folder on a port of its own.
import { expect, test } from '@jupyterlab/galata';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { freePort } from './helpers/ports';

const REPO = resolve(__dirname, '..', '..');

test.use({ autoGoto: false });

/** Resolves with the address Jupyter prints on 127.0.0.1 (token included), once it serves. */
function printedUrl(child: ChildProcess, output: string[], port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const look = (chunk: Buffer) => {
      output.push(chunk.toString());
      const text = output.join('');
      const url = new RegExp(`(http://127\\.0\\.0\\.1:${port}/\\S+)`).exec(text)?.[1];
      if (url && /Use Control-C to stop/.test(text)) {
        ok(url);
      }
    };
    child.stdout!.on('data', look);
    child.stderr!.on('data', look);
    child.on('exit', code => fail(new Error(`start.sh exited with ${code}:\n${output.join('')}`)));
  });
}

test('the address start.sh prints opens JupyterLab logged in on the quick-start graph', async ({ browser }) => {
  test.setTimeout(240_000);
  const demo = mkdtempSync(join(tmpdir(), 'perqueue-start-'));
  const port = await freePort();
  const output: string[] = [];
  const child = spawn(join(REPO, 'scripts/start.sh'), ['--no-browser'], {
    env: { ...process.env, PQ_SKIP_INSTALL: '1', PQ_DEMO_DIR: demo, PQ_PORT: String(port) },
    detached: true
  });
  try {
    const url = await printedUrl(child, output, port);
    // One '?' and the whole token: the address works as printed.
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/perqueue/open\\?token=[0-9a-f]{48}$`));
    expect(output.join('')).not.toMatch(/\?[^\s]*\?token=/);

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

    // Without the token: the login page, and after logging in with it, the same graph.
    const stranger = await browser.newContext();
    const login = await stranger.newPage();
    await login.goto(url.replace(/\?token=.*$/, ''));
    await expect(login).toHaveURL(/\/login\?next=/);
    await login.locator('input[type="password"]').first().fill(new URL(url).searchParams.get('token')!);
    await login.locator('#login_submit, button[type="submit"]').first().click();
    await expect(login.locator('.jp-PerQueue-graph')).toBeVisible({ timeout: 60_000 });
    await stranger.close();
  } finally {
    if (child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    spawnSync(join(REPO, '.venv/bin/pql'), ['daemon', 'stop', '--project', demo], {
      env: { ...process.env, PATH: `${join(REPO, '.venv/bin')}:${process.env.PATH}` }
    });
    rmSync(demo, { recursive: true, force: true });
  }
});
