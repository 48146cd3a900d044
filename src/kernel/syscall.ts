// The shape of the syscall table. Each NetBSD system call nbemu implements is described once —
// number, name, typed arguments, class, support level and handler — and the same descriptors drive
// dispatch, the generated list of supported calls, and (later) tracing and fault injection.

import type { Machine } from './machine.js';
import type { Proc } from './proc.js';

/**
 * How a register is turned into a handler argument. Handlers receive JavaScript numbers:
 * `int` and `uint` are the low 32 bits (C int, u_int), `long` a signed 64-bit value, `size` and
 * `ptr` unsigned 64-bit values (exact up to 2^53, which covers every user address), `fd` an int.
 */
export type ArgType = 'int' | 'uint' | 'long' | 'size' | 'ptr' | 'fd';

export interface ArgSpec {
  name: string;
  type: ArgType;
}

export type SyscallClass = 'file' | 'socket' | 'process' | 'signal' | 'memory' | 'lwp' | 'time' | 'sysctl' | 'misc';

/** 'full', or 'partial' with a note of what is missing (shown in the README table). */
export type Support = { level: 'full' } | { level: 'partial'; missing: string };

export type Handler = (k: SysCtx, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number;

export interface SyscallDescriptor {
  number: number;
  name: string;
  args: ArgSpec[];
  class: SyscallClass;
  support: Support;
  handler: Handler;
}

/** What a handler sees besides its arguments. One object is reused for every call. */
export interface SysCtx {
  machine: Machine;
  proc: Proc;
  /** The second return value (rdx): getpid's ppid, pipe's second descriptor. Starts at 0. */
  rdx: number;
  /** Arguments past the sixth, from the user stack at rsp+8, rsp+16 … (syscall.c). */
  stackArg(index: number): bigint;
}

export type SyscallTable = ReadonlyMap<number, SyscallDescriptor>;

export const full: Support = { level: 'full' };
export const partial = (missing: string): Support => ({ level: 'partial', missing });
