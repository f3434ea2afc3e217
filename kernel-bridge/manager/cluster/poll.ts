// Polling the schedulers (the scheduler second; the run folder's marker is read first, in
// index.ts): at a steady pace, later and later while answers are unknown, it finds jobs by their
// unique name when a submission's outcome is unknown (crash recovery), asks the state of every
// job followed, hands ended jobs to the endings part, collects the scheduler's facts of runs that
// just ended and sends pending cancels again. It never decides an outcome itself, and never takes
// a scheduler's silence or an unknown answer for a job's end.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RtNode } from '../../../core/model.js';
import type { JobStatus } from '../../executors/types.js';
import { readMarker } from '../../runner/results.js';
import type { RunEndings } from './endings.js';
import { factsOf, writeFacts, type FactsWanted } from './facts.js';
import type { ClusterCore, ClusterRun, Route } from './run.js';

/** The scheduler said the job ended but the marker is not there: wait this long for it. */
const MARKER_GRACE_MS = 2_000;
/** A name lookup that finds nothing is trusted only for intents older than the submit timeout. */
const LOOKUP_TRUST_MS = 65_000;
const MAX_POLL_MS = 30_000;

export class SchedulerPoll {
  private readonly basePollMs: number;
  private pollMs: number;
  private timer?: NodeJS.Timeout;
  private polling = false;
  private lastLogged = '';

  constructor(
    private readonly core: ClusterCore,
    private readonly endings: RunEndings
  ) {
    this.basePollMs = Number(process.env.PQ_SCHEDULER_POLL_MS) || 2_000;
    this.pollMs = this.basePollMs;
  }

  start(): void {
    this.schedule(this.basePollMs);
  }

  close(): void {
    clearTimeout(this.timer);
  }

  /** A poll now rather than at its pace; returns the time it was asked. */
  askSoon(): number {
    if (!this.polling) this.schedule(0);
    return Date.now();
  }

  private schedule(ms: number): void {
    if (this.core.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.poll(), ms);
    this.timer.unref?.();
  }

  private async poll(): Promise<void> {
    if (this.core.closed || this.polling) return;
    this.polling = true;
    let trouble = false;
    try {
      trouble = (await this.lookups()) || trouble;
      trouble = (await this.statuses()) || trouble;
      if (this.core.cancels.jobs.size > 0) await this.core.cancels.flush();
    } catch (e) {
      trouble = true;
      this.core.host.log(`scheduler poll: ${(e as Error).message}`);
    } finally {
      this.polling = false;
    }
    // Unknown answers are asked again, later and later; one clean pass resets the pace.
    this.pollMs = trouble ? Math.min(MAX_POLL_MS, this.pollMs * 2) : this.basePollMs;
    this.schedule(this.pollMs);
  }

  /** Runs whose submission outcome is unknown: find them by job name. Returns true on trouble. */
  private async lookups(): Promise<boolean> {
    const core = this.core;
    const { host, cancels } = core;
    const pending = [...core.runs.values(), ...core.ahead.runs()]
      .filter(r => r.lookup && !r.submitting)
      .concat(cancels.lookups);
    const factsByName = core.facts.filter(f => f.jobId === null);
    if (factsByName.length > 0) {
      // Runs that ended (marker) before their job id was recorded: the id is still worth keeping.
      const byKind = new Map<Route, FactsWanted[]>();
      for (const f of factsByName) groupInto(byKind, f.kind, f);
      for (const [kind, list] of byKind) {
        try {
          const found = await core.setup.executor(kind).findByName(list.map(f => f.jobName));
          for (const f of list) {
            const jobId = found.get(f.jobName);
            if (!jobId) continue;
            f.jobId = jobId;
            const n = host.engine.node(f.entryId);
            host.step(
              () => {
                if (n && n.attempt === f.attempt) host.engine.noteFacts(f.entryId, { executor: kind, jobId });
              },
              () => host.store.setRunJobId(f.entryId, f.attempt, jobId)
            );
          }
        } catch (e) {
          this.logOnce(`cannot look jobs up by name yet: ${(e as Error).message}`);
        }
      }
    }
    if (pending.length === 0) return false;
    const byKind = new Map<Route, ClusterRun[]>();
    for (const r of pending) groupInto(byKind, r.kind, r);
    let trouble = false;
    for (const [kind, runs] of byKind) {
      let found: Map<string, string>;
      try {
        found = await core.setup.executor(kind).findByName(runs.map(r => r.req.jobName));
      } catch (e) {
        this.logOnce(`cannot look jobs up by name yet: ${(e as Error).message}`);
        trouble = true;
        continue;
      }
      for (const run of runs) {
        const jobId = found.get(run.req.jobName);
        const cancelling = cancels.lookups.includes(run);
        if (jobId) {
          if (cancelling) {
            cancels.lookups.splice(cancels.lookups.indexOf(run), 1);
            cancels.jobs.set(jobId, kind);
          } else if (core.isLive(run)) {
            host.log(`entry ${run.entryId}: found job ${jobId} by its name ${run.req.jobName}`);
            core.recordJobId(run, jobId);
          }
          continue;
        }
        // Not found. A submit command that was running when the bridge died could still land:
        // trust the answer only for intents older than the submit time limit.
        if (Date.now() - run.intentAt < LOOKUP_TRUST_MS) continue;
        if (cancelling) {
          cancels.lookups.splice(cancels.lookups.indexOf(run), 1);
          continue;
        }
        if (run.pre && core.ahead.isCurrent(run)) {
          core.ahead.forget(run); // never landed: the entry is submitted when it is ready
          continue;
        }
        if (core.runs.get(run.entryId) !== run) continue;
        run.lookup = false;
        if (existsSync(join(run.req.runDir, 'pid'))) {
          if (readMarker(run.req.runDir) === null) {
            core.failRun(
              run,
              `the job ${run.req.jobName} started but ${kind} has no record of it and it left no result`
            );
          }
          continue;
        }
        host.log(`entry ${run.entryId}: no job named ${run.req.jobName} exists; submitting it`);
        core.submits.enqueue(run);
      }
    }
    return trouble;
  }

