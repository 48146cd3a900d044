// The emulated machine: the processes, the machine-wide file table, and the trap loop that runs
// a process until its next trap and services it (sys/arch/amd64/amd64/syscall.c syscall(),
// sys/arch/amd64/amd64/trap.c). One crossing into the engine per syscall: TrapCpu.run() returns
// a trap record in shared memory, the handler's result goes back the same way.

import { ShmTable } from './sysvshm.js';
import { SemTable } from './sysvsem.js';
import { MsgTable } from './sysvmsg.js';
import { timeSecond } from './itimer.js';
import { physmemPages } from './proc.js';
import { newInetTables, type InetTables } from './inet.js';
import { TimeOfDay } from './timeofday.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  TRAP_ADDR, TRAP_ERROR, TRAP_FAULT, TRAP_INTERRUPT, TRAP_SLICE, TRAP_SLICE_US, TRAP_SYSCALL, TRAP_RIP, TRAP_RSP,
  UC_ERR_INSN_INVALID, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_UNMAPPED,
  UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RDX, UC_X86_REG_RIP, UC_X86_REG_RSP, UC_X86_REG_EFLAGS, hostio,
} from '../unicorn/index.js';
import { parseNetbsdElf, type NetbsdElf } from '../loader/elf.js';
import { mapSegments, setupStack, type ExecArgs } from '../loader/exec.js';
import {
  DFLSSIZ, EIO, EJUSTRETURN, ENOSYS, ERESTART, MAXFILES, SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGSTOP, SIGSYS,
  SIGTRAP, signalName, BUS_ADRERR, T_PRIVINFLT, T_BPTFLT, T_ARITHTRAP, T_PROTFLT, T_TRCTRAP, T_PAGEFLT, T_ALIGNFLT, T_DIVIDE,
  T_XMM, ILL_ILLOPC, FPE_INTDIV, FPE_FLTINV, TRAP_BRKPT, TRAP_TRACE, BUS_ADRALN, LAST_NETBSD_SYSCALL, PSL_USERSET,
  SA_RESETHAND, SEGV_ACCERR, SEGV_MAPERR, SIG_DFL, SIG_IGN, SA_RESTART, SA_NOCLDSTOP, EINTR, SIGCHLD, CLD_EXITED,
  CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED, SIGCONT, SIGINT, SIGQUIT, SIGWINCH, SIGNAL_NAMES, SIGTSTP,
} from './constants.js';
import { Errno } from './errno.js';
import type { FileTable } from './file.js';
import { Sleep, WaitQueue } from './sleepq.js';
import { HostFile, hostFdStream, type HostStream } from './hostfile.js';
import { Proc, type Credentials, type Scheduler } from './proc.js';
import type { Lwp } from './lwp.js';
import { defaultAction, type ExitStatus } from './signal.js';
import { defaultSigaction, sendsig, sigbit, type SigInfo } from './sig.js';

/** x86 exception vector → [signal, si_code, NetBSD trap number]. */
const INTERRUPT_SIGNALS: Record<number, [number, number, number]> = {
  0: [SIGFPE, FPE_INTDIV, T_DIVIDE],
  1: [SIGTRAP, TRAP_TRACE, T_TRCTRAP],
  3: [SIGTRAP, TRAP_BRKPT, T_BPTFLT],
  6: [SIGILL, ILL_ILLOPC, T_PRIVINFLT],
  16: [SIGFPE, FPE_FLTINV, T_ARITHTRAP],
  17: [SIGBUS, BUS_ADRALN, T_ALIGNFLT],
  19: [SIGFPE, FPE_FLTINV, T_XMM],
};
import type { ArgSpec, SysCtx, SyscallDescriptor, SyscallTable } from './syscall.js';
import type { KernelHooks, SyscallEvent } from './hooks.js';
import { parentDiscardsZombies, releaseVforkParent } from './lifecycle.js';
import { newLocalNames, type LocalNames } from './uipc.js';
import type { Fifos } from './fifo.js';
import { guestPathOf, machineRoot } from './vfs.js';
import { faultingInstruction, kindOf as faultAccess } from './faultpc.js';

/** A time slice: the watchdog stops a process that ran this long while others wait. */
const SLICE_US = 10_000;
const SLICE_MS = SLICE_US / 1000;

export interface MachineOptions {
  /** The syscall table (syscalls/index.ts). */
  syscalls: SyscallTable;
  /** kern.maxfiles: the machine-wide limit of open files (ENFILE past it). */
  maxfiles?: number;
  stdin?: HostStream | null;
  stdout?: HostStream | null;
  stderr?: HostStream | null;
  /** hw.ncpu as the guest sees it. */
  ncpu?: number;
  hostname?: string;
  /** Where nbemu's own diagnostics go (default: the host's stderr). */
  diagnostics?: (line: string) => void;
  /** NetBSD's name for a syscall number, for messages about calls nbemu lacks. */
  syscallName?: (code: number) => string | undefined;
  /** Tracing, injection and test hooks (also settable later as machine.hooks). */
  hooks?: KernelHooks;
  /**
   * Signals nbemu itself receives that go to the guest instead (the CLI forwards SIGINT, SIGQUIT,
   * SIGWINCH and SIGHUP): the terminal's ones to its foreground process group, the rest to the
   * first process. Process-wide: a library caller opts in.
   */
  forwardSignals?: string[];
}

/** A timed call into the kernel (see Machine.callout). */
export interface Callout {
  when: number;
  fn: () => void;
}

/** How a run ended: the first process's end, or a deadlock nbemu detected and reported. */
export type RunOutcome = ExitStatus | { kind: 'deadlock'; report: string };

