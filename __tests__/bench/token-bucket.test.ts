import { peakInWindow, refusedByBucket } from '../../bench/support/token-bucket';

describe('refusedByBucket', () => {
  it('lets a burst of the bucket size through at one instant and refuses the rest', () => {
    expect(refusedByBucket(Array(100).fill(0), { bucketSize: 80, refillPerSecond: 20 })).toBe(20);
  });

  it('refills at the rate, so calls paced at the rate are never refused after the burst', () => {
    // GIVEN 80 at once, then one every 50 ms for 10 s (20 per second)
    const times = [...Array(80).fill(0), ...Array.from({ length: 200 }, (_, i) => (i + 1) * 50)];
    // THEN
    expect(refusedByBucket(times, { bucketSize: 80, refillPerSecond: 20 })).toBe(0);
  });

  it('refuses what exceeds the rate once the burst is spent', () => {
    // GIVEN 80 at once, then 40 per second for 5 s
    const times = [...Array(80).fill(0), ...Array.from({ length: 200 }, (_, i) => (i + 1) * 25)];
    // THEN about half of the paced calls find no token
    expect(refusedByBucket(times, { bucketSize: 80, refillPerSecond: 20 })).toBe(100);
  });

  it('refuses nothing when there are no calls', () => {
    expect(refusedByBucket([], { bucketSize: 1, refillPerSecond: 1 })).toBe(0);
  });
});

describe('peakInWindow', () => {
  it('counts the most calls in any one-second window', () => {
    expect(peakInWindow([0, 100, 999, 1000, 1500, 1600, 2500])).toBe(4);
    expect(peakInWindow([0, 1000, 2000])).toBe(1);
  });

  it('answers 0 for no calls', () => {
    expect(peakInWindow([])).toBe(0);
  });
});
