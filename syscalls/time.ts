// Clocks, sleeps and interval timers (sys/kern/kern_time.c 1.214, sys/kern/subr_time.c 1.34):
// __clock_gettime50, __clock_getres50, clock_getcpuclockid2, __nanosleep50, clock_nanosleep,
// __gettimeofday50, __setitimer50, __getitimer50, and the POSIX timers (timer_create,
// timer_delete, __timer_settime50, __timer_gettime50, timer_getoverrun). The clocks and timers themselves are in
// src/kernel/itimer.ts.

import {
  CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID, EINTR, EINVAL, EPERM, ETIMEDOUT,
  P_LWPID, P_PID, TIMER_ABSTIME, TICK_US, NSIG, SIGEV_NONE, SIGEV_SA, SIGEV_SIGNAL, SIGEVENT_SIZE,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import {
  checkTimerId, clockGettime, getitimer, itimerfix, itimespecfix, realtimeChanged, setitimer, timerCreate, timerDelete,
  timerGetoverrun, timerGettime, timerSettime, type ItimerSpec, type ItimerVal, type SigEvent,
} from '../src/kernel/itimer.js';
import type { Proc } from '../src/kernel/proc.js';
import { Sleep, type Sleeper } from '../src/kernel/sleepq.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';

const NS = 1_000_000_000n;

function timespecBytes(ns: bigint): Uint8Array {
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setBigInt64(0, ns / NS, true);
  dv.setBigInt64(8, ns % NS, true);
  return out;
}

/** struct itimerspec: it_interval, then it_value (two struct timespec). */
function itimerspecBytes(v: ItimerSpec): Uint8Array {
  const out = new Uint8Array(32);
  out.set(timespecBytes(v.intervalNs), 0);
  out.set(timespecBytes(v.valueNs), 16);
  return out;
}

function readTimespec(p: Proc, addr: number): { sec: bigint; nsec: bigint } {
  const b = p.vm.read(addr, 16);
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  return { sec: dv.getBigInt64(0, true), nsec: dv.getBigInt64(8, true) };
}

/** struct timeval: tv_sec i64, tv_usec int (suseconds_t), 4 bytes of padding. */
function putTimeval(dv: DataView, off: number, us: number): void {
  dv.setBigInt64(off, BigInt(Math.floor(us / 1_000_000)), true);
  dv.setInt32(off + 8, us % 1_000_000, true);
  dv.setInt32(off + 12, 0, true);
}

function itimervalBytes(v: ItimerVal): Uint8Array {
  const out = new Uint8Array(32);
  const dv = new DataView(out.buffer);
  putTimeval(dv, 0, v.intervalUs);
  putTimeval(dv, 16, v.valueUs);
  return out;
}

/** What a sleeping nanosleep keeps across its re-executions. */
interface NanoSleepState {
  /** performance.now() time the sleep ends (for the CPU clocks: the next look at the clock). */
  deadline: number;
  clock: number;
  /** The clock value the sleep ends at (ns). */
  endNs: bigint;
  /** The clock at the start, and whether rqtp was absolute (CLOCK_REALTIME after a step). */
  startNs: bigint;
  abstime: boolean;
  rmtp: number;
  /**
   * Read by the scheduler when a signal ends the sleep: a call that "already did something"
   * returns that count with the carry clear. clock_nanosleep sets it to EINTR, so a signal makes
   * it return EINTR as its value (sys_clock_nanosleep: *retval = error; return 0).
   */
  done?: number;
  sigwatch: Sleeper & { active: boolean };
}

/**
 * nanosleep1 (kern_time.c 1.214) with ts2timo (subr_time.c 1.34): a tv_nsec out of range is
 * EINVAL; the clock must be readable (EINVAL, or ESRCH for a CPU clock of no process); an
 * absolute time is made relative (EINVAL if that overflows); a negative or zero interval ends
 * at once with success and a zero remainder. The caller sleeps until the clock reaches the end;
 * a caught signal ends the sleep with EINTR (ERESTART is turned into EINTR: never restarted) and
 * the time still to sleep goes to rmtp. Returns the remaining time to copy out, or undefined.
 */
function nanosleep1(k: SysCtx, clock: number, flags: number, rqtp: number, rmtp: number, retvalErrno: boolean): bigint {
  const p = k.proc;
  let st = p.restartState as NanoSleepState | undefined;
  if (!st) {
    const rq = readTimespec(p, rqtp);
    if (rq.nsec < 0n || rq.nsec >= NS) throw new Errno(EINVAL);
    const start = clockGettime(k.machine, p, clock);
    let rel = rq.sec * NS + rq.nsec;
    if (flags & TIMER_ABSTIME) {
      rel -= start;
      if (rq.sec < -(1n << 62n) || rq.sec > 1n << 62n) throw new Errno(EINVAL); // timespecsubok
    }
    // itimespecfix: a negative tv_sec is ETIMEDOUT, which nanosleep1 treats as done.
    if (rel <= 0n) throw new Errno(ETIMEDOUT);
    // itimespecfix raises an interval below one tick to a tick (the sleep is at least that).
    if (rel < BigInt(TICK_US) * 1000n && rel < NS) rel = BigInt(TICK_US) * 1000n;
    const state: NanoSleepState = {
      deadline: performance.now() + Number(rel) / 1e6,
      clock,
      endNs: start + rel,
      startNs: start,
      abstime: (flags & TIMER_ABSTIME) !== 0,
      rmtp,
      sigwatch: undefined as unknown as NanoSleepState['sigwatch'],
    };
    if (retvalErrno) state.done = EINTR;
    // A signal that wakes the sleeper ends the call before it runs again, so the remaining time
    // is written when the signal is posted (psignal wakes p.sigq first). A later normal end
    // overwrites it; once the call is over the watcher only unhooks itself.
    const lwp = p.curlwp; // the sleeper: another LWP may be current when a signal is posted
    const watch = {
      active: true,
      wake(): void {
        if (!watch.active || lwp.restartState !== state || p.exited) {
          watch.active = false;
          p.sigq.remove(watch);
          return;
        }
        if (rmtp === 0 || flags & TIMER_ABSTIME) return;
        try {
          p.vm.write(rmtp, timespecBytes(remaining(k, state)));
        } catch {
          // copyout of rmt failed: NetBSD would return EFAULT; the EINTR stands here.
        }
      },
    };
    state.sigwatch = watch;
    p.sigq.add(watch);
    p.restartState = st = state;
  }
  const left = remaining(k, st);
  if (left > 0n) {
    if (performance.now() >= st.deadline) st.deadline = performance.now() + Math.max(Number(left) / 1e6, 1);
    throw new Sleep([], st.deadline, 'eintr');
  }
  st.sigwatch.active = false;
  p.sigq.remove(st.sigwatch);
  return 0n;
}

/** The time still to sleep on the call's clock. */
function remaining(k: SysCtx, st: NanoSleepState): bigint {
  let now: bigint;
  try {
    now = clockGettime(k.machine, k.proc, st.clock);
  } catch {
    return 0n; // the process whose CPU clock it was has gone
  }
  if (st.clock === CLOCK_REALTIME && k.machine.timeofday.changed) {
    // nanosleep1 after each wake on a clock that was stepped or slewed: an absolute sleep goes
    // on until the clock reaches the time; a relative one counts the clock's time since the
    // start, from nothing again if the clock was wound back before the start.
    if (!st.abstime && now < st.startNs) return st.endNs - st.startNs;
    const left = st.endNs - now;
    return left > 0n ? left : 0n;
  }
  if (st.clock === CLOCK_REALTIME || st.clock === CLOCK_MONOTONIC) {
    // Both tick with the host's monotonic clock; the scheduler's deadline is the authority.
    const ms = st.deadline - performance.now();
    return ms > 0 ? BigInt(Math.ceil(ms * 1e6)) : 0n;
  }
  const left = st.endNs - now;
  return left > 0n ? left : 0n;
}

/** The common body of __nanosleep50 and clock_nanosleep: the errno (0 on success). */
function sleepCall(k: SysCtx, clock: number, flags: number, rqtp: number, rmtp: number, retvalErrno: boolean): number {
  let error = 0;
  try {
    nanosleep1(k, clock, flags, rqtp, rmtp, retvalErrno);
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    if (e.errno !== ETIMEDOUT) {
      if (!retvalErrno) throw e;
      return e.errno; // clock_nanosleep: before any sleep, the error is the return value
    }
  }
  // Success: rmt is what is left, zero (nanosleep1 loops until nothing is).
  if (rmtp !== 0 && !(flags & TIMER_ABSTIME)) {
    try {
      k.proc.vm.write(rmtp, timespecBytes(0n));
    } catch (e) {
      if (!retvalErrno || !(e instanceof Errno)) throw e;
      error = e.errno;
    }
  }
  return error;
}

const TIME_SET = partial('the guest\'s clock is stepped or slewed, never the host\'s; file times still come from the host\'s clock; CLOCK_REALTIME sleeps and absolute POSIX timers follow a step (a park keeps the tick count it started with, as on NetBSD)');

/**
 * settime1 (kern_time.c 1.214): a time before the epoch or past 2^36 s is EINVAL, then
 * KAUTH_SYSTEM_TIME (the superuser; EPERM for others), then tc_setclock — the machine's clock.
 */
function settime1(k: SysCtx, sec: bigint, nsec: number): void {
  if (sec < 0n || sec > 1n << 36n) throw new Errno(EINVAL);
  if (k.proc.cred.euid !== 0) throw new Errno(EPERM);
  k.machine.timeofday.set(sec * 1_000_000_000n + BigInt(nsec));
  realtimeChanged(k.machine); // the armed absolute CLOCK_REALTIME timers follow the clock
}

export const timeSyscalls: SyscallDescriptor[] = [
  {
    number: 418, name: '__gettimeofday50', class: 'time', support: full,
    args: [{ name: 'tp', type: 'ptr' }, { name: 'tzp', type: 'ptr' }],
    handler(k, tp, tzp) {
      // microtime, then the fake timezone {0, 0} (NetBSD has no kernel notion of time zone).
      if (tp !== 0) {
        const us = clockGettime(k.machine, k.proc, CLOCK_REALTIME) / 1000n;
        const out = new Uint8Array(16);
        const dv = new DataView(out.buffer);
        dv.setBigInt64(0, us / 1_000_000n, true);
        dv.setInt32(8, Number(us % 1_000_000n), true);
        k.proc.vm.write(tp, out);
      }
      if (tzp !== 0) k.proc.vm.write(tzp, new Uint8Array(8));
      return 0;
    },
  },
  {
    number: 419, name: '__settimeofday50', class: 'time', support: TIME_SET,
    args: [{ name: 'tv', type: 'ptr' }, { name: 'tzp', type: 'ptr' }],
    handler(k, tv, _tzp) {
      // settimeofday1: a time zone is only logged ("obsolete"); no tv changes nothing (and needs
      // no privilege); the timeval is copied in (EFAULT), tv_usec must be 0..999999 (EINVAL).
      if (tv === 0) return 0;
      const b = k.proc.vm.read(tv, 16);
      const dv = new DataView(b.buffer, b.byteOffset, 16);
      const usec = dv.getInt32(8, true);
      if (usec < 0 || usec >= 1_000_000) throw new Errno(EINVAL);
      settime1(k, dv.getBigInt64(0, true), usec * 1000);
      return 0;
    },
  },
  {
    number: 421, name: '__adjtime50', class: 'time', support: TIME_SET,
    args: [{ name: 'delta', type: 'ptr' }, { name: 'olddelta', type: 'ptr' }],
    handler(k, delta, olddelta) {
      // sys___adjtime50: KAUTH_REQ_SYSTEM_TIME_ADJTIME first (the superuser: EPERM), the delta
      // copied in (EFAULT), adjtime1 (the adjustment left comes back, the new one replaces it),
      // and only then olddelta copied out — its EFAULT comes after the change was made.
      const p = k.proc;
      if (p.cred.euid !== 0) throw new Errno(EPERM);
      let d: { sec: bigint; usec: number } | undefined;
      if (delta !== 0) {
        const b = p.vm.read(delta, 16);
        const dv = new DataView(b.buffer, b.byteOffset, 16);
        d = { sec: dv.getBigInt64(0, true), usec: dv.getInt32(8, true) };
      }
      const left = k.machine.timeofday.adjtime(d);
      if (olddelta !== 0) {
        let sec = left / 1_000_000n; // C's division and remainder: towards zero
        let usec = Number(left % 1_000_000n);
        if (usec < 0) {
          usec += 1_000_000;
          sec--;
        }
        const out = new Uint8Array(16);
        const dv = new DataView(out.buffer);
        dv.setBigInt64(0, sec, true);
        dv.setInt32(8, usec, true);
        p.vm.write(olddelta, out);
      }
      return 0;
    },
  },
  {
    number: 428, name: '__clock_settime50', class: 'time', support: TIME_SET,
    args: [{ name: 'clock_id', type: 'int' }, { name: 'tp', type: 'ptr' }],
    handler(k, id, tp) {
      // sys___clock_settime50: copyin (EFAULT), then clock_settime1: tv_nsec 0..999999999
      // (EINVAL), then only CLOCK_REALTIME can be set (CLOCK_MONOTONIC is read-only: EINVAL,
      // as is every other clock).
      const b = k.proc.vm.read(tp, 16);
      const dv = new DataView(b.buffer, b.byteOffset, 16);
      const nsec = dv.getBigInt64(8, true);
      if (nsec < 0n || nsec >= 1_000_000_000n) throw new Errno(EINVAL);
      if (id !== CLOCK_REALTIME) throw new Errno(EINVAL);
      settime1(k, dv.getBigInt64(0, true), Number(nsec));
      return 0;
    },
  },
  {
    number: 425, name: '__setitimer50', class: 'time',
    support: partial('ITIMER_VIRTUAL and ITIMER_PROF both count the process\'s CPU time as nbemu measures it (host time of its slices, user and kernel alike), looked at once per 10 ms slice'),
    args: [{ name: 'which', type: 'int' }, { name: 'itv', type: 'ptr' }, { name: 'oitv', type: 'ptr' }],
    handler(k, which, itv, oitv) {
      const p = k.proc;
      // sys___setitimer50: copyin the new value, then getitimer into oitv (which is checked
      // there), then dosetitimer.
      let v: { isec: bigint; iusec: number; vsec: bigint; vusec: number } | undefined;
      if (itv !== 0) {
        const b = p.vm.read(itv, 32);
        const dv = new DataView(b.buffer, b.byteOffset, 32);
        v = { isec: dv.getBigInt64(0, true), iusec: dv.getInt32(8, true), vsec: dv.getBigInt64(16, true), vusec: dv.getInt32(24, true) };
      }
      if (oitv !== 0) p.vm.write(oitv, itimervalBytes(getitimer(p, which)));
      if (!v) return 0;
      if (which >>> 0 > 3) throw new Errno(EINVAL);
      const valueUs = itimerfix(v.vsec, v.vusec);
      const intervalUs = itimerfix(v.isec, v.iusec);
      setitimer(k.machine, p, which, { valueUs, intervalUs });
      return 0;
    },
  },
  {
    number: 426, name: '__getitimer50', class: 'time', support: full,
    args: [{ name: 'which', type: 'int' }, { name: 'itv', type: 'ptr' }],
    handler(k, which, itv) {
      k.proc.vm.write(itv, itimervalBytes(getitimer(k.proc, which)));
      return 0;
    },
  },
  {
    number: 427, name: '__clock_gettime50', class: 'time', support: full,
    args: [{ name: 'clock_id', type: 'int' }, { name: 'tp', type: 'ptr' }],
    handler(k, id, tp) {
      k.proc.vm.write(tp, timespecBytes(clockGettime(k.machine, k.proc, id)));
      return 0;
    },
  },
  {
    number: 429, name: '__clock_getres50', class: 'time', support: full,
    args: [{ name: 'clock_id', type: 'int' }, { name: 'tp', type: 'ptr' }],
    handler(k, id, tp) {
      // clock_getres1: CLOCK_REALTIME and CLOCK_MONOTONIC only, 1e9 / timecounter frequency
      // (a TSC above 1 GHz: 1 ns). A NULL tp only checks the clock.
      if (id !== CLOCK_REALTIME && id !== CLOCK_MONOTONIC) throw new Errno(EINVAL);
      if (tp !== 0) k.proc.vm.write(tp, timespecBytes(1n));
      return 0;
    },
  },
  {
    number: 430, name: '__nanosleep50', class: 'time', support: full,
    args: [{ name: 'rqtp', type: 'ptr' }, { name: 'rmtp', type: 'ptr' }],
    handler: (k, rqtp, rmtp) => {
      const error = sleepCall(k, CLOCK_MONOTONIC, 0, rqtp, rmtp, false);
      if (error) throw new Errno(error);
      return 0;
    },
  },
  {
    number: 477, name: 'clock_nanosleep', class: 'time', support: full,
    args: [{ name: 'clock_id', type: 'int' }, { name: 'flags', type: 'int' }, { name: 'rqtp', type: 'ptr' }, { name: 'rmtp', type: 'ptr' }],
    // The error is the return value, the carry clear (sys_clock_nanosleep: *retval = error).
    handler: (k, clock, flags, rqtp, rmtp) => sleepCall(k, clock, flags, rqtp, rmtp, true),
  },
  {
    number: 482, name: 'clock_getcpuclockid2', class: 'time', support: full,
    args: [{ name: 'idtype', type: 'int' }, { name: 'id', type: 'int' }, { name: 'clock_id', type: 'ptr' }],
    handler(k, idtype, id, clockp) {
      let clock: number;
      if (idtype === P_PID) clock = CLOCK_PROCESS_CPUTIME_ID | (id === 0 ? k.proc.pid : id);
      else if (idtype === P_LWPID) clock = CLOCK_THREAD_CPUTIME_ID | (id === 0 ? 1 : id);
      else throw new Errno(EINVAL);
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, clock, true);
      k.proc.vm.write(clockp, out);
      return 0;
    },
  },
  {
    number: 235, name: 'timer_create', class: 'time',
    support: partial('SIGEV_THREAD is accepted and, as in the kernel, posts nothing'),
    args: [{ name: 'clock_id', type: 'int' }, { name: 'evp', type: 'ptr' }, { name: 'timerid', type: 'ptr' }],
    handler(k, clock, evp, timerid) {
      // timer_create1: the clock (REALTIME, VIRTUAL, PROF, MONOTONIC: else EINVAL), the sigevent
      // (EFAULT; sigev_notify outside SIGEV_NONE..SIGEV_SA or a SIGEV_SIGNAL signal outside
      // 1..NSIG-1: EINVAL), a slot (EAGAIN), then the id is copied out.
      if (clock >>> 0 > CLOCK_MONOTONIC) throw new Errno(EINVAL);
      let ev: SigEvent | undefined;
      if (evp !== 0) {
        const b = k.proc.vm.read(evp, SIGEVENT_SIZE);
        const dv = new DataView(b.buffer, b.byteOffset, SIGEVENT_SIZE);
        const notify = dv.getInt32(0, true);
        const signo = dv.getInt32(4, true);
        if (notify < SIGEV_NONE || notify > SIGEV_SA) throw new Errno(EINVAL);
        if (notify === SIGEV_SIGNAL && (signo <= 0 || signo >= NSIG)) throw new Errno(EINVAL);
        ev = { sig: notify === SIGEV_SIGNAL ? signo : undefined, sigval: dv.getBigUint64(8, true) };
      }
      const id = timerCreate(k.proc, clock, ev);
      const out = new Uint8Array(4);
      new DataView(out.buffer).setInt32(0, id, true);
      k.proc.vm.write(timerid, out);
      return 0;
    },
  },
  {
    number: 236, name: 'timer_delete', class: 'time', support: full,
    args: [{ name: 'timerid', type: 'int' }],
    handler(k, id) {
      timerDelete(k.machine, k.proc, id);
      return 0;
    },
  },
  {
    number: 446, name: '__timer_settime50', class: 'time',
    support: partial('CPU-time timers count the process\'s CPU time as __setitimer50\'s do'),
    args: [{ name: 'timerid', type: 'int' }, { name: 'flags', type: 'int' }, { name: 'value', type: 'ptr' }, { name: 'ovalue', type: 'ptr' }],
    handler(k, id, flags, valuep, ovaluep) {
      // sys___timer_settime50: copyin (EFAULT), dotimer_settime (the id, then itimespecfix of
      // it_value and it_interval: EINVAL, then the slot), then ovalue is copied out.
      const b = k.proc.vm.read(valuep, 32);
      const dv = new DataView(b.buffer, b.byteOffset, 32);
      const ts = (off: number): [bigint, number] => [dv.getBigInt64(off, true), Number(dv.getBigInt64(off + 8, true))];
      const interval = ts(0);
      const value = ts(16);
      checkTimerId(k.proc, id); // dotimer_settime: the id's range comes before the values
      const v: ItimerSpec = { valueNs: itimespecfix(value[0], value[1]), intervalNs: itimespecfix(interval[0], interval[1]) };
      const old = timerSettime(k.machine, k.proc, id, v, (flags & TIMER_ABSTIME) !== 0);
      if (ovaluep !== 0) k.proc.vm.write(ovaluep, itimerspecBytes(old));
      return 0;
    },
  },
  {
    number: 447, name: '__timer_gettime50', class: 'time', support: full,
    args: [{ name: 'timerid', type: 'int' }, { name: 'value', type: 'ptr' }],
    handler(k, id, valuep) {
      k.proc.vm.write(valuep, itimerspecBytes(timerGettime(k.proc, id)));
      return 0;
    },
  },
  {
    number: 239, name: 'timer_getoverrun', class: 'time', support: full,
    args: [{ name: 'timerid', type: 'int' }],
    handler: (k, id) => timerGetoverrun(k.proc, id),
  },
];
