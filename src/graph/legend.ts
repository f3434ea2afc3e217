// What each state looks like, so that states are told apart without colour: every state belongs
// to a family (waiting, running, done, stopped, failed, awaiting a person) and each family has its
// own glyph drawn on the node, and its own border style. The legend of the graph views lists them.
import { ENTRY_STATES, type EntryState } from '../../core/states.js';

export type StateFamily = 'waiting' | 'running' | 'done' | 'stopped' | 'failed' | 'person';

interface IFamilyLook {
  label: string;
  /** What the glyph shows, for screen readers and the legend's title. */
  glyphName: string;
  /** SVG path data of the glyph in a 24 × 24 box, stroked (no fill). */
  glyph: string;
  /** Border of the node: a second cue that survives when glyphs are too small to see. */
  border: 'solid' | 'dashed' | 'dotted' | 'double';
}

export const FAMILY_OF_STATE: Record<EntryState, StateFamily> = {
  waiting: 'waiting',
  queued: 'waiting',
  running: 'running',
  succeeded: 'done',
  discarded: 'stopped',
  skipped: 'stopped',
  cancelled: 'stopped',
  failed: 'failed',
  timed_out: 'failed',
  blocked: 'failed',
  awaiting_input: 'person'
};

export const FAMILY_LOOK: Record<StateFamily, IFamilyLook> = {
  waiting: { label: 'Waiting', glyphName: 'clock', glyph: 'M12 3a9 9 0 1 0 0.01 0M12 7v5l3 3', border: 'dashed' },
  running: { label: 'Running', glyphName: 'play', glyph: 'M8 5l11 7-11 7z', border: 'solid' },
  done: { label: 'Done', glyphName: 'check', glyph: 'M4 12l5 5L20 6', border: 'solid' },
  stopped: { label: 'Discarded, skipped, cancelled', glyphName: 'dash', glyph: 'M5 12h14', border: 'dotted' },
  failed: { label: 'Failed, timed out, blocked', glyphName: 'cross', glyph: 'M6 6l12 12M18 6L6 18', border: 'double' },
  person: {
    label: 'Awaiting a person',
    glyphName: 'person',
    glyph: 'M12 4a3.5 3.5 0 1 0 0.01 0M5 20c0-4 3-6.5 7-6.5s7 2.5 7 6.5',
    border: 'solid'
  }
};

export const STATE_FAMILIES: readonly StateFamily[] = ['waiting', 'running', 'done', 'stopped', 'failed', 'person'];

/** The states of a family, in the engine's order. */
export function statesOf(family: StateFamily): EntryState[] {
  return ENTRY_STATES.filter(state => FAMILY_OF_STATE[state] === family);
}

/** The glyph of a family as an SVG document, stroked in `color` (for cytoscape and the legend). */
export function glyphSvg(family: StateFamily, color: string): string {
  const path = FAMILY_LOOK[family].glyph;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="24" height="24">' +
    `<path d="${path}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linecap="round" stroke-linejoin="round"/></svg>`
  );
}

/** The glyph as a data URL (cytoscape's background-image). */
export function glyphUrl(family: StateFamily, color: string): string {
  return `data:image/svg+xml;utf8,${encodeURIComponent(glyphSvg(family, color))}`;
}

/** A glyph that stands out on a node of this colour: near-black on light ones, white on dark ones. */
export function glyphColor(background: string): string {
  const rgb = parseColor(background);
  if (!rgb) {
    return '#000';
  }
  const [r, g, b] = rgb.map(v => {
    const x = v / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return luminance > 0.4 ? '#111' : '#fff';
}

function parseColor(text: string): [number, number, number] | null {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(text.trim());
  if (hex) {
    const h = hex[1].length === 3 ? [...hex[1]].map(d => d + d).join('') : hex[1];
    return [0, 2, 4].map(i => parseInt(h.slice(i, i + 2), 16)) as [number, number, number];
  }
  const rgb = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(text.trim());
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : null;
}

/** CSS colour of the state, as the graph and the legend read it from the theme. */
export function stateColorVar(state: EntryState): string {
  return `--jp-PerQueue-state-${state.replace(/_/g, '-')}`;
}
