// The test author's view of one syscall in a hook: read and change its arguments, replace its
// result, or answer it without running it, and read or write the program's memory.

import type { SyscallEvent } from '../kernel/hooks.js';
import type { Proc } from '../kernel/proc.js';
import { Errno } from '../kernel/errno.js';
import { errnoByName, errnoText } from './names.js';

/** Guest memory as a hook sees it: copyin/copyout semantics (a bad address throws EFAULT). */
export interface CallMemory {
  read(addr: number, len: number): Uint8Array;
  write(addr: number, data: Uint8Array): void;
  readI32(addr: number): number;
  writeI32(addr: number, value: number): void;
  readU64(addr: number): number;
  writeU64(addr: number, value: number | bigint): void;
  /** A NUL-terminated string of at most `max` bytes. */
  readString(addr: number, max?: number): string;
}

/** What an entry hook may return: fail the call, or succeed with a value, without running the handler. */
export type HookDecision = { errno: number | string } | { retval: number; rdx?: number } | undefined | void;

export interface SyscallHooks {
  /**
   * Before the kernel runs the call. Change arguments with `call.setArg()` (or `call.args[i]`);
   * return `{ errno }` to fail it or `{ retval }` to answer it yourself without running it (to take
   * a call over entirely: do its work through `call.memory`, then return `{ retval }`).
   */
  onEntry?(call: SyscallCall): HookDecision;
  /** After it ran: `call.result`/`call.errno` are what the program will see; change them with `succeed()`/`fail()`. */
  onExit?(call: SyscallCall): void;
}

export function toErrno(e: number | string): number {
  const n = typeof e === 'number' ? e : errnoByName(e);
  if (n === undefined || !(n > 0)) throw new Error(`unknown errno '${e}'`);
  return n;
}

export class SyscallCall {
  constructor(readonly event: SyscallEvent, readonly proc: Proc) {}

  get name(): string {
    return this.event.name;
  }
  get number(): number {
    return this.event.number;
  }
  get pid(): number {
    return this.event.pid;
  }
  get seq(): number {
    return this.event.seq;
  }
  /** The re-execution of a call that slept. */
  get resumed(): boolean {
    return this.event.resumed;
  }
  /** The arguments as the handler receives them (by ArgType); writable at entry. */
  get args(): number[] {
    return this.event.args;
  }
  /** Argument names, in order, from the descriptor. */
  get argNames(): string[] {
    return this.event.descriptor?.args.map((a) => a.name) ?? [];
  }

  private index(name: string): number {
    const i = this.argNames.indexOf(name);
    if (i < 0) throw new Error(`${this.name}() has no argument '${name}' (it has: ${this.argNames.join(', ') || 'none'})`);
    return i;
  }

  arg(name: string): number {
    return this.event.args[this.index(name)]!;
  }

  /** Change an argument before the handler runs (entry hooks only). */
  setArg(name: string, value: number): void {
    this.event.args[this.index(name)] = value;
  }

  /** The result (on success); undefined before the call ran or when it failed. */
  get result(): number | undefined {
    return this.event.result;
  }
  /** The errno (on failure), else undefined. */
  get errno(): number | undefined {
    return this.event.errno;
  }
  get errnoName(): string | undefined {
    return this.event.errno === undefined ? undefined : errnoText(this.event.errno).name;
  }
  /** The second return register (getpid's ppid). */
  get rdx(): number {
    return this.event.rdx;
  }

  /** Exit hooks: make the call fail with this errno instead. */
  fail(errno: number | string): void {
    this.event.errno = toErrno(errno);
    this.event.result = undefined;
  }

  /** Exit hooks: make the call succeed with this value instead. */
  succeed(value: number, rdx = 0): void {
    this.event.errno = undefined;
    this.event.result = value;
    this.event.rdx = rdx;
  }

  get memory(): CallMemory {
    const vm = this.proc.vm;
    return {
      read: (a, n) => Uint8Array.from(vm.read(a, n)),
      write: (a, d) => vm.write(a, d),
      readI32: (a) => vm.readI32(a),
      writeI32: (a, v) => vm.writeI32(a, v),
      readU64: (a) => vm.readU64(a),
      writeU64: (a, v) => vm.writeU64(a, v),
      readString: (a, max = 4096) => vm.readString(a, max, 63 /* ENAMETOOLONG */),
    };
  }
}

export { Errno };
