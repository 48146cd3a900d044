// struct proc (sys/sys/proc.h) with its single LWP for now: identity, credentials, process
// group and session, resource limits, the address space, the descriptor table, the CPU context
// (one Unicorn engine per process, so fork copies it and exec replaces it), signal state, and
// its place in the scheduler (runnable, sleeping on wait queues, stopped, zombie).

import * as os from 'node:os';
import { TrapCpu, Unicorn, UC_ARCH_X86, UC_MODE_64 } from '../unicorn/index.js';
import {
  DFLSSIZ, F_POSIX, F_UNLCK, MAXSSIZ, OPEN_MAX, PAGE_SIZE, RLIMIT_MEMLOCK, RLIMIT_NOFILE, RLIMIT_RSS, RLIMIT_STACK,
  RLIM_INFINITY, RLIM_NLIMITS, SEEK_SET,
  SIGCONT, SIGKILL, SIGSTOP, SI_NOINFO, NZERO,
} from './constants.js';
import { FileDesc } from './filedesc.js';
import type { File, FileTable } from './file.js';
import { lfAdvlock } from './lockf.js';
import type { ExitStatus } from './signal.js';
import { VmSpace } from './vmspace.js';
import { SigState, sigbit, type SigInfo } from './sig.js';
import { WaitQueue } from './sleepq.js';
import { Lwp, type LwpState } from './lwp.js';

export interface Rlimit {
  cur: bigint;
  max: bigint;
}

export interface Credentials {
  uid: number;
  euid: number;
  gid: number;
  egid: number;
  /** The saved set-user-id and set-group-id (kauth_cred_getsvuid/svgid); the euid/egid at start. */
  svuid?: number;
  svgid?: number;
  /** The supplementary groups (cr_groups); the real gid alone at start. */
  groups?: number[];
}

/** The scheduler's side of a process (the LWP's state in sys/sys/lwp.h terms). */
export interface Scheduler {
  setRunnable(l: Lwp): void;
  addTimer(l: Lwp, when: number): void;
  removeTimer(l: Lwp): void;
  /** SIGCONT (or SIGKILL) for a stopped process. */
  continueProc(p: Proc): void;
  /** The process with this pid, if the machine has one (zombies included). */
  findProc(pid: number): Proc | undefined;
}

/**
 * proc0's limits (sys/kern/init_main.c, kern_resource.c): NOFILE soft OPEN_MAX, hard maxfiles;
 * RSS hard and MEMLOCK hard the memory free at boot (`ptoa(uvmexp.free)`; here the host's
 * memory), MEMLOCK soft a third of it.
 */
export function defaultLimits(maxfiles: number): Rlimit[] {
  const limits: Rlimit[] = Array.from({ length: RLIM_NLIMITS }, () => ({ cur: RLIM_INFINITY, max: RLIM_INFINITY }));
  limits[RLIMIT_NOFILE] = { cur: BigInt(Math.min(OPEN_MAX, maxfiles)), max: BigInt(maxfiles) };
  limits[RLIMIT_STACK] = { cur: BigInt(DFLSSIZ), max: BigInt(MAXSSIZ) };
  const mem = BigInt(physmemPages()) * BigInt(PAGE_SIZE);
  limits[RLIMIT_RSS] = { cur: RLIM_INFINITY, max: mem };
  limits[RLIMIT_MEMLOCK] = { cur: mem / 3n, max: mem };
  return limits;
}

/** The machine's pages (hw.physmem64 / PAGE_SIZE): the host's memory. */
export const physmemPages = (): number => Math.floor(os.totalmem() / PAGE_SIZE);

/** The process as a whole: alive, stopped by a stop signal, or a zombie. */
export type ProcStatus = 'active' | 'stopped' | 'zombie';

