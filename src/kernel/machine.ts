// The emulated machine: the processes, the machine-wide file table, and the trap loop that runs
// a process until its next trap and services it (sys/arch/amd64/amd64/syscall.c syscall(),
// sys/arch/amd64/amd64/trap.c). One crossing into the engine per syscall: TrapCpu.run() returns
// a trap record in shared memory, the handler's result goes back the same way.

import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  TRAP_ADDR, TRAP_ERROR, TRAP_FAULT, TRAP_INTERRUPT, TRAP_SLICE, TRAP_SYSCALL, TRAP_RIP, TRAP_RSP,
  UC_ERR_INSN_INVALID, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_UNMAPPED,
  UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RDX, UC_X86_REG_RIP, UC_X86_REG_RSP, UC_X86_REG_EFLAGS,
} from '../unicorn/index.js';
import { parseNetbsdElf } from '../loader/elf.js';
import { mapSegments, setupStack } from '../loader/exec.js';
import {
  DFLSSIZ, EIO, EJUSTRETURN, ENOSYS, ERESTART, MAXFILES, SIGBUS, SIGFPE, SIGILL, SIGKILL, SIGSEGV, SIGSTOP, SIGSYS,
  SIGTRAP, signalName, T_PRIVINFLT, T_BPTFLT, T_ARITHTRAP, T_PROTFLT, T_TRCTRAP, T_PAGEFLT, T_ALIGNFLT, T_DIVIDE,
  T_XMM, ILL_ILLOPC, FPE_INTDIV, FPE_FLTINV, TRAP_BRKPT, TRAP_TRACE, BUS_ADRALN, LAST_NETBSD_SYSCALL, PSL_USERSET,
  SA_RESETHAND, SEGV_ACCERR, SEGV_MAPERR, SIG_DFL, SIG_IGN,
} from './constants.js';
import { Errno, errnoName } from './errno.js';
import { Sleep, type FileTable } from './file.js';
import { HostFile, hostFdStream, type HostStream } from './hostfile.js';
import { Proc } from './proc.js';
import { defaultAction, type ExitStatus } from './signal.js';
import { sendsig, sigbit, type SigInfo } from './sig.js';

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
import type { SysCtx, SyscallDescriptor, SyscallTable } from './syscall.js';

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
}

/** How a run ended: the first process's end, or a deadlock nbemu detected and reported. */
export type RunOutcome = ExitStatus | { kind: 'deadlock'; report: string };

export class Machine {
  readonly files: FileTable;
  readonly procs = new Map<number, Proc>();
  readonly ncpu: number;
  readonly hostname: string;
  readonly bootTime = Date.now();
  private nextPid = 2; // pid 1 is the (virtual) init that adopts the first program
  private readonly table: SyscallTable;
  private readonly diag: (line: string) => void;
  private readonly warned = new Set<string>();
  /** The six argument registers of the current trap, as 32-bit halves. */
  private readonly lo = [0, 0, 0, 0, 0, 0];
  private readonly hi = [0, 0, 0, 0, 0, 0];

  constructor(private readonly options: MachineOptions) {
    this.table = options.syscalls;
    this.files = { nfiles: 0, maxfiles: options.maxfiles ?? MAXFILES, inflight: 0 };
    this.ncpu = options.ncpu ?? 1;
    this.hostname = options.hostname ?? 'nbemu';
    this.diag = options.diagnostics ?? ((line) => process.stderr.write(`${line}\n`));
  }

  get syscalls(): SyscallTable {
    return this.table;
  }

  /** Create the first process from a program file, with the standard descriptors 0, 1, 2. */
  spawn(file: string, argv: string[], envp: string[]): Proc {
    const image = fs.readFileSync(file);
    const elf = parseNetbsdElf(image);
    const cred = { uid: process.getuid?.() ?? 0, euid: process.geteuid?.() ?? 0, gid: process.getgid?.() ?? 0, egid: process.getegid?.() ?? 0 };
    const p = new Proc(this.nextPid++, 1, cred, path.basename(file).slice(0, 16), this.files);
    try {
      mapSegments(p.vm, elf, image);
      const img = setupStack(p.vm, elf, { argv, envp, execname: path.resolve(file), uid: cred.euid, gid: cred.egid });
      // setregs (sys/arch/amd64/amd64/machdep.c): rip = entry, rsp, rbx = ps_strings, the rest 0.
      p.uc.reg_write(UC_X86_REG_RIP, img.entry);
      p.uc.reg_write(UC_X86_REG_RSP, img.rsp);
      p.uc.reg_write(UC_X86_REG_RBX, img.psStrings);
      p.uc.reg_write(UC_X86_REG_EFLAGS, PSL_USERSET);
      p.stackBase = img.stackBase;
      p.stackSize = DFLSSIZ;
      const std = [this.options.stdin, this.options.stdout, this.options.stderr];
      const defaults = [0, 1, 2].map((fd) => hostFdStream(fd));
      std.forEach((stream, fd) => {
        if (stream === null) return;
        p.fd.affix(fd, new HostFile(this.files, stream ?? defaults[fd]!, fd));
      });
    } catch (e) {
      p.exit({ kind: 'exited', code: 0 });
      throw e;
    }
    this.procs.set(p.pid, p);
    return p;
  }