export class Machine implements Scheduler {
  readonly files: FileTable;
  readonly procs = new Map<number, Proc>();
  readonly ncpu: number;
  readonly hostname: string;
  readonly bootTime = Date.now();
  /** The guest's time of day: CLOCK_REALTIME, which settimeofday, clock_settime and adjtime change. */
  readonly timeofday = new TimeOfDay();
  /** The local-socket namespace: bound paths (absolute) and their sockets (the vnode's v_socket). */
  readonly localNames: LocalNames = newLocalNames();
  /** The loopback network's TCP and UDP control blocks (inet.ts). */
  readonly inet: InetTables = newInetTables();
  /** System V shared memory, semaphores and message queues (sysvshm.ts, sysvsem.ts, sysvmsg.ts). */
  readonly shm = new ShmTable(physmemPages(), () => timeSecond(this));
  readonly sem = new SemTable(() => timeSecond(this));
  readonly msg = new MsgTable(() => timeSecond(this));
  /** The FIFOs nbemu's processes have open (fifofs' v_fifoinfo), by host device and inode. */
  readonly fifos: Fifos = new Map();
  /** Woken whenever a process forks, execs or exits (kqueue's EVFILT_PROC sleeps here). */
  readonly procEvents = new WaitQueue('procev');
  /** Observation points (tracing, injection, tests); undefined costs nothing. */
  hooks: KernelHooks | undefined;
  private nextPid = 2; // pid 1 is the (virtual) init that adopts orphans and reaps them
  private readonly table: SyscallTable;
  /** The table as a dense array by number, and each argument's decoding (six per number). */
  private readonly entries: (SyscallDescriptor | undefined)[] = new Array(512).fill(undefined);
  private readonly kinds = new Uint8Array(512 * 6);
  /** How many of the six argument registers each number decodes (the others are passed as 0). */
  private readonly nargs = new Uint8Array(512);
  private readonly diag: (line: string) => void;
  private readonly warned = new Set<string>();
  private readonly runq: Lwp[] = [];
  private readonly timers = new Map<Lwp, number>();
  private readonly callouts = new Set<Callout>();
  private seq = 0;
  /** The process whose end ends the run (it stays in the table for run() to report). */
  private first: Proc | undefined;
  /**
   * The host terminal's t_session and t_pgrp as the guest sees them (tty.ts): the session and
   * group of the first process spawned, which nbemu started on that terminal.
   */
  ctty: { sid: number; pgid: number } | undefined;
  /**
   * s_login of each session (struct session, sys/sys/proc.h), by session id: the first session's
   * is the host user nbemu runs as, a new session (setsid) starts with its creator's.
   */
  readonly logins = new Map<number, string>();
  private readonly ctx: SysCtx;
  /** The six argument registers of the current trap, as 32-bit halves. */
  private readonly lo = [0, 0, 0, 0, 0, 0];
  private readonly hi = [0, 0, 0, 0, 0, 0];

  constructor(private readonly options: MachineOptions) {
    this.table = options.syscalls;
    for (const d of this.table.values()) {
      this.entries[d.number] = d;
      for (let i = 0; i < 6; i++) this.kinds[d.number * 6 + i] = kindOf(d.args[i]);
      this.nargs[d.number] = Math.min(d.args.length, 6);
    }
    this.files = { nfiles: 0, maxfiles: options.maxfiles ?? MAXFILES, inflight: 0 };
    this.ncpu = options.ncpu ?? 1;
    this.hostname = options.hostname ?? 'nbemu';
    this.diag = options.diagnostics ?? ((line) => process.stderr.write(`${line}\n`));
    this.hooks = options.hooks;
    const ctx: SysCtx = {
      machine: this,
      proc: undefined as unknown as Proc,
      rdx: 0,
      stackArg: (i) => ctx.proc.vm.readBigU64(this.stackPointer(ctx.proc) + 8 * (i - 6)),
    };
    this.ctx = ctx;
    if (options.forwardSignals?.length) this.forwardHostSignals(options.forwardSignals);
  }

  /** Host signal number → NetBSD signal number, for the signals being forwarded. */
  private forwarded: Map<number, number> | undefined;

  private forwardHostSignals(names: string[]): void {
    const map = new Map<number, number>();
    for (const name of names) {
      const hostNo = (os.constants.signals as Record<string, number>)[name];
      const nb = SIGNAL_NAMES.indexOf(name);
      if (hostNo === undefined || nb <= 0) throw new Error(`nbemu: cannot forward ${name}`);
      map.set(hostNo, nb);
    }
    hostio.hostSignalsInstall([...map.keys()]);
    this.forwarded = map;
  }

  /**
   * Job control on the host's terminal (when SIGTSTP is forwarded): once every process of the
   * terminal's foreground group is stopped (Ctrl-Z's SIGTSTP with its default action, or a
   * program stopping itself), nbemu stops itself, so the user's shell has the terminal back as
   * it would for the native program; when the shell continues nbemu (fg, bg), the group gets
   * SIGCONT, as the shell sends it to a job it continues.
   */
  private get hostJobControl(): boolean {
    return this.ctty !== undefined && this.forwarded?.has(os.constants.signals.SIGTSTP) === true;
  }

  private jobControl(): void {
    if (!this.hostJobControl) return;
    const pgid = this.ctty!.pgid;
    const group = [...this.procs.values()].filter((p) => !p.exited && p.pgid === pgid);
    if (group.length === 0 || !group.every((p) => p.status === 'stopped')) return;
    if (hostio.hostJobStop()) {
      for (const p of group) if (!p.exited) p.psignal(SIGCONT); // returned once the host continued nbemu
      return;
    }
    // The host discarded the stop: nbemu's group there is orphaned (no shell would continue it),
    // where NetBSD discards tty stop signals too (kern_sig.c kpsignal2, pg_jobc == 0). The group
    // goes on as if it had never stopped: no SIGCONT, nothing for wait4's WCONTINUED.
    for (const p of group) if (!p.exited) this.resumeQuietly(p);
  }

