// struct proc (sys/sys/proc.h) with its single LWP for now: identity, credentials, process
// group and session, resource limits, the address space, the descriptor table, the CPU context
// (one Unicorn engine per process, so fork copies it and exec replaces it), signal state, and
// its place in the scheduler (runnable, sleeping on wait queues, stopped, zombie).

import { TrapCpu, Unicorn, UC_ARCH_X86, UC_MODE_64 } from '../unicorn/index.js';
import {
  DFLSSIZ, MAXSSIZ, OPEN_MAX, RLIMIT_NOFILE, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS, SIGCONT, SIGKILL, SI_NOINFO,
} from './constants.js';
import { FileDesc } from './filedesc.js';
import type { FileTable } from './file.js';
import type { ExitStatus } from './signal.js';
import { VmSpace } from './vmspace.js';
import { SigState, sigbit, type SigInfo } from './sig.js';
import { WaitQueue, type Sleeper } from './sleepq.js';

export interface Rlimit {
  cur: bigint;
  max: bigint;
}

export interface Credentials {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
}

/** The scheduler's side of a process (the LWP's state in sys/sys/lwp.h terms). */
export interface Scheduler {
  setRunnable(p: Proc): void;
  addTimer(p: Proc, when: number): void;
  removeTimer(p: Proc): void;
  /** SIGCONT (or SIGKILL) for a stopped process. */
  continueProc(p: Proc): void;
}

/** proc0's limits (sys/kern/init_main.c, kern_resource.c): NOFILE soft OPEN_MAX, hard maxfiles. */
export function defaultLimits(maxfiles: number): Rlimit[] {
  const limits: Rlimit[] = Array.from({ length: RLIM_NLIMITS }, () => ({ cur: RLIM_INFINITY, max: RLIM_INFINITY }));
  limits[RLIMIT_NOFILE] = { cur: BigInt(Math.min(OPEN_MAX, maxfiles)), max: BigInt(maxfiles) };
  limits[RLIMIT_STACK] = { cur: BigInt(DFLSSIZ), max: BigInt(MAXSSIZ) };
  return limits;
}

export type ProcState = 'runnable' | 'running' | 'sleeping' | 'stopped' | 'zombie';

export class Proc implements Sleeper {
  uc: Unicorn;
  cpu: TrapCpu;
  vm: VmSpace;
  readonly fd: FileDesc;
  limits: Rlimit[];
  /** l_private: the TLS pointer set by _lwp_setprivate (sys/kern/kern_lwp.c lwp_setprivate). */
  lwpPrivate = 0;
  /** Actions, mask, pending signals and the alternate stack. */
  sig = new SigState();
  /** p_path: the absolute path of the running program (kern.proc_args KERN_PROC_PATHNAME). */
  path = '';
  /** When the current scheduling slice began (performance.now()), while the process runs. */
  sliceStart = 0;
  /** p_stackbase and the stack's size, for getcontext's uc_stack. */
  stackBase = 0;
  stackSize = 0;
  state: ProcState = 'runnable';
  /** On the scheduler's run queue (kept here so setRunnable needs no search). */
  onRunq = false;
  exitStatus: ExitStatus | undefined;
  /** The parent (undefined: the virtual init, pid 1, which reaps at once) and the children. */
  parent: Proc | undefined;
  readonly children = new Set<Proc>();
  pgid: number;
  sid: number;
  /** Woken whenever a signal is posted to the process (kqueue's EVFILT_SIGNAL sleeps here). */
  readonly sigq = new WaitQueue('sigev');
  /** Signals posted, counted per number, for kqueue's EVFILT_SIGNAL (which sees even ignored ones). */
  readonly sigCounts = new Map<number, number>();
  /** Where wait4 sleeps until a child changes state. */
  readonly childq = new WaitQueue('wait');
  /** Set by fork for vfork's parent, which sleeps until the child execs or exits (PPWAIT). */
  vforkParent: Proc | undefined;
  readonly vforkq = new WaitQueue('ppwait');
  /** What the process sleeps in, for the deadlock report. */
  sleepingOn: { wmesg: string; syscall: string } | undefined;
  /** The queues this process sleeps on. */
  sleepQueues: WaitQueue[] = [];
  /** The parked syscall will be re-executed; 'eintr' calls (sigsuspend) never restart. */
  restartPending = false;
  restartMode: 'restart' | 'eintr' | 'nointr' = 'restart';
  /** State a sleeping syscall keeps across its re-executions (a deadline, progress so far). */
  restartState: unknown;
  /** Set when a timer ended the sleep. */
  timedOut = false;
  /** Stopped by a stop signal, and the signal (for wait4's WUNTRACED status). */
  stopSignal = 0;
  stopReported = true;
  /** Continued by SIGCONT and not yet reported to a WCONTINUED wait. */
  continued = false;
  /** __vfork14: the child's memory is the parent's (copied back to it at exec or exit). */
  sharesParentVm = false;
  /** The process has called execve (setpgid on it from the parent is EACCES). */
  execed = false;
  /** user and system time consumed, in ms (rusage). */
  cpuMs = 0;

