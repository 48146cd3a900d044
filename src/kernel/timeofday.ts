// The guest's time of day (CLOCK_REALTIME): the host's, stepped by settimeofday(2) and
// clock_settime(2) (sys/kern/kern_time.c 1.214 settime1 → tc_setclock) and slewed by adjtime(2)
// (kern_time.c adjtime1 sets time_adjtime; sys/kern/kern_ntptime.c ntp_update_second applies it).
// One per machine, as the kernel has one clock; the host's own clock is never touched.
//
// Slewing follows ntp_update_second: each second takes 5000 us off time_adjtime while more than
// one second is left, then 500 us while more than 500 us is left, then the rest; nbemu spreads
// each second's step evenly over that second (NetBSD's is a frequency change of the clock for
// the second, which comes to the same).

/** The microseconds of time_adjtime applied in `secs` seconds (signed like `us`). */
export function slewApplied(us: number, secs: number): number {
  const sign = us < 0 ? -1 : 1;
  let left = Math.abs(us);
  let t = secs;
  let done = 0;
  const phase = (rate: number, steps: number): void => {
    const n = Math.min(t, steps);
    done += rate * n;
    left -= rate * n;
    t -= n;
  };
  if (left > 1_000_000) phase(5000, Math.ceil((left - 1_000_000) / 5000));
  if (t > 0 && left > 500) phase(500, Math.ceil((left - 500) / 500));
  if (t > 0 && left > 0) phase(left, 1);
  return sign * done;
}

export class TimeOfDay {
  /** tc_setclock's steps: guest realtime minus the host's, before any slew. */
  private offsetNs = 0n;
  /** time_adjtime as set by the last adjtime, and the host monotonic time it was set. */
  private adjUs = 0;
  private adjSince = 0n;

  /** The host's wall clock at start-up minus its monotonic clock: realtime ticks with the latter. */
  private readonly base: bigint;

  constructor(private readonly hostMonoNs: () => bigint = () => process.hrtime.bigint()) {
    this.base = BigInt(Date.now()) * 1_000_000n - hostMonoNs();
  }

  private appliedUs(): number {
    if (this.adjUs === 0) return 0;
    const secs = Number(this.hostMonoNs() - this.adjSince) / 1e9;
    return slewApplied(this.adjUs, secs);
  }

  /** Has the clock been stepped or slewed (then CLOCK_REALTIME no longer ticks with the host's monotonic clock)? */
  changed = false;

  /** nanotime(): the guest's CLOCK_REALTIME in ns since the epoch. */
  nowNs(): bigint {
    const applied = this.appliedUs();
    return this.hostMonoNs() + this.base + this.offsetNs + BigInt(Math.round(applied * 1000));
  }

  /** tc_setclock: the clock reads `ns` from now on (any slew still in progress goes on). */
  set(ns: bigint): void {
    this.changed = true;
    this.offsetNs += ns - this.nowNs();
  }

  /**
   * adjtime1: the adjustment still to be made (time_adjtime, us) is returned; a new one replaces it
   * (clamped as adjtime1 clamps: tv_usec to ±999999, huge values to INT64's ends).
   */
  adjtime(delta: { sec: bigint; usec: number } | undefined): bigint {
    const applied = this.appliedUs();
    const remaining = this.adjUs - applied;
    if (delta) {
      this.changed = true;
      // what was slewed so far becomes part of the stepped offset
      this.offsetNs += BigInt(Math.round(applied * 1000));
      const usec = Math.max(-999_999, Math.min(999_999, delta.usec));
      const max = 9223372036854775807n;
      let us: bigint;
      if (delta.sec > max / 1_000_000n - 1n) us = max;
      else if (delta.sec < -max / 1_000_000n) us = -max - 1n;
      else us = delta.sec * 1_000_000n + BigInt(usec);
      this.adjUs = Number(us);
      this.adjSince = this.hostMonoNs();
    }
    return BigInt(Math.round(remaining));
  }
}