  /**
   * Some LWP waits for a forwarded signal: in sigtimedwait for one, or in sigsuspend with a
   * handler installed for one (a Go program in signal.Notify always has sysmon's timeout).
   */
  private awaitsHostSignal(): boolean {
    if (!this.forwarded) return false;
    for (const p of this.procs.values()) {
      if (p.exited) continue;
      for (const sig of this.forwarded.values()) {
        const h = p.sig.actions[sig]!.handler;
        const caught = h !== SIG_DFL && h !== SIG_IGN;
        for (const l of p.lwps.values()) {
          if (l.state !== 'sleeping') continue;
          if (l.sigwaitSet !== undefined && (l.sigwaitSet & sigbit(sig)) !== 0n) return true;
          if (caught && l.sleepingOn?.syscall === '__sigsuspend14') return true;
        }
      }
    }
    return false;
  }

  /**
   * Post the host signals caught since the last look. The terminal's (SIGINT, SIGQUIT, SIGWINCH)
   * go to the terminal's foreground process group, as ttysig/pgsignal send them (the first
   * process's group when there is no terminal); SIGHUP and the rest to the first process, which
   * stands for nbemu to whoever signalled it.
   */
  private deliverHostSignals(): void {
    const map = this.forwarded;
    if (!map) return;
    const mask = hostio.hostSignalsTake();
    if (mask === 0) return;
    const first = this.first;
    for (const [hostNo, sig] of map) {
      if (!(mask & (1 << hostNo))) continue;
      if (sig === SIGINT || sig === SIGQUIT || sig === SIGWINCH || sig === SIGTSTP) {
        const pgid = this.ctty?.pgid ?? first?.pgid;
        for (const p of this.procs.values()) if (!p.exited && p.pgid === pgid) p.psignal(sig);
      } else if (first && !first.exited) {
        first.psignal(sig);
      }
    }
  }

  get syscalls(): SyscallTable {
    return this.table;
  }

  findProc(pid: number): Proc | undefined {
    return this.procs.get(pid);
  }

  /** The next id from the pid space (processes, and LWPs after a process's first). */
  allocId(): number {
    return this.nextPid++;
  }

  newProc(ppid: number, cred: Credentials, comm: string): Proc {
    const p = new Proc(this.nextPid++, ppid, cred, comm, this.files, this);
    this.procs.set(p.pid, p);
    return p;
  }

  /** Create the first process from a program file, with the standard descriptors 0, 1, 2. */
  spawn(file: string, argv: string[], envp: string[]): Proc {
    const image = fs.readFileSync(file);
    const elf = parseNetbsdElf(image);
    const cred = { uid: process.getuid?.() ?? 0, euid: process.geteuid?.() ?? 0, gid: process.getgid?.() ?? 0, egid: process.getegid?.() ?? 0 };
    const p = this.newProc(1, cred, path.basename(file).slice(0, 16));
    this.ctty ??= { sid: p.sid, pgid: p.pgid };
    try {
      // AT_SUN_EXECNAME, kern.proc_args' pathname, /proc/N/exe: the path as the guest names it
      // (inside --root's directory), the host's for a program outside it.
      const hostPath = path.resolve(file);
      const root = machineRoot(this);
      const execname = root === '/' ? hostPath : guestPathOf(root, fs.realpathSync(hostPath)) ?? hostPath;
      loadImage(p, elf, image, { argv, envp, execname, uid: cred.euid, gid: cred.egid });
      const std = [this.options.stdin, this.options.stdout, this.options.stderr];
      std.forEach((stream, fd) => {
        if (stream === null) return;
        p.fd.affix(fd, new HostFile(this.files, stream ?? hostFdStream(fd), fd));
      });
    } catch (e) {
      p.release({ kind: 'exited', code: 0 });
      this.procs.delete(p.pid);
      throw e;
    }
    this.setRunnable(p.curlwp);
    return p;
  }

  // ---- The scheduler ------------------------------------------------------------------------

  setRunnable(l: Lwp): void {
    if (l.onRunq) return;
    l.onRunq = true;
    this.runq.push(l);
  }

  addTimer(l: Lwp, when: number): void {
    this.timers.set(l, when);
  }

  removeTimer(l: Lwp): void {
    this.timers.delete(l);
  }

  /**
   * callout(9): run `fn` at `when` (a performance.now() time in ms) from the scheduler loop —
   * interval timers, kqueue timers. Returns a handle for cancelCallout.
   */
  callout(when: number, fn: () => void): Callout {
    const c: Callout = { when, fn };
    this.callouts.add(c);
    return c;
  }

  cancelCallout(c: Callout | undefined): void {
    if (c) this.callouts.delete(c);
  }

  /** Wake the sleepers and run the callouts whose time has come; the earliest time still pending, if any. */
  private fireTimers(): number | undefined {
    if (this.timers.size === 0 && this.callouts.size === 0) return undefined;
    const now = performance.now();
    let next: number | undefined;
    for (const [l, when] of [...this.timers]) {
      if (when <= now) {
        l.timedOut = true;
        l.wake();
      } else if (next === undefined || when < next) next = when;
    }
    for (const c of [...this.callouts]) {
      if (c.when <= now) {
        this.callouts.delete(c);
        c.fn();
      } else if (next === undefined || c.when < next) next = c.when;
    }
    // A callout may have added another that is already due: let the loop come round again.
    if (next === undefined && this.callouts.size) next = now;
    return next;
  }

