// struct proc (sys/sys/proc.h) with its single LWP for now: identity, credentials, resource
// limits, the address space, the descriptor table, the CPU context (one Unicorn engine per
// process, so fork can later copy it) and the pending signals.

import { TrapCpu, Unicorn, UC_ARCH_X86, UC_MODE_64 } from '../unicorn/index.js';
import { MAXFILES, OPEN_MAX, RLIMIT_NOFILE, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS, DFLSSIZ, MAXSSIZ } from './constants.js';
import { FileDesc } from './filedesc.js';
import type { FileTable } from './file.js';
import type { ExitStatus } from './signal.js';
import { VmSpace } from './vmspace.js';
import { SigState, type SigInfo } from './sig.js';
import { SI_NOINFO } from './constants.js';

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

/** proc0's limits (sys/kern/init_main.c, kern_resource.c): NOFILE soft OPEN_MAX, hard maxfiles. */
export function defaultLimits(maxfiles: number): Rlimit[] {
  const limits: Rlimit[] = Array.from({ length: RLIM_NLIMITS }, () => ({ cur: RLIM_INFINITY, max: RLIM_INFINITY }));
  limits[RLIMIT_NOFILE] = { cur: BigInt(Math.min(OPEN_MAX, maxfiles)), max: BigInt(maxfiles) };
  limits[RLIMIT_STACK] = { cur: BigInt(DFLSSIZ), max: BigInt(MAXSSIZ) };
  return limits;
}

export class Proc {
  readonly uc: Unicorn;
  readonly cpu: TrapCpu;
  readonly vm: VmSpace;
  readonly fd: FileDesc;
  readonly limits: Rlimit[];
  /** l_private: the TLS pointer set by _lwp_setprivate (sys/kern/kern_lwp.c lwp_setprivate). */
  lwpPrivate = 0;
  /** Actions, mask, pending signals and the alternate stack. */
  readonly sig = new SigState();
  /** p_stackbase and the stack's size, for getcontext's uc_stack. */
  stackBase = 0;
  stackSize = 0;
  /** Stopped by SIGSTOP (nothing continues it yet). */
  stopped = false;
  exitStatus: ExitStatus | undefined;
  /** Set while the process sleeps in a syscall that will be re-executed on wake-up. */
  sleepingOn: { wmesg: string; syscall: string } | undefined;

  constructor(
    readonly pid: number,
    readonly ppid: number,
    readonly cred: Credentials,
    /** p_comm, for messages. */
    readonly comm: string,
    files: FileTable,
  ) {
    this.uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    this.cpu = new TrapCpu(this.uc);
    this.vm = new VmSpace(this.uc);
    this.limits = defaultLimits(files.maxfiles ?? MAXFILES);
    this.fd = new FileDesc(files, () => Number(this.limits[RLIMIT_NOFILE]!.cur));
  }

  get exited(): boolean {
    return this.exitStatus !== undefined;
  }

  /** psignal: post a signal to the process; it is acted on before the process runs again. */
  psignal(sig: number, info: Partial<SigInfo> = {}): void {
    this.sig.post({ signo: sig, code: SI_NOINFO, ...info });
  }

  /** exit1 (sys/kern/kern_exit.c): close every descriptor (peers see end-of-file), release memory. */
  exit(status: ExitStatus): void {
    if (this.exitStatus) return;
    this.exitStatus = status;
    this.fd.closeFrom(0);
    this.cpu.dispose();
    this.uc.close();
  }
}
