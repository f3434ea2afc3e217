// The timeline of a workflow, through the real bridge: a 10,000-entry workflow of trivial shell
// tasks is drawn on the canvas, a hover names the entry under the pointer, the wheel on the time
// axis zooms; a small workflow opened from the palette follows its entries live.
import type { Page } from '@playwright/test';
import { expect, filesInTestFolder, newNotebookWithCell, pyAwaitGate, taskNode, test } from './helpers/perqueue';

test.use({ autoGoto: false, viewport: { width: 1280, height: 800 } });

const timeline = (page: Page, workflowId: number) =>
  page.locator(`.jp-PerQueue-timeline[data-workflow-id="${workflowId}"]`);

/** Moves the pointer along a lane of the canvas until the tooltip names an entry; that entry's id. */
async function hoverALane(page: Page, workflowId: number, laneY: number): Promise<string> {
  const canvas = timeline(page, workflowId).locator('canvas');
  const box = await canvas.boundingBox();
  expect(box).not.toBeNull();
  const tooltip = timeline(page, workflowId).locator('.jp-PerQueue-timeline-tooltip');
  for (let x = box!.x + 185; x < box!.x + box!.width; x += 4) {
    await page.mouse.move(x, box!.y + laneY);
    if (await tooltip.isVisible()) {
      return (await tooltip.getAttribute('data-entry-id')) ?? '';
    }
  }
  throw new Error('no bar under the pointer along the lane');
}

/** Pixels of the canvas that are not the background: bars and labels were drawn. */
async function paintedPixels(page: Page, workflowId: number): Promise<number> {
  return page.evaluate(id => {
    const canvas = document.querySelector(
      `.jp-PerQueue-timeline[data-workflow-id="${id}"] canvas`
    ) as HTMLCanvasElement;
    const ctx = canvas.getContext('2d')!;
    // The plot area only (right of the labels, below the axis).
    const ratio = window.devicePixelRatio || 1;
    const data = ctx.getImageData(200 * ratio, 30 * ratio, canvas.width - 200 * ratio, canvas.height - 30 * ratio).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) {
      if (data[i] > 0) {
        painted += 1;
      }
    }
    return painted;
  }, workflowId);
}

