// The user guide, through the real bridge and real kernels: the segmentation example's human step
// is answered from its labelling notebook, opened from the Human steps panel, and a step's form
// from its Approve dialog; the pictures of docs/guide/jupyterlab.md are taken on the way
// (docs/guide/img/*.png). The pictures are only checked to exist and to hold more than a blank
// page: what they show is asserted before them.
import type { IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';
import { expect, test } from './helpers/perqueue';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

test.use({ autoGoto: false, viewport: { width: 1280, height: 800 } });
// Kernels start, examples run and a loop goes round: give each scenario room.
test.setTimeout(240_000);

const ROOT = path.resolve(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'examples');
const IMAGES = path.join(ROOT, 'docs', 'guide', 'img');

/** `pql` in the test server's project, with the given environment; its stdout. */
function pql(
  project: string,
  args: string[],
  env: Record<string, string> = {}
): { status: number | null; stdout: string } {
  const run = spawnSync('pql', [...args, '--project', project], {
    cwd: project,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 180_000
  });
  if (run.error) {
    throw run.error;
  }
  return { status: run.status, stdout: `${run.stdout}` };
}

/** Submit an example's submission script as `pql submit` does; the new workflow's id. */
function submitExample(project: string, example: string, env: Record<string, string> = {}): number {
  const run = pql(project, ['submit', path.join(EXAMPLES, example, 'submit.py')], env);
  expect(run.status, run.stdout).toBe(0);
  const id = /submitted workflow (\d+)/.exec(run.stdout);
  expect(id, run.stdout).not.toBeNull();
  return Number(id![1]);
}

/** Wait until a workflow stops changing (succeeded, or stopped with discarded/skipped entries). */
function waitFor(project: string, workflowId: number, seconds = 150): void {
  const run = pql(project, ['wait', String(workflowId), '--timeout', String(seconds)]);
  expect(
    run.status === 0 || run.status === 1,
    `pql wait ${workflowId}: exit ${run.status}\n${run.stdout}`
  ).toBeTruthy();
}

/** Notifications come and go: keep them out of the pictures. */
async function hideToasts(page: IJupyterLabPageFixture): Promise<void> {
  await page.addStyleTag({ content: '.Toastify { display: none !important; }' });
}

/** Write one picture of the guide; only that it was written, and is not a blank, is checked. */
async function capture(target: IJupyterLabPageFixture | Locator, name: string): Promise<void> {
  fs.mkdirSync(IMAGES, { recursive: true });
  const file = path.join(IMAGES, name);
  await target.screenshot({ path: file, animations: 'disabled' });
  expect(fs.existsSync(file)).toBe(true);
  expect(fs.statSync(file).size).toBeGreaterThan(10_000);
}

/** The user the kernel records as having completed a step (see perqueue_lab.complete). */
function notebookUser(): string {
  return process.env.JUPYTERHUB_USER || process.env.USER || os.userInfo().username;
}

test.describe.serial('The user guide', () => {
  test("the segmentation example's human step is completed from its labelling notebook", async ({ page, perqueue }) => {
    const project = await perqueue.projectDir();
    // A small run; the person has an hour per round, so only the notebook can answer here.
    const workflowId = submitExample(project, 'segmentation', { SIZE: '20', LABEL_TIMEOUT: '3600' });

    await page.goto();
    await hideToasts(page);
    await page.sidebar.openTab('perqueue-approvals');
    const items = page.locator(`.jp-PerQueue-approval[data-workflow-id="${workflowId}"]`);
    await expect(items).toHaveCount(1, { timeout: 90_000 });
    await expect(items.first()).toContainText('label');
    const stepId = Number(await items.first().getAttribute('data-entry-id'));
    const waiting = (await perqueue.entries(workflowId)).find(e => e.id === stepId)!;
    expect(waiting.name).toBe('label');
    expect(waiting.state).toBe('awaiting_input');
    await capture(page, 'human-steps-panel.png');

    // The copy of label.ipynb made for the step, with its inputs injected.
    await items.first().locator('.jp-PerQueue-approval-open').click();
    const panel = page.locator('.jp-NotebookPanel:visible');
    await expect(panel.locator('.jp-Cell').nth(2)).toContainText(`pq_entry_id = ${stepId}`, { timeout: 30_000 });
    const status = panel.locator('.jp-PerQueue-step-status');
    await expect(status).toHaveText(`Step #${stepId} waiting`);

    // Run every cell: the labelling view appears, the last cell sends the masks.
    await page.notebook.run();
    const board = panel.locator('.pq-label-view');
    await expect(board).toBeVisible({ timeout: 60_000 });
    await expect(board.locator('.pq-label-image').first()).toBeVisible();
    await expect(panel.locator('.jp-OutputArea-output', { hasText: 'sent masks for images' })).toHaveCount(1, {
      timeout: 60_000
    });
    await expect(status).toHaveText(`Step #${stepId} answered`, { timeout: 30_000 });

    // The step succeeded with the person's answer, and the loop goes on with training.
    await expect
      .poll(async () => (await perqueue.entries(workflowId)).find(e => e.id === stepId)?.state, { timeout: 30_000 })
      .toBe('succeeded');
    const answered = (await perqueue.entries(workflowId)).find(e => e.id === stepId)!;
    expect(answered.completedBy).toBe(notebookUser());
    expect(answered.completedBy).not.toBe('timeout');
    expect(answered.data?.annotator).toBe('notebook');
    expect(Object.keys((answered.data?.labels as Record<string, unknown>) ?? {}).length).toBeGreaterThan(0);
    await expect
      .poll(
        async () =>
          (await perqueue.entries(workflowId)).find(
            e =>
              e.name === 'train' && e.id > stepId && JSON.stringify(e.iteration) === JSON.stringify(waiting.iteration)
          )?.state,
        { timeout: 60_000 }
      )
      .toMatch(/^(running|succeeded)$/);

    // The labelling view, for the guide.
    await board.evaluate(node => node.scrollIntoView({ block: 'start' }));
    await page.waitForTimeout(500);
    await capture(page, 'label-notebook.png');
  });

  test('the workflows panel, graphs and entry details of the examples', async ({ page, perqueue }) => {
    const project = await perqueue.projectDir();
    const quickstart = submitExample(project, 'quickstart');
    const screening = submitExample(project, 'screening', { SIZE: '20' });
    waitFor(project, quickstart);
    waitFor(project, screening);

    await page.goto();
    await hideToasts(page);
    await page.sidebar.openTab('perqueue-workflows');
    for (const id of [quickstart, screening]) {
      const item = page.locator(`.jp-PerQueue-workflow[data-workflow-id="${id}"]`);
      await expect(item.locator('.jp-PerQueue-progress')).toBeVisible({ timeout: 30_000 });
    }
    await expect(
      page.locator(`.jp-PerQueue-workflow[data-workflow-id="${screening}"] .jp-PerQueue-workflow-name`)
    ).toHaveText('screening-20');
    await capture(page, 'workflows-sidebar.png');

    // The quick-start workflow's graph, finished.
    await page.locator(`.jp-PerQueue-workflow[data-workflow-id="${quickstart}"]`).click();
    const quick = page.locator(`.jp-PerQueue-graph[data-workflow-id="${quickstart}"]`);
    await expect(quick.locator('.jp-PerQueue-graph-canvas')).toHaveAttribute('data-layout-runs', /[1-9]/, {
      timeout: 30_000
    });
    const count = (await perqueue.entries(quickstart)).length;
    await expect(quick).toHaveAttribute('data-entry-count', String(count));
    await page.locator('.jp-ToolbarButtonComponent:visible', { hasText: 'Fit' }).first().click();
    await page.waitForTimeout(500);
    await capture(page, 'graph-panel.png');

    // The screening example with its width groups collapsed.
    await page.locator(`.jp-PerQueue-workflow[data-workflow-id="${screening}"]`).click();
    const screen = page.locator(`.jp-PerQueue-graph[data-workflow-id="${screening}"]:visible`);
    await expect(screen.locator('.jp-PerQueue-graph-canvas')).toHaveAttribute('data-layout-runs', /[1-9]/, {
      timeout: 30_000
    });
    await page.locator('.jp-ToolbarButtonComponent:visible', { hasText: 'Collapse groups' }).first().click();
    await page.waitForTimeout(1000);
    await page.locator('.jp-ToolbarButtonComponent:visible', { hasText: 'Fit' }).first().click();
    await page.waitForTimeout(500);
    await capture(page, 'graph-collapsed.png');

    // The details of a discarded neb.py entry.
    await page.locator('.jp-ToolbarButtonComponent:visible', { hasText: 'Expand groups' }).first().click();
    const neb = (await perqueue.entries(screening)).find(e => e.name === 'neb.py' && e.state === 'discarded');
    expect(neb, 'a discarded neb.py entry in the screening example').toBeDefined();
    await page.evaluate(args => (window as any).jupyterapp.commands.execute('perqueue:show-entry', args), {
      workflowId: screening,
      entryId: neb!.id
    });
    const details = screen.locator('.jp-PerQueue-details');
    await expect(details.locator('.jp-PerQueue-details-title')).toContainText('neb', { timeout: 30_000 });
    await expect(details).toContainText('Inputs');
    await page.waitForTimeout(500);
    await capture(page, 'entry-details.png');
  });

  test('the live graph below the cell of active_learning.ipynb', async ({ page, tmpPath, perqueue }) => {
    const project = await perqueue.projectDir();
    // The example's own notebook, next to a stand-in for its submit.py that loads the real one.
    const source = fs.readFileSync(path.join(EXAMPLES, 'active_learning', 'active_learning.ipynb'), 'utf8');
    await page.contents.uploadContent(source, 'text', `${tmpPath}/active_learning.ipynb`);
    await page.contents.uploadContent(
      [
        'import importlib.util',
        '',
        `_spec = importlib.util.spec_from_file_location("_active_learning_submit", ${JSON.stringify(
          path.join(EXAMPLES, 'active_learning', 'submit.py')
        )})`,
        '_module = importlib.util.module_from_spec(_spec)',
        '_spec.loader.exec_module(_module)',
        'build = _module.build',
        ''
      ].join('\n'),
      'text',
      `${tmpPath}/submit.py`
    );
    const cells = JSON.parse(source).cells as { cell_type: string; source: string[] | string }[];
    const text = (c: { source: string[] | string }) => (Array.isArray(c.source) ? c.source.join('') : c.source);
    const submitCell = cells.findIndex(c => c.cell_type === 'code' && text(c).includes('.submit('));
    expect(submitCell).toBeGreaterThan(0);

    await page.goto(`tree/${tmpPath}`);
    await hideToasts(page);
    await page.notebook.openByPath(`${tmpPath}/active_learning.ipynb`);
    await page.notebook.activate('active_learning.ipynb');
    for (let i = 0; i <= submitCell; i++) {
      if (cells[i].cell_type === 'code') {
        await page.notebook.runCell(i);
      }
    }
    const widget = page.locator('.jp-PerQueue-widget').first();
    await expect(widget).toBeVisible({ timeout: 60_000 });
    await expect(widget.locator('.jp-PerQueue-widget-title')).toContainText('active-learning');
    await expect(widget.locator('canvas').first()).toBeVisible();
    const workflowId = Number(await widget.getAttribute('data-workflow-id'));
    expect(workflowId).toBeGreaterThan(0);
    await expect(widget).toHaveAttribute('data-states', /succeeded/, { timeout: 60_000 });
    await widget.scrollIntoViewIfNeeded();
    await page.waitForTimeout(1000);
    await capture(page, 'notebook-widget.png');
    pql(project, ['cancel', '-w', String(workflowId)]);
  });

  test('the form of a human step, with an error shown under its field', async ({ page, perqueue }) => {
    const review = {
      kind: 'manual',
      name: 'review',
      args: {},
      onReject: 'fail',
      default: { quality: 3 },
      form: {
        type: 'object',
        title: 'Review of the structure',
        description: 'Look at the relaxed structure before it goes to the expensive step.',
        required: ['quality'],
        properties: {
          quality: {
            type: 'integer',
            title: 'Quality',
            description: '1 (unusable) to 5 (perfect)',
            minimum: 1,
            maximum: 5
          },
          comment: { type: 'string', title: 'Comment' },
          rerun: { type: 'boolean', title: 'Relax it again with tighter settings' }
        }
      }
    };
    const root = { kind: 'workflow', name: 'review', nodes: [{ id: 'review', node: review, parents: [] }] };
    const workflowId = await perqueue.submit('review', root);

    await page.goto();
    await hideToasts(page);
    await page.sidebar.openTab('perqueue-approvals');
    const item = page.locator(`.jp-PerQueue-approval[data-workflow-id="${workflowId}"]`);
    await expect(item).toHaveCount(1, { timeout: 30_000 });
    const stepId = Number(await item.getAttribute('data-entry-id'));
    await item.locator('.jp-PerQueue-approval-approve').click();
    const dialog = page.locator('.jp-Dialog');
    const quality = dialog.locator(`#pq-form-${stepId}_quality`);
    await expect(quality).toHaveValue('3');
    await quality.fill('7');
    await dialog.locator(`#pq-form-${stepId}_comment`).fill('Two atoms too close at the surface.');
    await expect(dialog.locator('.validationErrors li')).toHaveText(['must be at most 5, got 7']);
    await page.waitForTimeout(300);
    await capture(page, 'approve-form.png');

    await quality.fill('2');
    await dialog.getByRole('button', { name: 'Approve', exact: true }).click();
    await expect(dialog).toHaveCount(0);
    await expect
      .poll(async () => (await perqueue.entries(workflowId)).find(e => e.id === stepId)?.data, { timeout: 30_000 })
      .toEqual({ quality: 2, comment: 'Two atoms too close at the surface.' });
  });

  test('the Workflow Builder with a small workflow and a group', async ({ page }) => {
    const fixture = fs.readFileSync(path.join(ROOT, 'tests', 'fixtures', 'specs', 'manual_in_cycle.json'), 'utf8');
    await page.goto();
    await hideToasts(page);
    await page.contents.uploadContent(fixture, 'text', 'guide/annotation.pqwf.json');
    await page.filebrowser.open('guide/annotation.pqwf.json');
    const canvas = page.locator('.jp-PerQueue-builder-canvas');
    await expect(canvas).toBeVisible();
    await expect(canvas).toHaveAttribute('data-item-count', /[1-9]/);
    await page.evaluate(() => (window as any).jupyterapp.shell.currentWidget.content.relayout());
    await page.waitForTimeout(1000);
    await capture(page, 'builder.png');
  });
});
