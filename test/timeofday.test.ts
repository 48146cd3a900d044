// The guest's time of day (src/kernel/timeofday.ts): adjtime's slew as kern_ntptime.c's
// ntp_update_second applies it, and steps that leave the slew running.
import { describe, expect, it } from 'vitest';
import { TimeOfDay, slewApplied } from '../src/kernel/timeofday.js';

describe('adjtime slew (ntp_update_second)', () => {
  it('5000 us/s while more than a second is left, then 500 us/s, then the rest', () => {
    expect(slewApplied(2_000_000, 1)).toBe(5000);
    expect(slewApplied(2_000_000, 0.5)).toBe(2500);
    expect(slewApplied(-2_000_000, 1)).toBe(-5000);
    // 2 s: 200 s at 5000 us/s bring it to 1 s, then 1999 s at 500 us/s to 500 us, then 1 s
    expect(slewApplied(2_000_000, 200)).toBe(1_000_000);
    expect(slewApplied(2_000_000, 200 + 1999)).toBe(2_000_000 - 500);
    expect(slewApplied(2_000_000, 10_000)).toBe(2_000_000);
    expect(slewApplied(300, 0.5)).toBe(150); // the last < 500 us within one second
    expect(slewApplied(300, 5)).toBe(300);
    expect(slewApplied(0, 5)).toBe(0);
  });

  it('steps, slews and reports what is left on a clock the test drives', () => {
    let mono = 0n;
    const tod = new TimeOfDay(() => mono);
    const t0 = tod.nowNs();
    tod.set(t0 + 1_000_000_000n);
    expect(tod.nowNs() - t0).toBe(1_000_000_000n);
    expect(tod.adjtime({ sec: 0n, usec: -300_000 })).toBe(0n);
    mono += 2_000_000_000n; // 2 s at 500 us/s: 1000 us slewed
    expect(tod.nowNs() - t0).toBe(1_000_000_000n + 2_000_000_000n - 1_000_000n);
    expect(tod.adjtime(undefined)).toBe(-299_000n);
    tod.set(t0); // a step keeps the slew going
    mono += 1_000_000_000n;
    expect(tod.nowNs() - t0).toBe(1_000_000_000n - 500_000n);
    expect(tod.adjtime({ sec: 0n, usec: 0 })).toBe(-298_500n);
    mono += 1_000_000_000n;
    expect(tod.nowNs() - t0).toBe(2_000_000_000n - 500_000n);
    expect(tod.adjtime({ sec: 0n, usec: 5_000_000 })).toBe(0n); // tv_usec clamped to 999999
    expect(tod.adjtime(undefined)).toBe(999_999n);
  });
});
