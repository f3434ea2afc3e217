// The graph panel under load, in Chromium with the built JupyterLab extension:
//   (a) first paint of a 10,000-entry workflow: from the open command to the drawn, laid-out
//       graph; once as shown by default (width groups collapsed) and once fully expanded
//       (10,000 nodes, laid out in the worker);                                goal <= 1.5 s
//   (b) 100 events/s for 60 s into that open graph (default view; --expanded: all expanded):
//       long tasks seen by the page's PerformanceObserver('longtask');                                        goal: none > 200 ms
//   (c) timeline first paint of a 10,000-entry workflow whose entries have queue, start and end
//       times: from the "Show Workflow Timeline" command to the painted canvas;              goal <= 1 s
//   (d) 100 events/s for 60 s into that open timeline: long tasks;                          goal: none > 100 ms
// The bridge is replaced by canned answers (page.route) and a scripted event socket
// (page.routeWebSocket), so the figures are the browser's alone. Jupyter is started here on a
// free port with the UI tests' server configuration.
// Usage: node build/bench/ui-graph.js [--smoke] [--entries N] [--seconds S] [--rate R] [--port P] [--runs N] [--expanded]
//   PQ_BENCH_PROFILE=expand|events prints the page's CPU profile of that phase.
// A benchmark, not a test: it prints numbers and never fails on one.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// These run inside the page (page.evaluate / addInitScript), where the browser defines them.
declare const window: any;
declare const requestAnimationFrame: (callback: () => void) => number;

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Options {
  entries: number;
  seconds: number;
  rate: number;
  port: number;
  runs: number;
}

function options(): Options {
  const args = process.argv.slice(2);
  const value = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const smoke = args.includes('--smoke');
  return {
    entries: value('--entries', smoke ? 2000 : 10000),
    seconds: value('--seconds', smoke ? 5 : 60),
    rate: value('--rate', 100),
    port: value('--port', 8897),
    runs: value('--runs', smoke ? 1 : 3)
  };
}

/** prepare → a StaticWidthGroup of (relax → score) columns → collect: `entries` entries in all. */
function workflow(id: number, entries: number) {
  const width = Math.max(1, Math.floor((entries - 2) / 2));
  const node = (nid: number, name: string, template: number, index: number[], state: string) => ({
    id: nid,
    workflowId: id,
    kind: 'task',
    name,
    state,
    templateId: template,
    index,
    iteration: [],
    groupId: index.length ? 2 : null,
    args: {},
    code: `/bench/${name}`,
    resources: '1:local:10m',
    data: null,
    error: null,
    attempt: 0,
    retries: 0
  });
  const base = id * 100000;
  const nodes = [node(base + 1, 'prepare.py', 1, [], 'succeeded')];
  const edges: { child: number; parent: number; join: number | null }[] = [];
  for (let i = 0; i < width; i++) {
    const relax = base + 2 + 2 * i;
    nodes.push(node(relax, 'relax.py', 3, [i], i % 7 === 0 ? 'running' : 'waiting'));
    nodes.push(node(relax + 1, 'score.py', 4, [i], 'waiting'));
    edges.push({ child: relax, parent: base + 1, join: null }, { child: relax + 1, parent: relax, join: null });
  }
  const collect = base + 2 + 2 * width;
  nodes.push(node(collect, 'collect.py', 5, [], 'waiting'));
  for (let i = 0; i < width; i++) {
    edges.push({ child: collect, parent: base + 3 + 2 * i, join: 1 });
  }
  return { workflow: { id, name: `bench-${id}`, createdAt: 1_700_000_000_000 }, nodes, edges };
}

/** The same workflow with times: entries queued 5 ms apart, each waiting and running a while; one in 7 still runs. */
function timedWorkflow(id: number, entries: number) {
  const detail = workflow(id, entries);
  const t0 = Date.now() - 120_000;
  detail.nodes.forEach((n: Record<string, unknown>, i: number) => {
    const queuedAt = t0 + i * 5;
    const startedAt = queuedAt + 200 + (i % 13) * 40;
    const running = i % 7 === 3;
    Object.assign(n, {
      queuedAt,
      startedAt,
      endedAt: running ? null : startedAt + 300 + (i % 17) * 50,
      state: running ? 'running' : 'succeeded',
      jobId: String(1000 + i)
    });
  });
  return detail;
}

async function waitForServer(url: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.ok) {
        return;
      }
    } catch {
      // not up yet
    }
    await new Promise(r => setTimeout(r, 500));
  }
  throw new Error(`Jupyter did not answer at ${url} within ${ms / 1000} s`);
}