  constructor(
    readonly pid: number,
    public ppid: number,
    public cred: Credentials,
    /** p_comm, for messages. */
    public comm: string,
    readonly files: FileTable,
    private readonly sched: Scheduler,
  ) {
    this.uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    this.cpu = new TrapCpu(this.uc);
    this.vm = new VmSpace(this.uc);
    this.limits = defaultLimits(files.maxfiles);
    this.fd = new FileDesc(files, () => Number(this.limits[RLIMIT_NOFILE]!.cur));
    this.pgid = pid;
    this.sid = pid;
  }

  get exited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** A fresh engine and address space (exec): the old ones are released. */
  newImage(): void {
    const old = this.uc;
    this.cpu.dispose();
    this.uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    this.cpu = new TrapCpu(this.uc);
    this.vm = new VmSpace(this.uc);
    old.close();
  }

  /**
   * psignal (kern_sig.c kpsignal2): post a signal. A sleeping process is woken when the signal
   * will be acted on (not blocked, not ignored), so its interrupted call can end with EINTR or
   * restart; SIGKILL and SIGCONT also continue a stopped process.
   */
  psignal(sig: number, info: Partial<SigInfo> = {}): void {
    if (this.state === 'zombie') return;
    this.sigCounts.set(sig, (this.sigCounts.get(sig) ?? 0) + 1);
    this.sigq.wakeup();
    this.sig.post({ signo: sig, code: SI_NOINFO, ...info });
    if (!this.sig.pending.has(sig)) return;
    if (this.state === 'stopped' && (sig === SIGKILL || sig === SIGCONT)) this.sched.continueProc(this);
    else if (this.state === 'sleeping' && (sig === SIGKILL || ((this.sig.mask & sigbit(sig)) === 0n && this.restartMode !== 'nointr'))) this.wake();
  }

  /** Park on the given queues until one is woken (or the deadline, a performance.now() ms). */
  sleep(queues: WaitQueue[], deadline: number | undefined, syscall: string): void {
    this.state = 'sleeping';
    this.sleepQueues = queues;
    for (const q of queues) q.add(this);
    this.sleepingOn = { wmesg: queues.map((q) => q.wmesg).join(', ') || 'nanosleep', syscall };
    this.timedOut = false;
    if (deadline !== undefined) this.sched.addTimer(this, deadline);
  }

  /** Sleeper.wake: off every queue, back on the run queue. */
  wake(): void {
    if (this.state !== 'sleeping') return;
    for (const q of this.sleepQueues) q.remove(this);
    this.sleepQueues = [];
    this.sleepingOn = undefined;
    this.sched.removeTimer(this);
    this.state = 'runnable';
    this.sched.setRunnable(this);
  }

  /** The end of the process's resources: descriptors closed (peers see EOF), engine released. */
  release(status: ExitStatus): void {
    if (this.exitStatus) return;
    this.exitStatus = status;
    if (this.state === 'sleeping') {
      for (const q of this.sleepQueues) q.remove(this);
      this.sched.removeTimer(this);
    }
    this.state = 'zombie';
    this.fd.closeFrom(0);
    this.cpu.dispose();
    this.uc.close();
  }
}
