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
