// The builder's editor widget: the canvas (editor.ts), the properties pane and the canvas style.
export { DEFAULT_BUILDER_SETTINGS, type IBuilderSettings, WorkflowBuilder } from './editor';