  /** Run until the first process ends (or nothing can run any more). */
  run(first: Proc): RunOutcome {
    const ctx: SysCtx = {
      machine: this,
      proc: first,
      rdx: 0,
      stackArg: (i) => first.vm.readBigU64(this.stackPointer(first) + 8 * (i - 6)),
    };
    while (!first.exited) {
      const kind = first.cpu.run(0);
      if (kind === TRAP_SYSCALL) {
        const asleep = this.syscall(first, ctx);
        if (asleep) return { kind: 'deadlock', report: this.deadlockReport() };
      } else if (kind !== TRAP_SLICE) this.trap(first, kind);
      if (first.sig.pending.size && !first.exited) this.postsig(first);
      if (first.stopped) return { kind: 'deadlock', report: `nbemu: deadlock: pid ${first.pid} (${first.comm}) was stopped by SIGSTOP and nothing can continue it` };
    }
    return first.exitStatus!;
  }

  private stackPointer(p: Proc): number {
    const u = p.cpu.u32;
    return u[TRAP_RSP * 2]! + u[TRAP_RSP * 2 + 1]! * 0x1_0000_0000;
  }

  /**
   * Service one syscall trap. Returns true when the caller must sleep (the call will be
   * re-executed when it is woken).
   */
  private syscall(p: Proc, ctx: SysCtx): boolean {
    const u = p.cpu.u32;
    // syscall(2) and __syscall(2) take the real number as their first argument (syscall.c).
    let code = u[8]! & 511; // SYS_NSYSENT - 1
    let first = 5; // TRAP_RDI
    if (code === 0 || code === 198) {
      code = u[10]! & 511;
      first = 6;
    }
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

    const d = this.table.get(code);
    ctx.proc = p;
    ctx.rdx = 0;
    let rax: number;
    let carry = false;
    try {
      if (!d) throw new Errno(this.nosys(p, code));
      const a = decode(d, lo, hi);
      rax = d.handler(ctx, a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!);
    } catch (e) {
      if (e instanceof Errno) {
        if (e.errno === EJUSTRETURN) {
          u[24] = 4;
          return false;
        }
        if (e.errno === ERESTART) {
          this.restart(p);
          return false;
        }
        rax = e.errno;
        carry = true;
      } else if (e instanceof Sleep) {
        // Nothing else can run yet (one process): the sleep can never end.
        p.sleepingOn = { wmesg: e.chan.wmesg, syscall: d?.name ?? String(code) };
        this.restart(p);
        return true;
      } else {
        this.warnOnce(`internal:${code}`, `nbemu: internal error in ${d?.name ?? code}(): ${(e as Error).stack ?? e}; the call fails with EIO`);
        rax = EIO;
        carry = true;
      }
    }
    if (p.exited) return false;
    u[24] = carry ? 3 : 1;
    u[25] = 0;
    u[26] = rax >>> 0;
    u[27] = Math.floor(rax / 0x1_0000_0000) >>> 0;
    u[28] = ctx.rdx >>> 0;
    u[29] = Math.floor(ctx.rdx / 0x1_0000_0000) >>> 0;
    return false;
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
   * A CPU exception becomes a signal (sys/arch/amd64/amd64/trap.c), delivered at once by
   * trapsignal: a synchronous signal that is blocked or ignored cannot be skipped, so the action
   * is reset to the default and the signal unblocked, which ends the process (kern_sig.c).
   */
  private trap(p: Proc, kind: number): void {
    const u = p.cpu.u32;
    const detail = u[2]!;
    let info: SigInfo;
    if (kind === TRAP_FAULT) {
      const addr = u[TRAP_ADDR * 2]! + u[TRAP_ADDR * 2 + 1]! * 0x1_0000_0000;
      const unmapped = detail === UC_MEM_READ_UNMAPPED || detail === UC_MEM_WRITE_UNMAPPED || detail === UC_MEM_FETCH_UNMAPPED;
      info = { signo: SIGSEGV, code: unmapped ? SEGV_MAPERR : SEGV_ACCERR, addr, trap: T_PAGEFLT };
    } else if (kind === TRAP_INTERRUPT) {
      const [signo, code, trap] = INTERRUPT_SIGNALS[detail] ?? [SIGSEGV, SEGV_MAPERR, T_PROTFLT];
      info = { signo, code, addr: Number(p.uc.reg_read(UC_X86_REG_RIP)), trap };
    } else if (kind === TRAP_ERROR && detail === UC_ERR_INSN_INVALID) {
      info = { signo: SIGILL, code: ILL_ILLOPC, addr: Number(p.uc.reg_read(UC_X86_REG_RIP)), trap: T_PRIVINFLT };
    } else {
      // hlt (a privileged instruction in user mode) and anything else the engine refuses.
      if (kind === TRAP_ERROR) this.warnOnce(`uc:${detail}`, `nbemu: the CPU engine stopped with error ${detail}; the program gets SIGSEGV`);
      info = { signo: SIGSEGV, code: SEGV_ACCERR, addr: Number(p.uc.reg_read(UC_X86_REG_RIP)), trap: T_PROTFLT };
    }
    const s = p.sig;
    const act = s.actions[info.signo]!;
    if (act.handler === SIG_IGN || act.handler === SIG_DFL || (s.mask & sigbit(info.signo)) !== 0n) {
      s.actions[info.signo] = { handler: SIG_DFL, mask: 0n, flags: 0, tramp: 0, vers: 0 };
      s.mask &= ~sigbit(info.signo);
    }
    s.pending.set(info.signo, info);
  }

  /** Write a syscall's pending result into the registers now (before a frame saves them). */
  private applyResult(p: Proc): void {
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
   * postsig for every deliverable signal (kern_sig.c issignal/postsig): the default action
   * (terminate, core, ignore, stop), or a frame for the handler. Several may nest, as on NetBSD.
   */
  private postsig(p: Proc): void {
    const s = p.sig;
    for (let sig = s.deliverable(); sig !== 0 && !p.exited; sig = s.deliverable()) {
      const info = s.pending.get(sig)!;
      s.pending.delete(sig);
      const act = s.actions[sig]!;
      if (act.handler === SIG_IGN) continue;
      if (act.handler === SIG_DFL) {
        const action = sig === SIGKILL ? 'terminate' : defaultAction(sig);
        if (action === 'terminate' || action === 'core') p.exit({ kind: 'signaled', signal: sig, core: action === 'core' });
        else if (action === 'stop' && sig === SIGSTOP) p.stopped = true;
        // The tty stop signals are discarded: the first process's group is orphaned (kern_sig.c).
        continue;
      }
      this.applyResult(p);
      const returnMask = s.oldmask ?? s.mask;
      s.oldmask = undefined;
      if (!sendsig(p, info, act, returnMask, info.trap ?? 0)) {
        p.exit({ kind: 'signaled', signal: SIGILL, core: true }); // sigexit(SIGILL): no room for the frame
        return;
      }
      s.mask |= act.mask;
      if (act.flags & SA_RESETHAND) s.actions[sig] = { handler: SIG_DFL, mask: 0n, flags: 0, tramp: 0, vers: 0 };
    }
  }

  private deadlockReport(): string {
    const lines = ['nbemu: deadlock: every process is asleep and no timer is pending'];
    for (const p of this.procs.values()) {
      if (p.sleepingOn) lines.push(`nbemu:   pid ${p.pid} (${p.comm}) sleeps in ${p.sleepingOn.syscall}() on ${p.sleepingOn.wmesg}`);
    }
    return lines.join('\n');
  }

  /** exit(2) and the default action of a fatal signal both end here. */
  exitProc(p: Proc, status: ExitStatus): void {
    p.exit(status);
  }

  describeSignal(sig: number): string {
    return signalName(sig);
  }

  errnoName(errno: number): string {
    return errnoName(errno);
  }
}

const decoded = [0, 0, 0, 0, 0, 0];

/** Turn the argument registers into the handler's argument numbers (see ArgType). */
function decode(d: SyscallDescriptor, lo: number[], hi: number[]): number[] {
  for (let i = 0; i < 6; i++) {
    const spec = d.args[i];
    const l = lo[i]!;
    const h = hi[i]!;
    if (!spec) decoded[i] = 0;
    else if (spec.type === 'int' || spec.type === 'fd') decoded[i] = l | 0;
    else if (spec.type === 'uint') decoded[i] = l;
    else if (spec.type === 'long') decoded[i] = (h | 0) * 0x1_0000_0000 + l;
    else decoded[i] = h * 0x1_0000_0000 + l;
  }
  return decoded;
}