  /**
   * Run until the first process ends, switching between runnable processes (each runs until it
   * sleeps, exits, or uses up its time slice). With nothing runnable and no timer pending, the
   * machine reports a deadlock instead of hanging. Processes still alive when the first one ends
   * are ended with it.
   */
  run(first: Proc): RunOutcome {
    this.first = first;
    try {
      while (!first.exited) {
        if (this.forwarded) {
          this.deliverHostSignals();
          this.jobControl();
        }
        const next = this.fireTimers();
        const l = this.runq.shift();
        if (l) {
          l.onRunq = false;
          this.runSlice(l);
          continue;
        }
        if (next !== undefined) {
          // In short steps while host signals are forwarded: a signal does not wake Atomics.wait.
          sleepHost(Math.min(next - performance.now(), this.forwarded ? 20 : Infinity));
          continue;
        }
        // Asleep with nothing due, but waiting for a host signal it has a handler for (a Go
        // program in signal.Notify, a C program in sigsuspend): not a deadlock while one can come.
        if (this.awaitsHostSignal()) {
          sleepHost(20);
          continue;
        }
        return { kind: 'deadlock', report: this.deadlockReport() };
      }
      return first.exitStatus!;
    } finally {
      this.shutdown();
    }
  }

  /** End every process still alive (the run is over). */
  shutdown(): void {
    for (const p of this.procs.values()) if (!p.exited) p.release({ kind: 'signaled', signal: SIGKILL, core: false });
    this.runq.length = 0;
    this.timers.clear();
    this.callouts.clear();
  }

  /**
   * cpu_switchto within a process: the engine takes the LWP's registers. The current LWP's
   * pending syscall result goes into its registers before they are saved.
   */
  private switchTo(p: Proc, l: Lwp): void {
    const cur = p.curlwp;
    if (cur === l) return;
    if (cur.state !== 'zombie') {
      applyResult(p);
      cur.ctx = p.uc.context_save(cur.ctx);
    }
    if (l.ctx) p.uc.context_restore(l.ctx);
    p.curlwp = l;
    p.sig.lwp = l.sig;
  }

  /** Run one LWP until it sleeps, stops, exits or is preempted. */
  private runSlice(l: Lwp): void {
    const p = l.proc;
    if (l.state !== 'runnable' || l.suspended || p.status !== 'active') return;
    this.switchTo(p, l);
    l.state = 'running';
    const start = performance.now();
    l.sliceStart = start;
    if (l.cancelled) {
      // _lwp_wakeup ended this LWP's sleep: the interrupted call returns EINTR (LW_CANCELLED).
      l.cancelled = false;
      if (l.restartPending) this.interruptSyscall(p, EINTR);
    }
    if (p.sig.pending.size || l.sig.pending.size) this.postsig(p);
    while (l.state === 'running' && p.status === 'active') {
      const others = this.runq.length > 0 || this.timers.size > 0 || this.callouts.size > 0;
      p.cpuF64[TRAP_SLICE_US] = others ? SLICE_US : 0;
      p.cpu.resume();
      const kind = p.cpu.u32[0]!; // TRAP_KIND
      if (kind === TRAP_SYSCALL) this.syscall(p);
      else if (kind !== TRAP_SLICE) trapsignal(p, kind, (key, line) => this.warnOnce(key, line));
      else if (this.forwarded) this.deliverHostSignals(); // the block hook also stops for them
      if (l.state === 'running' && p.status === 'active' && (p.sig.pending.size || l.sig.pending.size)) this.postsig(p);
      // A slice also ends on the clock when the LWP traps too often for the watchdog to fire:
      // others are runnable, or a callout or a sleeper's timeout may have come due meanwhile
      // (a Go thread spinning on clock_gettime must not starve sysmon in its 20 us nanosleep).
      if (l.state === 'running' && p.status === 'active' && (kind === TRAP_SLICE || ((this.runq.length > 0 || this.callouts.size > 0 || this.timers.size > 0) && performance.now() - start > SLICE_MS))) {
        l.state = 'runnable';
        this.setRunnable(l);
      }
    }
    if (l.state === 'running') l.state = 'runnable'; // the process stopped: it runs again on SIGCONT
    p.cpuMs += performance.now() - start;
  }

  private stackPointer(p: Proc): number {
    const u = p.cpu.u32;
    return u[TRAP_RSP * 2]! + u[TRAP_RSP * 2 + 1]! * 0x1_0000_0000;
  }

  /**
   * Service one syscall trap (sys/arch/amd64/amd64/syscall.c syscall()). Kept small so that the
   * JIT inlines it into runSlice: an untraced call of an implemented number goes to direct(),
   * everything else (syscall(2), __syscall(2), unknown numbers, tracing hooks) to general().
   */
  private syscall(p: Proc): void {
    const u = p.cpu.u32;
    const code = u[8]! & 511; // SYS_NSYSENT - 1
    const d = this.entries[code];
    if (d !== undefined && this.hooks === undefined && code !== 0 && code !== 198) this.direct(p, u, code, d);
    else this.general(p);
  }

  /** The per-call state at entry: a re-executed call keeps its restart state (returns true). */
  private enter(p: Proc): boolean {
    const resumed = p.restartPending;
    p.restartPending = false;
    if (!resumed) {
      p.restartState = undefined;
      p.timedOut = false; // only a re-executed call may see that its own deadline passed
    }
    this.ctx.proc = p;
    this.ctx.rdx = 0;
    return resumed;
  }

