// Jupyter Notebook 7: the live graph widget of a workflow submitted from a cell. Notebook 7 is
// not JupyterLab, so this test does without Galata: it starts `jupyter notebook` itself, with
// the UI tests' server configuration (a fresh project folder holding hello.py) on a free port.
import { expect, test } from '@playwright/test';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as path from 'path';

import { freePort } from './helpers/ports';

test.setTimeout(180_000);

let server: ChildProcess | undefined;
let base = '';
let output = '';

test.beforeAll(async () => {
  test.setTimeout(120_000);
  // `notebook` comes with the package's test extra (pip install -e ".[test]").
  const installed = spawnSync('jupyter', ['notebook', '--version'], { encoding: 'utf8' });
  test.skip(installed.status !== 0, 'Jupyter Notebook 7 is not installed');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const uiTests = path.resolve(__dirname, '..');
  server = spawn(
    'jupyter',
    [
      'notebook',
      '--config',
      path.join(uiTests, 'jupyter_server_test_config.py'),
      `--port=${port}`,
      '--ServerApp.port_retries=0',
      '--no-browser'
    ],
    { cwd: uiTests, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  server.stdout?.on('data', d => (output += d));
  server.stderr?.on('data', d => (output += d));
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (server.exitCode !== null) {
      throw new Error(`jupyter notebook exited (${server.exitCode}):\n${output}`);
    }
    try {
      const status = await fetch(`${base}/api/status`);
      if (status.ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`jupyter notebook did not start:\n${output}`);
    }
    await new Promise(r => setTimeout(r, 500));
  }
});

test.afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise(r => server!.once('exit', r));
    server.kill('SIGTERM'); // the test configuration stops the project's bridge on exit
    await Promise.race([exited, new Promise(r => setTimeout(r, 20_000))]);
    if (server.exitCode === null) {
      server.kill('SIGKILL');
    }
  }
});

test('Notebook 7: a cell submits a workflow and its graph widget follows it to the end', async ({
  page,
  request
}, info) => {
  const source = [
    'from perqueue_lab import connect, Task, Workflow',
    'h = connect().submit(Workflow([Task("hello.py", {}, "1:local:1m"), Task("hello.py", name="again")]), name="in-notebook-7")',
    'h'
  ].join('\n');
  const notebook = {
    cells: [{ cell_type: 'code', execution_count: null, id: 'submit', metadata: {}, outputs: [], source }],
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' } },
    nbformat: 4,
    nbformat_minor: 5
  };
  const put = await request.put(`${base}/api/contents/notebook7.ipynb`, {
    data: { type: 'notebook', format: 'json', content: notebook }
  });
  expect(put.ok(), await put.text()).toBeTruthy();

  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`${base}/notebooks/notebook7.ipynb`);
  const cell = page.locator('.jp-Notebook .jp-CodeCell').first();
  await expect(cell).toBeVisible({ timeout: 60_000 });
  // The kernel is ready when the server reports it idle.
  await expect
    .poll(
      async () => {
        const sessions = await (await request.get(`${base}/api/sessions`)).json();
        return sessions.find((s: any) => s.path === 'notebook7.ipynb')?.kernel?.execution_state;
      },
      { timeout: 60_000 }
    )
    .toBe('idle');
  await cell.locator('.jp-InputArea-editor').click();
  await page.keyboard.press('Shift+Enter');

  const widget = page.locator('.jp-PerQueue-widget').first();
  await expect(widget).toBeVisible({ timeout: 60_000 });
  await expect(widget.locator('.jp-PerQueue-widget-title')).toContainText('in-notebook-7');
  await expect(widget).toHaveAttribute('data-entry-count', '2');
  await expect(widget.locator('canvas').first()).toBeVisible();
  await expect(widget).toHaveAttribute('data-states', 'succeeded:2', { timeout: 60_000 });
  await page.screenshot({ path: info.outputPath('notebook7-widget.png') });
});
