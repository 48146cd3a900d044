// Clocks and the BSD interval timers of a process (sys/kern/subr_time.c 1.34 clock_gettime1,
// sys/kern/kern_time.c 1.214 dosetitimer, dogetitimer, itimer_callout, itimer_decr,
// ptimer_tick, ptimer_intr).
//
// Time bases: every clock is derived from the host's monotonic clock (process.hrtime), so
// CLOCK_REALTIME, CLOCK_MONOTONIC and the scheduler's performance.now() deadlines all advance
// together; settimeofday, clock_settime and adjtime step and slew CLOCK_REALTIME alone. CPU time is the process's p.cpuMs — the
// host time its slices ran, guest code and kernel work alike — plus the slice in progress.
//
// Timers live beside the process (a WeakMap keyed by the Proc), as p_timers does: a forked child
// starts with none (fork1 does not copy p_timers), exec keeps them (execve1 frees only the POSIX
// timers, ptimers_free(p, TIMERS_POSIX)), and a timer of a process that has exited stops.

import {
  CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID, EAGAIN, EINVAL, ESRCH,
  ITIMER_MONOTONIC, ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL, SIGALRM, SIGPROF, SIGVTALRM, SI_TIMER, TICK_US,
} from './constants.js';
import { Errno } from './errno.js';
import type { Callout, Machine } from './machine.js';
import type { Proc } from './proc.js';

const NS = 1_000_000_000n;
const hostStart = process.hrtime.bigint();

/** CLOCK_MONOTONIC (nanouptime): time since nbemu started, plus one second so it is never 0. */
export function monotonicNs(): bigint {
  return process.hrtime.bigint() - hostStart + NS;
}

/** CLOCK_REALTIME (nanotime): the machine's time of day (src/kernel/timeofday.ts). */
export function realtimeNs(m: Machine): bigint {
  return m.timeofday.nowNs();
}

/** time_second: the machine's time of day in whole seconds (the SysV IPC objects' times). */
export function timeSecond(m: Machine): number {
  return Number(realtimeNs(m) / NS);
}

/** Where the current slice of each running process started being observed (see procCpuMs). */
const sliceSeen = new WeakMap<Proc, { base: number; since: number }>();

/**
 * The CPU time of a process in ms. p.cpuMs grows when a slice ends; while the process is
 * running (the caller itself, in a syscall) the time since it was first seen running with the
 * current p.cpuMs is added, so its own CPU clock advances within a slice and never goes back.
 */
export function procCpuMs(p: Proc): number {
  if (p.state !== 'running') return p.cpuMs;
  const now = performance.now();
  const seen = sliceSeen.get(p);
  if (!seen || seen.base !== p.cpuMs) {
    sliceSeen.set(p, { base: p.cpuMs, since: now });
    return p.cpuMs;
  }
  return p.cpuMs + (now - seen.since);
}

/**
 * clock_gettime1 (subr_time.c 1.34): CLOCK_REALTIME, CLOCK_MONOTONIC, and the CPU-time clocks —
 * CLOCK_PROCESS_CPUTIME_ID | pid (0: the caller; ESRCH for no such process) and
 * CLOCK_THREAD_CPUTIME_ID | lid (0 or 1: the caller's only LWP; ESRCH otherwise). Everything
 * else, CLOCK_VIRTUAL and CLOCK_PROF included, is EINVAL.
 */
export function clockGettime(m: Machine, p: Proc, id: number): bigint {
  const mask = ~(CLOCK_THREAD_CPUTIME_ID | CLOCK_PROCESS_CPUTIME_ID);
  if (id & CLOCK_PROCESS_CPUTIME_ID) {
    const pid = id & mask;
    const q = pid === 0 ? p : m.procs.get(pid);
    if (!q || q.exited) throw new Errno(ESRCH);
    return BigInt(Math.floor(procCpuMs(q) * 1e6));
  }
  if (id & CLOCK_THREAD_CPUTIME_ID) {
    const lid = id & mask;
    if (lid !== 0 && lid !== 1) throw new Errno(ESRCH);
    return BigInt(Math.floor(procCpuMs(p) * 1e6));
  }
  if (id === CLOCK_REALTIME) return realtimeNs(m);
  if (id === CLOCK_MONOTONIC) return monotonicNs();
  throw new Errno(EINVAL);
}