  private general(p: Proc): void {
    const u = p.cpu.u32;
    const ctx = this.ctx;
    // syscall(2) and __syscall(2) take the real number as their first argument (syscall.c).
    let code = u[8]! & 511; // SYS_NSYSENT - 1
    let first = 5; // TRAP_RDI
    if (code === 0 || code === 198) {
      code = u[10]! & 511;
      first = 6;
    }
    const resumed = this.enter(p);
    const d = this.entries[code];
    const lo = this.lo;
    const hi = this.hi;
    for (let i = 0; i < 6; i++) {
      const slot = first + i;
      lo[i] = slot <= 10 ? u[slot * 2]! : 0;
      hi[i] = slot <= 10 ? u[slot * 2 + 1]! : 0;
    }
    if (first === 6) {
      const v = p.vm.readBigU64(this.stackPointer(p) + 8);
      lo[5] = Number(v & 0xffffffffn);
      hi[5] = Number(v >> 32n);
    }

    const hooks = this.hooks;
    let ev: SyscallEvent | undefined;
    let rax = 0;
    let carry = false;
    try {
      if (hooks) {
        // Unimplemented numbers are traced too (and can be taken over by a hook).
        const a = d ? decode(d, lo, hi) : lo.map((l, i) => hi[i]! * 0x1_0000_0000 + l);
        ev = this.event(p, code, d, a, resumed);
        const decision = hooks.syscallEntry?.(ev, p);
        if (decision) {
          ev.injected = true;
          if ('errno' in decision) throw new Errno(decision.errno);
          ctx.rdx = decision.rdx ?? 0;
          rax = decision.retval;
        } else if (!d) throw new Errno(this.nosys(p, code));
        else rax = d.handler(ctx, ev.args[0]!, ev.args[1]!, ev.args[2]!, ev.args[3]!, ev.args[4]!, ev.args[5]!);
      } else {
        if (!d) throw new Errno(this.nosys(p, code));
        const a = decode(d, lo, hi);
        rax = d.handler(ctx, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!);
      }
    } catch (e) {
      if (e instanceof Errno) {
        if (e.errno === EJUSTRETURN) {
          if (!p.exited) p.cpu.u32[24] = 4;
          if (ev) {
            ev.justReturn = true;
            this.exitHook(ev, p, undefined, 0, undefined);
          }
          return;
        }
        if (e.errno === ERESTART) {
          this.restart(p);
          return;
        }
        rax = e.errno;
        carry = true;
      } else if (e instanceof Sleep) {
        // Park the caller; the call runs again from the start when it is woken (or interrupted).
        this.restart(p);
        p.restartPending = true;
        p.restartMode = e.mode;
        if (!ev && hooks && d) ev = this.event(p, code, d, decode(d, lo, hi), resumed);
        if (ev) hooks?.syscallSleep?.(ev, p);
        p.sleep(e.queues, e.deadline, d?.name ?? String(code));
        return;
      } else {
        this.warnOnce(`internal:${code}`, `nbemu: internal error in ${d?.name ?? code}(): ${(e as Error).stack ?? e}; the call fails with EIO`);
        rax = EIO;
        carry = true;
      }
    }
    if (ev) {
      this.exitHook(ev, p, carry ? undefined : rax, ctx.rdx, carry ? rax : undefined);
      if (ev.errno !== undefined) {
        carry = true;
        rax = ev.errno;
      } else {
        carry = false;
        rax = ev.result ?? 0;
        ctx.rdx = ev.rdx;
      }
    }
    if (p.exited) return;
    const out = p.cpu.u32; // execve gives the process a new CPU: write to the one that will run
    out[24] = carry ? 3 : 1;
    out[25] = 0;
    out[26] = rax >>> 0;
    out[27] = Math.floor(rax / 0x1_0000_0000) >>> 0;
    out[28] = ctx.rdx >>> 0;
    out[29] = Math.floor(ctx.rdx / 0x1_0000_0000) >>> 0;
  }

  /**
   * The hot path of syscall(): an untraced direct call decodes its arguments straight from the
   * trap record (only as many as it has; the rest are 0, as KIND_NONE decodes them).
   */
  private direct(p: Proc, u: Uint32Array, code: number, d: SyscallDescriptor): void {
    this.enter(p);
    const ctx = this.ctx;
    const kb = code * 6;
    const kinds = this.kinds;
    let rax: number;
    try {
      switch (this.nargs[code]) {
        case 0:
          rax = d.handler(ctx, 0, 0, 0, 0, 0, 0);
          break;
        case 1:
          rax = d.handler(ctx, arg(u, 5, kinds[kb]!), 0, 0, 0, 0, 0);
          break;
        case 2:
          rax = d.handler(ctx, arg(u, 5, kinds[kb]!), arg(u, 6, kinds[kb + 1]!), 0, 0, 0, 0);
          break;
        case 3:
          rax = d.handler(ctx, arg(u, 5, kinds[kb]!), arg(u, 6, kinds[kb + 1]!), arg(u, 7, kinds[kb + 2]!), 0, 0, 0);
          break;
        default:
          rax = d.handler(ctx, arg(u, 5, kinds[kb]!), arg(u, 6, kinds[kb + 1]!), arg(u, 7, kinds[kb + 2]!), arg(u, 8, kinds[kb + 3]!), arg(u, 9, kinds[kb + 4]!), arg(u, 10, kinds[kb + 5]!));
      }
    } catch (e) {
      this.syscallFailed(p, e, code, d);
      return;
    }
    if (p.exited) return;
    const out = p.cpu.u32; // execve gives the process a new CPU: write to the one that will run
    out[24] = 1;
    out[26] = rax >>> 0;
    out[27] = Math.floor(rax / 0x1_0000_0000) >>> 0;
    out[28] = ctx.rdx >>> 0;
    out[29] = Math.floor(ctx.rdx / 0x1_0000_0000) >>> 0;
  }

  /** The failure path of an untraced call: NetBSD's errno convention, a restart, or a sleep. */
  private syscallFailed(p: Proc, e: unknown, code: number, d: SyscallDescriptor): void {
    let errno: number;
    if (e instanceof Errno) {
      if (e.errno === EJUSTRETURN) {
        if (!p.exited) p.cpu.u32[24] = 4;
        return;
      }
      if (e.errno === ERESTART) {
        this.restart(p);
        return;
      }
      errno = e.errno;
    } else if (e instanceof Sleep) {
      this.restart(p);
      p.restartPending = true;
      p.restartMode = e.mode;
      p.sleep(e.queues, e.deadline, d.name);
      return;
    } else {
      this.warnOnce(`internal:${code}`, `nbemu: internal error in ${d.name}(): ${(e as Error).stack ?? e}; the call fails with EIO`);
      errno = EIO;
    }
    if (p.exited) return;
    const out = p.cpu.u32;
    out[24] = 3;
    out[26] = errno;
    out[27] = 0;
    out[28] = 0;
    out[29] = 0;
  }

