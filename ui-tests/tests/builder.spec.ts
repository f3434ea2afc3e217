// The graphical builder: a three-task workflow drawn from the launcher card, connected,
// validated, saved and submitted, then seen running to the end in the Workflows sidebar; a
// definition written with the Python API opened and saved back unchanged apart from its layout;
// the group dialog showing only the chosen kind's fields; scripts picked in the file dialog and
// stored relative to the definition's folder (older absolute and root-relative paths still
// working); and items staying where they are drawn when they are connected.
import * as fs from 'fs';
import * as path from 'path';

import { BuilderPage } from './helpers/builder';
import { expect, test } from './helpers/perqueue';

test.use({ autoGoto: false });

const TASK_SCRIPT = "def main(**kwargs):\n    return True, {'ran': __file__}\n";

/** A definition with no node yet, as the builder's "New" writes it. */
function blank(name: string): string {
  return JSON.stringify({ specVersion: 1, name, root: { kind: 'workflow', nodes: [] } }, null, 2) + '\n';
}

/** A unique folder per test run, so that a retry does not meet the files of the first try. */
function folder(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}`;
}

/**
 * Opens JupyterLab, writes `files` and a blank definition `<name>.pqwf.json` into a new folder
 * and opens that definition in the builder; the folder.
 */
async function openBlank(builder: BuilderPage, name: string, files: Record<string, string>): Promise<string> {
  const dir = folder(name);
  await builder.page.goto();
  for (const [file, text] of Object.entries(files)) {
    await builder.page.contents.uploadContent(text, 'text', `${dir}/${file}`);
  }
  await builder.page.contents.uploadContent(blank(name), 'text', `${dir}/${name}.pqwf.json`);
  await builder.open(`${dir}/${name}.pqwf.json`);
  return dir;
}

test('a three-task workflow built in the builder is submitted and runs', async ({ page, request }) => {
  const builder = new BuilderPage(page, request);
  const dialogs: string[] = [];
  page.on('dialog', d => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto();

  // The launcher card and the command create a definition and open it in the builder.
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('launcher:create'));
  const card = page
    .locator('.jp-LauncherCard[data-category="PerQueue"]:visible', { hasText: 'Workflow Definition' })
    .first();
  await expect(card).toBeVisible();
  await card.click();
  await expect(page.locator('.jp-PerQueue-builder')).toBeVisible();
  const docPath: string = await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.context.path);
  expect(docPath).toMatch(/\.pqwf\.json$/);
  await expect(builder.problems).toContainText('a workflow needs at least one node');

  await builder.setField('workflow-name', 'builder-ui');
  for (const name of ['first', 'second', 'third']) {
    await builder.addTask('hello.py', name);
  }
  await builder.setField('args', '{"who": "third"}');
  await expect(builder.canvas).toHaveAttribute('data-item-count', '3');

  // Select two tasks on the canvas and connect them, twice.
  await builder.connect('root/first', 'root/second');
  await builder.connect('root/second', 'root/third');
  await expect(builder.canvas).toHaveAttribute('data-edge-count', '2');
  await expect(builder.problems).toContainText('The definition is valid.');

  // Save: the file is the spec plus a layout; the script beside the definition is named as such.
  const saved = await builder.save(docPath);
  expect(saved.name).toBe('builder-ui');
  expect(saved.root.nodes.map((n: any) => [n.id, n.parents])).toEqual([
    ['first', []],
    ['second', ['first']],
    ['third', ['second']]
  ]);
  expect(saved.root.nodes[2].node.args).toEqual({ who: 'third' });
  expect(saved.root.nodes.map((n: any) => n.node.code)).toEqual(['hello.py', 'hello.py', 'hello.py']);

  // Submit, then follow it in the Workflows sidebar until every entry succeeded.
  await builder.submit('builder-ui');
  await page.sidebar.openTab('perqueue-workflows');
  const item = page
    .locator('.jp-PerQueue-workflow', { has: page.locator('.jp-PerQueue-workflow-name', { hasText: /^builder-ui$/ }) })
    .first();
  await expect(item).toBeVisible();
  await expect(item.locator('.jp-PerQueue-workflow-counts')).toHaveText('3 succeeded', { timeout: 90000 });
  expect(dialogs).toEqual([]);
});

test('a definition written in Python opens in the builder and saves back unchanged', async ({ page, request }) => {
  const builder = new BuilderPage(page, request);
  const fixture = fs.readFileSync(
    path.resolve(__dirname, '..', '..', 'tests', 'fixtures', 'specs', 'swg_switch.json'),
    'utf8'
  );
  await page.goto();
  await page.contents.uploadContent(fixture, 'text', 'defs/swg_switch.pqwf.json');
  await page.filebrowser.open('defs/swg_switch.pqwf.json');
  await expect(builder.canvas).toHaveAttribute('data-item-count', '10');
  await expect(builder.canvas).toHaveAttribute('data-edge-count', '4');
  await expect(builder.problems).toContainText('The definition is valid.');
  await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.relayout());
  const saved = await builder.save('defs/swg_switch.pqwf.json');
  expect(Object.keys(saved.layout.positions).length).toBeGreaterThan(0);
  delete saved.layout;
  expect(saved).toEqual(JSON.parse(fixture));
});

test('the group dialog shows only the fields of the chosen group kind', async ({ page, request }) => {
  const builder = new BuilderPage(page, request);
  const dir = await openBlank(builder, 'groups', { 'a.py': TASK_SCRIPT });
  await builder.addTask(`${dir}/a.py`, 'one');
  await builder.select(['root/one']);
  await builder.clickTool('Group…');

  const form = builder.dialog.locator('.jp-PerQueue-group-form');
  const kind = form.locator('select.jp-PerQueue-group-kind');
  const rows = {
    width: form.locator('.jp-PerQueue-form-row', { has: page.locator('.jp-PerQueue-group-width') }),
    maxTries: form.locator('.jp-PerQueue-form-row', { has: page.locator('.jp-PerQueue-group-max-tries') }),
    keys: form.locator('.jp-PerQueue-form-row', { has: page.locator('.jp-PerQueue-group-keys') })
  };
  const shown = async () => ({
    width: await rows.width.isVisible(),
    maxTries: await rows.maxTries.isVisible(),
    keys: await rows.keys.isVisible()
  });
  await expect(form.locator('.jp-PerQueue-group-name')).toBeVisible();
  expect(await kind.inputValue()).toBe('static_width');
  await expect.poll(shown).toEqual({ width: true, maxTries: false, keys: false });
  // A hidden row takes no room: it is not drawn at all.
  expect(await rows.maxTries.evaluate(e => getComputedStyle(e).display)).toBe('none');

  // Switching the kind in the dialog changes which rows show.
  await kind.selectOption('cyclical');
  await expect.poll(shown).toEqual({ width: false, maxTries: true, keys: false });
  await kind.selectOption('switch');
  await expect.poll(shown).toEqual({ width: false, maxTries: false, keys: true });
  await kind.selectOption('dynamic_width');
  await expect.poll(shown).toEqual({ width: false, maxTries: false, keys: false });
  await kind.selectOption('cyclical');
  await form.locator('.jp-PerQueue-group-max-tries').fill('7');
  await builder.dialog.getByRole('button', { name: 'Group' }).click();
  await expect(builder.dialog).toHaveCount(0);

  const saved = await builder.save(`${dir}/groups.pqwf.json`);
  expect(saved.root.nodes).toHaveLength(1);
  expect(saved.root.nodes[0].node).toMatchObject({ kind: 'cyclical', maxTries: 7 });
});

test('scripts are picked in the file dialog and stored relative to the definition', async ({
  page,
  request,
  perqueue
}) => {
  const builder = new BuilderPage(page, request);
  const dir = await openBlank(builder, 'relative', {
    'here.py': TASK_SCRIPT,
    'sub/step.py': TASK_SCRIPT,
    'notes.txt': 'not a script\n'
  });

  // The file dialog opens in the definition's folder, tall enough to browse, listing folders and scripts only.
  await builder.clickTool('Add task');
  const picker = builder.dialog.locator('.jp-Open-Dialog');
  await expect(picker).toBeVisible();
  await expect(builder.listed('here.py')).toBeVisible();
  await expect(builder.listed('sub')).toBeVisible();
  await expect(builder.listed('notes.txt')).toHaveCount(0);
  const listing = await picker.locator('.jp-DirListing').boundingBox();
  expect(listing!.height).toBeGreaterThanOrEqual(200);
  await builder.listed('here.py').click();
  await builder.dialog.getByRole('button', { name: 'Select' }).click();
  await expect(builder.dialog).toHaveCount(0);
  await builder.setField('name', 'here');

  // A script in a subfolder, and one in the folder above.
  await builder.addTask(`${dir}/sub/step.py`, 'step');
  await builder.addTask('hello.py', 'up');
  await expect(page.locator('.jp-PerQueue-builder-properties [data-field="code"]')).toHaveValue('../hello.py');
  await builder.connect('root/here', 'root/step');
  await builder.connect('root/step', 'root/up');
  await expect(builder.problems).toContainText('The definition is valid.');

  const saved = await builder.save(`${dir}/relative.pqwf.json`);
  expect(saved.root.nodes.map((n: any) => [n.id, n.node.code])).toEqual([
    ['here', 'here.py'],
    ['step', 'sub/step.py'],
    ['up', '../hello.py']
  ]);

  // Submitting resolves them against the definition's folder: every task finds its script and runs.
  const id = await builder.submit('relative');
  await expect
    .poll(async () => (await perqueue.entries(id)).map(e => `${e.name}:${e.state}`).sort(), { timeout: 90000 })
    .toEqual(['here:succeeded', 'step:succeeded', 'up:succeeded']);
  const project = await perqueue.projectDir();
  const results = Object.fromEntries((await perqueue.entries(id)).map(e => [e.name, e.data]));
  expect(results).toEqual({
    here: { ran: path.join(project, dir, 'here.py') },
    step: { ran: path.join(project, dir, 'sub', 'step.py') },
    up: { greeting: 'hello' }
  });
});

test('an older definition with absolute and root-relative script paths keeps working', async ({
  page,
  request,
  perqueue
}) => {
  const builder = new BuilderPage(page, request);
  const dir = folder('legacy');
  const project = await perqueue.projectDir();
  await page.goto();
  await page.contents.uploadContent(TASK_SCRIPT, 'text', `${dir}/scripts/old.py`);
  const task = (id: string, code: string, parents: string[]) => ({
    id,
    node: { kind: 'task', name: id, code, args: {}, resources: '1:local:10m' },
    parents
  });
  const older = {
    specVersion: 1,
    name: 'legacy',
    root: {
      kind: 'workflow',
      nodes: [
        task('absolute', `${project}/${dir}/scripts/old.py`, []),
        task('rootrel', `${dir}/scripts/old.py`, ['absolute'])
      ]
    }
  };
  await page.contents.uploadContent(JSON.stringify(older, null, 2) + '\n', 'text', `${dir}/defs/legacy.pqwf.json`);
  await builder.open(`${dir}/defs/legacy.pqwf.json`);

  // The root-relative path is rewritten relative to the definition's folder; the absolute one stays.
  await expect(
    page
      .locator('.jp-Notification-Toast-info, .Toastify__toast--info', {
        hasText: 'now relative to this file’s folder (../scripts/old.py)'
      })
      .first()
  ).toBeVisible();
  await expect(builder.problems).toContainText('The definition is valid.');
  const saved = await builder.save(`${dir}/defs/legacy.pqwf.json`);
  expect(saved.root.nodes.map((n: any) => n.node.code)).toEqual([
    `${project}/${dir}/scripts/old.py`,
    '../scripts/old.py'
  ]);

  const id = await builder.submit('legacy');
  await expect
    .poll(async () => (await perqueue.entries(id)).map(e => `${e.name}:${e.state}`).sort(), { timeout: 90000 })
    .toEqual(['absolute:succeeded', 'rootrel:succeeded']);
  const ran = (await perqueue.entries(id)).map(e => (e.data as any)?.ran);
  expect(ran).toEqual([path.join(project, dir, 'scripts', 'old.py'), path.join(project, dir, 'scripts', 'old.py')]);
});

test('connecting and grouping items keeps every drawn item where it is', async ({ page, request }) => {
  const builder = new BuilderPage(page, request);
  const dir = await openBlank(builder, 'layout', { 'a.py': TASK_SCRIPT });
  for (const name of ['a', 'b', 'c', 'd']) {
    await builder.addTask(`${dir}/a.py`, name);
  }
  const layoutRuns = await builder.canvas.getAttribute('data-layout-runs');
  const close = (a: Record<string, { x: number; y: number }>, b: Record<string, { x: number; y: number }>) => {
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    for (const [id, p] of Object.entries(a)) {
      expect(Math.abs(b[id].x - p.x), `${id}.x`).toBeLessThanOrEqual(1);
      expect(Math.abs(b[id].y - p.y), `${id}.y`).toBeLessThanOrEqual(1);
    }
  };

  let before = await builder.positions();
  expect(Object.keys(before)).toHaveLength(4);
  for (const [a, b] of [
    ['root/a', 'root/b'],
    ['root/a', 'root/c'],
    ['root/c', 'root/d']
  ]) {
    const edges = Number(await builder.canvas.getAttribute('data-edge-count'));
    await builder.connect(a, b);
    await expect(builder.canvas).toHaveAttribute('data-edge-count', String(edges + 1));
    const after = await builder.positions();
    close(before, after);
    before = after;
  }
  // Grouping moves an item to a new path inside the group, not to a new place.
  const byLabel = await builder.positionsByLabel();
  await builder.select(['root/d']);
  await builder.clickTool('Group…');
  await builder.dialog.getByRole('button', { name: 'Group' }).click();
  await expect(builder.dialog).toHaveCount(0);
  await expect(builder.canvas).toHaveAttribute('data-item-count', '5');
  close(byLabel, await builder.positionsByLabel());
  before = await builder.positions();
  expect(Object.keys(before)).not.toContain('root/d');

  // No layout ran for these edits, and the document keeps the places.
  expect(await builder.canvas.getAttribute('data-layout-runs')).toBe(layoutRuns);
  const saved = await builder.save(`${dir}/layout.pqwf.json`);
  close(before, saved.layout.positions);

  // Opened again, everything is where it was.
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('application:close-all'));
  await builder.open(`${dir}/layout.pqwf.json`);
  await expect(builder.canvas).toHaveAttribute('data-edge-count', '3');
  close(before, await builder.positions());
});
