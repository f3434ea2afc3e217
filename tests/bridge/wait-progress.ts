// Wait for a workflow to settle on a machine of any speed: a slow run keeps entries changing
// state, a hung one does not. The test fails only when nothing changed for `stallSeconds`.
import type { CliResult, EntryJson, Project } from './cli-harness.js';

/** What moves when a workflow makes progress: each entry's state and attempt. */
function progressMark(es: EntryJson[]): string {
  return es.map(e => `${e.id}:${e.state}:${e.attempt}`).join(',');
}

function stateCounts(es: EntryJson[]): string {
  const n = new Map<string, number>();
  for (const e of es) n.set(e.state, (n.get(e.state) ?? 0) + 1);
  return [...n].map(([s, k]) => `${k} ${s}`).join(', ');
}

/** `pql wait WF` in short rounds for as long as some entry keeps changing state. */
export async function waitWhileProgressing(p: Project, wf: number, stallSeconds = 180): Promise<CliResult> {
  let mark = '';
  let changedAt = Date.now();
  let last: EntryJson[] = [];
  for (;;) {
    const w = await p.wait(wf, 15);
    if (w.code !== 2) return w;
    try {
      last = await p.entries(wf);
    } catch {
      continue; // the bridge is restarting: no reading, no verdict
    }
    const now = progressMark(last);
    if (now !== mark) {
      mark = now;
      changedAt = Date.now();
    } else if (Date.now() - changedAt > stallSeconds * 1000) {
      const stuck = last.filter(e => !['succeeded', 'failed', 'cancelled', 'discarded', 'timed_out'].includes(e.state));
      throw new Error(
        `workflow ${wf} made no progress for ${stallSeconds} s: ${stateCounts(last)}; unsettled: ` +
          stuck
            .slice(0, 20)
            .map(e => `${e.id} ${e.name} ${e.state}`)
            .join('; ')
      );
    }
  }
}
