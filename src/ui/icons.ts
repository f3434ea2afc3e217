// The icon of PerQueue's own views (the Workflows sidebar and graph tabs): a small workflow graph,
// so the sidebar tab is not mistaken for the table of contents.
import { LabIcon } from '@jupyterlab/ui-components';

export const perqueueGraphIcon = new LabIcon({
  name: 'perqueue-lab:graph',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<circle cx="12" cy="4.5" r="3"/><circle cx="5" cy="19.5" r="3"/><circle cx="19" cy="19.5" r="3"/>' +
    '<path d="M11 7h2v3.2l5.6 6.3-1.5 1.3L12 12.1l-5.1 5.7-1.5-1.3L11 10.2z"/></g></svg>'
});
