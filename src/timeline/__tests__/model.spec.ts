import {
  axisTicks,
  barPixels,
  buildTimeline,
  durations,
  fitViewport,
  formatDuration,
  hitTest,
  ISeenTimes,
  ITimelineNode,
  lanesById,
  laneY,
  noteEventTime,
  panBy,
  retime,
  rowOfLane,
  samePlace,
  slowestBars,
  stateFunnel,
  timeToX,
  updateBars,
  visibleLanes,
  withSeenTimes,
  xToTime,
  zoomAt
} from '../model';

const T = 1_700_000_000_000;

function task(id: number, name: string, extra: Partial<ITimelineNode> = {}): ITimelineNode {
  return { id, kind: 'task', name, state: 'succeeded', templateId: 0, ...extra };
}

/** prep -> width group 'fan' of 3 'work' entries -> a cyclical 'loop' with 'relax' twice. */
function workflow(): ITimelineNode[] {
  return [
    task(1, 'prep', { templateId: 0, queuedAt: T, startedAt: T + 100, endedAt: T + 1100 }),
    { id: 2, kind: 'dynamic_width', name: 'fan', state: 'succeeded', templateId: 1 },
    task(5, 'work', {
      templateId: 2,
      groupId: 2,
      index: [2],
      queuedAt: T + 1200,
      startedAt: T + 5000,
      endedAt: T + 9000,
      jobId: '77'
    }),
    task(3, 'work', {
      templateId: 2,
      groupId: 2,
      index: [0],
      queuedAt: T + 1200,
      startedAt: T + 1300,
      endedAt: T + 2000
    }),
    task(4, 'work', {
      templateId: 2,
      groupId: 2,
      index: [1],
      state: 'failed',
      queuedAt: T + 1200,
      startedAt: T + 1250,
      endedAt: T + 1500
    }),
    { id: 6, kind: 'cyclical', name: 'loop', state: 'running', templateId: 3 },
    task(8, 'relax', {
      templateId: 4,
      groupId: 6,
      iteration: [1],
      state: 'running',
      queuedAt: T + 9500,
      startedAt: T + 9600
    }),
    task(7, 'relax', {
      templateId: 4,
      groupId: 6,
      iteration: [0],
      queuedAt: T + 9100,
      startedAt: T + 9200,
      endedAt: T + 9400
    }),
    task(9, 'after', { templateId: 5, state: 'waiting' })
  ];
}

describe('buildTimeline', () => {
  const model = buildTimeline(workflow(), T + 12_000);

  it('gives every task one lane, and placeholders none', () => {
    expect(model.bars.map(b => b.entryId)).toEqual([1, 3, 4, 5, 7, 8, 9]);
    expect(model.bars.every((b, i) => b.lane === i)).toBe(true);
  });

  it('groups lanes in rows by iteration and column, labelled with the groups around them', () => {
    expect(model.rows.map(r => [r.label, r.firstLane, r.lanes])).toEqual([
      ['prep', 0, 1],
      ['fan › work', 1, 3],
      ['loop › relax  (iteration 0)', 4, 1],
      ['loop › relax  (iteration 1)', 5, 1],
      ['after', 6, 1]
    ]);
    // Entries of a width group in the order of their index, whatever order they came in.
    expect(model.bars.slice(1, 4).map(b => b.index)).toEqual([[0], [1], [2]]);
    expect(rowOfLane(model, 3)?.label).toBe('fan › work');
    expect(rowOfLane(model, 5)?.label).toBe('loop › relax  (iteration 1)');
    expect(rowOfLane(model, 7)).toBeNull();
  });

  it('spans from the first queue time to now while something runs', () => {
    expect(model.start).toBe(T);
    expect(model.end).toBe(T + 12_000);
    const finished = buildTimeline(
      workflow().filter(n => n.id !== 8),
      T + 50_000
    );
    expect(finished.end).toBe(T + 9400);
  });

  it('separates the queue wait from the run, and a running bar reaches now', () => {
    const slow = model.bars.find(b => b.entryId === 5)!;
    expect(durations(slow, model.now)).toEqual({ wait: 3800, run: 4000 });
    const running = model.bars.find(b => b.entryId === 8)!;
    expect(durations(running, model.now)).toEqual({ wait: 100, run: 12_000 - 9600 });
    const waiting = model.bars.find(b => b.entryId === 9)!;
    expect(durations(waiting, model.now)).toEqual({ wait: null, run: null });
  });

  it('maps states to the graph legend families', () => {
    expect(model.bars.find(b => b.entryId === 4)!.family).toBe('failed');
    expect(model.bars.find(b => b.entryId === 8)!.family).toBe('running');
    expect(model.bars.find(b => b.entryId === 9)!.family).toBe('waiting');
  });

  it('is empty but well formed for a workflow with no tasks', () => {
    const empty = buildTimeline([], T);
    expect(empty.bars).toEqual([]);
    expect(empty.end).toBeGreaterThan(empty.start);
  });
});

