// `pql daemon start|stop|status|run`: the project's bridge.
import { call, daemonInfo, ensureDaemon, isDaemonUp } from '../../api/client.js';
import { isAlive } from '../../executors/local.js';
import { jsonFlag, out, projectFor, UsageError, type Command } from '../common.js';

export const daemonCommand: Command = {
  name: 'daemon',
  usage: 'daemon start|stop|status|run [--json]',
  summary: "the project's bridge daemon",
  options: [jsonFlag('status as JSON')],
  positionals: [1, 1],
  async run(args) {
    const sub = args.positional[1];
    if (sub === 'run') {
      // Loaded only here: the server's modules would cost every short CLI call its start-up time.
      const { runDaemon } = await import('../../daemon.js');
      await runDaemon(projectFor(args, true).root);
      return -1; // keep running
    }
    if (!['start', 'stop', 'status'].includes(sub))
      throw new UsageError(`pql daemon needs start, stop, status or run, got '${sub}'`);
    const paths = projectFor(args, sub === 'start');
    if (sub === 'start') {
      await ensureDaemon(paths, process.argv[1]);
      out(`bridge running (pid ${(await daemonInfo(paths))?.pid})`);
      return 0;
    }
    if (sub === 'stop') {
      // The pid comes from the daemon over the user's own socket, never from bridge.json: after a
      // crash that file names a pid the system may have given to another process since.
      const pid = (await daemonInfo(paths))?.pid ?? null;
      if (pid === null) return (out('no bridge running'), 0);
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise(r => setTimeout(r, 50));
      out(`bridge stopped (pid ${pid})`);
      return 0;
    }
    const up = await isDaemonUp(paths);
    const info = up ? await call<Record<string, unknown>>(paths, 'GET', '/api/version') : null;
    if (args.flag('json')) out({ running: up, project: paths.root, ...(info ?? {}) });
    else
      out(
        up
          ? `bridge running (pid ${info!.pid}, version ${info!.version}) for ${paths.root}${storageLine(info!)}`
          : `no bridge running for ${paths.root}`
      );
    return up ? 0 : 3;
  }
};

/** A paused or stopping bridge says why (a full disk, a database made read-only). */
function storageLine(info: Record<string, unknown>): string {
  const storage = info.storage as { ok?: boolean; fatal?: boolean; message?: string } | undefined;
  return storage && storage.ok === false ? `\n${storage.fatal ? 'stopping' : 'paused'}: ${storage.message}` : '';
}
