// The UI tests' helper for the real bridge, reached through the Jupyter server extension's proxy:
// submitting workflows, reading their entries and the project folder. Tests get it as the
// `perqueue` fixture of the `test` exported here (galata's test, extended).
import { expect, test as base, type IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { APIRequestContext, Page } from '@playwright/test';

export { expect };

export interface IEntry {
  id: number;
  workflowId: number;
  kind: string;
  name: string;
  state: string;
  iteration: number[];
  data: Record<string, unknown> | null;
  completedBy?: string | null;
}

export interface IVersions {
  apiVersion: number;
  projectDir: string;
  [other: string]: unknown;
}

export class PerQueueHelper {
  constructor(readonly request: APIRequestContext) {}

  /** The bridge's versions and the project folder of the test server's bridge. */
  async version(): Promise<IVersions> {
    const response = await this.request.get('/perqueue/api/version');
    expect(response.ok(), await response.text()).toBeTruthy();
    return response.json();
  }

  async projectDir(): Promise<string> {
    return (await this.version()).projectDir;
  }

  /** Submits a workflow document (`{specVersion, name, root}`); its id. `project`: another project's name. */
  async submitSpec(spec: unknown, project: string | null = null): Promise<number> {
    const query = project === null ? '' : `?project=${encodeURIComponent(project)}`;
    const response = await this.request.post(`/perqueue/api/workflows${query}`, { data: { spec } });
    expect(response.ok(), await response.text()).toBeTruthy();
    return (await response.json()).workflowId;
  }

  /** Submits `root` as the workflow `name`; its id. */
  submit(name: string, root: unknown, project: string | null = null): Promise<number> {
    return this.submitSpec({ specVersion: 1, name, root }, project);
  }

  async entries(workflowId: number): Promise<IEntry[]> {
    const response = await this.request.get(`/perqueue/api/entries?workflow=${workflowId}`);
    expect(response.ok(), await response.text()).toBeTruthy();
    return response.json();
  }

  async entry(workflowId: number, entryId: number): Promise<IEntry | undefined> {
    return (await this.entries(workflowId)).find(e => e.id === entryId);
  }

  /** The HTTP status of GET /workflows/<id> (404 once removed). */
  async workflowStatus(workflowId: number): Promise<number> {
    return (await this.request.get(`/perqueue/api/workflows/${workflowId}`)).status();
  }

  async workflow(workflowId: number): Promise<{ nodes: Array<{ id: number; name: string; state: string }> }> {
    const response = await this.request.get(`/perqueue/api/workflows/${workflowId}`);
    expect(response.ok(), await response.text()).toBeTruthy();
    return response.json();
  }

  async cancelWorkflow(workflowId: number): Promise<void> {
    const response = await this.request.post(`/perqueue/api/workflows/${workflowId}/cancel`, { data: {} });
    expect(response.ok(), await response.text()).toBeTruthy();
  }
}

/** A task node running `code` (an absolute path), as `submit` takes it. */
export function taskNode(name: string, code: string, args: Record<string, unknown> = {}, resources = '1:local:1m') {
  return { kind: 'task', name, code, args, resources };
}

/**
 * Python lines for a task's `main` that wait until the file `gate` exists beside the script:
 * the test creates it when it has seen what it waits for.
 */
export function pyAwaitGate(gate: string): string {
  return (
    `    gate = os.path.join(os.path.dirname(os.path.abspath(__file__)), ${JSON.stringify(gate)})\n` +
    '    while not os.path.exists(gate):\n' +
    '        time.sleep(0.05)\n'
  );
}

/** Writes text files into the test's folder; that folder as the bridge sees it (inside the project). */
export async function filesInTestFolder(
  page: IJupyterLabPageFixture,
  perqueue: PerQueueHelper,
  tmpPath: string,
  files: Record<string, string>
): Promise<string> {
  const project = await perqueue.projectDir();
  for (const [name, text] of Object.entries(files))
    await page.contents.uploadContent(text, 'text', `${tmpPath}/${name}`);
  return `${project}/${tmpPath}`;
}

/** Opens the test's folder and a new notebook `name` in it, its first cell the code `lines`. */
export async function newNotebookWithCell(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  name: string,
  lines: string[]
): Promise<void> {
  await page.goto(`tree/${tmpPath}`);
  await page.notebook.createNew(name);
  await page.notebook.setCell(0, 'code', lines.join('\n'));
}

export const test = base.extend<{ perqueue: PerQueueHelper }>({
  perqueue: async ({ request }, use) => {
    await use(new PerQueueHelper(request));
  }
});

/**
 * Where the graph panel of `workflowId` draws the node labelled `label`, in page coordinates
 * (cytoscape draws on a canvas: clicks go to positions, not elements).
 */
export async function graphNodePoint(page: Page, workflowId: number, label: string): Promise<{ x: number; y: number }> {
  const canvas = page.locator(`.jp-PerQueue-graph[data-workflow-id="${workflowId}"] .jp-PerQueue-graph-canvas`);
  await expect(canvas).toHaveAttribute('data-layout-runs', /[1-9]/);
  const at = await page.evaluate(
    ([id, name]) => {
      const widget = (window as any).jupyterapp.shell.currentWidget;
      const graph = widget.content;
      if (graph.workflowId !== id) {
        throw new Error(`the current panel shows workflow ${graph.workflowId}`);
      }
      const node = graph.cytoscape.nodes().filter((n: any) => n.data('label') === name)[0];
      if (!node) {
        throw new Error(`no node labelled ${name}`);
      }
      const p = node.renderedPosition();
      return { x: p.x, y: p.y };
    },
    [workflowId, label] as const
  );
  const box = await canvas.boundingBox();
  expect(box).not.toBeNull();
  return { x: box!.x + at.x, y: box!.y + at.y };
}
