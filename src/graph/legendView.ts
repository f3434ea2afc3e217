// The legend of a graph view: a toggle in the canvas corner that lists each state family with its
// glyph and border, and the colour of each of its states (which follows the theme).
import { FAMILY_LOOK, glyphSvg, STATE_FAMILIES, stateColorVar, statesOf } from './legend';
import { el } from '../ui';

export class GraphLegend {
  readonly node: HTMLElement;

  constructor() {
    this.node = el('div', 'jp-PerQueue-legend-box');
    this._toggle = el('button', 'jp-PerQueue-legend-toggle jp-mod-styled', 'Legend');
    this._toggle.type = 'button';
    this._toggle.title = 'Show what the shapes and colours of the graph mean';
    this._toggle.setAttribute('aria-expanded', 'false');
    this._list = el('dl', 'jp-PerQueue-legend');
    this._list.hidden = true;
    this._list.setAttribute('aria-label', 'Graph legend');
    for (const family of STATE_FAMILIES) {
      const look = FAMILY_LOOK[family];
      const term = el('dt', 'jp-PerQueue-legend-family');
      term.dataset.family = family;
      const glyph = el('span', `jp-PerQueue-legend-glyph jp-mod-border-${look.border}`);
      glyph.title = look.glyphName;
      // Our own constant SVG, nothing from the workflow: safe as markup.
      glyph.innerHTML = glyphSvg(family, 'currentColor');
      term.append(glyph, el('span', '', look.label));
      const states = el('dd', 'jp-PerQueue-legend-states');
      for (const state of statesOf(family)) {
        const item = el('span', 'jp-PerQueue-legend-state');
        item.dataset.state = state;
        const swatch = el('span', 'jp-PerQueue-legend-swatch');
        swatch.style.background = `var(${stateColorVar(state)})`;
        item.append(swatch, el('span', '', state.replace(/_/g, ' ')));
        states.appendChild(item);
      }
      this._list.append(term, states);
    }
    this._toggle.addEventListener('click', () => (this.shown = !this.shown));
    this.node.append(this._toggle, this._list);
  }

  get shown(): boolean {
    return !this._list.hidden;
  }

  set shown(value: boolean) {
    this._list.hidden = !value;
    this._toggle.setAttribute('aria-expanded', String(value));
  }

  private readonly _toggle: HTMLButtonElement;
  private readonly _list: HTMLElement;
}
