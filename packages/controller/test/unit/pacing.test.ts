import { describe, expect, it } from 'vitest';
import { EC2_MUTATING, EC2_NON_MUTATING, Ec2Pacing, ec2RateOf } from '../../src/aws/pacing.js';

/** A clock that only moves when the pacer sleeps, so every wait it asks for is recorded. */
function manualTime() {
  let now = 0;
  const waits: number[] = [];
  return {
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
    waits,
  };
}

describe('client-side EC2 token buckets', () => {
  it("uses EC2's published rates: writes 50 tokens at 5/s, reads 100 at 20/s", () => {
    expect(ec2RateOf('CreateTrafficMirrorSession')).toEqual(EC2_MUTATING);
    expect(ec2RateOf('DeleteTrafficMirrorSession')).toEqual({ capacity: 50, refillPerSecond: 5 });
    expect(ec2RateOf('DescribeTrafficMirrorSessions')).toEqual(EC2_NON_MUTATING);
    expect(EC2_NON_MUTATING).toEqual({ capacity: 100, refillPerSecond: 20 });
  });

  it('lets a burst of the capacity through at once, then paces at the refill rate, first come first served', async () => {
    const time = manualTime();
    const pacing = new Ec2Pacing({ rateOf: () => ({ capacity: 3, refillPerSecond: 5 }), ...time });
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        pacing.take('CreateTrafficMirrorSession').then(() => order.push(i)),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
    // Three from the full bucket, then one token every 200 ms.
    expect(time.waits).toEqual([200, 200, 200]);
    expect(time.now()).toBe(600);
  });

  it('keeps one bucket per action: reads do not wait for writes', async () => {
    const time = manualTime();
    const pacing = new Ec2Pacing({ rateOf: () => ({ capacity: 1, refillPerSecond: 1 }), ...time });
    await pacing.take('CreateTrafficMirrorSession');
    await pacing.take('DescribeTrafficMirrorSessions');
    expect(time.waits).toEqual([]);
    await pacing.take('CreateTrafficMirrorSession');
    expect(time.waits).toEqual([1000]);
  });
});

describe('several writers: the whole rate alone, the share after a throttle', () => {
  const rate = { capacity: 4, refillPerSecond: 5 };

  it('holds capacity / writers tokens but refills at the whole rate while EC2 does not throttle', async () => {
    const time = manualTime();
    const pacing = new Ec2Pacing({ rateOf: () => rate, writers: 2, ...time });
    for (let i = 0; i < 4; i++) await pacing.take('CreateTrafficMirrorSession');
    // Two from the half-size bucket, then one every 200 ms (5/s): nobody else is writing.
    expect(time.waits).toEqual([200, 200]);
    expect(pacing.refillOf('CreateTrafficMirrorSession')).toBe(5);
  });

  it('a throttle drains the bucket and halves the refill until shareHoldMs pass without another', async () => {
    const time = manualTime();
    const pacing = new Ec2Pacing({ rateOf: () => rate, writers: 2, shareHoldMs: 1000, ...time });
    await pacing.take('CreateTrafficMirrorSession');
    pacing.throttled('CreateTrafficMirrorSession');
    expect(pacing.refillOf('CreateTrafficMirrorSession')).toBe(2.5);
    await pacing.take('CreateTrafficMirrorSession');
    await pacing.take('CreateTrafficMirrorSession');
    // 400 ms per token at 2.5/s (the share).
    expect(time.waits).toEqual([400, 400]);
    expect(time.now()).toBe(800);
    // A second throttle extends the hold from its own moment.
    pacing.throttled('CreateTrafficMirrorSession');
    await pacing.take('CreateTrafficMirrorSession');
    expect(time.now()).toBe(1200);
    expect(pacing.refillOf('CreateTrafficMirrorSession')).toBe(2.5);
    await time.sleep(600);
    // 1,800 ms: 1,000 ms since the last throttle: the whole rate again.
    expect(pacing.refillOf('CreateTrafficMirrorSession')).toBe(5);
    await pacing.take('CreateTrafficMirrorSession');
    await pacing.take('CreateTrafficMirrorSession');
    await pacing.take('CreateTrafficMirrorSession');
    expect(time.waits.slice(-1)).toEqual([200]);
  });

  it('one writer never drops below the whole rate (a throttle only drains)', async () => {
    const time = manualTime();
    const pacing = new Ec2Pacing({ rateOf: () => rate, ...time });
    pacing.throttled('CreateTrafficMirrorSession');
    expect(pacing.refillOf('CreateTrafficMirrorSession')).toBe(5);
    await pacing.take('CreateTrafficMirrorSession');
    expect(time.waits).toEqual([200]);
  });
});
