// The graph's settings as the model plugin's settings hold them, with the defaults for what is
// missing (or for everything when there is no settings registry).
import type { ISettingRegistry } from '@jupyterlab/settingregistry';

import { DEFAULT_GRAPH_SETTINGS, type IGraphSettings } from './view';

export function graphSettings(settings: ISettingRegistry.ISettings | null): IGraphSettings {
  const get = <T>(key: string, fallback: T): T => (settings?.get(key).composite as T | undefined) ?? fallback;
  return {
    collapseWidthAbove: get('collapseWidthAbove', DEFAULT_GRAPH_SETTINGS.collapseWidthAbove),
    layoutDirection: get('layoutDirection', DEFAULT_GRAPH_SETTINGS.layoutDirection),
    logTail: get('logTail', DEFAULT_GRAPH_SETTINGS.logTail)
  };
}