describe('live updates in place', () => {
  /** The workflow with some entries changed as events would change them. */
  function changed(nodes: ITimelineNode[], patches: Record<number, Partial<ITimelineNode>>): ITimelineNode[] {
    return nodes.map(n => (patches[n.id] ? { ...n, ...patches[n.id] } : n));
  }

  it('updates the bars of changed entries to what a new build gives, and the span with them', () => {
    const before = workflow();
    const model = buildTimeline(before, T + 12_000);
    const laneOf = lanesById(model);
    const after = changed(before, {
      9: { state: 'queued', queuedAt: T + 11_000, jobId: '99', attempt: 1 },
      8: { state: 'succeeded', endedAt: T + 10_000 },
      4: { state: 'running', queuedAt: T + 11_500, startedAt: T + 11_600, endedAt: null, attempt: 2 }
    });
    const rows = model.rows;
    const touched = after.filter(n => [9, 8, 4].includes(n.id));
    expect(updateBars(model, laneOf, touched, T + 20_000)).toBe(true);
    expect(model).toEqual(buildTimeline(after, T + 20_000));
    expect(model.rows).toBe(rows);
  });

  it('passes over placeholders and asks for a new build when an entry has no lane', () => {
    const nodes = workflow();
    const model = buildTimeline(nodes, T + 12_000);
    const laneOf = lanesById(model);
    const fan = nodes.find(n => n.id === 2)!;
    expect(updateBars(model, laneOf, [{ ...fan, state: 'running' }], T + 12_000)).toBe(true);
    expect(updateBars(model, laneOf, [task(50, 'new', { state: 'queued', queuedAt: T })], T + 12_000)).toBe(false);
    // Nothing was changed by the refused update.
    expect(model).toEqual(buildTimeline(nodes, T + 12_000));
  });

  it('tells a move to another lane or row from a change of state or times', () => {
    const entry = task(3, 'work', { templateId: 2, groupId: 2, index: [0], iteration: [] });
    expect(samePlace(entry, { ...entry, state: 'failed', endedAt: T, jobId: '5', attempt: 3 })).toBe(true);
    expect(samePlace(entry, { ...entry, index: undefined, iteration: undefined, state: 'running' })).toBe(false);
    expect(samePlace({ ...entry, index: [] }, { ...entry, index: undefined })).toBe(true);
    expect(samePlace(entry, { ...entry, index: [1] })).toBe(false);
    expect(samePlace(entry, { ...entry, iteration: [0] })).toBe(false);
    expect(samePlace(entry, { ...entry, name: 'other' })).toBe(false);
    expect(samePlace(entry, { ...entry, groupId: 6 })).toBe(false);
    expect(samePlace(entry, { ...entry, templateId: 9 })).toBe(false);
    expect(samePlace(entry, { ...entry, kind: 'manual' })).toBe(false);
  });

  it('moves now: running bars grow, finished ones stay', () => {
    const model = buildTimeline(workflow(), T + 12_000);
    retime(model, T + 30_000);
    expect(model.now).toBe(T + 30_000);
    expect(model.end).toBe(T + 30_000);
    expect(model).toEqual(buildTimeline(workflow(), T + 30_000));
  });
});

describe('times told by events', () => {
  it('notes queue, start and end times from states; waiting says nothing', () => {
    const seen: ISeenTimes = {};
    expect(noteEventTime(seen, 'queued', T)).toBe(true);
    expect(noteEventTime(seen, 'running', T + 10)).toBe(true);
    expect(noteEventTime(seen, 'failed', T + 20)).toBe(true);
    expect(seen).toEqual({ queuedAt: T, startedAt: T + 10, endedAt: T + 20 });
    expect(noteEventTime(seen, 'waiting', T + 30)).toBe(false);
    expect(noteEventTime(seen, 'awaiting_input', T + 30)).toBe(false);
    // A retry queues again: the former run's times go.
    expect(noteEventTime(seen, 'queued', T + 40)).toBe(true);
    expect(seen).toEqual({ queuedAt: T + 40 });
  });

  it("fills in an entry's missing times; the snapshot's win, unless a retry queued it again", () => {
    const entry = task(1, 'a', { state: 'running', queuedAt: T, startedAt: null, endedAt: null });
    expect(withSeenTimes(entry, undefined)).toBe(entry);
    expect(withSeenTimes(entry, { queuedAt: T, startedAt: T + 5 })).toMatchObject({ queuedAt: T, startedAt: T + 5 });
    const done = { ...entry, startedAt: T + 4, endedAt: T + 9 };
    expect(withSeenTimes(done, { queuedAt: T, startedAt: T + 5, endedAt: T + 10 })).toMatchObject({
      queuedAt: T,
      startedAt: T + 4,
      endedAt: T + 9
    });
    expect(withSeenTimes(done, { queuedAt: T + 20 })).toMatchObject({
      queuedAt: T + 20,
      startedAt: null,
      endedAt: null
    });
  });
});