// ---- Interval timers -----------------------------------------------------------------------

/**
 * One timer of the process: a BSD timer (slot = which, 0..3) or a POSIX one (slots TIMER_MIN..),
 * on the clock of the same number (ITIMER_REAL/VIRTUAL/PROF/MONOTONIC = CLOCK_REALTIME/VIRTUAL/
 * PROF/MONOTONIC). Times in microseconds, fractions kept for POSIX timers' nanoseconds.
 */
interface ITimer {
  which: number;
  /** sigev_signo for SIGEV_SIGNAL, undefined for SIGEV_NONE and SIGEV_THREAD (no signal). */
  sig: number | undefined;
  /** sigev_value, delivered as si_value. */
  sigval: bigint;
  /** pt_poverruns: the overruns counted when the last signal was posted (timer_getoverrun). */
  poverruns: number;
  intervalUs: number;
  /** REAL / MONOTONIC: the performance.now() deadline; undefined when disarmed. */
  deadline: number | undefined;
  /** A CLOCK_REALTIME timer armed with TIMER_ABSTIME: its expiry on the guest's clock (ns), so a step of the clock moves the deadline. */
  absRealNs?: bigint | undefined;
  /** VIRTUAL / PROF: the CPU time still to run, 0 when disarmed, and the CPU ms it counts from. */
  valueUs: number;
  cpuAt: number;
  callout: Callout | undefined;
  overruns: number;
}

const timersOf = new WeakMap<Proc, (ITimer | undefined)[]>();

const SIGNAL_OF = [SIGALRM, SIGVTALRM, SIGPROF, SIGALRM];
/** TIMER_MIN, TIMER_MAX (sys/sys/timevar.h): slots 0..3 are setitimer's. */
export const TIMER_MIN = 4;
export const TIMER_MAX = 36;
/** DELAYTIMER_MAX (sys/sys/limits.h... _POSIX_DELAYTIMER_MAX; verify): timer_getoverrun's ceiling. */
export const DELAYTIMER_MAX = 32;

function newTimer(which: number, sig: number | undefined, sigval: bigint): ITimer {
  return { which, sig, sigval, poverruns: 0, intervalUs: 0, deadline: undefined, valueUs: 0, cpuAt: 0, callout: undefined, overruns: 0 };
}

function isVirtual(which: number): boolean {
  return which === ITIMER_VIRTUAL || which === ITIMER_PROF;
}

/**
 * ptimer_fire + ptimer_intr: the timer's signal with si_code SI_TIMER and si_value = which —
 * unless that signal is already pending, which only counts an overrun.
 */
function fire(p: Proc, it: ITimer): void {
  const sig = it.sig;
  if (sig === undefined) return; // ptimer_intr: only SIGEV_SIGNAL posts anything
  if (p.sig.pending.has(sig)) {
    it.overruns++;
    return;
  }
  it.poverruns = it.overruns;
  it.overruns = 0;
  p.psignal(sig, { signo: sig, code: SI_TIMER, pid: 0, uid: 0, sigval: it.sigval });
}

/** itimer_callout for ITIMER_REAL / ITIMER_MONOTONIC. */
function realExpire(m: Machine, p: Proc, it: ITimer): void {
  it.callout = undefined;
  if (p.exited || it.deadline === undefined) return;
  fire(p, it);
  if (it.intervalUs === 0) {
    it.deadline = undefined;
    return;
  }
  const now = performance.now();
  const interval = it.intervalUs / 1000;
  const next = it.deadline + interval;
  if (next > now) it.deadline = next;
  else {
    // Late by more than an interval: the next multiple after now, the missed ones overruns.
    const late = now - it.deadline;
    it.overruns += Math.floor(late / interval);
    it.deadline = now + ((late + interval - 1e-3) % interval);
  }
  if (it.absRealNs !== undefined) it.absRealNs = realtimeNs(m) + BigInt(Math.round((it.deadline - now) * 1e6));
  armReal(m, p, it);
}

