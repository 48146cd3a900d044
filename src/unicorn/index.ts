// TypeScript face of the nbemu_unicorn native addon (src/unicorn/binding.cc).
//
// Two APIs over one engine:
//   * Unicorn: the classic unicorn.js-shaped API. Hook callbacks run synchronously inside
//     emu_start(); a JS exception thrown by a hook stops emulation and is rethrown by emu_start.
//   * TrapCpu: the kernel's fast path. Native hooks record syscall / fault / interrupt traps in a
//     shared typed array and stop the CPU; run() resumes at RIP and returns the trap kind.
//
// Addresses and sizes accept number or bigint; registers are read as bigint (64-bit exact).

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export * from './constants.js';

/** Error raised for every Unicorn failure; `code` is the uc_err value (UC_ERR_*). */
export class UnicornError extends Error {
  readonly code: number;
  constructor(message: string, code: number) {
    super(message);
    this.name = 'UnicornError';
    this.code = code;
  }
}

export interface MemRegion {
  begin: bigint;
  /** Inclusive, as Unicorn reports it. */
  end: bigint;
  perms: number;
}

/** Opaque saved CPU context (uc_context). Freed by GC, or eagerly with free(). */
export interface UnicornContext {
  free(): void;
}

export type CodeHook = (uc: Unicorn, address: bigint, size: number) => void;
export type MemHook = (uc: Unicorn, access: number, address: bigint, size: number, value: bigint) => boolean | void;
export type InterruptHook = (uc: Unicorn, intno: number) => void;
export type SyscallHook = (uc: Unicorn) => void;
/** UC_X86_INS_IN: return the value read from the port. */
export type InHook = (uc: Unicorn, port: number, size: number) => number;
export type OutHook = (uc: Unicorn, port: number, size: number, value: number) => void;
/** UC_X86_INS_CPUID: return true to skip the instruction's own effect. */
export type CpuidHook = (uc: Unicorn) => boolean | void;
/** UC_HOOK_INSN_INVALID: return true if handled (continue), false to stop with UC_ERR_INSN_INVALID. */
export type InsnInvalidHook = (uc: Unicorn) => boolean | void;
export type HookCallback = CodeHook | MemHook | InterruptHook | SyscallHook | InHook | OutHook | CpuidHook | InsnInvalidHook;

export type Address = number | bigint;

export interface Unicorn {
  /** True once close() was called. */
  readonly closed: boolean;
  mem_map(address: Address, size: Address, perms: number): void;
  /**
   * Map `buffer` itself as guest memory (uc_mem_map_ptr): writes by the guest are visible in the
   * buffer and vice versa. The binding keeps the buffer alive while any part of it is mapped.
   * Never transfer/detach a mapped buffer. A Uint8Array maps its part of its buffer (from its
   * byteOffset), so two engines can share one piece of memory. Throws UnicornError(UC_ERR_ARG)
   * if the buffer (or view) is smaller than size.
   */
  mem_map_ptr(address: Address, size: Address, perms: number, buffer: ArrayBuffer | Uint8Array): void;
  mem_unmap(address: Address, size: Address): void;
  mem_protect(address: Address, size: Address, perms: number): void;
  mem_regions(): MemRegion[];
  mem_read(address: Address, size: Address): Buffer;
  mem_write(address: Address, data: Uint8Array | ArrayBufferView | ArrayBuffer): void;
  /**
   * 64-bit exact. XMM/YMM/ZMM (and 80-bit FP/ST) registers come back as wider bigints.
   * GDTR/IDTR/LDTR/TR/MSR are rejected (use msr_read/msr_write for MSRs).
   */
  reg_read(reg: number): bigint;
  /** Accepts -2^63 .. 2^64-1 (negatives as two's complement); vector registers take wide bigints. */
  reg_write(reg: number, value: number | bigint): void;
  /** x86 only: rdmsr through Unicorn (e.g. 0xC0000100 = FS base). */
  msr_read(msr: number): bigint;
  msr_write(msr: number, value: number | bigint): void;
  /**
   * Returns a handle for hook_del. begin/end default to 1/0 (= every address).
   * `extra` is the instruction id for UC_HOOK_INSN (UC_X86_INS_SYSCALL, _SYSENTER, _IN, _OUT, _CPUID).
   */
  hook_add(type: number, callback: HookCallback, begin?: Address, end?: Address, extra?: number): number;
  hook_del(handle: number): void;
  /** Runs synchronously; hooks run inside. timeoutUs uses Unicorn's own (thread-per-call) timer. */
  emu_start(begin: Address, until: Address, timeoutUs?: Address, count?: Address): void;
  emu_stop(): void;
  /** Saves the CPU state; pass an existing context to save into it without allocating. */
  context_save(into?: UnicornContext): UnicornContext;
  context_restore(ctx: UnicornContext): void;
  /** uc_query (UC_QUERY_MODE, UC_QUERY_PAGE_SIZE, UC_QUERY_ARCH, UC_QUERY_TIMEOUT). */
  query(type: number): number;
  /**
   * Drop cached translations for [begin, end). Unicorn does not notice when code that already
   * ran is rewritten (by mem_write or through a mem_map_ptr buffer); call this afterwards.
   * `begin` must be mapped (Unicorn silently does nothing otherwise).
   */
  ctl_remove_cache(begin: Address, end: Address): void;
  /** Drop every cached translation. */
  ctl_flush_tb(): void;
  /** Idempotent. Inside a hook the close is carried out when emulation returns. */
  close(): void;
}

