// The state colours of style/base.css, light and dark, checked as a colour-blind reader sees them:
// every family (src/graph/legend.ts) stays at CIEDE2000 >= 10 from every other family under the
// Machado et al. simulations of deuteranopia and protanopia (and without simulation), and every
// colour has a WCAG contrast of 3:1 or more against the theme's canvas.
import { readFileSync } from 'fs';
import { join } from 'path';

import { ENTRY_STATES, type EntryState } from '../../../core/states';
import { FAMILY_OF_STATE, stateColorVar } from '../legend';
import { contrast, deltaE2000, parseHex, type Rgb, SIMULATIONS, simulate, toLab } from './colourVision';

const CSS = readFileSync(join(__dirname, '../../../style/base.css'), 'utf8');

/** The --jp-PerQueue-state-* values of the first rule block with this selector. */
function paletteOf(selector: string): Record<EntryState, string> {
  const at = CSS.indexOf(`${selector} {`);
  if (at < 0) {
    throw new Error(`no '${selector}' block in style/base.css`);
  }
  const block = CSS.slice(at, CSS.indexOf('}', at));
  const out = {} as Record<EntryState, string>;
  for (const state of ENTRY_STATES) {
    const m = new RegExp(`${stateColorVar(state)}:\\s*([^;]+);`).exec(block);
    if (!m) {
      throw new Error(`'${selector}' sets no ${stateColorVar(state)}`);
    }
    out[state] = m[1].trim();
  }
  return out;
}

// The canvas is --jp-layout-color0 of JupyterLab's light and dark themes.
const THEMES = [
  { name: 'light', selector: ':root', canvas: '#ffffff' },
  { name: 'dark', selector: "body[data-jp-theme-light='false']", canvas: '#111111' }
];
const VISIONS: Record<string, ((rgb: Rgb) => Rgb) | null> = {
  typical: null,
  deuteranopia: rgb => simulate(rgb, SIMULATIONS.deuteranopia),
  protanopia: rgb => simulate(rgb, SIMULATIONS.protanopia)
};
const MIN_FAMILY_DISTANCE = 10;
const MIN_CONTRAST = 3;

describe('the colour maths', () => {
  it('matches published CIEDE2000 values (Sharma, Wu and Dalal 2005)', () => {
    expect(deltaE2000([50, 2.6772, -79.7751], [50, 0, -82.7485])).toBeCloseTo(2.0425, 3);
    expect(deltaE2000([50, -1.3802, -84.2814], [50, 0, -82.7485])).toBeCloseTo(1.0, 3);
    expect(deltaE2000([50, 2.5, 0], [73, 25, -18])).toBeCloseTo(27.1492, 3);
    expect(deltaE2000([60.2574, -34.0099, 36.2677], [60.4626, -34.1751, 39.4387])).toBeCloseTo(1.2644, 3);
  });

  it('gives WCAG contrast ratios and simulates dichromats', () => {
    expect(contrast(parseHex('#000'), parseHex('#fff'))).toBeCloseTo(21, 5);
    expect(contrast(parseHex('#767676'), parseHex('#fff'))).toBeCloseTo(4.54, 2);
    // Typical red and green, told apart easily, are close for a deuteranope.
    const red = parseHex('#d32f2f');
    const green = parseHex('#388e3c');
    expect(deltaE2000(toLab(red), toLab(green))).toBeGreaterThan(40);
    expect(deltaE2000(toLab(VISIONS.deuteranopia!(red)), toLab(VISIONS.deuteranopia!(green)))).toBeLessThan(10);
    // Blue stays blue for both.
    const blue = VISIONS.protanopia!(parseHex('#0000ff'));
    expect(blue[2]).toBeGreaterThan(0.9);
  });
});

describe.each(THEMES)("the $name theme's state colours", ({ selector, canvas }) => {
  const palette = paletteOf(selector);

  it('are plain colours, one per state', () => {
    for (const state of ENTRY_STATES) {
      expect(() => parseHex(palette[state])).not.toThrow();
    }
  });

  it(`each stand out from the canvas at ${MIN_CONTRAST}:1 or more`, () => {
    const low = ENTRY_STATES.map(s => ({ state: s, ratio: contrast(parseHex(palette[s]), parseHex(canvas)) })).filter(
      c => c.ratio < MIN_CONTRAST
    );
    expect(low).toEqual([]);
  });

  it.each(Object.keys(VISIONS))(
    `tell the families apart for %s vision (CIEDE2000 >= ${MIN_FAMILY_DISTANCE})`,
    vision => {
      const see = VISIONS[vision] ?? ((rgb: Rgb) => rgb);
      const close: string[] = [];
      for (const a of ENTRY_STATES) {
        for (const b of ENTRY_STATES) {
          if (a >= b || FAMILY_OF_STATE[a] === FAMILY_OF_STATE[b]) {
            continue;
          }
          const d = deltaE2000(toLab(see(parseHex(palette[a]))), toLab(see(parseHex(palette[b]))));
          if (d < MIN_FAMILY_DISTANCE) {
            close.push(`${a} ${palette[a]} ~ ${b} ${palette[b]}: ${d.toFixed(1)}`);
          }
        }
      }
      expect(close).toEqual([]);
    }
  );
});