/**
 * settime1's notice to the CLOCK_REALTIME timers (itimer_realtime_changed_notify, kern_time.c):
 * the absolute ones expire when the stepped clock reaches their time, as POSIX asks of armed
 * absolute timers; relative ones keep their interval.
 */
export function realtimeChanged(m: Machine): void {
  for (const p of m.procs.values()) {
    if (p.exited) continue;
    for (const it of timersOf.get(p) ?? []) {
      if (!it || it.absRealNs === undefined || it.deadline === undefined) continue;
      it.deadline = performance.now() + Number(it.absRealNs - realtimeNs(m)) / 1e6;
      armReal(m, p, it);
    }
  }
}

function armReal(m: Machine, p: Proc, it: ITimer): void {
  m.cancelCallout(it.callout);
  it.callout = it.deadline === undefined ? undefined : m.callout(it.deadline, () => realExpire(m, p, it));
}

/**
 * ptimer_tick / itimer_decr for ITIMER_VIRTUAL and ITIMER_PROF: charge the CPU time used since
 * the last look; on expiry fire and reload from the interval, carrying the overshoot over.
 */
function chargeVirtual(p: Proc, it: ITimer): void {
  if (it.valueUs === 0) return;
  const cpu = procCpuMs(p);
  const used = Math.floor((cpu - it.cpuAt) * 1000);
  if (used <= 0) return;
  it.cpuAt += used / 1000;
  if (used < it.valueUs) {
    it.valueUs -= used;
    return;
  }
  const over = used - it.valueUs;
  fire(p, it);
  if (it.intervalUs === 0) it.valueUs = 0;
  else {
    it.overruns += Math.floor(over / it.intervalUs);
    it.valueUs = it.intervalUs - (over % it.intervalUs);
  }
}

/**
 * A CPU-time timer is looked at by a callout: CPU time cannot run faster than the host clock
 * (nbemu runs one guest instruction stream at a time), so the earliest it can expire is after
 * its remaining value of wall time. While it is armed the scheduler keeps time slices short.
 */
function armVirtual(m: Machine, p: Proc, it: ITimer): void {
  m.cancelCallout(it.callout);
  it.callout = undefined;
  if (it.valueUs === 0) return;
  it.callout = m.callout(performance.now() + Math.max(it.valueUs / 1000, 0.05), () => {
    it.callout = undefined;
    if (p.exited) return;
    chargeVirtual(p, it);
    armVirtual(m, p, it);
  });
}

export interface ItimerVal {
  intervalUs: number;
  valueUs: number;
}

/** dogetitimer: the interval and the time left (0 when disarmed or already due). */
export function getitimer(p: Proc, which: number): ItimerVal {
  if (which >>> 0 > ITIMER_MONOTONIC) throw new Errno(EINVAL);
  const it = timersOf.get(p)?.[which];
  if (!it) return { intervalUs: 0, valueUs: 0 };
  if (isVirtual(which)) {
    chargeVirtual(p, it);
    return { intervalUs: it.intervalUs, valueUs: it.valueUs };
  }
  if (it.deadline === undefined) return { intervalUs: it.intervalUs, valueUs: 0 };
  return { intervalUs: it.intervalUs, valueUs: Math.max(0, Math.floor((it.deadline - performance.now()) * 1000)) };
}

/**
 * itimerfix (subr_time.c): tv_usec outside [0, 1e6) is EINVAL, a negative tv_sec is an error
 * too (ETIMEDOUT there, which dosetitimer turns into EINVAL); a value below one tick is raised
 * to a tick. Returns the microseconds.
 */
export function itimerfix(sec: bigint, usec: number): number {
  if (usec < 0 || usec >= 1_000_000) throw new Errno(EINVAL);
  if (sec < 0n) throw new Errno(EINVAL);
  if (sec === 0n && usec !== 0 && usec < TICK_US) usec = TICK_US;
  return Number(sec) * 1_000_000 + usec;
}