function startJupyter(port: number): { server: ChildProcess; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pq-bench-ui-'));
  const config = join(dir, 'config.py');
  const base = join(ROOT, 'ui-tests', 'jupyter_server_test_config.py');
  writeFileSync(
    config,
    `exec(compile(open(${JSON.stringify(base)}).read(), ${JSON.stringify(base)}, 'exec'))\nc.ServerApp.port = ${port}\n`
  );
  const venv = join(ROOT, '.venv', 'bin');
  const server = spawn('jupyter', ['lab', '--config', config], {
    cwd: join(ROOT, 'ui-tests'),
    env: { ...process.env, PATH: `${venv}:${process.env.PATH}` },
    stdio: 'ignore'
  });
  return { server, dir };
}

async function startProfile(page: any): Promise<any> {
  const session = await page.context().newCDPSession(page);
  await session.send('Profiler.enable');
  await session.send('Profiler.start');
  return session;
}

/** Top functions of the page's main thread by self time. */
async function printProfile(session: any): Promise<void> {
  const { profile } = await session.send('Profiler.stop');
  const self = new Map<string, number>();
  const dt = profile.timeDeltas as number[];
  const byId = new Map((profile.nodes as any[]).map(n => [n.id, n]));
  (profile.samples as number[]).forEach((id, i) => {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${String(f.url).split('/').pop()}:${f.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
  });
  console.log('    profile, self time:');
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`      ${ms.toFixed(0).padStart(7)} ms  ${key}`);
  }
}

