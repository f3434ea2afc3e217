// The workflow-definition builder: its document, dialogs and the editor (canvas, properties, style).
export { builderPlugin } from './plugin';