/** dosetitimer: arm (or, with a zero value, disarm) a timer; `which` and the values are checked first. */
export function setitimer(m: Machine, p: Proc, which: number, v: ItimerVal): void {
  if (which >>> 0 > ITIMER_MONOTONIC) throw new Errno(EINVAL);
  let list = timersOf.get(p);
  if (v.valueUs === 0 && !list?.[which]) return;
  if (!list) timersOf.set(p, (list = []));
  let it = list[which];
  if (!it) {
    it = newTimer(which, SIGNAL_OF[which], BigInt(which)); // dosetitimer: sival_int = which
    list[which] = it;
  }
  it.intervalUs = v.intervalUs;
  if (isVirtual(which)) {
    it.valueUs = v.valueUs;
    it.cpuAt = procCpuMs(p);
    armVirtual(m, p, it);
  } else {
    it.deadline = v.valueUs === 0 ? undefined : performance.now() + v.valueUs / 1000;
    armReal(m, p, it);
  }
}

/** Which timers are armed (for diagnostics and tests). */
export function armedTimers(p: Proc): number[] {
  const list = timersOf.get(p) ?? [];
  return [ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF, ITIMER_MONOTONIC].filter((w) => {
    const it = list[w];
    return it !== undefined && (isVirtual(w) ? it.valueUs > 0 : it.deadline !== undefined);
  });
}

// ---- POSIX timers (kern_time.c timer_create1, dotimer_settime, dotimer_gettime, ----------------
// sys_timer_delete, sys_timer_getoverrun; slots shared with the BSD timers, as pts_timers is)

/** What timer_create's struct sigevent asks for (evp NULL: SIGEV_SIGNAL with the clock's signal). */
export interface SigEvent {
  /** sigev_signo for SIGEV_SIGNAL, undefined for SIGEV_NONE / SIGEV_THREAD. */
  sig: number | undefined;
  sigval: bigint | undefined;
}

/** timer_create1 after its checks: the lowest free slot from TIMER_MIN, EAGAIN when none. */
export function timerCreate(p: Proc, clock: number, ev: SigEvent | undefined): number {
  let list = timersOf.get(p);
  if (!list) timersOf.set(p, (list = []));
  let id = TIMER_MIN;
  while (id < TIMER_MAX && list[id]) id++;
  if (id === TIMER_MAX) throw new Errno(EAGAIN);
  list[id] = ev
    ? newTimer(clock, ev.sig, ev.sigval ?? 0n)
    : newTimer(clock, SIGNAL_OF[clock], BigInt(id)); // evp NULL: the clock's signal, sival_int = id
  return id;
}

/** The timer in slot `id` for the POSIX calls: EINVAL outside [2, TIMER_MAX) or for an empty slot. */
function posixTimer(p: Proc, id: number): ITimer {
  const list = timersOf.get(p);
  if (!list || id < 2 || id >= TIMER_MAX) throw new Errno(EINVAL);
  const it = list[id];
  if (!it) throw new Errno(EINVAL);
  return it;
}

/** dotimer_settime's first check: no timers yet, or an id outside [2, TIMER_MAX): EINVAL. */
export function checkTimerId(p: Proc, id: number): void {
  if (!timersOf.get(p) || id < 2 || id >= TIMER_MAX) throw new Errno(EINVAL);
}

/** sys_timer_delete: disarm and free the slot (any slot from 2: a BSD timer's too, as NetBSD's check lets it). */
export function timerDelete(m: Machine, p: Proc, id: number): void {
  const it = posixTimer(p, id);
  m.cancelCallout(it.callout);
  it.callout = undefined;
  timersOf.get(p)![id] = undefined;
}

/** struct itimerspec in nanoseconds: it_interval, it_value. */
export interface ItimerSpec {
  intervalNs: bigint;
  valueNs: bigint;
}

