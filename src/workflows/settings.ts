// The settings of the model plugin (schema/plugin.json), which every PerQueue view reads, loaded
// with a warning when the registry refuses; and the project shown, remembered in the browser
// between page loads.
import type { ISettingRegistry } from '@jupyterlab/settingregistry';

/** The model plugin's id, which is also the id of the settings every PerQueue view reads. */
export const PLUGIN_ID = 'perqueue-lab:plugin';
/** Where the project shown is remembered between page loads (absent: the server's own). */
const PROJECT_KEY = 'perqueue-lab:project';

export function savedProject(): string | null {
  try {
    return window.localStorage.getItem(PROJECT_KEY);
  } catch {
    return null;
  }
}

export function saveProject(project: string | null): void {
  try {
    if (project === null) {
      window.localStorage.removeItem(PROJECT_KEY);
    } else {
      window.localStorage.setItem(PROJECT_KEY, project);
    }
  } catch {
    // storage refused (private mode): the choice lasts until the page reloads
  }
}

export async function loadSettings(registry: ISettingRegistry | null): Promise<ISettingRegistry.ISettings | null> {
  if (!registry) {
    return null;
  }
  try {
    return await registry.load(PLUGIN_ID);
  } catch (error) {
    console.warn('PerQueue Lab: settings could not be loaded, using defaults.', error);
    return null;
  }
}
