// Observation points for tracing, fault injection and tests (src/trace/ builds on these). With no
// hooks installed the dispatcher pays one property check per syscall.

import type { Proc } from './proc.js';
import type { SigInfo } from './sig.js';
import type { ExitStatus } from './signal.js';
import type { SyscallDescriptor } from './syscall.js';

/** One syscall as the dispatcher saw it. The same object goes to entry, sleep and exit hooks. */
export interface SyscallEvent {
  /** Machine-wide sequence number, in order of entry. */
  seq: number;
  pid: number;
  lwp: number;
  number: number;
  name: string;
  /** undefined for numbers nbemu does not implement. */
  descriptor: SyscallDescriptor | undefined;
  /** The handler's arguments as decoded from the registers (see ArgType). */
  args: number[];
  /** The six argument registers as unsigned 64-bit values. */
  raw: bigint[];
  /** The call is the re-execution of one that slept (strace's "resumed"). */
  resumed: boolean;
  /** performance.now() at entry and at exit (ms). */
  start: number;
  end: number;
  /** On success: rax (and rdx); on failure: errno. Set before the exit hook. */
  result: number | undefined;
  rdx: number;
  errno: number | undefined;
  /** The result was decided by an entry hook (fault injection), not by the handler. */
  injected: boolean;
  /**
   * EJUSTRETURN: the call left the registers as they were set (setcontext resumed a context,
   * _lwp_exit ended the LWP): there is no return value to report.
   */
  justReturn?: boolean;
}

/** What an entry hook may decide: fail the call with an errno, or succeed with a value, without running it. */
export type EntryDecision = { errno: number } | { retval: number; rdx?: number } | undefined | void;

export interface KernelHooks {
  /** Before the handler. Arguments may be changed in `ev.args`; a decision skips the handler. */
  syscallEntry?(ev: SyscallEvent, p: Proc): EntryDecision;
  /** After the handler; `ev.result`, `ev.errno`, `ev.rdx` may be changed to change what the program sees. */
  syscallExit?(ev: SyscallEvent, p: Proc): void;
  /** The call must sleep; it will be re-executed (with resumed = true) when woken. */
  syscallSleep?(ev: SyscallEvent, p: Proc): void;
  /** A signal is acted on: delivered to a handler, or its default action taken. */
  signal?(p: Proc, info: SigInfo, action: 'handler' | 'terminate' | 'core' | 'ignore' | 'stop' | 'continue'): void;
  /** A process ended. */
  exit?(p: Proc, status: ExitStatus): void;
}
