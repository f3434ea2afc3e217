// The full-log follower against a log that grows as a running entry writes it: bounded pieces
// read at once, appended bytes picked up by polls, following stops when the entry has ended,
// a retry starts over, and a failed read is retried.
import { ILogRange, LogFollower } from '../follower';

/** A log file the test writes to, served the way the bridge serves ?offset=N (at most `chunk` bytes). */
class GrowingLog {
  constructor(private readonly chunk = 1024) {}
  text = '';
  state = 'running';
  attempt = 1;
  reads: number[] = [];
  failNext = false;
  async read(offset: number): Promise<ILogRange> {
    this.reads.push(offset);
    if (this.failNext) {
      this.failNext = false;
      throw new Error('bridge away');
    }
    if (offset > this.text.length) {
      throw new Error(`'offset' ${offset} is past the end`);
    }
    const text = this.text.slice(offset, offset + this.chunk);
    return { text, offset: offset + text.length, size: this.text.length, attempt: this.attempt, state: this.state };
  }
}

function follow(log: GrowingLog, pollMs = 5) {
  const shown: string[] = [];
  const statuses: [string, boolean][] = [];
  const errors: unknown[] = [];
  let resets = 0;
  const follower = new LogFollower({
    read: o => log.read(o),
    onText: t => shown.push(t),
    onReset: () => {
      resets++;
      shown.length = 0;
    },
    onStatus: (s, f) => statuses.push([s, f]),
    onError: e => errors.push(e),
    pollMs
  });
  follower.start();
  return { follower, shown, statuses, errors, resets: () => resets };
}

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 400 && !check(); i++) {
    await new Promise(r => setTimeout(r, 5));
  }
  if (!check()) {
    throw new Error(`timed out waiting for ${what}`);
  }
};

describe('LogFollower', () => {
  it('reads a big log in bounded pieces at once, then the lines appended while it runs, and stops at the end', async () => {
    const log = new GrowingLog(10);
    log.text = Array.from({ length: 8 }, (_, i) => `line ${i}\n`).join('');
    const f = follow(log);
    await until(() => f.shown.join('') === log.text, 'the first lines');
    expect(f.shown.length).toBeGreaterThan(5); // pieces of at most 10 bytes
    expect(f.follower.following).toBe(true);
    log.text += 'later 1\nlater 2\n';
    await until(() => f.shown.join('').endsWith('later 2\n'), 'the appended lines');
    log.text += 'last\n';
    log.state = 'succeeded';
    await until(() => !f.follower.following, 'the end');
    expect(f.shown.join('')).toBe(log.text);
    expect(f.statuses[f.statuses.length - 1]).toEqual(['succeeded', false]);
    // Ended: no more polls.
    const reads = log.reads.length;
    await new Promise(r => setTimeout(r, 50));
    expect(log.reads.length).toBe(reads);
    f.follower.dispose();
  });

  it('an ended entry is read once, whole; a wake after a retry starts over from the new, shorter log', async () => {
    const log = new GrowingLog();
    log.text = 'first attempt\n';
    log.state = 'failed';
    const f = follow(log);
    await until(() => f.statuses.length > 0, 'the first read');
    expect(f.shown.join('')).toBe('first attempt\n');
    expect(f.follower.following).toBe(false);
    log.attempt = 2;
    log.state = 'running';
    log.text = 'second\n';
    f.follower.wake(); // the view wakes it on the entry's events
    await until(() => f.shown.join('') === 'second\n', "the retry's log");
    expect(f.resets()).toBe(1);
    expect(f.follower.following).toBe(true);
    f.follower.dispose();
  });

  it('a failed read is reported and tried again at the next poll; nothing is lost or repeated', async () => {
    const log = new GrowingLog();
    log.text = 'a\n';
    log.failNext = true;
    const f = follow(log);
    await until(() => f.errors.length === 1, 'the error');
    log.text += 'b\n';
    await until(() => f.shown.join('') === 'a\nb\n', 'the text after the error');
    f.follower.dispose();
    const reads = log.reads.length;
    await new Promise(r => setTimeout(r, 30));
    expect(log.reads.length).toBe(reads); // disposed: no more reads
  });
});
