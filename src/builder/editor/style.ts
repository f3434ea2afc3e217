// The builder canvas's cytoscape stylesheet: tasks as boxes, groups as frames with a colour per
// kind, manual steps dashed, invalid items red. Read again when the theme changes.
import type cytoscape from 'cytoscape';

/** The canvas's stylesheet: colours come from the theme's CSS variables of `host`. */
export function builderStyle(host: HTMLElement): cytoscape.StylesheetJson {
  const style = getComputedStyle(host);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const c = {
    text: read('--jp-ui-font-color1', '#222'),
    muted: read('--jp-ui-font-color2', '#666'),
    edge: read('--jp-border-color1', '#999'),
    box: read('--jp-layout-color2', '#eee'),
    leaf: read('--jp-layout-color0', '#fff'),
    selected: read('--jp-brand-color1', '#1976d2'),
    error: read('--jp-error-color1', '#d32f2f'),
    swg: read('--jp-brand-color2', '#64b5f6'),
    dwg: read('--jp-accent-color2', '#81c784'),
    cg: read('--jp-warn-color2', '#ffb74d'),
    sg: read('--jp-accent-color1', '#388e3c'),
    manual: read('--jp-warn-color1', '#f57c00')
  };
  return [
    {
      selector: 'node',
      style: {
        label: 'data(label)',
        color: c.text,
        'font-size': 11,
        'text-valign': 'center',
        'text-halign': 'center',
        'text-wrap': 'ellipsis',
        'text-max-width': '150px',
        shape: 'round-rectangle',
        width: (n: cytoscape.NodeSingular) =>
          Math.min(160, Math.max(70, String(n.data('label') ?? '').length * 6.5 + 20)),
        height: 30,
        'background-color': c.leaf,
        'border-width': 1.5,
        'border-color': c.edge
      }
    },
    { selector: 'node.manual', style: { 'border-style': 'dashed', 'border-color': c.manual } },
    {
      selector: 'node.compound',
      style: {
        'text-valign': 'top',
        'text-halign': 'center',
        'text-margin-y': -4,
        color: c.muted,
        'background-color': c.box,
        'background-opacity': 0.35,
        'border-style': 'dashed',
        padding: '14px'
      }
    },
    { selector: 'node.static_width', style: { 'border-color': c.swg, 'border-width': 2 } },
    { selector: 'node.dynamic_width', style: { 'border-color': c.dwg, 'border-width': 2 } },
    { selector: 'node.cyclical', style: { 'border-color': c.cg, 'border-style': 'double', 'border-width': 4 } },
    { selector: 'node.switch', style: { 'border-color': c.sg, 'border-width': 2 } },
    { selector: 'node.branch', style: { 'border-style': 'dotted' } },
    { selector: 'node.invalid', style: { 'border-color': c.error, 'border-width': 3, 'border-style': 'solid' } },
    { selector: 'node:selected', style: { 'border-color': c.selected, 'border-width': 3, 'border-style': 'solid' } },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'line-color': c.edge,
        'target-arrow-color': c.edge,
        'target-arrow-shape': 'triangle',
        'curve-style': 'bezier'
      }
    },
    { selector: 'edge:selected', style: { 'line-color': c.selected, 'target-arrow-color': c.selected, width: 3 } }
  ] as unknown as cytoscape.StylesheetJson;
}