  private event(p: Proc, code: number, d: SyscallDescriptor | undefined, a: number[], resumed: boolean): SyscallEvent {
    const raw = this.lo.map((l, i) => (BigInt(this.hi[i]!) << 32n) | BigInt(l));
    const name = d?.name ?? this.options.syscallName?.(code) ?? `syscall_${code}`;
    return {
      seq: ++this.seq, pid: p.pid, lwp: p.curlwp.lid, number: code, name, descriptor: d, args: [...a], raw, resumed,
      start: performance.now(), end: 0, result: undefined, rdx: 0, errno: undefined, injected: false,
    };
  }

  private exitHook(ev: SyscallEvent, p: Proc, result: number | undefined, rdx: number, errno: number | undefined): void {
    ev.end = performance.now();
    ev.result = result;
    ev.rdx = rdx;
    ev.errno = errno;
    this.hooks?.syscallExit?.(ev, p);
  }

  /** ERESTART: back up over the 2-byte syscall instruction so it runs again (syscall.c). */
  private restart(p: Proc): void {
    const u = p.cpu.u32;
    const rip = u[TRAP_RIP * 2]! + u[TRAP_RIP * 2 + 1]! * 0x1_0000_0000;
    p.uc.reg_write(UC_X86_REG_RIP, rip - 2);
    u[24] = 0;
  }

  /**
   * A number nbemu does not implement: ENOSYS, and a warning naming the call once. NetBSD's
   * unassigned slots are sys_nosys, which also posts SIGSYS (sys/kern/kern_stub.c). nbemu posts
   * SIGSYS only above the last number NetBSD 11 assigns, where it is sure the slot is empty; below
   * it a call may be one NetBSD has and nbemu lacks, and killing the program for that would be wrong.
   */
  private nosys(p: Proc, code: number): number {
    if (code > LAST_NETBSD_SYSCALL) p.psignal(SIGSYS);
    const name = this.options.syscallName?.(code);
    this.warnOnce(`nosys:${code}`, `nbemu: syscall ${code}${name ? ` (${name})` : ''} is not implemented: it fails with ENOSYS`);
    return ENOSYS;
  }

  warnOnce(key: string, line: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.diag(line);
  }

  /**
   * postsig for every deliverable signal (kern_sig.c issignal/postsig): the default action
   * (terminate, core, ignore, stop), or a frame for the handler. A call parked in a sleep that
   * the signal interrupts ends with EINTR unless the action has SA_RESTART (then it runs again
   * after the handler); sigsuspend always ends with EINTR.
   */
  private postsig(p: Proc): void {
    const s = p.sig;
    for (let sig = s.deliverable(); sig !== 0 && p.state === 'running'; sig = s.deliverable()) {
      const info = s.take(sig)!;
      const act = s.actions[sig]!;
      if (act.handler === SIG_IGN) continue;
      if (act.handler === SIG_DFL) {
        const action = sig === SIGKILL ? 'terminate' : defaultAction(sig);
        this.hooks?.signal?.(p, info, action);
        if (action === 'terminate' || action === 'core') this.exit1(p, { kind: 'signaled', signal: sig, core: action === 'core' });
        else if (action === 'stop' && (sig === SIGSTOP || p.parent !== undefined || this.hostJobControl)) this.stop(p, sig);
        // The tty stop signals are discarded in an orphaned process group (kern_sig.c); with job
        // control on the host's terminal the first process's parent is the user's shell, there.
        continue;
      }
      if (p.restartPending && (p.restartMode === 'eintr' || !(act.flags & SA_RESTART))) this.interruptSyscall(p, EINTR);
      else if (p.restartPending) (p.restartState as { restart?: () => void } | undefined)?.restart?.(); // ERESTART: the call's own step
      this.hooks?.signal?.(p, info, 'handler');
      applyResult(p);
      const returnMask = s.oldmask ?? s.mask;
      s.oldmask = undefined;
      if (!sendsig(p, info, act, returnMask, info.trap ?? 0)) {
        this.exit1(p, { kind: 'signaled', signal: SIGILL, core: true }); // sigexit(SIGILL): no room for the frame
        return;
      }
      s.mask |= act.mask;
      if (act.flags & SA_RESETHAND) s.actions[sig] = defaultSigaction();
    }
  }

  /**
   * End the current LWP's parked syscall with `errno` — or, when it had already moved data, with
   * the count so far (dofilewrite: a partial transfer is a success). It steps over the syscall
   * instruction it was to re-execute.
   */
  private interruptSyscall(p: Proc, errno: number): void {
    const st = p.restartState as { done?: number; abandon?: () => void; interruptErrno?: number } | undefined;
    const done = st?.done ?? 0;
    if (done === 0 && st?.interruptErrno !== undefined) errno = st.interruptErrno; // sigtimedwait: ECANCELED
    p.restartPending = false;
    p.restartState = undefined;
    st?.abandon?.(); // the sleeping call's own undo (a FIFO opener stops counting)
    p.uc.reg_write(UC_X86_REG_RIP, Number(p.uc.reg_read(UC_X86_REG_RIP)) + 2);
    const u = p.cpu.u32;
    u[24] = done > 0 ? 1 : 3;
    u[26] = done > 0 ? done >>> 0 : errno;
    u[27] = done > 0 ? Math.floor(done / 0x1_0000_0000) : 0;
    u[28] = 0;
    u[29] = 0;
  }

  /** A stop signal's default action: the process waits for SIGCONT; its parent may see it with WUNTRACED. */
  private stop(p: Proc, sig: number): void {
    p.state = 'stopped';
    p.stopSignal = sig;
    p.stopReported = false;
    if (p.parent) {
      p.parent.childq.wakeup();
      if (!(p.parent.sig.actions[SIGCHLD]!.flags & SA_NOCLDSTOP)) p.parent.psignal(SIGCHLD, { code: CLD_STOPPED, pid: p.pid, uid: p.cred.uid, status: sig });
    }
  }

