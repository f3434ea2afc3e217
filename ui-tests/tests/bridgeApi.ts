// What the UI tests read from the real bridge, through the Jupyter server extension's proxy:
// the project folder it runs in and a workflow's entries.
import { expect } from '@jupyterlab/galata';
import type { APIRequestContext } from '@playwright/test';

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

/** The project folder of the test server's bridge. */
export async function projectDir(request: APIRequestContext): Promise<string> {
  const version = await request.get('/perqueue/api/version');
  expect(version.ok(), await version.text()).toBeTruthy();
  return (await version.json()).projectDir;
}

export async function entries(request: APIRequestContext, workflowId: number): Promise<IEntry[]> {
  const response = await request.get(`/perqueue/api/entries?workflow=${workflowId}`);
  expect(response.ok(), await response.text()).toBeTruthy();
  return response.json();
}