/**
 * The kernel's fast path over an x86-64 Unicorn engine. The constructor installs native hooks
 * (syscall instruction, invalid memory incl. fetch, interrupts); none calls into JS.
 * Record layout and kinds: see TRAP_* in constants.ts.
 */
export interface TrapCpu {
  /** The trap record: TRAP_SLOTS 64-bit slots. */
  readonly record: BigUint64Array;
  /** The same memory as 32-bit halves: slot i is u32[2*i] (low) and u32[2*i+1] (high). */
  readonly u32: Uint32Array;
  /**
   * Applies a pending syscall result (TRAP_RESULT_FLAGS), resumes at the current RIP and returns
   * the trap kind (TRAP_SYSCALL, TRAP_FAULT, TRAP_INTERRUPT, TRAP_SLICE, TRAP_ERROR, TRAP_HALT).
   * sliceMicros 0 = no time limit.
   */
  run(sliceMicros: number): number;
  /**
   * run() for the kernel's loop, without the cost of converting an argument and a result: the
   * slice (µs, 0 = none) is read from slot TRAP_SLICE_US as a double, the kind is left in slot
   * TRAP_KIND (u32[0]).
   */
  resume(): void;
  /** Removes the hooks; the engine stays usable. Idempotent. */
  dispose(): void;
  /**
   * The fast-store workaround for Unicorn 2.0.1 (see "Fast guest stores" in binding.cc): while
   * `active`, stores to writable, non-executable mem_map_ptr memory run inline instead of through
   * Unicorn's store helper. `cleared` counts TLB entries made inline, `scans` TLB scans; `why`
   * says why it is off (no need with this Unicorn, NBEMU_NO_FAST_STORES, layout not found).
   */
  readonly fastStores: { active: boolean; cleared?: number; scans?: number; why?: string };
}

interface Native {
  Unicorn: new (arch: number, mode: number) => Unicorn;
  TrapCpu: new (uc: Unicorn) => TrapCpu;
  UnicornContext: new () => UnicornContext;
  setErrorClass(ctor: typeof UnicornError): void;
  version(): {
    major: number;
    minor: number;
    combined: number;
    headerMajor: number;
    headerMinor: number;
    headerPatch: number;
  };
  arch_supported(arch: number): boolean;
  hostio: HostIo;
}

/**
 * Host terminal and descriptor calls (hostio.cc) for the kernel's tty ioctls. termios values are
 * NetBSD's struct termios (44 bytes), translated to and from the host's; failures throw an Error
 * whose `code` is the host errno name.
 */
export interface HostIo {
  ttyGetattr(fd: number): Uint8Array;
  /** action: 0 TCSANOW, 1 TCSADRAIN, 2 TCSAFLUSH. */
  ttySetattr(fd: number, action: number, termios: Uint8Array): void;
  ttyGetWinsize(fd: number): [number, number, number, number];
  ttySetWinsize(fd: number, row: number, col: number, xpixel: number, ypixel: number): void;
  ttyDrain(fd: number): void;
  /** queue: 1 input, 2 output, 3 both. */
  ttyFlush(fd: number, queue: number): void;
  fdNread(fd: number): number;
  /** Catch these host signals (numbers) for the guest, without SA_RESTART. */
  hostSignalsInstall(signals: number[]): void;
  /** The host signals caught since the last call, as a bit mask (bit n: signal n). */
  hostSignalsTake(): number;
  /**
   * Stop nbemu with the host's default action for SIGTSTP (discarded, as for a native program,
   * in an orphaned process group); true when it stopped and has been continued.
   */
  hostJobStop(): boolean;
}

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  // Fall back to the layout: dist/src/unicorn/index.js (or src/unicorn/index.ts under vitest).
  return join(start, '..', '..', '..');
}

function loadNative(): Native {
  const here = dirname(fileURLToPath(import.meta.url));
  const root = findPackageRoot(here);
  const require = createRequire(import.meta.url);
  const candidates = [
    join(root, 'build', 'Release', 'nbemu_unicorn.node'),
    join(root, 'build', 'Debug', 'nbemu_unicorn.node'),
  ];
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) {
    throw new Error(
      `nbemu: the Unicorn binding is not built (looked for ${candidates[0]}). ` +
        'Run `npm install` (or `npx node-gyp rebuild`) in the nbemu directory.',
    );
  }
  return require(path) as Native;
}

const native = loadNative();
native.setErrorClass(UnicornError);

// The classes are the native ones (so hook callbacks receive the very object that was created),
// typed through the interfaces above.
export const Unicorn: { new (arch: number, mode: number): Unicorn; readonly prototype: Unicorn } = native.Unicorn;
export const TrapCpu: { new (uc: Unicorn): TrapCpu; readonly prototype: TrapCpu } = native.TrapCpu;
export const UnicornContext: { readonly prototype: UnicornContext } = native.UnicornContext;
export const hostio: HostIo = native.hostio;

/** Version of the Unicorn library actually loaded, and of the headers the addon was built with. */
export function unicornVersion(): ReturnType<Native['version']> {
  return native.version();
}

export function archSupported(arch: number): boolean {
  return native.arch_supported(arch);
}
