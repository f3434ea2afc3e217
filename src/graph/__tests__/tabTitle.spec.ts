// Graph tab titles: the id always in the label (same-named runs differ), long names cut in the
// middle, the full name in the tooltip.
import { graphTabTitle, TAB_NAME_CHARS } from '../tabTitle';

describe('graphTabTitle', () => {
  it('tells apart two runs of the same workflow by their ids', () => {
    const a = graphTabTitle('relax-screening', 7);
    const b = graphTabTitle('relax-screening', 12);
    expect(a.label).toBe('relax-screening #7');
    expect(b.label).toBe('relax-screening #12');
    expect(a.label).not.toBe(b.label);
  });

  it('cuts a long name in the middle, keeping both ends, and gives the whole name in the tooltip', () => {
    const name = 'adsorption-energies-of-co-on-transition-metal-surfaces-v2';
    const { label, caption } = graphTabTitle(name, 3);
    expect(label.endsWith(' #3')).toBe(true);
    const shown = label.slice(0, -' #3'.length);
    expect(shown).toHaveLength(TAB_NAME_CHARS);
    expect(shown.startsWith('adsorption-energ')).toBe(true);
    expect(shown.endsWith('surfaces-v2')).toBe(true);
    expect(shown).toContain('…');
    expect(caption).toBe(`PerQueue workflow ${name} (#3)`);
  });

  it('keeps long names that differ only in the middle apart by id', () => {
    const one = graphTabTitle('screening-of-catalysts-batch-one-of-many-final', 1);
    const two = graphTabTitle('screening-of-catalysts-batch-two-of-many-final', 2);
    expect(one.label).not.toBe(two.label);
  });

  it('names a workflow without a name by its id', () => {
    expect(graphTabTitle('  ', 5)).toEqual({ label: 'Workflow #5', caption: 'PerQueue workflow #5' });
  });
});