export class Proc {
  uc: Unicorn;
  cpu: TrapCpu;
  /** The trap record as doubles (slot TRAP_SLICE_US: resume()'s slice). */
  cpuF64: Float64Array;
  vm: VmSpace;
  readonly fd: FileDesc;
  limits: Rlimit[];
  /** Actions and pending process signals; mask and alternate stack are the current LWP's. */
  sig = new SigState();
  /** The LWPs by lid, and the one whose registers the engine holds (the kernel's curlwp). */
  readonly lwps = new Map<number, Lwp>();
  curlwp: Lwp;
  /** Where _lwp_wait sleeps until an LWP exits; the exited, undetached LWPs to collect. */
  readonly lwpq = new WaitQueue('lwpwait');
  readonly deadLwps: number[] = [];
  /** p_path: the absolute path of the running program (kern.proc_args KERN_PROC_PATHNAME). */
  path = '';
  /** p_stackbase and the stack's size, for getcontext's uc_stack. */
  stackBase = 0;
  stackSize = 0;
  status: ProcStatus = 'active';
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
  /** Stopped by a stop signal, and the signal (for wait4's WUNTRACED status). */
  stopSignal = 0;
  stopReported = true;
  /** Continued by SIGCONT and not yet reported to a WCONTINUED wait. */
  continued = false;
  /** The process has called execve (setpgid on it from the parent is EACCES). */
  execed = false;
  /** user and system time consumed, in ms (rusage). */
  cpuMs = 0;
  /** PK_ADVLOCK: the process has taken a POSIX record lock, so its closes release them. */
  advlock = false;
  /** PK_SUGID: its credentials changed (set*id calls), so issetugid() answers 1. */
  sugid = false;
  /** p_nice: the nice value plus NZERO (setpriority; inherited by fork, kept by exec). */
  nice = NZERO;

  constructor(
    readonly pid: number,
    public ppid: number,
    public cred: Credentials,
    /** p_comm, for messages. */
    public comm: string,
    readonly files: FileTable,
    readonly sched: Scheduler,
  ) {
    this.uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    this.cpu = new TrapCpu(this.uc);
    this.cpuF64 = new Float64Array(this.cpu.u32.buffer);
    this.vm = new VmSpace(this.uc);
    this.limits = defaultLimits(files.maxfiles);
    this.fd = new FileDesc(files, () => Number(this.limits[RLIMIT_NOFILE]!.cur), (f) => this.closeLocks(f));
    this.pgid = pid;
    this.sid = pid;
    this.curlwp = this.newLwp(pid);
    this.sig.lwp = this.curlwp.sig;
  }

  /**
   * lwp_create's bookkeeping: a new LWP of this process (not yet runnable). LWP ids share the
   * pid space (sys/kern/kern_proc.c proc_alloc_lwpid): the first LWP takes the process's pid.
   */
  newLwp(lid: number): Lwp {
    const l = new Lwp(lid, this, (w) => {
      this.sched.removeTimer(w);
      if (!w.suspended && this.status === 'active') this.sched.setRunnable(w);
    });
    this.lwps.set(l.lid, l);
    return l;
  }

  // ---- The current LWP's state, for the code that runs on its behalf --------------------------

  get lwpPrivate(): number {
    return this.curlwp.private;
  }
  set lwpPrivate(v: number) {
    this.curlwp.private = v;
  }
  get restartPending(): boolean {
    return this.curlwp.restartPending;
  }
  set restartPending(v: boolean) {
    this.curlwp.restartPending = v;
  }
  get restartMode(): Lwp['restartMode'] {
    return this.curlwp.restartMode;
  }
  set restartMode(v: Lwp['restartMode']) {
    this.curlwp.restartMode = v;
  }
  get restartState(): unknown {
    return this.curlwp.restartState;
  }
  set restartState(v: unknown) {
    this.curlwp.restartState = v;
  }
  get timedOut(): boolean {
    return this.curlwp.timedOut;
  }
  set timedOut(v: boolean) {
    this.curlwp.timedOut = v;
  }
  get sliceStart(): number {
    return this.curlwp.sliceStart;
  }
  set sliceStart(v: number) {
    this.curlwp.sliceStart = v;
  }

  /**
   * The state as the code running for the current LWP sees it: 'zombie' or 'stopped' for the
   * whole process, else the current LWP's.
   */
  get state(): LwpState | 'stopped' {
    if (this.status === 'zombie') return 'zombie';
    if (this.status === 'stopped') return 'stopped';
    return this.curlwp.state;
  }
  set state(v: LwpState | 'stopped') {
    if (v === 'stopped') this.status = 'stopped';
    else if (v === 'zombie') this.status = 'zombie';
    else this.curlwp.state = v;
  }

  get exited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** A fresh engine and address space (exec): the old ones are released. */
  newImage(): void {
    const old = this.uc;
    this.vm.destroy(); // shared file mappings' stores go to their files
    this.uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    this.cpu = new TrapCpu(this.uc);
    this.cpuF64 = new Float64Array(this.cpu.u32.buffer);
    this.vm = new VmSpace(this.uc);
    old.close(); // disposes the old TrapCpu
  }

