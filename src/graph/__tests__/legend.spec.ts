import { ENTRY_STATES } from '../../../core/states';
import { FAMILY_LOOK, FAMILY_OF_STATE, glyphColor, glyphSvg, STATE_FAMILIES, stateColorVar, statesOf } from '../legend';
import { GraphLegend } from '../legendView';

describe('the state families of the graph', () => {
  it('gives every state a family, and every family a glyph and a border', () => {
    for (const state of ENTRY_STATES) {
      const family = FAMILY_OF_STATE[state];
      expect(STATE_FAMILIES).toContain(family);
      expect(FAMILY_LOOK[family].glyph).toMatch(/^M/);
    }
    expect(STATE_FAMILIES.flatMap(statesOf).sort()).toEqual([...ENTRY_STATES].sort());
  });

  it('tells the families apart by glyph alone, without colour', () => {
    const glyphs = STATE_FAMILIES.map(f => FAMILY_LOOK[f].glyph);
    expect(new Set(glyphs).size).toBe(STATE_FAMILIES.length);
    const names = STATE_FAMILIES.map(f => FAMILY_LOOK[f].glyphName);
    expect(new Set(names).size).toBe(STATE_FAMILIES.length);
  });

  it('groups the states as a reader expects', () => {
    expect(statesOf('failed')).toEqual(['failed', 'timed_out', 'blocked']);
    expect(statesOf('stopped')).toEqual(['discarded', 'cancelled', 'skipped']);
    expect(statesOf('person')).toEqual(['awaiting_input']);
    expect(statesOf('waiting')).toEqual(['waiting', 'queued']);
  });

  it("reads each state's colour from its own theme variable", () => {
    expect(new Set(ENTRY_STATES.map(stateColorVar)).size).toBe(ENTRY_STATES.length);
    expect(stateColorVar('timed_out')).toBe('--jp-PerQueue-state-timed-out');
  });

  it('draws glyphs dark on light nodes and white on dark ones', () => {
    expect(glyphColor('#ffeb3b')).toBe('#111');
    expect(glyphColor('#1976d2')).toBe('#fff');
    expect(glyphColor('rgb(20, 20, 20)')).toBe('#fff');
    expect(glyphSvg('done', '#fff')).toContain('stroke="#fff"');
  });
});

describe('the legend', () => {
  it('is a toggle that lists every family and every state', () => {
    const legend = new GraphLegend();
    const toggle = legend.node.querySelector('button')!;
    const list = legend.node.querySelector('.jp-PerQueue-legend') as HTMLElement;
    expect(list.hidden).toBe(true);
    toggle.click();
    expect(list.hidden).toBe(false);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const families = [...list.querySelectorAll<HTMLElement>('.jp-PerQueue-legend-family')].map(n => n.dataset.family);
    expect(families).toEqual([...STATE_FAMILIES]);
    const states = [...list.querySelectorAll<HTMLElement>('.jp-PerQueue-legend-state')].map(n => n.dataset.state);
    expect(states.sort()).toEqual([...ENTRY_STATES].sort());
    toggle.click();
    expect(list.hidden).toBe(true);
  });
});
