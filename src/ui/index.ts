// Shared DOM helpers and the theme hook every view uses.
export { button, clear, el, formatJson, formatTime } from './dom';
export { onThemeChange } from './theme';
