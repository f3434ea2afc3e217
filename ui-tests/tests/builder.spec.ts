// The graphical builder: a three-task workflow drawn from the launcher card, connected,
// validated, saved and submitted, then seen running to the end in the Workflows sidebar; and a
// definition written with the Python API opened and saved back unchanged apart from its layout.
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

test.use({ autoGoto: false });

/** The builder shown in the main area, driven through its public API where a canvas is involved. */
async function itemPosition(page: IJupyterLabPageFixture, itemPath: string): Promise<{ x: number; y: number }> {
  return page.evaluate((p) => {
    const widget = (window as any).jupyterapp.shell.currentWidget;
    const node = widget.content.cytoscape.getElementById(p);
    if (node.empty()) {
      throw new Error(`no item ${p}`);
    }
    return node.renderedPosition();
  }, itemPath);
}

async function clickItem(page: IJupyterLabPageFixture, itemPath: string): Promise<void> {
  const canvas = page.locator('.jp-PerQueue-builder-canvas').first();
  const box = (await canvas.boundingBox())!;
  const at = await itemPosition(page, itemPath);
  await page.mouse.click(box.x + at.x, box.y + at.y);
}

async function selection(page: IJupyterLabPageFixture): Promise<string[]> {
  return page.evaluate(() => [...(window as any).jupyterapp.shell.currentWidget.content.selection]);
}

async function addTask(page: IJupyterLabPageFixture, script: string): Promise<void> {
  await page.locator('.jp-PerQueue-builder-widget .jp-Toolbar-item').getByText('Add task', { exact: true }).click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('.jp-PerQueue-pick-filter').fill(script);
  await expect(dialog.locator('.jp-PerQueue-pick-list option').first()).toHaveText(script);
  await dialog.getByRole('button', { name: 'Add' }).click();
  await expect(dialog).toHaveCount(0);
}

async function setField(page: IJupyterLabPageFixture, field: string, value: string): Promise<void> {
  const input = page.locator(`.jp-PerQueue-builder-properties [data-field="${field}"]`);
  await input.fill(value);
  await input.press('Tab');
}

test('a three-task workflow built in the builder is submitted and runs', async ({ page, request }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto();

  // The launcher card and the command create a definition and open it in the builder.
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('launcher:create'));
  const card = page.locator('.jp-LauncherCard[data-category="PerQueue"]:visible', { hasText: 'Workflow Definition' }).first();
  await expect(card).toBeVisible();
  await card.click();
  const builder = page.locator('.jp-PerQueue-builder');
  await expect(builder).toBeVisible();
  const docPath: string = await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path);
  expect(docPath).toMatch(/\.pqwf\.json$/);
  const problems = page.locator('.jp-PerQueue-builder-problems');
  await expect(problems).toContainText('a workflow needs at least one node');

  await setField(page, 'workflow-name', 'builder-ui');
  for (const name of ['first', 'second', 'third']) {
    await addTask(page, 'hello.py');
    // The new task is selected: name it.
    await setField(page, 'name', name);
  }
  await setField(page, 'args', '{"who": "third"}');
  const canvas = page.locator('.jp-PerQueue-builder-canvas');
  await expect(canvas).toHaveAttribute('data-item-count', '3');

  // Select two tasks on the canvas and connect them, twice.
  for (const [a, b] of [
    ['first', 'second'],
    ['second', 'third'],
  ]) {
    await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.select([]));
    await clickItem(page, `root/${a}`);
    await clickItem(page, `root/${b}`);
    await expect.poll(() => selection(page)).toEqual([`root/${a}`, `root/${b}`]);
    await page.locator('.jp-PerQueue-builder-widget .jp-Toolbar-item').getByText('Connect', { exact: true }).click();
  }
  await expect(canvas).toHaveAttribute('data-edge-count', '2');
  await expect(problems).toContainText('The definition is valid.');

  // Save: the file is the spec plus a layout.
  await page.keyboard.press('Control+s');
  await expect.poll(async () => {
    const saved = await request.get(`/api/contents/${docPath}?content=1&format=text&type=file`);
    return JSON.parse((await saved.json()).content).root?.nodes?.length ?? 0;
  }).toBe(3);
  const saved = JSON.parse((await (await request.get(`/api/contents/${docPath}?content=1&format=text&type=file`)).json()).content);
  expect(saved.name).toBe('builder-ui');
  expect(saved.root.nodes.map((n: any) => [n.id, n.parents])).toEqual([
    ['first', []],
    ['second', ['first']],
    ['third', ['second']],
  ]);
  expect(saved.root.nodes[2].node.args).toEqual({ who: 'third' });
  expect(saved.root.nodes[0].node.code).toMatch(/^\/.*\/hello\.py$/);

  // Submit, then follow it in the Workflows sidebar until every entry succeeded.
  const submit = page.locator('.jp-PerQueue-builder-widget .jp-Toolbar-item').getByText('Submit', { exact: true });
  await submit.click();
  await expect(page.locator('.jp-Notification-Toast-success, .Toastify__toast--success').first()).toContainText(
    /Submitted builder-ui as workflow #\d+/,
  );
  await page.sidebar.openTab('perqueue-workflows');
  const item = page.locator('.jp-PerQueue-workflow', { has: page.locator('.jp-PerQueue-workflow-name', { hasText: /^builder-ui$/ }) }).first();
  await expect(item).toBeVisible();
  await expect(item.locator('.jp-PerQueue-workflow-counts')).toHaveText('3 succeeded', { timeout: 90000 });
  expect(dialogs).toEqual([]);
});

test('a definition written in Python opens in the builder and saves back unchanged', async ({ page, request }) => {
  const fixture = fs.readFileSync(path.resolve(__dirname, '..', '..', 'tests', 'fixtures', 'specs', 'swg_switch.json'), 'utf8');
  await page.goto();
  await page.contents.uploadContent(fixture, 'text', 'defs/swg_switch.pqwf.json');
  await page.filebrowser.open('defs/swg_switch.pqwf.json');
  const canvas = page.locator('.jp-PerQueue-builder-canvas');
  await expect(canvas).toHaveAttribute('data-item-count', '10');
  await expect(canvas).toHaveAttribute('data-edge-count', '4');
  await expect(page.locator('.jp-PerQueue-builder-problems')).toContainText('The definition is valid.');
  await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.relayout());
  await page.keyboard.press('Control+s');
  await expect
    .poll(async () => {
      const saved = await request.get('/api/contents/defs/swg_switch.pqwf.json?content=1&format=text&type=file');
      return 'layout' in JSON.parse((await saved.json()).content);
    })
    .toBe(true);
  const saved = JSON.parse((await (await request.get('/api/contents/defs/swg_switch.pqwf.json?content=1&format=text&type=file')).json()).content);
  expect(Object.keys(saved.layout.positions).length).toBeGreaterThan(0);
  delete saved.layout;
  expect(saved).toEqual(JSON.parse(fixture));
});
