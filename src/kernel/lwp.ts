// struct lwp (sys/sys/lwp.h): a thread of a process. The process's LWPs share its address
// space, descriptors and signal actions (and its one Unicorn engine); each has its own CPU
// registers (saved in a Unicorn context while another LWP of the process runs), signal mask and
// alternate stack, TLS pointer, scheduling state and wait-queue membership, and the state of a
// syscall it sleeps in. The scheduler runs LWPs.

import type { UnicornContext } from '../unicorn/index.js';
import type { Proc } from './proc.js';
import type { SigAltStack, SigInfo, SigSet } from './sig.js';
import { SS_DISABLE } from './constants.js';
import type { Sleeper, WaitQueue } from './sleepq.js';

export type LwpState = 'runnable' | 'running' | 'sleeping' | 'suspended' | 'zombie';

/** An LWP's own signal state (l_sigmask, l_sigstk, l_sigoldmask, l_sigpend). */
export interface LwpSig {
  mask: SigSet;
  altstack: SigAltStack;
  oldmask: SigSet | undefined;
  /** Signals aimed at this LWP (_lwp_kill). */
  pending: Map<number, SigInfo>;
}

export class Lwp implements Sleeper {
  state: LwpState = 'runnable';
  onRunq = false;
  /** The CPU registers while another LWP of the process holds the engine. */
  ctx: UnicornContext | undefined;
  /** l_private: the TLS pointer (_lwp_setprivate). */
  private = 0;
  readonly sig: LwpSig = { mask: 0n, altstack: { sp: 0, size: 0, flags: SS_DISABLE }, oldmask: undefined, pending: new Map() };
  /** What it sleeps in, for the deadlock report, and on which queues. */
  sleepingOn: { wmesg: string; syscall: string } | undefined;
  sleepQueues: WaitQueue[] = [];
  /** The parked syscall will be re-executed; 'eintr' calls never restart, 'nointr' ones ignore signals. */
  restartPending = false;
  restartMode: 'restart' | 'eintr' | 'nointr' = 'restart';
  /** State a sleeping syscall keeps across its re-executions (a deadline, progress so far). */
  restartState: unknown;
  /** A timer ended the sleep. */
  timedOut = false;
  /** When the current slice began (performance.now()). */
  sliceStart = 0;
  /** _lwp_setname's name. */
  name = '';
  /** LWP_DETACHED: nobody waits for it with _lwp_wait; it is reaped at once. */
  detached = false;
  /** An _lwp_unpark that came before the _lwp_park it was meant for (LW_UNPARKED). */
  unparked = false;
  /** Sleeping in _lwp_park (an unpark wakes it). */
  parked = false;
  /** Suspended by _lwp_suspend (or created LWP_SUSPENDED): not scheduled until _lwp_continue. */
  suspended = false;
  /** An unpark that woke this LWP from _lwp_park (the park returns 0). */
  parkWoken = false;
  /** Woken by _lwp_wakeup: its interrupted call returns EINTR (LW_CANCELLED). */
  cancelled = false;
  /** _lwp_ctl's shared page, when one was asked for. */
  lwpctl = 0;
  /** l_sigwaitset while in sigtimedwait: a posted signal in it is handed to this LWP (sigunwait). */
  sigwaitSet: SigSet | undefined;
  /** l_sigwaited: the signal sigunwait handed over, for sigtimedwait to return. */
  sigwaited: SigInfo | undefined;

  constructor(
    readonly lid: number,
    readonly proc: Proc,
    private readonly wakeHook: (l: Lwp) => void,
  ) {}

  /** Park on the given queues until one is woken (or the deadline, a performance.now() ms). */
  sleep(queues: WaitQueue[], deadline: number | undefined, syscall: string, addTimer: (l: Lwp, when: number) => void): void {
    this.state = 'sleeping';
    this.sleepQueues = queues;
    for (const q of queues) q.add(this);
    this.sleepingOn = { wmesg: queues.map((q) => q.wmesg).join(', ') || 'nanosleep', syscall };
    this.timedOut = false;
    if (deadline !== undefined) addTimer(this, deadline);
  }

  /** Sleeper.wake: off every queue, back on the run queue (unless suspended). */
  wake(): void {
    if (this.state !== 'sleeping') return;
    for (const q of this.sleepQueues) q.remove(this);
    this.sleepQueues = [];
    this.sleepingOn = undefined;
    this.state = 'runnable';
    this.wakeHook(this);
  }
}