  /**
   * psignal (kern_sig.c kpsignal2): post a signal to the process. An LWP that will act on it (it
   * does not block it) and sleeps is woken, so its interrupted call can end with EINTR or
   * restart; SIGKILL and SIGCONT also continue a stopped process.
   */
  psignal(sig: number, info: Partial<SigInfo> = {}): void {
    if (this.status === 'zombie') return;
    this.sigCounts.set(sig, (this.sigCounts.get(sig) ?? 0) + 1);
    this.sigq.wakeup();
    // sigunwait (kern_sig.c kpsignal2): after ignored signals are dropped, an LWP waiting in
    // sigtimedwait for this one takes it, blocked or not, and it is not left pending.
    if (sig !== SIGKILL && sig !== SIGSTOP && !this.sig.ignored(sig)) {
      for (const l of this.lwps.values()) {
        if (l.sigwaitSet !== undefined && (l.sigwaitSet & sigbit(sig)) !== 0n && l.state === 'sleeping') {
          this.handOver(l, { signo: sig, code: SI_NOINFO, ...info });
          return;
        }
      }
    }
    this.sig.post({ signo: sig, code: SI_NOINFO, ...info });
    if (!this.sig.pending.has(sig)) return;
    if (this.status === 'stopped' && (sig === SIGKILL || sig === SIGCONT)) this.sched.continueProc(this);
    else this.interruptFor(sig);
  }

  /** The sigwaiting LWP `l` gets `si`: its sigtimedwait returns it. */
  private handOver(l: Lwp, si: SigInfo): void {
    l.sigwaited = si;
    l.sigwaitSet = undefined;
    l.wake();
  }

  /** _lwp_kill: a signal for one LWP. */
  lwpSignal(l: Lwp, sig: number, info: Partial<SigInfo> = {}): void {
    if (this.status === 'zombie' || l.state === 'zombie') return;
    if (this.sig.ignored(sig) && sig !== SIGKILL) return;
    // sigunwait with ksi_lid: only that LWP, if it waits for the signal.
    if (sig !== SIGKILL && sig !== SIGSTOP && l.sigwaitSet !== undefined && (l.sigwaitSet & sigbit(sig)) !== 0n && l.state === 'sleeping') {
      this.handOver(l, { signo: sig, code: SI_NOINFO, ...info });
      return;
    }
    if (!l.sig.pending.has(sig)) l.sig.pending.set(sig, { signo: sig, code: SI_NOINFO, ...info });
    if (l.state === 'sleeping' && (sig === SIGKILL || ((l.sig.mask & sigbit(sig)) === 0n && l.restartMode !== 'nointr'))) l.wake();
  }

  /** Wake a sleeping LWP that does not block `sig`, so the signal is acted on soon. */
  private interruptFor(sig: number): void {
    for (const l of this.lwps.values()) {
      if (l.state === 'running' || l.state === 'runnable') {
        if (sig === SIGKILL || (l.sig.mask & sigbit(sig)) === 0n) return; // it will see it
      }
    }
    for (const l of this.lwps.values()) {
      if (l.state === 'sleeping' && (sig === SIGKILL || ((l.sig.mask & sigbit(sig)) === 0n && l.restartMode !== 'nointr'))) {
        l.wake();
        if (sig !== SIGKILL) return;
      }
    }
  }

  /** Park the current LWP on the given queues until one is woken (or the deadline). */
  sleep(queues: WaitQueue[], deadline: number | undefined, syscall: string): void {
    this.curlwp.sleep(queues, deadline, syscall, (l, when) => this.sched.addTimer(l, when));
  }

  /**
   * fd_close (sys/kern/kern_descrip.c): POSIX record locking dictates that any close of a
   * descriptor for a file releases all of this process's locks on it (not flock locks).
   */
  private closeLocks(f: File): void {
    if (!this.advlock || f.lockKey === undefined) return;
    lfAdvlock(f.lockKey, this, F_UNLCK, { start: 0n, len: 0n, pid: 0, type: F_UNLCK, whence: SEEK_SET }, F_POSIX, 0, { pid: this.pid, uid: this.cred.euid });
  }

  /** The sleeping LWPs, for the deadlock report. */
  get sleepers(): Lwp[] {
    return [...this.lwps.values()].filter((l) => l.state === 'sleeping');
  }

  /** The end of the process's resources: descriptors closed (peers see EOF), engine released. */
  release(status: ExitStatus): void {
    if (this.exitStatus) return;
    this.exitStatus = status;
    for (const l of this.lwps.values()) {
      if (l.state === 'sleeping') for (const q of l.sleepQueues) q.remove(l);
      this.sched.removeTimer(l);
      l.state = 'zombie';
      (l.restartState as { abandon?: () => void } | undefined)?.abandon?.(); // a call left asleep undoes itself
    }
    this.status = 'zombie';
    this.fd.closeFrom(0);
    this.vm.destroy(); // shared file mappings' stores go to their files
    this.uc.close(); // disposes the TrapCpu too, without uc_hook_del's cache walk
  }
}