test('the timeline of a 10,000-entry workflow is drawn, and a hover names the entry', async ({ page, perqueue }) => {
  test.setTimeout(600_000);
  // The system's `true` as the task: any executable is a task, and this one costs nothing.
  const noop = { code: '/bin/true', args: {}, resources: '1:local:1m' };
  const workflowId = await perqueue.submit('ten-thousand', {
    kind: 'workflow',
    nodes: [
      { id: 'prep', node: { kind: 'task', name: 'prep', ...noop }, parents: [] },
      {
        id: 'fan',
        node: { kind: 'static_width', name: 'fan', width: 9999, body: { kind: 'task', name: 'noop', ...noop } },
        parents: ['prep']
      }
    ]
  });
  // Waits on the bridge's counts, not on time: the trivial tasks finish when the cores allow.
  await expect
    .poll(
      async () => {
        const response = await page.request.get('/perqueue/api/workflows');
        const summary = ((await response.json()) as { id: number; counts: Record<string, number> }[]).find(
          w => w.id === workflowId
        );
        return summary?.counts.succeeded ?? 0;
      },
      { timeout: 500_000, intervals: [2000] }
    )
    .toBe(10_000);

  await page.goto();
  await page.evaluate(
    id => (window as any).jupyterapp.commands.execute('perqueue:show-timeline', { workflowId: id }),
    workflowId
  );
  const view = timeline(page, workflowId);
  await expect(view).toHaveAttribute('data-entry-count', '10000');
  await expect(view).toHaveAttribute('data-row-count', '2');
  await expect(view).toHaveAttribute('data-states', 'succeeded:10000');
  await expect(view).toHaveAttribute('data-drawn-bars', /^[1-9]\d*$/);
  await expect(view.locator('.jp-PerQueue-timeline-summary')).toContainText('10,000 entries in 2 rows');
  // Only the lanes on screen are drawn: far fewer than 10,000.
  await expect.poll(async () => Number(await view.getAttribute('data-drawn-bars'))).toBeLessThan(1000);
  expect(await paintedPixels(page, workflowId)).toBeGreaterThan(500);

  // The first lane is 'prep'; a lane further down is an entry of the fan.
  const first = await hoverALane(page, workflowId, 24 + 2);
  const tooltip = view.locator('.jp-PerQueue-timeline-tooltip');
  await expect(tooltip).toContainText(`prep #${first}: succeeded`);
  await expect(tooltip).toContainText(/ran \d/);
  await expect(tooltip).toContainText(/job /);
  await hoverALane(page, workflowId, 24 + 4 * 30 + 2);
  await expect(tooltip).toContainText(/noop \[\d+\] #\d+: succeeded/);

  // The wheel on the time axis zooms in around the pointer.
  const span = Number(await view.getAttribute('data-span-ms'));
  const box = (await view.locator('canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 10);
  await page.mouse.wheel(0, -600);
  await expect.poll(async () => Number(await view.getAttribute('data-span-ms'))).toBeLessThan(span / 2);
  // Scrolling the lanes shows later entries of the fan, drawn as they come into view.
  await view.locator('.jp-PerQueue-timeline-scroller').evaluate(node => (node.scrollTop = 20_000));
  await expect.poll(() => paintedPixels(page, workflowId)).toBeGreaterThan(100);
  await page.locator('.jp-PerQueue-timeline-fit').click();
  await expect.poll(async () => Number(await view.getAttribute('data-span-ms'))).toBe(span);
});

test('Show Workflow Timeline from the palette follows a running workflow live', async ({ page, tmpPath, perqueue }) => {
  test.setTimeout(180_000);
  const folder = await filesInTestFolder(page, perqueue, tmpPath, {
    'gate.py': 'import os, time\ndef main(**kwargs):\n' + pyAwaitGate('go') + '    return True, {}\n',
    'after.py': 'def main(**kwargs):\n    return True, {}\n'
  });
  const task = (name: string) => taskNode(name, `${folder}/${name}.py`);
  const workflowId = await perqueue.submit('live-timeline', {
    kind: 'workflow',
    nodes: [
      { id: 'gate', node: task('gate'), parents: [] },
      { id: 'after', node: task('after'), parents: ['gate'] }
    ]
  });
  await expect
    .poll(async () => (await perqueue.entries(workflowId)).map(e => e.state).sort(), { timeout: 60_000 })
    .toEqual(['running', 'waiting']);

  await page.goto();
  await page.keyboard.press('Control+Shift+C');
  await page.locator('.lm-CommandPalette-input').fill('Show Workflow Timeline');
  await page.locator('.lm-CommandPalette-item', { hasText: 'Show Workflow Timeline' }).first().click();
  await page.locator('.jp-Dialog select').selectOption({ label: `#${workflowId} live-timeline` });
  await page.locator('.jp-Dialog .jp-mod-accept').click();
  const view = timeline(page, workflowId);
  await expect(view).toHaveAttribute('data-states', 'running:1 waiting:1');
  await expect(view.locator('.jp-PerQueue-timeline-summary')).toContainText('1 queued or running');
  const gate = await hoverALane(page, workflowId, 24 + 9);
  await expect(view.locator('.jp-PerQueue-timeline-tooltip')).toContainText(`gate #${gate}: running`);
  // A running bar grows with the clock, repainted without any event.
  const painted = Number(await view.getAttribute('data-painted'));
  await expect
    .poll(async () => Number(await view.getAttribute('data-painted')), { timeout: 10_000 })
    .toBeGreaterThan(painted);

  // The gate opens: both entries end, and the timeline shows it without being reopened.
  await page.contents.uploadContent('', 'text', `${tmpPath}/go`);
  await expect(view).toHaveAttribute('data-states', 'succeeded:2', { timeout: 60_000 });
  await page.mouse.move(0, 0);
  const after = await hoverALane(page, workflowId, 24 + 18 + 9);
  await expect(view.locator('.jp-PerQueue-timeline-tooltip')).toContainText(`after #${after}: succeeded`);

  // The graph panel's toolbar opens the same timeline (brought to the front, not a second one).
  await page.evaluate(
    id => (window as any).jupyterapp.commands.execute('perqueue:open-workflow', { workflowId: id }),
    workflowId
  );
  await page.locator(`#perqueue-workflow-${workflowId} .jp-Toolbar-item`, { hasText: 'Timeline' }).click();
  await expect(view).toBeVisible();
  await expect(page.locator(`.jp-PerQueue-timeline[data-workflow-id="${workflowId}"]`)).toHaveCount(1);

  // The Workflows sidebar's context menu has it too.
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('perqueue:open-sidebar'));
  await page
    .locator(`.jp-PerQueue-sidebar .jp-PerQueue-workflow[data-workflow-id="${workflowId}"]`)
    .first()
    .click({ button: 'right' });
  await expect(page.locator('.lm-Menu .lm-Menu-item', { hasText: 'Show Timeline' })).toBeVisible();
});

test("the notebook widget's Timeline button opens the workflow's timeline", async ({ page, tmpPath }) => {
  test.setTimeout(180_000);
  await page.contents.uploadContent('def main(**kwargs):\n    return True, {}\n', 'text', `${tmpPath}/quick.py`);
  await newNotebookWithCell(page, tmpPath, 'timeline.ipynb', [
    'from perqueue_lab import connect, Task, Workflow',
    'h = connect().submit(Workflow([Task("quick.py", {}, "1:local:1m"), Task("quick.py", name="second")]), name="from-the-widget")',
    'h'
  ]);
  await page.notebook.runCell(0);
  const widget = page.locator('.jp-PerQueue-widget').first();
  await expect(widget).toHaveAttribute('data-states', 'succeeded:2', { timeout: 60_000 });
  const workflowId = Number(await widget.getAttribute('data-workflow-id'));
  await widget.locator('.jp-PerQueue-widget-timeline').click();
  const view = timeline(page, workflowId);
  await expect(view).toBeVisible();
  await expect(view).toHaveAttribute('data-states', 'succeeded:2');
  await expect(view).toHaveAttribute('data-drawn-bars', '2');
});
