// `pql config [slurm]`: the project's cluster configuration, checked, or a first one from sinfo.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { guessSlurmConfig, validateClusterConfig } from '../../executors/cluster-config.js';
import { table } from '../format.js';
import { jsonFlag, out, projectFor, UsageError, type Command } from '../common.js';

export const config: Command = {
  name: 'config',
  usage: 'config [--json] | config slurm [--force]',
  summary:
    "the project's cluster configuration (.perqueue/config.json), checked; 'config slurm' writes a first one from sinfo",
  options: [jsonFlag(), { names: ['--force'], help: 'config slurm: replace an existing configuration' }],
  positionals: [0, 1],
  async run(args) {
    const sub = args.positional[1];
    if (sub === 'slurm') {
      const paths = projectFor(args, true);
      if (existsSync(paths.config) && !args.flag('force')) {
        throw new UsageError(`${paths.config} exists already: edit it, or use --force to replace it`);
      }
      const guessed = await guessSlurmConfig();
      writeFileSync(`${paths.config}.tmp`, `${JSON.stringify(guessed, null, 2)}\n`);
      renameSync(`${paths.config}.tmp`, paths.config);
      if (args.flag('json')) out(guessed);
      else {
        out(`wrote ${paths.config}:`);
        out(
          table(
            ['node (partition)', 'cores', 'memory'],
            guessed.nodes.map(n => [n.name, n.cores, n.memory ?? ''])
          )
        );
        out(
          `tasks whose resource string names one of these (e.g. '1:${guessed.nodes[0].name}:10m') or no node run on Slurm; ':local:' keeps the local pool`
        );
      }
      return 0;
    }
    if (sub !== undefined) throw new UsageError(`config needs no argument or 'slurm', got '${sub}'`);
    if (args.flag('force')) throw new UsageError("pql config: --force goes with 'config slurm'");
    const paths = projectFor(args, false);
    if (!existsSync(paths.config)) {
      out(
        `no cluster configuration (${paths.config}): every task runs on the local pool; 'pql config slurm' writes one`
      );
      return 0;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(paths.config, 'utf8'));
    } catch (e) {
      throw new UsageError(`${paths.config} is not JSON: ${(e as Error).message}`);
    }
    let checked;
    try {
      checked = validateClusterConfig(raw);
    } catch (e) {
      throw new UsageError(`${paths.config}: ${(e as Error).message}`);
    }
    if (args.flag('json')) return (out(checked), 0);
    out(
      `${paths.config}: scheduler ${checked.scheduler}${checked.extraArgs?.length ? `, extra arguments ${checked.extraArgs.join(' ')}` : ''}`
    );
    out(
      table(
        ['node', 'cores', 'memory', 'partition/queue', 'extra arguments'],
        checked.nodes.map(n => [
          n.name + (n.special ? ' (special)' : ''),
          n.cores,
          n.memory ?? '',
          n.partition ?? n.name,
          (n.extraArgs ?? []).join(' ')
        ])
      )
    );
    return 0;
  }
};
