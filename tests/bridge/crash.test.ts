// Crash safety: SIGKILL the daemon again and again during a 200-entry run; after each restart
// the run goes on, and in the end every entry ran exactly once with the right data.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { Project, pyTask, spec } from './cli-harness.js';
import { waitWhileProgressing } from './wait-progress.js';

const p = new Project('pq-crash-');
after(() => p.stop());

function daemonPid(): number | null {
  try {
    return JSON.parse(readFileSync(join(p.dir, '.perqueue/bridge.json'), 'utf8')).pid;
  } catch {
    return null;
  }
}

// No fixed deadline for the run: a loaded machine is slow, and only a run that stops changing
// (waitWhileProgressing) or this generous bound on the whole test counts as a hang.
it(
  'kill -9 of the bridge at several points loses nothing and runs nothing twice',
  { timeout: 30 * 60_000 },
  async () => {
    // Each task logs its entry id once, sleeps a little, and returns its column index doubled.
    const work = p.script(
      'work.sh',
      '#!/bin/bash\necho "$PQ_ENTRY_ID" >> "$PQ_RUN_DIR/../../../../ran.log"\nsleep 0.0$((RANDOM % 5))\n' +
        "i=$(python3 -c \"import json,os; print(json.load(open(os.environ['PQ_INPUT']))['kwargs']['pq_index'][0])\")\n" +
        'echo "{\\"v\\": $((i * 2))}" > "$PQ_OUTPUT"\n'
    );
    const sum = p.script(
      'sum.sh',
      '#!/bin/bash\necho "$PQ_ENTRY_ID" >> "$PQ_RUN_DIR/../../../../ran.log"\n' +
        "python3 -c \"import json,os; d=json.load(open(os.environ['PQ_INPUT'])); v=d['kwargs']['v']; " +
        "json.dump({'total': sum(v.values()), 'n': len(v)}, open(os.environ['PQ_OUTPUT'], 'w'))\"\n"
    );
    const column = {
      kind: 'workflow',
      nodes: [
        { id: 'a', node: pyTask('a', work), parents: [] },
        { id: 'b', node: pyTask('b', work), parents: ['a'] }
      ]
    };
    const root = {
      kind: 'workflow',
      nodes: [
        { id: 'cols', node: { kind: 'static_width', body: column, width: 100 }, parents: [] },
        { id: 'sum', node: pyTask('sum', sum), parents: ['cols'] }
      ]
    };
    const wf = await p.submit(spec('crash', root));
    for (let k = 0; k < 6; k++) {
      await new Promise(r => setTimeout(r, 150 + 100 * k));
      const pid = daemonPid();
      if (pid) process.kill(pid, 'SIGKILL');
      const r = await p.pql('daemon', 'start');
      assert.equal(r.code, 0, r.stderr);
    }
    const w = await waitWhileProgressing(p, wf);
    assert.equal(w.code, 0, w.stdout + w.stderr);
    const es = await p.entries(wf);
    const tasks = es.filter(e => e.kind === 'task');
    assert.equal(tasks.length, 201);
    assert.ok(tasks.every(e => e.state === 'succeeded'));
    const ran = p.read('ran.log').trim().split('\n').map(Number);
    const counts = new Map<number, number>();
    for (const id of ran) counts.set(id, (counts.get(id) ?? 0) + 1);
    assert.equal(counts.size, 201, 'every entry ran');
    assert.deepEqual(
      [...counts.values()].filter(c => c !== 1),
      [],
      'no entry ran twice'
    );
    const total = es.find(e => e.name === 'sum')!.data;
    assert.deepEqual(total, { total: (2 * (99 * 100)) / 2, n: 100 });
  }
);