  /** Ask the scheduler about every run with a job id (and about facts of runs just finished). */
  private async statuses(): Promise<boolean> {
    const core = this.core;
    const now = Date.now();
    for (let i = core.facts.length - 1; i >= 0; i--) if (core.facts[i].until < now) core.facts.splice(i, 1);
    const byKind = new Map<Route, Set<string>>();
    for (const r of core.runs.values()) if (r.jobId) byKind.set(r.kind, (byKind.get(r.kind) ?? new Set()).add(r.jobId));
    for (const r of core.ahead.runs()) if (r.jobId) byKind.set(r.kind, (byKind.get(r.kind) ?? new Set()).add(r.jobId));
    for (const f of core.facts) if (f.jobId) byKind.set(f.kind, (byKind.get(f.kind) ?? new Set()).add(f.jobId));
    let trouble = false;
    for (const [kind, ids] of byKind) {
      let answers: Map<string, JobStatus>;
      try {
        answers = await core.setup.executor(kind).status([...ids]);
      } catch (e) {
        this.logOnce(`${kind} status: ${(e as Error).message}`);
        trouble = true;
        continue;
      }
      for (const s of answers.values()) {
        if (s.state === 'unknown' && !/knows this job \(yet\)/.test(s.reason ?? '')) {
          trouble = true;
          this.logOnce(`${kind} cannot say how job ${s.jobId} is (asking again later): ${s.reason}`);
        }
      }
      this.takeStatuses(kind, answers);
    }
    return trouble;
  }

  /** Log a problem once, not at every poll while it lasts. */
  private logOnce(line: string): void {
    const key = line.replace(/\d+/g, '#');
    if (key === this.lastLogged) return;
    this.lastLogged = key;
    this.core.host.log(line);
  }

  private takeStatuses(kind: Route, answers: Map<string, JobStatus>): void {
    const core = this.core;
    const now = Date.now();
    for (const run of core.ahead.runs()) {
      if (run.kind !== kind || !run.jobId) continue;
      const s = answers.get(run.jobId);
      // Killed for an invalid dependency (a parent failed), or tired of waiting: the entry is
      // submitted when it is ready, as without native dependencies.
      if (s && s.state !== 'unknown' && s.state !== 'pending' && s.state !== 'running') core.ahead.drop(run);
    }
    for (const run of [...core.runs.values()]) {
      if (run.kind !== kind || !run.jobId) continue;
      const s = answers.get(run.jobId);
      if (!s || s.state === 'unknown' || s.state === 'pending') continue;
      const claimed = () => existsSync(join(run.req.runDir, 'pid'));
      if (s.state === 'running') {
        // A job submitted ahead runs only once it has claimed its run folder (input.json came).
        if (!run.ahead || claimed()) core.noteRunning(run, s);
        continue;
      }
      // The job ended. Marker first: it holds the task's own exit code and result.
      const marker = readMarker(run.req.runDir);
      if (marker !== null) {
        void core.fromMarker(run, marker, s);
        continue;
      }
      if (run.finalSince === undefined) {
        run.finalSince = now;
        setTimeout(() => void this.poll(), MARKER_GRACE_MS).unref?.();
        continue;
      }
      if (now - run.finalSince < MARKER_GRACE_MS) continue;
      if (run.ahead && !claimed()) {
        core.ahead.resubmitPlain(run);
        continue;
      }
      this.endings.fromScheduler(run, s);
    }
    for (let i = core.facts.length - 1; i >= 0; i--) {
      const f = core.facts[i];
      const s = f.kind === kind && f.jobId ? answers.get(f.jobId) : undefined;
      if (!s || s.state === 'unknown' || s.state === 'pending' || s.state === 'running') continue;
      core.facts.splice(i, 1);
      writeFacts(f.runDir, { ...factsOf(f.kind, f.jobId, f.jobName, s), resubmittedWith: f.resubmittedWith });
      const n = core.host.engine.node(f.entryId);
      if (!n || n.attempt !== f.attempt) continue;
      const known: Partial<Pick<RtNode, 'host' | 'startedAt' | 'endedAt'>> = {};
      if (s.node) known.host = s.node;
      if (s.startedAt) known.startedAt = s.startedAt;
      if (s.endedAt) known.endedAt = s.endedAt;
      if (Object.keys(known).length > 0) core.host.step(() => core.host.engine.noteFacts(f.entryId, known));
    }
  }
}

/** Appends in place: copying the list per item made grouping 10,000 runs quadratic. */
function groupInto<K, V>(groups: Map<K, V[]>, key: K, value: V): void {
  const list = groups.get(key);
  if (list) list.push(value);
  else groups.set(key, [value]);
}