/** itimespecfix (subr_time.c): tv_sec < 0 or tv_nsec outside [0, 1e9) is EINVAL; under a tick, a tick. */
export function itimespecfix(sec: bigint, nsec: number): bigint {
  if (sec < 0n || nsec < 0 || nsec >= 1e9) throw new Errno(EINVAL);
  if (sec === 0n && nsec !== 0 && nsec < TICK_US * 1000) nsec = TICK_US * 1000;
  return sec * NS + BigInt(nsec);
}

const clockNowNs = (m: Machine, clock: number): bigint => (clock === CLOCK_REALTIME ? realtimeNs(m) : monotonicNs());

/**
 * dotimer_settime after the copyin: the slot (EINVAL), then arm or disarm. A relative value for
 * a clock timer becomes absolute (TIMER_ABSTIME: it is already); an absolute value for a CPU-time
 * timer becomes relative to CLOCK_REALTIME's now, at least 1 ns. The old it_time is returned as
 * NetBSD keeps it: for REALTIME and MONOTONIC timers an absolute expiry time.
 */
export function timerSettime(m: Machine, p: Proc, id: number, v: ItimerSpec, abstime: boolean): ItimerSpec {
  const it = posixTimer(p, id);
  const old = rawTime(m, it);
  it.intervalUs = Number(v.intervalNs) / 1000;
  const virtual = isVirtual(it.which);
  if (virtual) {
    let rel = v.valueNs;
    if (rel !== 0n && abstime) {
      rel -= realtimeNs(m);
      if (rel <= 0n) rel = 1n;
    }
    it.valueUs = Number(rel) / 1000;
    it.cpuAt = procCpuMs(p);
    armVirtual(m, p, it);
  } else {
    if (v.valueNs === 0n) it.deadline = undefined;
    else {
      const relNs = abstime ? v.valueNs - clockNowNs(m, it.which) : v.valueNs;
      it.deadline = performance.now() + Number(relNs) / 1e6; // in the past: fires at once
    }
    it.absRealNs = abstime && it.which === CLOCK_REALTIME && v.valueNs !== 0n ? v.valueNs : undefined;
    armReal(m, p, it);
  }
  return old;
}

/** it_time as NetBSD stores it: absolute expiry for clock timers, the value left for CPU-time ones. */
function rawTime(m: Machine, it: ITimer): ItimerSpec {
  const intervalNs = BigInt(Math.round(it.intervalUs * 1000));
  if (isVirtual(it.which)) return { intervalNs, valueNs: BigInt(Math.round(it.valueUs * 1000)) };
  if (it.deadline === undefined) return { intervalNs, valueNs: 0n };
  return { intervalNs, valueNs: clockNowNs(m, it.which) + BigInt(Math.round((it.deadline - performance.now()) * 1e6)) };
}

/** dotimer_gettime / itimer_gettime: the interval and the time left (0 when disarmed or due). */
export function timerGettime(p: Proc, id: number): ItimerSpec {
  const it = posixTimer(p, id);
  const intervalNs = BigInt(Math.round(it.intervalUs * 1000));
  if (isVirtual(it.which)) {
    chargeVirtual(p, it);
    return { intervalNs, valueNs: BigInt(Math.round(it.valueUs * 1000)) };
  }
  if (it.deadline === undefined) return { intervalNs, valueNs: 0n };
  return { intervalNs, valueNs: BigInt(Math.max(0, Math.round((it.deadline - performance.now()) * 1e6))) };
}

/** sys_timer_getoverrun: the overruns of the last posted signal, at most DELAYTIMER_MAX. */
export function timerGetoverrun(p: Proc, id: number): number {
  return Math.min(posixTimer(p, id).poverruns, DELAYTIMER_MAX);
}

/** execve1: ptimers_free(p, TIMERS_POSIX), the BSD timers stay. */
export function freePosixTimers(m: Machine, p: Proc): void {
  const list = timersOf.get(p);
  if (!list) return;
  for (let id = TIMER_MIN; id < list.length; id++) {
    const it = list[id];
    if (!it) continue;
    m.cancelCallout(it.callout);
    list[id] = undefined;
  }
}