describe('funnel and slowest', () => {
  it('counts entries per state in the engine order, placeholders left out', () => {
    expect(stateFunnel(workflow())).toEqual([
      { state: 'waiting', count: 1 },
      { state: 'running', count: 1 },
      { state: 'succeeded', count: 4 },
      { state: 'failed', count: 1 }
    ]);
  });

  it('lists the longest runs first', () => {
    const model = buildTimeline(
      workflow().filter(n => n.id !== 8),
      T + 20_000
    );
    expect(slowestBars(model, 3).map(b => b.entryId)).toEqual([5, 1, 3]);
  });
});

describe('viewport', () => {
  const model = buildTimeline(workflow(), T + 12_000);
  const base = { width: 1100, labelWidth: 100, axisHeight: 20, laneHeight: 10, scrollTop: 0 };

  it('fits the whole span and maps time to pixels and back', () => {
    const v = fitViewport(model, base);
    expect(timeToX(v, model.start)).toBeGreaterThan(base.labelWidth);
    expect(timeToX(v, model.end)).toBeLessThan(base.width);
    expect(xToTime(v, timeToX(v, T + 4321))).toBeCloseTo(T + 4321, 6);
  });

  it('zooms around the pointer and pans by pixels', () => {
    const v = { ...base, t0: T, t1: T + 10_000 };
    const x = timeToX(v, T + 2500);
    const zoomed = zoomAt(v, x, 4);
    expect(zoomed.t1 - zoomed.t0).toBeCloseTo(2500, 6);
    expect(xToTime(zoomed, x)).toBeCloseTo(T + 2500, 6);
    const out = zoomAt(zoomed, x, 1 / 4);
    expect(out.t1 - out.t0).toBeCloseTo(10_000, 6);
    // Never closer than a few milliseconds across.
    expect(zoomAt(v, x, 1e9).t1 - zoomAt(v, x, 1e9).t0).toBe(10);
    const panned = panBy(v, 100);
    expect(panned.t0).toBeCloseTo(T - 1000, 6);
    expect(panned.t1 - panned.t0).toBeCloseTo(10_000, 6);
  });

  it('lists the visible lanes of a scrolled drawing', () => {
    const v = { ...base, t0: T, t1: T + 10_000, scrollTop: 25 };
    expect(visibleLanes(v, 60, model.bars.length)).toEqual([2, 7]);
    expect(laneY(v, 2)).toBe(20 + 20 - 25);
    expect(visibleLanes({ ...v, scrollTop: 0 }, 1000, 7)).toEqual([0, 7]);
  });

  it('finds the bar under the pointer, including its queue wait, and none outside', () => {
    const v = { ...base, t0: T, t1: T + 10_000 };
    const laneCenter = (lane: number) => 20 + lane * 10 + 5;
    // Entry 5 (lane 3) waits from 1.2 s and runs from 5 s to 9 s: 100 px per second.
    expect(hitTest(model, v, timeToX(v, T + 3000), laneCenter(3))?.entryId).toBe(5);
    expect(hitTest(model, v, timeToX(v, T + 8000), laneCenter(3))?.entryId).toBe(5);
    expect(hitTest(model, v, timeToX(v, T + 9500), laneCenter(3))).toBeNull();
    expect(hitTest(model, v, timeToX(v, T + 500), laneCenter(0))?.entryId).toBe(1);
    // The label column, the axis, a waiting entry's empty lane and below the last lane hold nothing.
    expect(hitTest(model, v, 50, laneCenter(0))).toBeNull();
    expect(hitTest(model, v, timeToX(v, T + 500), 10)).toBeNull();
    expect(hitTest(model, v, timeToX(v, T + 500), laneCenter(6))).toBeNull();
    expect(hitTest(model, v, timeToX(v, T + 500), laneCenter(40))).toBeNull();
    // Scrolled by two lanes, the top lane is entry 4.
    expect(hitTest(model, { ...v, scrollTop: 20 }, timeToX(v, T + 1300), laneCenter(0))?.entryId).toBe(4);
  });

  it('draws a short run at least two pixels wide, the wait part before the run', () => {
    const v = { ...base, t0: T, t1: T + 1e9 };
    const px = barPixels(v, model.bars[0], model.now)!;
    expect(px.x1 - px.x0).toBeGreaterThanOrEqual(2);
    const wide = { ...base, t0: T, t1: T + 10_000 };
    const slow = barPixels(wide, model.bars[3], model.now)!;
    expect([slow.x0, slow.xStart, slow.x1]).toEqual([
      timeToX(wide, T + 1200),
      timeToX(wide, T + 5000),
      timeToX(wide, T + 9000)
    ]);
  });

  it('ticks the axis in round steps', () => {
    const ticks = axisTicks({ ...base, t0: T, t1: T + 10_000 });
    expect(ticks[0].step).toBe(1000);
    expect(ticks.length).toBe(11);
  });

  it('formats durations for people', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(12_340)).toBe('12.3 s');
    expect(formatDuration(245_000)).toBe('4 min 05 s');
    expect(formatDuration(7_800_000)).toBe('2 h 10 min');
  });
});
