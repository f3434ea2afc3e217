// `pql logs ID`: an entry's stdout or stderr (all of it, or its last N lines), optionally
// followed while it runs. The log is the task's own output, passed through as it is (as cat
// does), in chunks: a log of any size costs no memory; --tail reads only the end of the file.
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { MAX_LOG_LINES } from '../../../core/limits.js';
import { tailLines } from '../../runner/results.js';
import { idArg, intOpt, openStore, projectFor, UsageError, type Command } from '../common.js';
import { daemonNotice } from '../daemon-notice.js';

export const logs: Command = {
  name: 'logs',
  usage: 'logs ID [--stderr] [--tail N] [-f|--follow]',
  summary: "an entry's stdout (or stderr): all of it, or its last N lines",
  options: [
    { names: ['--stderr'], help: 'stderr instead of stdout' },
    {
      names: ['-n', '--tail'],
      value: 'N',
      help: `only the last N lines (at most ${MAX_LOG_LINES}), read from the end of the file`
    },
    { names: ['-f', '--follow'], help: 'keep printing until the entry stops running' }
  ],
  positionals: [1, 1],
  async run(args) {
    const paths = projectFor(args, false);
    const id = idArg(args.positional[1]);
    const node = openStore(paths).node(id);
    if (!node) throw new UsageError(`no entry ${id}`);
    const file = `${paths.runs}/${node.workflowId}/${node.id}.${Math.max(1, node.attempt)}/${args.flag('stderr') ? 'stderr' : 'stdout'}`;
    const lines = intOpt(args, 'tail');
    if (lines !== undefined && lines > MAX_LOG_LINES)
      throw new UsageError(`--tail must be at most ${MAX_LOG_LINES} lines, got ${lines}`);
    let shown = 0;
    if (lines !== undefined && existsSync(file)) {
      shown = statSync(file).size;
      writeAllSync(Buffer.from(tailLines(file, lines)));
    }
    const print = () => {
      if (existsSync(file)) shown = copyFrom(file, shown);
    };
    print();
    if (!args.flag('follow')) return 0;
    for (let turn = 1; ; turn++) {
      await new Promise(r => setTimeout(r, 300));
      print();
      const store = openStore(paths);
      const now = store.node(id)!;
      store.close();
      if (!['waiting', 'queued', 'running'].includes(now.state)) return (print(), 0);
      // A bridge that died while we follow would leave the entry running for ever: say so, start it.
      if (turn % 10 === 0) await daemonNotice(paths, process.argv[1]);
    }
  }
};

/** Write the file from byte `offset` to its end to stdout, 64 KiB at a time; returns the new offset. */
function copyFrom(file: string, offset: number): number {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, offset);
      if (got <= 0) return offset;
      writeAllSync(buf.subarray(0, got));
      offset += got;
    }
  } finally {
    closeSync(fd);
  }
}

function writeAllSync(bytes: Buffer): void {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(1, bytes.subarray(done));
    } catch (e) {
      // A pipe that is full (stdout set non-blocking by a parent): wait a moment and go on.
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}
