// `pql doctor`: check the project's database; when it is damaged, salvage what can be read into
// its place (the bridge must be stopped; the damaged file is kept) and say what was lost.
import { BridgeError } from '../../api/client.js';
import { LockHeld, takeProjectLock } from '../../daemon-lock.js';
import { doctor as checkAndSalvage, type DoctorReport } from '../../store/salvage.js';
import { jsonFlag, out, projectFor, type Command } from '../common.js';

export const doctor: Command = {
  name: 'doctor',
  usage: 'doctor [--json]',
  summary:
    'check the workflow database; if it is damaged, salvage what can be read into its place (bridge stopped; the damaged file is kept)',
  details: `Exit 0: the database is sound (PRAGMA quick_check). Exit 1: it was damaged; every row that
could be read was copied into a new database put in its place, the damaged file is kept as
perqueue.sqlite.damaged-<time>, and the workflows and entries that could not be read are listed.`,
  options: [jsonFlag('the report as JSON')],
  positionals: [0, 0],
  async run(args) {
    const paths = projectFor(args, false);
    let lock;
    try {
      // Holding the bridge's lock: no bridge can start, or be running, while the file is swapped.
      lock = await takeProjectLock(paths);
    } catch (e) {
      if (e instanceof LockHeld)
        throw new BridgeError(0, `${e.message}: stop it first (pql daemon stop), then run 'pql doctor' again`);
      throw e;
    }
    let report: DoctorReport;
    try {
      report = checkAndSalvage(paths);
    } catch (e) {
      throw new BridgeError(0, (e as Error).message);
    } finally {
      lock.release();
    }
    if (args.flag('json')) return (out(report), report.sound ? 0 : 1);
    if (report.sound) return (out(`${report.path}: sound (PRAGMA quick_check: ok)`), 0);
    const s = report.salvaged!;
    const lines = [
      `${report.path} was damaged: ${report.problems.join('; ')}`,
      `salvaged what could be read into ${s.into}; the damaged file is kept as ${s.damagedKept}`,
      ...s.tables.map(
        t =>
          `  ${t.table}: ${t.copied} rows kept` +
          (t.dropped ? `, ${t.dropped} dropped (unreadable, or their workflow's record was lost)` : '') +
          (t.unreadable.length ? `; unreadable: ${t.unreadable.join(', ')}` : '')
      ),
      s.lostWorkflows.length ? `lost workflows: ${list(s.lostWorkflows)}` : 'no workflow lost',
      s.lostEntries.length
        ? `lost entries: ${list(s.lostEntries)} (their run folders stay in the project's runs/)`
        : 'no entry known to be lost',
      `the bridge can start again ('pql daemon start'); entries that were queued or running are recovered as after a crash`
    ];
    out(lines.join('\n'));
    return 1;
  }
};

function list(ids: number[]): string {
  return ids.length > 30 ? `${ids.slice(0, 30).join(', ')}, … (${ids.length} in all)` : ids.join(', ');
}
