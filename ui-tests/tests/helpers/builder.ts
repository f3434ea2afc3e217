// The UI tests' page object for the workflow builder: its toolbar, the file dialog that picks
// scripts, the canvas (cytoscape draws on a canvas, so items are reached through the builder's
// public API and clicked at their drawn positions), the properties pane and the saved file.
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { APIRequestContext, Locator } from '@playwright/test';

export class BuilderPage {
  constructor(
    readonly page: IJupyterLabPageFixture,
    readonly request: APIRequestContext
  ) {}

  get canvas(): Locator {
    return this.page.locator('.jp-PerQueue-builder-canvas').first();
  }

  get problems(): Locator {
    return this.page.locator('.jp-PerQueue-builder-problems');
  }

  get dialog(): Locator {
    return this.page.locator('.jp-Dialog');
  }

  /** Opens a definition file in the builder. */
  async open(path: string): Promise<void> {
    await this.page.evaluate(
      p =>
        (window as any).jupyterapp.commands.execute('docmanager:open', {
          path: p,
          factory: 'PerQueue Workflow Builder'
        }),
      path
    );
    await expect(this.page.locator('.jp-PerQueue-builder')).toBeVisible();
    await expect(this.problems).toContainText('Problems');
  }

  async clickTool(label: string): Promise<void> {
    await this.page.locator('.jp-PerQueue-builder-widget .jp-Toolbar-item').getByText(label, { exact: true }).click();
  }

  /**
   * In the open file dialog, goes to the server root and picks `path` (as the file browser names
   * it), folder by folder.
   */
  async pickInFileDialog(path: string): Promise<void> {
    const dialog = this.dialog.locator('.jp-Open-Dialog');
    await expect(dialog).toBeVisible();
    await dialog.locator('.jp-BreadCrumbs-home').click();
    const parts = path.split('/');
    for (const folder of parts.slice(0, -1)) {
      await this.listed(folder).dblclick();
    }
    await this.listed(parts[parts.length - 1]).click();
    await this.dialog.getByRole('button', { name: 'Select' }).click();
    await expect(this.dialog).toHaveCount(0);
  }

  /** The file dialog's entry named `name`. */
  listed(name: string): Locator {
    return this.dialog.locator('.jp-DirListing-item', {
      has: this.page.locator('.jp-DirListing-itemText', {
        hasText: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)
      })
    });
  }

  /** Adds a task running `script` (a path from the server root) and names it. */
  async addTask(script: string, name?: string): Promise<void> {
    const before = Number((await this.canvas.getAttribute('data-item-count')) ?? 0);
    await this.clickTool('Add task');
    await this.pickInFileDialog(script);
    await expect(this.canvas).toHaveAttribute('data-item-count', String(before + 1));
    if (name) {
      await this.setField('name', name);
    }
  }

  async setField(field: string, value: string): Promise<void> {
    const input = this.page.locator(`.jp-PerQueue-builder-properties [data-field="${field}"]`);
    await input.fill(value);
    await input.press('Tab');
  }

  async selection(): Promise<string[]> {
    return this.page.evaluate(() => [...(window as any).jupyterapp.shell.currentWidget.content.selection]);
  }

  async select(paths: string[]): Promise<void> {
    await this.page.evaluate(p => (window as any).jupyterapp.shell.currentWidget.content.select(p), paths);
  }

  /** Where an item is drawn on the canvas, in canvas pixels. */
  async renderedPosition(itemPath: string): Promise<{ x: number; y: number }> {
    return this.page.evaluate(p => {
      const node = (window as any).jupyterapp.shell.currentWidget.content.cytoscape.getElementById(p);
      if (node.empty()) {
        throw new Error(`no item ${p}`);
      }
      return node.renderedPosition();
    }, itemPath);
  }

  /** Where every task and step sits in the drawing (model coordinates, independent of zoom and pan). */
  async positions(): Promise<Record<string, { x: number; y: number }>> {
    return this.page.evaluate(() => {
      const out: Record<string, { x: number; y: number }> = {};
      (window as any).jupyterapp.shell.currentWidget.content.cytoscape.nodes().forEach((n: any) => {
        if (n.isChildless()) {
          out[n.id()] = { ...n.position() };
        }
      });
      return out;
    });
  }

  /** Where every task and step sits, by its label (a task's name), for edits that change paths. */
  async positionsByLabel(): Promise<Record<string, { x: number; y: number }>> {
    return this.page.evaluate(() => {
      const out: Record<string, { x: number; y: number }> = {};
      (window as any).jupyterapp.shell.currentWidget.content.cytoscape.nodes().forEach((n: any) => {
        if (n.isChildless()) {
          out[n.data('label')] = { ...n.position() };
        }
      });
      return out;
    });
  }

  async clickItem(itemPath: string): Promise<void> {
    const box = (await this.canvas.boundingBox())!;
    const at = await this.renderedPosition(itemPath);
    await this.page.mouse.click(box.x + at.x, box.y + at.y);
  }

  /** Selects `a` then `b` by clicking them, and connects them (b runs after a). */
  async connect(a: string, b: string): Promise<void> {
    await this.select([]);
    await this.clickItem(a);
    await this.clickItem(b);
    await expect.poll(() => this.selection()).toEqual([a, b]);
    await this.clickTool('Connect');
  }

  /** Saves the document and reads it back from the server. */
  async save(path: string): Promise<any> {
    const text = await this.page.evaluate(() =>
      (window as any).jupyterapp.shell.currentWidget.context.model.toString()
    );
    await this.page.evaluate(() => (window as any).jupyterapp.commands.execute('docmanager:save'));
    await expect.poll(() => this.read(path).then(saved => JSON.stringify(saved, null, 2) + '\n')).toBe(text);
    return this.read(path);
  }

  async read(path: string): Promise<any> {
    const response = await this.request.get(`/api/contents/${path}?content=1&format=text&type=file`);
    expect(response.ok()).toBeTruthy();
    return JSON.parse((await response.json()).content);
  }

  /** Submits with the toolbar button; the new workflow's id from the notification. */
  async submit(name: string): Promise<number> {
    await this.clickTool('Submit');
    const toast = this.page
      .locator('.jp-Notification-Toast-success, .Toastify__toast--success', {
        hasText: `Submitted ${name} as workflow #`
      })
      .first();
    await expect(toast).toBeVisible();
    const id = Number(/workflow #(\d+)/.exec((await toast.textContent()) ?? '')?.[1]);
    expect(id).toBeGreaterThan(0);
    return id;
  }
}
