// Several projects below the folder JupyterLab serves: the Workflows sidebar offers a chooser,
// and choosing a project shows its workflows (and closes the graphs of the former one); the
// choice survives a page reload.
import { execFileSync } from 'child_process';
import { mkdirSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';

import { expect, test } from './helpers/perqueue';

test.use({ autoGoto: false });

test('the sidebar shows another project below the served folder, and back', async ({ page, perqueue }) => {
  const root = await perqueue.projectDir();
  const stamp = Date.now();
  const name = `second-project-${stamp}`;
  // The served project outlives a retry, so its workflow's name is this attempt's own.
  const served = `in-the-served-project-${stamp}`;
  const second = join(root, name);
  mkdirSync(second);
  // `pql` is the project's CLI (the venv is on PATH, see playwright.config.js).
  execFileSync('pql', ['init', '--project', second]);
  try {
    writeFileSync(join(second, 'hi.py'), 'def main(**kw):\n    return True, {"hi": 1}\n');
    const task = (code: string, label: string) => ({
      kind: 'task',
      name: label,
      code,
      args: {},
      resources: '1:local:1m'
    });
    const there = await perqueue.submit('in-the-second-project', task(join(second, 'hi.py'), 'hi'), name);
    const here = await perqueue.submit(served, task(join(root, 'hello.py'), 'hello'));

    await page.goto();
    await page.sidebar.openTab('perqueue-workflows');
    const chooser = page.locator('.jp-PerQueue-sidebar .jp-PerQueue-project');
    await expect(chooser).toBeVisible();
    await expect(chooser.locator(`option[value="${name}"]`)).toHaveCount(1);
    const names = page.locator('.jp-PerQueue-sidebar .jp-PerQueue-workflow-name');
    await expect(names.filter({ hasText: served })).toHaveCount(1);
    await page.locator(`.jp-PerQueue-workflow[data-workflow-id="${here}"]`).click();
    await expect(page.locator(`.jp-PerQueue-graph[data-workflow-id="${here}"]`)).toBeVisible();

    // The second project: only its workflows; the graph of the served project's workflow closes.
    await chooser.selectOption(name);
    await expect(names).toHaveText(['in-the-second-project']);
    await expect(page.locator('.jp-PerQueue-graph')).toHaveCount(0);
    await page.locator(`.jp-PerQueue-sidebar .jp-PerQueue-workflow[data-workflow-id="${there}"]`).click();
    const graph = page.locator(`.jp-PerQueue-graph[data-workflow-id="${there}"]`);
    await expect(graph).toHaveAttribute('data-entry-count', '1');

    // Remembered across a reload.
    await page.reload();
    await page.sidebar.openTab('perqueue-workflows');
    await expect(chooser).toHaveValue(name);
    await expect(names).toHaveText(['in-the-second-project']);

    // And back, from the command palette's command: the chooser follows.
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('perqueue:show-project', { project: '' }));
    await expect(chooser).toHaveValue('');
    await expect(names.filter({ hasText: served })).toHaveCount(1);
    await expect(names.filter({ hasText: 'in-the-second-project' })).toHaveCount(0);
  } finally {
    execFileSync('pql', ['daemon', 'stop', '--project', second]);
    rmSync(second, { recursive: true, force: true });
  }
});