  /** exit_lwps (kern_exec.c, kern_exit.c): every LWP of the process but the caller is gone. */
  killOtherLwps(p: Proc): void {
    for (const l of [...p.lwps.values()]) {
      if (l === p.curlwp) continue;
      for (const q of l.sleepQueues) q.remove(l);
      this.removeTimer(l);
      if (l.onRunq) this.runq.splice(this.runq.indexOf(l), 1);
      l.onRunq = false;
      l.state = 'zombie';
      p.lwps.delete(l.lid);
    }
    p.deadLwps.length = 0;
  }

  /** sched_yield: the caller goes to the back of the run queue. */
  yieldProc(p: Proc): void {
    if (this.runq.length === 0) return;
    p.curlwp.state = 'runnable';
    this.setRunnable(p.curlwp);
  }

  /** A stop undone without SIGCONT (jobControl): the process runs on as if never stopped. */
  private resumeQuietly(p: Proc): void {
    if (p.status !== 'stopped') return;
    p.status = 'active';
    p.stopReported = true; // nothing for wait4's WUNTRACED either
    for (const l of p.lwps.values()) if (l.state === 'runnable' && !l.suspended) this.setRunnable(l);
  }

  /** SIGCONT's effect on a stopped process (kern_sig.c proc_unstop). */
  continueProc(p: Proc): void {
    if (p.status !== 'stopped') return;
    p.status = 'active';
    p.continued = true; // for wait4's WCONTINUED
    for (const l of p.lwps.values()) if (l.state === 'runnable' && !l.suspended) this.setRunnable(l);
    if (p.parent) {
      p.parent.childq.wakeup();
      if (!(p.parent.sig.actions[SIGCHLD]!.flags & SA_NOCLDSTOP)) p.parent.psignal(SIGCHLD, { code: CLD_CONTINUED, pid: p.pid, uid: p.cred.uid, status: SIGCONT });
    }
  }

  /**
   * exit1 (sys/kern/kern_exit.c): the process's files are closed (peers see end-of-file), its
   * children go to init, and it becomes a zombie its parent collects with wait4 — or, when its
   * parent is init, it is reaped at once. The parent gets SIGCHLD.
   */
  exit1(p: Proc, status: ExitStatus): void {
    if (p.exited) return;
    this.hooks?.exit?.(p, status);
    this.sem.exit(p); // semexit, an exithook: the SEM_UNDO adjustments
    if (p.vforkParent) releaseVforkParent(p); // before the address space goes
    p.release(status);
    for (const l of p.lwps.values()) {
      if (l.onRunq) this.runq.splice(this.runq.indexOf(l), 1);
      l.onRunq = false;
    }
    for (const c of p.children) {
      c.parent = undefined;
      c.ppid = 1;
      if (c.exited) this.procs.delete(c.pid);
    }
    p.children.clear();
    this.procEvents.wakeup();
    const parent = p.parent;
    if (!parent) {
      if (p !== this.first) this.procs.delete(p.pid); // init reaps it
      return;
    }
    if (parentDiscardsZombies(parent)) this.reap(p);
    parent.childq.wakeup();
    // exit_psignal: si_status is the exit code, or the signal that killed the child.
    const code = status.kind === 'exited' ? CLD_EXITED : status.core ? CLD_DUMPED : CLD_KILLED;
    parent.psignal(SIGCHLD, { code, pid: p.pid, uid: p.cred.uid, status: status.kind === 'exited' ? status.code : status.signal });
  }

  /** Collect a zombie child: it leaves the process table. */
  reap(p: Proc): void {
    p.parent?.children.delete(p);
    this.procs.delete(p.pid);
  }

  private deadlockReport(): string {
    const lines = ['nbemu: deadlock: every process is asleep and no timer is pending'];
    for (const p of this.procs.values()) {
      for (const l of p.sleepers) {
        const who = p.lwps.size > 1 ? `pid ${p.pid} lwp ${l.lid}` : `pid ${p.pid}`;
        if (l.sleepingOn) lines.push(`nbemu:   ${who} (${p.comm}) sleeps in ${l.sleepingOn.syscall}() on ${l.sleepingOn.wmesg}`);
      }
      if (p.status === 'stopped') lines.push(`nbemu:   pid ${p.pid} (${p.comm}) is stopped by ${signalName(p.stopSignal)}`);
    }
    return lines.join('\n');
  }

  /** exit(2) ends here. */
  exitProc(p: Proc, status: ExitStatus): void {
    this.exit1(p, status);
  }
}

/** Block the host thread (nothing in the machine can run until a timer fires). */
function sleepHost(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(ms, 1000));
}

/**
 * Load a NetBSD ELF image into a process (exec_elf.c, kern_exec.c): segments, stack, auxv, and
 * setregs (sys/arch/amd64/amd64/machdep.c): rip = entry, rsp, rbx = ps_strings, the rest 0.
 */
export function loadImage(p: Proc, elf: NetbsdElf, image: Buffer, args: ExecArgs): void {
  mapSegments(p.vm, elf, image);
  const img = setupStack(p.vm, elf, args);
  p.uc.reg_write(UC_X86_REG_RIP, img.entry);
  p.uc.reg_write(UC_X86_REG_RSP, img.rsp);
  p.uc.reg_write(UC_X86_REG_RBX, img.psStrings);
  p.uc.reg_write(UC_X86_REG_EFLAGS, PSL_USERSET);
  p.stackBase = img.stackBase;
  p.stackSize = DFLSSIZ;
  p.lwpPrivate = 0;
  p.path = args.execname;
}

