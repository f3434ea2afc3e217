// Shared DOM helpers and the theme hook every view uses.
export { button, clear, el, formatJson, formatTime, sidebarHeader } from './dom';
export { onThemeChange } from './theme';
export { CONTEXT_ENTRY_SELECTOR, markContextEntry, withContextEntry } from './contextEntry';