async function main(): Promise<void> {
  const o = options();
  const requireFromUiTests = createRequire(join(ROOT, 'ui-tests', 'package.json'));
  // Playwright lives with the UI tests; loaded by path so this file builds without it.
  const { chromium } = requireFromUiTests('playwright-core') as { chromium: any };
  const { server, dir } = startJupyter(o.port);
  const stop = () => {
    server.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', stop);
  try {
    const baseUrl = `http://localhost:${o.port}`;
    await waitForServer(`${baseUrl}/lab`, 120_000);
    // The UI tests' Chromium, started the same way.
    const browser = await chromium.launch(requireFromUiTests('./chromium.js'));
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const ids = Array.from({ length: o.runs * 2 + 1 }, (_, i) => 9001 + i);
    const details = new Map(ids.map(id => [id, JSON.stringify(workflow(id, o.entries))]));
    const timedIds = Array.from({ length: o.runs + 1 }, (_, i) => 9501 + i);
    for (const id of timedIds) {
      details.set(id, JSON.stringify(timedWorkflow(id, o.entries)));
    }
    ids.push(...timedIds);
    const summaries = ids.map(id => ({
      id,
      name: `bench-${id}`,
      createdAt: 1_700_000_000_000,
      total: o.entries,
      counts: { waiting: o.entries },
      state: 'running'
    }));
    await page.route(/\/perqueue\/api\/version/, (route: any) =>
      route.fulfill({ json: { version: 'bench', apiVersion: 1, lastSeq: 0, projectDir: '/bench' } })
    );
    await page.route(/\/perqueue\/api\/workflows(\?.*)?$/, (route: any) => route.fulfill({ json: summaries }));
    await page.route(/\/perqueue\/api\/workflows\/\d+(\?.*)?$/, (route: any) => {
      const id = Number(/workflows\/(\d+)/.exec(route.request().url())![1]);
      return route.fulfill({ body: details.get(id) ?? '{}', contentType: 'application/json' });
    });
    let socket: any = null;
    await page.routeWebSocket(/\/perqueue\/api\/events\/ws/, (ws: any) => {
      socket = ws; // never connected to a server: the bench sends the events
    });
    await page.addInitScript(() => {
      const w = window as any;
      w.__pqLongTasks = [];
      new PerformanceObserver(list => {
        for (const entry of list.getEntries()) {
          w.__pqLongTasks.push(entry.duration);
        }
      }).observe({ type: 'longtask' as never, buffered: true });
    });
    await page.goto(`${baseUrl}/lab`);
    await page.waitForFunction(() => (window as any).jupyterapp?.commands.hasCommand('perqueue:open-workflow'), null, {
      timeout: 300_000
    }); // a bound for a hang: a loaded machine loads JupyterLab slowly

    /** Opens a workflow and resolves with the ms until its graph is laid out and painted. */
    const firstPaint = (id: number, expand: boolean) =>
      page.evaluate(
        async ({ id, expand }: { id: number; expand: boolean }) => {
          const app = (window as any).jupyterapp;
          const frame = () => new Promise<void>(r => requestAnimationFrame(() => requestAnimationFrame(() => r())));
          const t0 = performance.now();
          const widget = await app.commands.execute('perqueue:open-workflow', { workflowId: id });
          const panel = widget.content;
          const view = panel.graph;
          const runs = () => Number(view.node.dataset.layoutRuns ?? 0);
          while (runs() === 0) {
            await new Promise(r => setTimeout(r, 5));
          }
          if (expand) {
            const before = runs();
            panel.setAllGroupsCollapsed(false);
            while (runs() === before) {
              await new Promise(r => setTimeout(r, 5));
            }
          }
          await frame();
          return { ms: performance.now() - t0, nodes: panel.cytoscape.nodes().length };
        },
        { id, expand }
      );

    const collapsed: number[] = [];
    const expanded: number[] = [];
    let drawnCollapsed = 0;
    let drawnExpanded = 0;
    for (let r = 0; r < o.runs; r++) {
      const a = await firstPaint(ids[2 * r], false);
      collapsed.push(a.ms);
      drawnCollapsed = a.nodes;
      const expandProfiler = process.env.PQ_BENCH_PROFILE === 'expand' && r === 0 ? await startProfile(page) : null;
      const b = await firstPaint(ids[2 * r + 1], true);
      if (expandProfiler) {
        await printProfile(expandProfiler);
      }
      expanded.push(b.ms);
      drawnExpanded = b.nodes;
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
    const fmt = (xs: number[]) =>
      `median ${(median(xs) / 1000).toFixed(2)} s (min ${(Math.min(...xs) / 1000).toFixed(2)}, max ${(Math.max(...xs) / 1000).toFixed(2)}, n=${xs.length})`;
    console.log(`(a) first paint of a ${o.entries.toLocaleString('en')}-entry workflow (goal <= 1.5 s)`);
    console.log(`    default view, width groups collapsed (${drawnCollapsed} nodes drawn): ${fmt(collapsed)}`);
    console.log(`    every group expanded (${drawnExpanded} nodes drawn, layout in the worker): ${fmt(expanded)}`);

    // (b) Events into the last graph (as shown by default; --expanded: every group expanded),
    // every entry going waiting → running → succeeded.
    const expandedLive = process.argv.includes('--expanded');
    const live = ids[o.runs * 2];
    await firstPaint(live, expandedLive);
    if (!socket) {
      throw new Error('the page never opened the event socket');
    }
    void socket;
    await page.evaluate(() => {
      (window as any).__pqLongTasks = [];
    });
    // PQ_BENCH_PROFILE=events: the page's CPU profile during the events, top functions by self time.
    const profiler = process.env.PQ_BENCH_PROFILE === 'events' ? await startProfile(page) : null;
    // The events are made in the page and handed to the model as its socket hands them
    // (applyEvent), and the refetches it makes after them are answered in the page too (with a
    // JSON round trip, as a response is parsed): the browser's work alone is measured, not the
    // test driver's messaging.
    const total = o.seconds * o.rate;
    const started = Date.now();
    await page.evaluate(
      async ({ live, total, rate }: { live: number; total: number; rate: number }) => {
        const panel = (window as any).jupyterapp.shell.currentWidget.content;
        const model = panel._model;
        // Kept to be put back for the timeline phases, which load workflows of their own.
        model.__getWorkflow = model._client.getWorkflow;
        const detail = JSON.parse(JSON.stringify(model.workflow(live)));
        model._client.getWorkflow = async (id: number) =>
          JSON.parse(JSON.stringify(id === live ? detail : await Promise.reject(new Error('not in the bench'))));
        let seq = model.lastSeq;
        const t0 = performance.now();
        for (let k = 0; k < total; k++) {
          const node = detail.nodes[1 + (k % (detail.nodes.length - 2))];
          node.state = node.state === 'waiting' ? 'running' : node.state === 'running' ? 'succeeded' : 'running';
          model.applyEvent({
            seq: ++seq,
            at: Date.now(),
            workflowId: live,
            nodeId: node.id,
            type: 'node',
            state: node.state
          });
          const wait = t0 + ((k + 1) * 1000) / rate - performance.now();
          if (wait > 0) {
            await new Promise(r => setTimeout(r, wait));
          }
        }
      },
      { live, total, rate: o.rate }
    );
    const sending = (Date.now() - started) / 1000;
    await page.waitForTimeout(1500);
    if (profiler) {
      await printProfile(profiler);
    }
    const longTasks: number[] = await page.evaluate(() => (window as any).__pqLongTasks);
    const shown = await page.evaluate((id: number) => {
      const view = (window as any).jupyterapp.shell.currentWidget.content.graph;
      return { states: view.node.dataset.states as string, id };
    }, live);
    const over200 = longTasks.filter(d => d > 200).length;
    console.log(
      `(b) ${total.toLocaleString('en')} events in ${sending.toFixed(1)} s (${(total / sending).toFixed(0)}/s) into the ${expandedLive ? 'expanded' : 'default (collapsed)'} ${o.entries.toLocaleString('en')}-entry graph (goal: no long task > 200 ms)`
    );
    console.log(
      `    long tasks: ${longTasks.length} (> 50 ms), longest ${longTasks.length ? Math.max(...longTasks).toFixed(0) : 0} ms, ` +
        `median ${longTasks.length ? median(longTasks).toFixed(0) : 0} ms, over 200 ms: ${over200}`
    );
    console.log(`    graph after the run: ${shown.states}`);

    // (c) The timeline's first paint: from the command to the canvas painted once.
    const timelinePaint = (id: number) =>
      page.evaluate(async (id: number) => {
        const app = (window as any).jupyterapp;
        const frame = () => new Promise<void>(r => requestAnimationFrame(() => requestAnimationFrame(() => r())));
        const current = app.shell.currentWidget?.content;
        const model = current?._model;
        if (model?.__getWorkflow) {
          model._client.getWorkflow = model.__getWorkflow;
        }
        const t0 = performance.now();
        const widget = await app.commands.execute('perqueue:show-timeline', { workflowId: id });
        const view = widget.content;
        while (!Number(view.node.dataset.painted ?? 0)) {
          await new Promise(r => setTimeout(r, 5));
        }
        await frame();
        return {
          ms: performance.now() - t0,
          entries: Number(view.node.dataset.entryCount),
          drawn: Number(view.node.dataset.drawnBars)
        };
      }, id);
    const timeline: number[] = [];
    let timelineDrawn = { entries: 0, drawn: 0 };
    for (let r = 0; r < o.runs; r++) {
      const t = await timelinePaint(timedIds[r]);
      timeline.push(t.ms);
      timelineDrawn = t;
    }
    console.log(
      `(c) timeline first paint of a ${timelineDrawn.entries.toLocaleString('en')}-entry workflow (${timelineDrawn.drawn} lanes on screen; goal <= 1 s): ${fmt(timeline)}`
    );

    // (d) Events into the open timeline, each entry queued → running → succeeded, with times.
    const liveTimeline = timedIds[timedIds.length - 1];
    await timelinePaint(liveTimeline);
    await page.evaluate(() => {
      (window as any).__pqLongTasks = [];
    });
    const timelineStarted = Date.now();
    await page.evaluate(
      async ({ live, total, rate }: { live: number; total: number; rate: number }) => {
        const view = (window as any).jupyterapp.shell.currentWidget.content;
        const model = view._model;
        const detail = JSON.parse(JSON.stringify(model.workflow(live)));
        model._client.getWorkflow = async (id: number) =>
          JSON.parse(JSON.stringify(id === live ? detail : await Promise.reject(new Error('not in the bench'))));
        let seq = model.lastSeq;
        const t0 = performance.now();
        const next: Record<string, string> = {
          succeeded: 'queued',
          queued: 'running',
          running: 'succeeded',
          waiting: 'queued'
        };
        for (let k = 0; k < total; k++) {
          const node = detail.nodes[1 + (k % (detail.nodes.length - 2))];
          node.state = next[node.state] ?? 'queued';
          const at = Date.now();
          if (node.state === 'queued') Object.assign(node, { queuedAt: at, startedAt: null, endedAt: null });
          if (node.state === 'running') node.startedAt = at;
          if (node.state === 'succeeded') node.endedAt = at;
          model.applyEvent({ seq: ++seq, at, workflowId: live, nodeId: node.id, type: 'node', state: node.state });
          const wait = t0 + ((k + 1) * 1000) / rate - performance.now();
          if (wait > 0) {
            await new Promise(r => setTimeout(r, wait));
          }
        }
      },
      { live: liveTimeline, total, rate: o.rate }
    );
    const timelineSending = (Date.now() - timelineStarted) / 1000;
    await page.waitForTimeout(1500);
    const timelineLong: number[] = await page.evaluate(() => (window as any).__pqLongTasks);
    const timelineStates = await page.evaluate(
      () => (window as any).jupyterapp.shell.currentWidget.content.node.dataset.states as string
    );
    console.log(
      `(d) ${total.toLocaleString('en')} events in ${timelineSending.toFixed(1)} s (${(total / timelineSending).toFixed(0)}/s) into the open ${o.entries.toLocaleString('en')}-entry timeline (goal: no long task > 100 ms)`
    );
    console.log(
      `    long tasks: ${timelineLong.length} (> 50 ms), longest ${timelineLong.length ? Math.max(...timelineLong).toFixed(0) : 0} ms, ` +
        `median ${timelineLong.length ? median(timelineLong).toFixed(0) : 0} ms, over 100 ms: ${timelineLong.filter(d => d > 100).length}`
    );
    console.log(`    timeline after the run: ${timelineStates}`);
    await browser.close();
  } finally {
    stop();
  }
}

main().catch(error => {
  console.error(error);
  process.exit(1);
});