/** Write a syscall's pending result into the registers now (before a frame saves them). */
export function applyResult(p: Proc): void {
  const u = p.cpu.u32;
  const flags = u[24]!;
  u[24] = 0;
  if (!(flags & 1) || flags & 4) return;
  p.uc.reg_write(UC_X86_REG_RAX, u[26]! + u[27]! * 0x1_0000_0000);
  p.uc.reg_write(UC_X86_REG_RDX, u[28]! + u[29]! * 0x1_0000_0000);
  const fl = p.uc.reg_read(UC_X86_REG_EFLAGS);
  p.uc.reg_write(UC_X86_REG_EFLAGS, flags & 2 ? fl | 1n : fl & ~1n);
}

/**
 * A CPU exception becomes a signal (sys/arch/amd64/amd64/trap.c), delivered at once by
 * trapsignal: a synchronous signal that is blocked or ignored cannot be skipped, so the action
 * is reset to the default and the signal unblocked, which ends the process (kern_sig.c).
 */
function trapsignal(p: Proc, kind: number, warn: (key: string, line: string) => void): void {
  const u = p.cpu.u32;
  const detail = u[2]!;
  let info: SigInfo;
  if (kind === TRAP_FAULT) {
    const addr = u[TRAP_ADDR * 2]! + u[TRAP_ADDR * 2 + 1]! * 0x1_0000_0000;
    const unmapped = detail === UC_MEM_READ_UNMAPPED || detail === UC_MEM_WRITE_UNMAPPED || detail === UC_MEM_FETCH_UNMAPPED;
    // The context must name the faulting instruction itself (the engine reports its block); it
    // is found before the pager changes anything, while the access still faults.
    p.uc.reg_write(UC_X86_REG_RIP, faultingInstruction(p, Number(p.uc.reg_read(UC_X86_REG_RIP)), addr, detail));
    // uvm_fault: a file page past end-of-file is SIGBUS/BUS_ADRERR (amd64 trap.c maps the
    // pager's EINVAL so), or it came in because the file grew: the instruction runs again.
    const verdict = unmapped ? p.vm.fault(addr, faultAccess(detail)) : undefined;
    if (verdict === 'retry') return;
    if (verdict === 'sigbus') info = { signo: SIGBUS, code: BUS_ADRERR, addr, trap: T_PAGEFLT };
    else info = { signo: SIGSEGV, code: unmapped && verdict !== 'accerr' ? SEGV_MAPERR : SEGV_ACCERR, addr, trap: T_PAGEFLT };
  } else if (kind === TRAP_INTERRUPT) {
    const [signo, code, trap] = INTERRUPT_SIGNALS[detail] ?? [SIGSEGV, SEGV_MAPERR, T_PROTFLT];
    info = { signo, code, addr: Number(p.uc.reg_read(UC_X86_REG_RIP)), trap };
  } else if (kind === TRAP_ERROR && detail === UC_ERR_INSN_INVALID) {
    info = { signo: SIGILL, code: ILL_ILLOPC, addr: Number(p.uc.reg_read(UC_X86_REG_RIP)), trap: T_PRIVINFLT };
  } else {
    // hlt (a privileged instruction in user mode) and anything else the engine refuses.
    if (kind === TRAP_ERROR) warn(`uc:${detail}`, `nbemu: the CPU engine stopped with error ${detail}; the program gets SIGSEGV`);
    info = { signo: SIGSEGV, code: SEGV_ACCERR, addr: Number(p.uc.reg_read(UC_X86_REG_RIP)), trap: T_PROTFLT };
  }
  const s = p.sig;
  const act = s.actions[info.signo]!;
  if (act.handler === SIG_IGN || act.handler === SIG_DFL || (s.mask & sigbit(info.signo)) !== 0n) {
    s.actions[info.signo] = defaultSigaction();
    s.mask &= ~sigbit(info.signo);
  }
  s.lwp.pending.set(info.signo, info); // a trap's signal belongs to the LWP that took it
}

const decoded = [0, 0, 0, 0, 0, 0];

/** How a register becomes a handler argument: none, int, u_int, signed 64, unsigned 64 (see ArgType). */
const KIND_NONE = 0;
const KIND_INT = 1;
const KIND_UINT = 2;
const KIND_LONG = 3;
const KIND_U64 = 4;

function kindOf(spec: ArgSpec | undefined): number {
  if (!spec) return KIND_NONE;
  if (spec.type === 'int' || spec.type === 'fd') return KIND_INT;
  if (spec.type === 'uint') return KIND_UINT;
  if (spec.type === 'long') return KIND_LONG;
  return KIND_U64;
}

/** One argument straight from the trap record's register slot. */
function arg(u: Uint32Array, slot: number, kind: number): number {
  switch (kind) {
    case KIND_INT:
      return u[slot * 2]! | 0;
    case KIND_UINT:
      return u[slot * 2]!;
    case KIND_LONG:
      return (u[slot * 2 + 1]! | 0) * 0x1_0000_0000 + u[slot * 2]!;
    case KIND_U64:
      return u[slot * 2 + 1]! * 0x1_0000_0000 + u[slot * 2]!;
    default:
      return 0;
  }
}

/** Turn the argument registers into the handler's argument numbers (see ArgType). */
function decode(d: SyscallDescriptor, lo: number[], hi: number[]): number[] {
  for (let i = 0; i < 6; i++) {
    const l = lo[i]!;
    const h = hi[i]!;
    switch (kindOf(d.args[i])) {
      case KIND_INT:
        decoded[i] = l | 0;
        break;
      case KIND_UINT:
        decoded[i] = l;
        break;
      case KIND_LONG:
        decoded[i] = (h | 0) * 0x1_0000_0000 + l;
        break;
      case KIND_U64:
        decoded[i] = h * 0x1_0000_0000 + l;
        break;
      default:
        decoded[i] = 0;
    }
  }
  return decoded;
}
