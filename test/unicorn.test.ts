// Tests of the Unicorn native binding (src/unicorn). Guest code is hand-assembled x86-64.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import {
  TRAP_ADDR,
  TRAP_DETAIL,
  TRAP_ERROR,
  TRAP_FAULT,
  TRAP_HALT,
  TRAP_INTERRUPT,
  TRAP_KIND,
  TRAP_R10,
  TRAP_R8,
  TRAP_R9,
  TRAP_RAX,
  TRAP_RDI,
  TRAP_RDX,
  TRAP_RESULT_CARRY,
  TRAP_RESULT_FLAGS,
  TRAP_RESULT_JUSTRETURN,
  TRAP_RESULT_PENDING,
  TRAP_RESULT_RAX,
  TRAP_RESULT_RDX,
  TRAP_RIP,
  TRAP_RSI,
  TRAP_RSP,
  TRAP_SLICE,
  TRAP_SLICE_US,
  TRAP_SYSCALL,
  TrapCpu,
  UC_ARCH_X86,
  UC_ERR_ARG,
  UC_ERR_HANDLE,
  UC_ERR_INSN_INVALID,
  UC_ERR_READ_UNMAPPED,
  UC_ERR_WRITE_PROT,
  UC_HOOK_BLOCK,
  UC_HOOK_CODE,
  UC_HOOK_INSN,
  UC_HOOK_INTR,
  UC_HOOK_MEM_READ,
  UC_HOOK_MEM_READ_UNMAPPED,
  UC_HOOK_MEM_WRITE,
  UC_MEM_FETCH_UNMAPPED,
  UC_MEM_READ,
  UC_MEM_READ_UNMAPPED,
  UC_MEM_WRITE,
  UC_MEM_WRITE_PROT,
  UC_MODE_64,
  UC_PROT_ALL,
  UC_PROT_EXEC,
  UC_PROT_READ,
  UC_PROT_WRITE,
  UC_X86_INS_SYSCALL,
  UC_X86_REG_EFLAGS,
  UC_X86_REG_FS_BASE,
  UC_X86_REG_GS_BASE,
  UC_X86_REG_R10,
  UC_X86_REG_R11,
  UC_X86_REG_R8,
  UC_X86_REG_R9,
  UC_X86_REG_RAX,
  UC_X86_REG_RBX,
  UC_X86_REG_RCX,
  UC_X86_REG_RDI,
  UC_X86_REG_RDX,
  UC_X86_REG_RIP,
  UC_X86_REG_RSI,
  UC_X86_REG_RSP,
  UC_X86_REG_XMM0,
  Unicorn,
  UnicornError,
  unicornVersion,
} from '../src/unicorn/index.js';

const CODE = 0x400000;
const DATA = 0x600000;
const STACK = 0x7f0000;
const UNMAPPED = 0x20000000;

// Encodings used below.
const SYSCALL = [0x0f, 0x05];
const HLT = [0xf4];
const NOP = [0x90];
const INC_RAX = [0x48, 0xff, 0xc0]; // inc rax
const JMP_SELF = [0xeb, 0xfe]; // jmp .
const UD2 = [0x0f, 0x0b];
const SETC_CL = [0x0f, 0x92, 0xc1]; // setc cl
const INT80 = [0xcd, 0x80];
const INT3 = [0xcc];
const movEaxImm = (v: number) => [0xb8, v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const abs32 = (a: number) => [a & 0xff, (a >> 8) & 0xff, (a >> 16) & 0xff, (a >>> 24) & 0xff];
const MOV_RAX_FROM = (a: number) => [0x48, 0x8b, 0x04, 0x25, ...abs32(a)]; // mov rax, [abs32]
const MOV_RAX_TO = (a: number) => [0x48, 0x89, 0x04, 0x25, ...abs32(a)]; // mov [abs32], rax
const MOV_RAX_FS0 = [0x64, 0x48, 0x8b, 0x04, 0x25, 0, 0, 0, 0]; // mov rax, fs:[0]
const MOV_RAX_GS8 = [0x65, 0x48, 0x8b, 0x04, 0x25, 8, 0, 0, 0]; // mov rax, gs:[8]

const engines: Unicorn[] = [];
function machine(code: number[] = []): Unicorn {
  const uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
  engines.push(uc);
  uc.mem_map(CODE, 0x10000, UC_PROT_ALL);
  uc.mem_map(STACK, 0x10000, UC_PROT_READ | UC_PROT_WRITE);
  uc.reg_write(UC_X86_REG_RSP, STACK + 0x8000);
  if (code.length) uc.mem_write(CODE, Uint8Array.from(code));
  uc.reg_write(UC_X86_REG_RIP, CODE);
  return uc;
}
afterEach(() => {
  for (const uc of engines.splice(0)) uc.close();
});

function ucError(fn: () => unknown): UnicornError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UnicornError);
    return e as UnicornError;
  }
  throw new Error('expected a UnicornError');
}

describe('memory', () => {
  it('maps, writes and reads', () => {
    const uc = machine();
    uc.mem_map(DATA, 0x2000, UC_PROT_READ | UC_PROT_WRITE);
    uc.mem_write(DATA + 0xffe, Uint8Array.from([1, 2, 3, 4])); // crosses a page
    expect([...uc.mem_read(DATA + 0xffe, 4)]).toEqual([1, 2, 3, 4]);
    expect(uc.mem_read(BigInt(DATA), 2)).toEqual(Buffer.from([0, 0]));
    expect(uc.mem_read(DATA, 0).length).toBe(0);
  });

  it('shares guest memory with an ArrayBuffer (mem_map_ptr)', () => {
    const uc = machine(MOV_RAX_FROM(DATA + 8).concat(INC_RAX, MOV_RAX_TO(DATA + 16), HLT));
    const ab = new ArrayBuffer(0x1000);
    const bytes = new Uint8Array(ab);
    uc.mem_map_ptr(DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE, ab);
    bytes.set([0xaa, 0xbb], 0);
    expect([...uc.mem_read(DATA, 2)]).toEqual([0xaa, 0xbb]);
    uc.mem_write(DATA + 4, Uint8Array.from([7, 8]));
    expect([...bytes.subarray(4, 6)]).toEqual([7, 8]);
    // The guest reads and writes the same memory.
    new DataView(ab).setBigUint64(8, 0x1122334455667788n, true);
    uc.emu_start(CODE, 0);
    expect(new DataView(ab).getBigUint64(16, true)).toBe(0x1122334455667789n);
    uc.mem_unmap(DATA, 0x1000);
    expect(ucError(() => uc.mem_read(DATA, 1)).code).toBe(UC_ERR_READ_UNMAPPED);
  });

  it('maps part of a buffer through a Uint8Array view, in two engines at once', () => {
    const ab = new ArrayBuffer(0x3000);
    const a = machine();
    const b = machine();
    a.mem_map_ptr(DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE, new Uint8Array(ab, 0x1000, 0x1000));
    b.mem_map_ptr(DATA + 0x5000, 0x2000, UC_PROT_READ, new Uint8Array(ab, 0x1000));
    a.mem_write(DATA + 8, Uint8Array.from([1, 2, 3]));
    expect([...new Uint8Array(ab, 0x1008, 3)]).toEqual([1, 2, 3]);
    expect([...b.mem_read(DATA + 0x5008, 3)]).toEqual([1, 2, 3]);
    // A view smaller than the mapping, or another kind of view, is refused.
    expect(ucError(() => a.mem_map_ptr(DATA + 0x10000, 0x2000, UC_PROT_ALL, new Uint8Array(ab, 0x2000))).code).toBe(UC_ERR_ARG);
    expect(ucError(() => a.mem_map_ptr(DATA + 0x10000, 0x1000, UC_PROT_ALL, new Uint32Array(ab) as unknown as Uint8Array)).code).toBe(UC_ERR_ARG);
  });

  it('rejects a buffer smaller than the mapping', () => {
    const uc = machine();
    expect(ucError(() => uc.mem_map_ptr(DATA, 0x2000, UC_PROT_ALL, new ArrayBuffer(0x1000))).code).toBe(UC_ERR_ARG);
  });

  it('buffers stay coherent with the CPU after Unicorn splits regions (random protect/unmap)', () => {
    // Unicorn splits a region internally when part of it is protected or unmapped; for a
    // mem_map_ptr region it must keep pointing into the same buffer at the right offsets.
    const P = 0x1000;
    const N = 32;
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const STORE = [0x48, 0x89, 0x07, 0xf4]; // mov [rdi], rax; hlt
    let checked = 0;
    for (let iter = 0; iter < 40; iter++) {
      const uc = machine(STORE);
      const ab = new ArrayBuffer(N * P);
      const bytes = new Uint8Array(ab);
      uc.mem_map_ptr(DATA, N * P, UC_PROT_READ | UC_PROT_WRITE, ab);
      const mapped = new Array<boolean>(N).fill(true);
      const writable = new Array<boolean>(N).fill(true);
      for (let k = 0; k < 6; k++) {
        const a = rnd(N);
        const len = 1 + rnd(N - a);
        for (let i = a; i < a + len; i++) {
          if (!mapped[i]) continue;
          if (rnd(3) === 0) {
            uc.mem_unmap(DATA + i * P, P);
            mapped[i] = false;
          } else {
            writable[i] = rnd(2) === 0;
            uc.mem_protect(DATA + i * P, P, writable[i] ? UC_PROT_READ | UC_PROT_WRITE : UC_PROT_READ);
          }
        }
      }
      for (let i = 0; i < N; i++) {
        if (!mapped[i]) {
          expect(ucError(() => uc.mem_read(DATA + i * P, 1)).code).toBe(UC_ERR_READ_UNMAPPED);
          continue;
        }
        if (!writable[i]) uc.mem_protect(DATA + i * P, P, UC_PROT_READ | UC_PROT_WRITE);
        const v = BigInt(iter * 1000 + i + 1);
        uc.reg_write(UC_X86_REG_RAX, v);
        uc.reg_write(UC_X86_REG_RDI, DATA + i * P + 8);
        uc.emu_start(CODE, 0);
        expect(new DataView(ab).getBigUint64(i * P + 8, true)).toBe(v); // the CPU's store is in the buffer
        bytes[i * P + 100] = 0x5a;
        expect(uc.mem_read(DATA + i * P + 100, 1)[0]).toBe(0x5a); // and the buffer's byte is what the CPU reads
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('reports regions, protects and unmaps', () => {
    const uc = machine();
    uc.mem_map(DATA, 0x3000, UC_PROT_READ | UC_PROT_WRITE);
    const find = () => uc.mem_regions().filter((r) => r.begin >= BigInt(DATA) && r.begin < BigInt(DATA + 0x3000));
    expect(find()).toEqual([{ begin: BigInt(DATA), end: BigInt(DATA + 0x3000 - 1), perms: 3 }]);
    uc.mem_protect(DATA + 0x1000, 0x1000, UC_PROT_READ);
    expect(find()).toEqual([
      { begin: BigInt(DATA), end: BigInt(DATA + 0xfff), perms: 3 },
      { begin: BigInt(DATA + 0x1000), end: BigInt(DATA + 0x1fff), perms: 1 },
      { begin: BigInt(DATA + 0x2000), end: BigInt(DATA + 0x2fff), perms: 3 },
    ]);
    uc.mem_unmap(DATA + 0x2000, 0x1000);
    expect(find().length).toBe(2);
    expect(ucError(() => uc.mem_read(DATA + 0x2000, 1)).code).toBe(UC_ERR_READ_UNMAPPED);
    // guest write to the read-only page faults
    uc.mem_write(CODE, Uint8Array.from(MOV_RAX_TO(DATA + 0x1000)));
    expect(ucError(() => uc.emu_start(CODE, CODE + 8)).code).toBe(UC_ERR_WRITE_PROT);
  });

  it('fails cleanly on bad mappings and huge reads', () => {
    const uc = machine();
    expect(ucError(() => uc.mem_map(DATA + 1, 0x1000, UC_PROT_ALL)).code).toBe(UC_ERR_ARG);
    expect(ucError(() => uc.mem_read(UNMAPPED, 4)).code).toBe(UC_ERR_READ_UNMAPPED);
    expect(ucError(() => uc.mem_read(CODE, 2 ** 40)).code).toBe(UC_ERR_READ_UNMAPPED);
    // CODE has 0x10000 bytes mapped: a larger read runs past the end.
    expect(ucError(() => uc.mem_read(CODE, 0x10001)).code).toBe(UC_ERR_READ_UNMAPPED);
    expect(() => uc.mem_read(CODE, -1)).toThrow(UnicornError);
  });
});

describe('registers', () => {
  it('reads and writes 64-bit values exactly', () => {
    const uc = machine();
    uc.reg_write(UC_X86_REG_RAX, 0xfedcba9876543210n);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(0xfedcba9876543210n);
    uc.reg_write(UC_X86_REG_RBX, -1n);
    expect(uc.reg_read(UC_X86_REG_RBX)).toBe(0xffffffffffffffffn);
    uc.reg_write(UC_X86_REG_RCX, 2 ** 53);
    expect(uc.reg_read(UC_X86_REG_RCX)).toBe(2n ** 53n);
    uc.reg_write(UC_X86_REG_XMM0, 0x0123456789abcdef_fedcba9876543210n);
    expect(uc.reg_read(UC_X86_REG_XMM0)).toBe(0x0123456789abcdef_fedcba9876543210n);
    expect(() => uc.reg_write(UC_X86_REG_RAX, 2n ** 64n)).toThrow(UnicornError);
    expect(() => uc.reg_write(UC_X86_REG_RAX, 1.5)).toThrow(UnicornError);
  });

  it('FS base is writable and fs:[0] reads through it', () => {
    const uc = machine(MOV_RAX_FS0.concat(INC_RAX, MOV_RAX_GS8, HLT));
    uc.mem_map(DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    uc.mem_write(DATA + 0x100, Uint8Array.from([0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe]));
    uc.mem_write(DATA + 0x208, Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0x80]));
    uc.reg_write(UC_X86_REG_FS_BASE, DATA + 0x100);
    expect(uc.reg_read(UC_X86_REG_FS_BASE)).toBe(BigInt(DATA + 0x100));
    uc.emu_start(CODE, CODE + MOV_RAX_FS0.length);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(0xfedcba9876543210n);
    uc.reg_write(UC_X86_REG_GS_BASE, DATA + 0x200);
    uc.emu_start(CODE + MOV_RAX_FS0.length + 3, 0);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(0x8000000000000001n);
    expect(uc.msr_read(0xc0000100)).toBe(BigInt(DATA + 0x100)); // IA32_FS_BASE
  });
});

describe('emulation', () => {
  it('honours until and count', () => {
    const uc = machine(INC_RAX.concat(INC_RAX, INC_RAX, INC_RAX, HLT));
    uc.reg_write(UC_X86_REG_RAX, 0);
    uc.emu_start(CODE, CODE + 6);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(2n);
    expect(uc.reg_read(UC_X86_REG_RIP)).toBe(BigInt(CODE + 6));
    uc.reg_write(UC_X86_REG_RAX, 0);
    uc.emu_start(CODE, 0, 0, 3);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(3n);
    expect(uc.reg_read(UC_X86_REG_RIP)).toBe(BigInt(CODE + 9));
  });

  it('code and block hooks, hook_del', () => {
    const code = INC_RAX.concat(INC_RAX, [0xeb, 0x00], INC_RAX, HLT); // jmp +0 splits the block
    const uc = machine(code);
    const seen: [bigint, number][] = [];
    const blocks: bigint[] = [];
    const h = uc.hook_add(UC_HOOK_CODE, (_u: Unicorn, addr: bigint, size: number) => {
      seen.push([addr, size]);
    });
    const hb = uc.hook_add(UC_HOOK_BLOCK, (_u: Unicorn, addr: bigint) => {
      blocks.push(addr);
    });
    uc.emu_start(CODE, CODE + code.length - 1);
    expect(seen).toEqual([
      [BigInt(CODE), 3],
      [BigInt(CODE + 3), 3],
      [BigInt(CODE + 6), 2],
      [BigInt(CODE + 8), 3],
    ]);
    expect(blocks).toEqual([BigInt(CODE), BigInt(CODE + 8)]);
    uc.hook_del(h);
    uc.hook_del(hb);
    seen.length = 0;
    uc.emu_start(CODE, CODE + code.length - 1);
    expect(seen).toEqual([]);
    expect(() => uc.hook_del(h)).toThrow(UnicornError);
  });

  it('memory read/write hooks see accesses and values', () => {
    const uc = machine(MOV_RAX_FROM(DATA).concat(INC_RAX, MOV_RAX_TO(DATA + 8), HLT));
    uc.mem_map(DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    uc.mem_write(DATA, Uint8Array.from([5, 0, 0, 0, 0, 0, 0, 0]));
    const log: [number, bigint, number, bigint][] = [];
    uc.hook_add(
      UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE,
      (_u: Unicorn, access: number, addr: bigint, size: number, value: bigint) => {
        log.push([access, addr, size, value]);
      },
    );
    uc.emu_start(CODE, 0);
    expect(log).toEqual([
      [UC_MEM_READ, BigInt(DATA), 8, 0n],
      [UC_MEM_WRITE, BigInt(DATA + 8), 8, 6n],
    ]);
  });

  it('an unmapped-access hook can map the page and continue', () => {
    const uc = machine(MOV_RAX_FROM(UNMAPPED + 0x10).concat(HLT));
    let calls = 0;
    uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED, (u: Unicorn, access: number, addr: bigint) => {
      calls++;
      expect(access).toBe(UC_MEM_READ_UNMAPPED);
      expect(addr).toBe(BigInt(UNMAPPED + 0x10));
      u.mem_map(UNMAPPED, 0x1000, UC_PROT_READ);
      u.mem_write(UNMAPPED + 0x10, Uint8Array.from([42]));
      return true;
    });
    uc.emu_start(CODE, 0);
    expect(calls).toBe(1);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(42n);
  });

  it('an unmapped-access hook returning false stops with the error', () => {
    const uc = machine(MOV_RAX_FROM(UNMAPPED).concat(HLT));
    uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED, () => false);
    expect(ucError(() => uc.emu_start(CODE, 0)).code).toBe(UC_ERR_READ_UNMAPPED);
  });

  it('interrupt and syscall hooks', () => {
    const uc = machine(INT3.concat(INT80, SYSCALL, HLT));
    const ints: number[] = [];
    let syscalls = 0;
    let ripInHook = 0n;
    uc.hook_add(UC_HOOK_INTR, (_u: Unicorn, intno: number) => {
      ints.push(intno);
    });
    uc.hook_add(
      UC_HOOK_INSN,
      (u: Unicorn) => {
        syscalls++;
        ripInHook = u.reg_read(UC_X86_REG_RIP);
      },
      1,
      0,
      UC_X86_INS_SYSCALL,
    );
    uc.emu_start(CODE, 0);
    expect(ints).toEqual([3, 0x80]);
    expect(syscalls).toBe(1);
    expect(ripInHook).toBe(BigInt(CODE + 3)); // the syscall instruction itself
    expect(uc.reg_read(UC_X86_REG_RIP)).toBe(BigInt(CODE + 6)); // after hlt
  });

  it('emu_stop from a hook', () => {
    const uc = machine(INC_RAX.concat(INC_RAX, INC_RAX, HLT));
    uc.reg_write(UC_X86_REG_RAX, 0);
    uc.hook_add(UC_HOOK_CODE, (u: Unicorn, addr: bigint) => {
      if (addr === BigInt(CODE + 3)) u.emu_stop();
    });
    uc.emu_start(CODE, 0);
    // Stopping in a code hook stops before that instruction.
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(1n);
    expect(uc.reg_read(UC_X86_REG_RIP)).toBe(BigInt(CODE + 3));
  });

  it('a JS exception in a hook stops emulation and is rethrown', () => {
    const uc = machine(INC_RAX.concat(INC_RAX, INC_RAX, HLT));
    uc.reg_write(UC_X86_REG_RAX, 0);
    const boom = new Error('boom');
    const h = uc.hook_add(UC_HOOK_CODE, (_u: Unicorn, addr: bigint) => {
      if (addr === BigInt(CODE + 3)) throw boom;
    });
    expect(() => uc.emu_start(CODE, 0)).toThrow(boom);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBeLessThanOrEqual(2n);
    uc.hook_del(h);
    uc.emu_start(CODE, 0); // the engine is still usable
    expect(uc.reg_read(UC_X86_REG_RIP)).toBe(BigInt(CODE + 10));
    // a non-Error value survives the trip too (and a hook added after the code was
    // translated still fires: hook_add flushes the translation cache)
    uc.hook_add(UC_HOOK_CODE, () => {
      throw 42;
    });
    let caught: unknown;
    try {
      uc.emu_start(CODE, 0);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(42);
  });

  it('context save and restore', () => {
    const uc = machine();
    uc.reg_write(UC_X86_REG_RAX, 0x1111n);
    uc.reg_write(UC_X86_REG_R11, 0x2222n);
    const ctx = uc.context_save();
    uc.reg_write(UC_X86_REG_RAX, 0x3333n);
    uc.reg_write(UC_X86_REG_R11, 0x4444n);
    uc.context_restore(ctx);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(0x1111n);
    expect(uc.reg_read(UC_X86_REG_R11)).toBe(0x2222n);
    uc.reg_write(UC_X86_REG_RAX, 0x5555n);
    expect(uc.context_save(ctx)).toBe(ctx); // save into the same context
    uc.reg_write(UC_X86_REG_RAX, 0);
    uc.context_restore(ctx);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(0x5555n);
    ctx.free();
    expect(() => uc.context_restore(ctx)).toThrow(UnicornError);
  });

  it('reports invalid instructions as UC_ERR_INSN_INVALID', () => {
    const uc = machine(UD2);
    expect(ucError(() => uc.emu_start(CODE, 0)).code).toBe(UC_ERR_INSN_INVALID);
  });

  it('close is idempotent and every method throws afterwards', () => {
    const uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    uc.close();
    uc.close();
    expect(uc.closed).toBe(true);
    expect(ucError(() => uc.mem_map(CODE, 0x1000, UC_PROT_ALL)).code).toBe(UC_ERR_HANDLE);
    expect(ucError(() => uc.reg_read(UC_X86_REG_RAX)).code).toBe(UC_ERR_HANDLE);
    expect(ucError(() => uc.emu_start(CODE, 0)).code).toBe(UC_ERR_HANDLE);
    expect(ucError(() => uc.mem_regions()).code).toBe(UC_ERR_HANDLE);
    expect(() => new TrapCpu(uc)).toThrow(UnicornError);
  });

  it('close from inside a hook is deferred until emulation returns', () => {
    const uc = machine(INC_RAX.concat(INC_RAX, HLT));
    uc.hook_add(UC_HOOK_CODE, (u: Unicorn) => u.close());
    uc.emu_start(CODE, 0);
    expect(uc.closed).toBe(true);
    expect(() => uc.reg_read(UC_X86_REG_RAX)).toThrow(UnicornError);
  });

  it('rejects bad constructor arguments with UnicornError', () => {
    expect(() => new Unicorn(UC_ARCH_X86, 12345)).toThrow(UnicornError);
  });
});

describe('TrapCpu', () => {
  const slot = (cpu: TrapCpu, i: number) => cpu.record[i];

  it('records a syscall trap and resumes after it', () => {
    const code = movEaxImm(20).concat(SYSCALL, SETC_CL, SYSCALL, HLT);
    const uc = machine(code);
    uc.reg_write(UC_X86_REG_RDI, 0x1111111111111111n);
    uc.reg_write(UC_X86_REG_RSI, 2);
    uc.reg_write(UC_X86_REG_RDX, 3);
    uc.reg_write(UC_X86_REG_R10, 4);
    uc.reg_write(UC_X86_REG_R8, 5);
    uc.reg_write(UC_X86_REG_R9, 0xfffffffffffffff6n);
    uc.reg_write(UC_X86_REG_RCX, 0xcccc);
    uc.reg_write(UC_X86_REG_R11, 0xbbbb);
    const cpu = new TrapCpu(uc);
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    expect(slot(cpu, TRAP_KIND)).toBe(BigInt(TRAP_SYSCALL));
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE + 7)); // after the 2-byte syscall
    expect(slot(cpu, TRAP_RAX)).toBe(20n);
    expect(slot(cpu, TRAP_RDI)).toBe(0x1111111111111111n);
    expect(slot(cpu, TRAP_RSI)).toBe(2n);
    expect(slot(cpu, TRAP_RDX)).toBe(3n);
    expect(slot(cpu, TRAP_R10)).toBe(4n);
    expect(slot(cpu, TRAP_R8)).toBe(5n);
    expect(slot(cpu, TRAP_R9)).toBe(0xfffffffffffffff6n);
    expect(slot(cpu, TRAP_RSP)).toBe(BigInt(STACK + 0x8000));
    expect(cpu.u32[2 * TRAP_RDI]).toBe(0x11111111);
    expect(cpu.u32[2 * TRAP_R9 + 1]).toBe(0xffffffff);
    expect(uc.reg_read(UC_X86_REG_RIP)).toBe(BigInt(CODE + 7));
    // Unicorn does not emulate syscall's rcx/r11 clobbering.
    expect(uc.reg_read(UC_X86_REG_RCX)).toBe(0xccccn);
    expect(uc.reg_read(UC_X86_REG_R11)).toBe(0xbbbbn);

    // Error result: rax = errno, carry set. The guest's setc sees it.
    cpu.record[TRAP_RESULT_RAX] = 9n;
    cpu.record[TRAP_RESULT_RDX] = 0x77n;
    cpu.record[TRAP_RESULT_FLAGS] = BigInt(TRAP_RESULT_PENDING | TRAP_RESULT_CARRY);
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    expect(slot(cpu, TRAP_RESULT_FLAGS)).toBe(0n);
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE + 12));
    expect(slot(cpu, TRAP_RAX)).toBe(9n);
    expect(slot(cpu, TRAP_RDX)).toBe(0x77n);
    expect(uc.reg_read(UC_X86_REG_RCX) & 0xffn).toBe(1n);

    // Success result through the u32 view: carry cleared.
    cpu.u32[2 * TRAP_RESULT_RAX] = 0x89abcdef;
    cpu.u32[2 * TRAP_RESULT_RAX + 1] = 0x01234567;
    cpu.u32[2 * TRAP_RESULT_FLAGS] = TRAP_RESULT_PENDING;
    uc.reg_write(UC_X86_REG_EFLAGS, 0x203); // CF set beforehand
    expect(cpu.run(0)).toBe(TRAP_HALT);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(0x0123456789abcdefn);
    expect(uc.reg_read(UC_X86_REG_EFLAGS) & 1n).toBe(0n);
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE + code.length)); // hlt: RIP after it
    cpu.dispose();
  });

  it('EJUSTRETURN leaves registers alone; restart with rip-2 re-executes the syscall', () => {
    const uc = machine(movEaxImm(3).concat(SYSCALL, HLT));
    const cpu = new TrapCpu(uc);
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    cpu.record[TRAP_RESULT_RAX] = 999n;
    cpu.record[TRAP_RESULT_FLAGS] = BigInt(TRAP_RESULT_PENDING | TRAP_RESULT_JUSTRETURN | TRAP_RESULT_CARRY);
    const rip = slot(cpu, TRAP_RIP);
    uc.reg_write(UC_X86_REG_RIP, rip - 2n); // ERESTART
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    expect(slot(cpu, TRAP_RIP)).toBe(rip);
    expect(slot(cpu, TRAP_RAX)).toBe(3n);
    expect(slot(cpu, TRAP_RESULT_FLAGS)).toBe(0n);
  });

  it('records faults', () => {
    const uc = machine(MOV_RAX_FROM(UNMAPPED + 0x40));
    uc.mem_map(DATA, 0x1000, UC_PROT_READ);
    const cpu = new TrapCpu(uc);
    expect(cpu.run(0)).toBe(TRAP_FAULT);
    expect(slot(cpu, TRAP_DETAIL)).toBe(BigInt(UC_MEM_READ_UNMAPPED));
    expect(slot(cpu, TRAP_ADDR)).toBe(BigInt(UNMAPPED + 0x40));
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE)); // Unicorn 2.0.1: start of the translation block

    uc.mem_write(CODE + 0x100, Uint8Array.from(MOV_RAX_TO(DATA + 8)));
    uc.reg_write(UC_X86_REG_RIP, CODE + 0x100);
    expect(cpu.run(0)).toBe(TRAP_FAULT);
    expect(slot(cpu, TRAP_DETAIL)).toBe(BigInt(UC_MEM_WRITE_PROT));
    expect(slot(cpu, TRAP_ADDR)).toBe(BigInt(DATA + 8));

    uc.reg_write(UC_X86_REG_RIP, UNMAPPED + 0x123);
    expect(cpu.run(0)).toBe(TRAP_FAULT);
    expect(slot(cpu, TRAP_DETAIL)).toBe(BigInt(UC_MEM_FETCH_UNMAPPED));
    expect(slot(cpu, TRAP_ADDR)).toBe(BigInt(UNMAPPED + 0x123));

    // fetch from a non-executable page
    uc.reg_write(UC_X86_REG_RIP, DATA);
    expect(cpu.run(0)).toBe(TRAP_FAULT);
    expect(slot(cpu, TRAP_ADDR)).toBe(BigInt(DATA));
  });

  it('records interrupts, invalid instructions and halts', () => {
    const uc = machine(INT80.concat(NOP, INT3, UD2));
    const cpu = new TrapCpu(uc);
    expect(cpu.run(0)).toBe(TRAP_INTERRUPT);
    expect(slot(cpu, TRAP_DETAIL)).toBe(0x80n);
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE + 2)); // after int 0x80
    expect(cpu.run(0)).toBe(TRAP_INTERRUPT);
    expect(slot(cpu, TRAP_DETAIL)).toBe(3n);
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE + 4));
    expect(cpu.run(0)).toBe(TRAP_ERROR);
    expect(slot(cpu, TRAP_DETAIL)).toBe(BigInt(UC_ERR_INSN_INVALID));
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE + 4));
    // divide error is interrupt 0 at the faulting instruction
    uc.mem_write(CODE + 0x100, Uint8Array.from([0x31, 0xc9, 0xf7, 0xf1])); // xor ecx,ecx; div ecx
    uc.reg_write(UC_X86_REG_RIP, CODE + 0x100);
    expect(cpu.run(0)).toBe(TRAP_INTERRUPT);
    expect(slot(cpu, TRAP_DETAIL)).toBe(0n);
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE + 0x102));
    uc.mem_write(CODE + 0x200, Uint8Array.from(HLT));
    uc.reg_write(UC_X86_REG_RIP, CODE + 0x200);
    expect(cpu.run(0)).toBe(TRAP_HALT);
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE + 0x201));
  });

  it('expires a slice on an infinite loop and later runs are unaffected', () => {
    const uc = machine(JMP_SELF);
    uc.mem_write(CODE + 0x100, Uint8Array.from(movEaxImm(1).concat(SYSCALL, HLT)));
    const cpu = new TrapCpu(uc);
    let t0 = performance.now();
    expect(cpu.run(20_000)).toBe(TRAP_SLICE);
    let dt = performance.now() - t0;
    expect(dt).toBeGreaterThanOrEqual(15);
    expect(dt).toBeLessThan(2000);
    expect(slot(cpu, TRAP_RIP)).toBe(BigInt(CODE));
    for (let i = 0; i < 20; i++) expect(cpu.run(200)).toBe(TRAP_SLICE);
    // A long slice that ends by a trap long before its deadline; then a no-limit run.
    uc.reg_write(UC_X86_REG_RIP, CODE + 0x100);
    expect(cpu.run(1_000_000)).toBe(TRAP_SYSCALL);
    expect(cpu.run(0)).toBe(TRAP_HALT);
    // An earlier deadline after a later one still fires in time.
    uc.reg_write(UC_X86_REG_RIP, CODE);
    t0 = performance.now();
    expect(cpu.run(5_000)).toBe(TRAP_SLICE);
    dt = performance.now() - t0;
    expect(dt).toBeLessThan(1000);
    cpu.dispose();
    expect(() => cpu.run(0)).toThrow(UnicornError);
    cpu.dispose();
  });

  it('ends slices between instructions: no instruction runs twice across a slice boundary', () => {
    // loop: add qword [rdi], 1 ; add rax, 1 ; push rax ; pop rbx ; sub rcx, 1 ; jnz loop ; syscall
    // Guest stores take Unicorn's slow path; a stop from another thread that lands there used to
    // resume at the block start and run the store again (Go's stack copies went wrong).
    const loop = [0x48, 0x83, 0x07, 0x01, 0x48, 0x83, 0xc0, 0x01, 0x50, 0x5b, 0x48, 0x83, 0xe9, 0x01, 0x75, 0xf0];
    const uc = machine(loop.concat(SYSCALL));
    uc.mem_map(DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    const n = 400_000;
    uc.reg_write(UC_X86_REG_RDI, DATA);
    uc.reg_write(UC_X86_REG_RCX, n);
    const cpu = new TrapCpu(uc);
    let slices = 0;
    let kind: number;
    while ((kind = cpu.run(50)) === TRAP_SLICE) slices++;
    expect(kind).toBe(TRAP_SYSCALL);
    expect(slices).toBeGreaterThan(5); // the loop takes tens of ms: many 50 µs slices ended in it
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(BigInt(n));
    expect(uc.reg_read(UC_X86_REG_RBX)).toBe(BigInt(n));
    expect(new DataView(uc.mem_read(DATA, 8).buffer).getBigUint64(0, true)).toBe(BigInt(n));
    cpu.dispose();
  });

  it('resume() reads the slice from TRAP_SLICE_US and leaves the kind in TRAP_KIND', () => {
    const uc = machine(JMP_SELF);
    uc.mem_write(CODE + 0x100, Uint8Array.from(movEaxImm(7).concat(SYSCALL, HLT)));
    const cpu = new TrapCpu(uc);
    const f64 = new Float64Array(cpu.u32.buffer);
    f64[TRAP_SLICE_US] = 2000;
    const t0 = performance.now();
    expect(cpu.resume()).toBeUndefined();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(cpu.u32[2 * TRAP_KIND]).toBe(TRAP_SLICE);
    uc.reg_write(UC_X86_REG_RIP, CODE + 0x100);
    f64[TRAP_SLICE_US] = 0;
    cpu.resume();
    expect(cpu.record[TRAP_KIND]).toBe(BigInt(TRAP_SYSCALL));
    expect(cpu.record[TRAP_RAX]).toBe(7n);
    cpu.resume();
    expect(cpu.record[TRAP_KIND]).toBe(BigInt(TRAP_HALT));
    cpu.dispose();
    expect(() => cpu.resume()).toThrow(UnicornError);
  });

  it('drives a syscall loop from JS', () => {
    // 0: mov eax, 20 ; 5: syscall ; 7: jmp 0
    const uc = machine(movEaxImm(20).concat(SYSCALL, [0xeb, 0xf7]));
    const cpu = new TrapCpu(uc);
    let n = 0;
    while (n < 10_000 && cpu.run(0) === TRAP_SYSCALL) {
      if (cpu.u32[2 * TRAP_RAX] !== 20) break;
      cpu.u32[2 * TRAP_RESULT_RAX] = n;
      cpu.u32[2 * TRAP_RESULT_FLAGS] = TRAP_RESULT_PENDING;
      n++;
    }
    expect(n).toBe(10_000);
  });

  it('JS hooks on the same engine still work under run(), and their exceptions propagate', () => {
    const uc = machine(INC_RAX.concat(SYSCALL, HLT));
    const cpu = new TrapCpu(uc);
    let code = 0;
    uc.hook_add(UC_HOOK_CODE, () => {
      code++;
    });
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    expect(code).toBe(2);
    const e = new Error('hook failed');
    uc.hook_add(UC_HOOK_CODE, () => {
      throw e;
    });
    expect(() => cpu.run(0)).toThrow(e);
  });

  it('closing the engine disposes the TrapCpu', () => {
    const uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    const cpu = new TrapCpu(uc);
    uc.close();
    expect(ucError(() => cpu.run(0)).code).toBe(UC_ERR_HANDLE);
    cpu.dispose();
  });
});

describe('translation cache', () => {
  it('rewritten code runs after ctl_remove_cache', () => {
    const uc = machine(movEaxImm(1).concat(HLT));
    uc.emu_start(CODE, 0);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(1n);
    uc.mem_write(CODE, Uint8Array.from(movEaxImm(2)));
    uc.ctl_remove_cache(CODE, CODE + 6);
    uc.emu_start(CODE, 0);
    expect(uc.reg_read(UC_X86_REG_RAX)).toBe(2n);
  });
});

describe('TrapCpu fast stores (Unicorn 2.0.1 TLB_NOTDIRTY workaround)', () => {
  // loop: mov [rdi], rax ; add rdi, rsi ; add rax, 1 ; sub rcx, 1 ; jnz loop ; syscall
  const STORE_LOOP = [0x48, 0x89, 0x07, 0x48, 0x01, 0xf7, 0x48, 0x83, 0xc0, 0x01, 0x48, 0x83, 0xe9, 0x01, 0x75, 0xf0].concat(SYSCALL);
  const MOV_EAX_1_SYSCALL = movEaxImm(1).concat(SYSCALL);
  const v = unicornVersion();
  const needed = v.major === 2 && v.minor === 0; // 2.0.x: every store takes the store helper

  /** An engine like the kernel's: code and data are ArrayBuffers mapped with mem_map_ptr. */
  function ptrMachine(dataPages: number, dataPerms = UC_PROT_READ | UC_PROT_WRITE) {
    const uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    engines.push(uc);
    const code = new ArrayBuffer(0x10000);
    new Uint8Array(code).set(STORE_LOOP);
    uc.mem_map_ptr(CODE, code.byteLength, UC_PROT_ALL, code);
    const data = new ArrayBuffer(dataPages * 0x1000);
    uc.mem_map_ptr(DATA, data.byteLength, dataPerms, data);
    const cpu = new TrapCpu(uc);
    const storeLoop = (at: number, stride: number, n: number, first = 0) => {
      uc.reg_write(UC_X86_REG_RDI, at);
      uc.reg_write(UC_X86_REG_RSI, stride);
      uc.reg_write(UC_X86_REG_RCX, n);
      uc.reg_write(UC_X86_REG_RAX, first);
      uc.reg_write(UC_X86_REG_RIP, CODE);
      return cpu.run(0);
    };
    return { uc, cpu, code, data, storeLoop };
  }

  it('is active on Unicorn 2.0.x and stores land in the buffer, page after page', () => {
    const { cpu, data, storeLoop } = ptrMachine(600);
    if (needed) expect(cpu.fastStores).toMatchObject({ active: true, cleared: 0 });
    // 600 pages, 8 stores each, strided over the region twice: TLB fills, evictions, refills.
    for (const pass of [0, 1]) {
      expect(storeLoop(DATA + pass * 8, 512, 600 * 8, pass * 1_000_000)).toBe(TRAP_SYSCALL);
    }
    const q = new BigUint64Array(data);
    for (let i = 0; i < 600 * 8; i++) {
      expect(q[i * 64]).toBe(BigInt(i));
      expect(q[i * 64 + 1]).toBe(BigInt(1_000_000 + i));
    }
    if (needed) expect(cpu.fastStores.cleared).toBeGreaterThan(600);
  });

  it('works on a mapping of part of a buffer (a Uint8Array view with an offset)', () => {
    const uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
    engines.push(uc);
    const code = new ArrayBuffer(0x1000);
    new Uint8Array(code).set(STORE_LOOP);
    uc.mem_map_ptr(CODE, 0x1000, UC_PROT_ALL, code);
    const whole = new ArrayBuffer(0x6000);
    uc.mem_map_ptr(DATA, 0x2000, UC_PROT_READ | UC_PROT_WRITE, new Uint8Array(whole, 0x3000, 0x2000));
    const cpu = new TrapCpu(uc);
    uc.reg_write(UC_X86_REG_RDI, DATA);
    uc.reg_write(UC_X86_REG_RSI, 8);
    uc.reg_write(UC_X86_REG_RCX, 0x400); // both pages
    uc.reg_write(UC_X86_REG_RAX, 0);
    uc.reg_write(UC_X86_REG_RIP, CODE);
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    const q = new BigUint64Array(whole);
    for (let i = 0; i < 0x400; i++) expect(q[0x600 + i]).toBe(BigInt(i));
    expect(q[0x5ff]).toBe(0n);
    expect(q[0xa00]).toBe(0n);
    if (needed) expect(cpu.fastStores.cleared).toBeGreaterThanOrEqual(2);
  });

  it('a page made read-only faults on the next store; made writable again, it takes stores', () => {
    const { uc, cpu, data, storeLoop } = ptrMachine(4);
    expect(storeLoop(DATA, 8, 100, 7)).toBe(TRAP_SYSCALL);
    uc.mem_protect(DATA + 0x1000, 0x1000, UC_PROT_READ); // page 1 only: the mapping splits
    expect(storeLoop(DATA, 8, 10, 0x55)).toBe(TRAP_SYSCALL); // page 0 still writable
    expect(storeLoop(DATA + 0x1000, 8, 10, 0x66)).toBe(TRAP_FAULT);
    expect(cpu.record[TRAP_DETAIL]).toBe(BigInt(UC_MEM_WRITE_PROT));
    expect(cpu.record[TRAP_ADDR]).toBe(BigInt(DATA + 0x1000));
    expect(new BigUint64Array(data)[512]).toBe(0n); // the faulting store wrote nothing
    expect(storeLoop(DATA + 0x2000, 8, 10, 0x77)).toBe(TRAP_SYSCALL); // page 2 (after the split)
    expect(new BigUint64Array(data)[1024]).toBe(0x77n);
    uc.mem_protect(DATA + 0x1000, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    expect(storeLoop(DATA + 0x1000, 8, 10, 0x66)).toBe(TRAP_SYSCALL);
    expect(new BigUint64Array(data)[512]).toBe(0x66n);
  });

  it('after unmap and a new mapping at the same address, stores go to the new buffer', () => {
    const { uc, data, storeLoop } = ptrMachine(2);
    expect(storeLoop(DATA, 8, 50, 1)).toBe(TRAP_SYSCALL);
    uc.mem_unmap(DATA, 0x2000);
    expect(storeLoop(DATA, 8, 1, 2)).toBe(TRAP_FAULT);
    const fresh = new ArrayBuffer(0x2000);
    uc.mem_map_ptr(DATA, 0x2000, UC_PROT_READ | UC_PROT_WRITE, fresh);
    expect(storeLoop(DATA + 0x1000, 8, 50, 3)).toBe(TRAP_SYSCALL);
    expect(new BigUint64Array(fresh)[512]).toBe(3n);
    expect(new BigUint64Array(data)[512]).toBe(0n);
    expect(new BigUint64Array(data)[0]).toBe(1n);
  });

  it('code written while a page was not executable runs once it is executable again', () => {
    // The data page first holds `mov eax, 1; syscall` and runs (a translation is cached); then,
    // not executable, the guest stores `mov eax, 2; syscall` over it; made executable, the new
    // code must run (the stores skipped Unicorn's invalidation, so its translations are dropped).
    const { uc, cpu, data, storeLoop } = ptrMachine(1, UC_PROT_READ | UC_PROT_EXEC);
    new Uint8Array(data).set(MOV_EAX_1_SYSCALL);
    uc.reg_write(UC_X86_REG_RIP, DATA);
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    expect(cpu.record[TRAP_RAX]).toBe(1n);
    uc.mem_protect(DATA, 0x1000, UC_PROT_READ | UC_PROT_WRITE);
    const code2 = new Uint8Array(8);
    code2.set(movEaxImm(2).concat(SYSCALL));
    const word = new DataView(code2.buffer).getBigUint64(0, true);
    // Store the new code with the guest's own stores: fill the page first (so its TLB entry is
    // made inline), then the first 8 bytes.
    expect(storeLoop(DATA + 8, 8, 500, 0)).toBe(TRAP_SYSCALL);
    uc.mem_write(CODE + 0x100, Uint8Array.from([0x48, 0xb8, ...new Uint8Array(new BigUint64Array([word]).buffer), 0x48, 0x89, 0x04, 0x25, ...abs32(DATA)].concat(SYSCALL)));
    uc.ctl_remove_cache(CODE + 0x100, CODE + 0x120);
    uc.reg_write(UC_X86_REG_RIP, CODE + 0x100); // movabs rax, word ; mov [DATA], rax ; syscall
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    expect(new BigUint64Array(data)[0]).toBe(word);
    uc.mem_protect(DATA, 0x1000, UC_PROT_READ | UC_PROT_EXEC);
    uc.reg_write(UC_X86_REG_RIP, DATA);
    expect(cpu.run(0)).toBe(TRAP_SYSCALL);
    expect(cpu.record[TRAP_RAX]).toBe(2n);
  });

  it('writable and executable pages keep Unicorn\'s self-modifying-code invalidation', () => {
    // target: mov eax, imm32 ; syscall. Patcher: mov dword [target+1], 2 ; syscall.
    const { uc, cpu, data } = ptrMachine(1, UC_PROT_ALL);
    new Uint8Array(data).set(MOV_EAX_1_SYSCALL);
    new Uint8Array(data).set([0xc7, 0x04, 0x25, ...abs32(DATA + 1), 2, 0, 0, 0].concat(SYSCALL), 0x100);
    for (const [rip, rax] of [[DATA, 1n], [DATA + 0x100, undefined], [DATA, 2n]] as const) {
      uc.reg_write(UC_X86_REG_RIP, rip);
      expect(cpu.run(0)).toBe(TRAP_SYSCALL);
      if (rax !== undefined) expect(cpu.record[TRAP_RAX]).toBe(rax);
    }
  });

  it('JS memory hooks see every store while they exist; fast stores resume after hook_del', () => {
    const { uc, cpu, storeLoop } = ptrMachine(1);
    expect(storeLoop(DATA, 8, 100)).toBe(TRAP_SYSCALL);
    if (needed) expect(cpu.fastStores).toMatchObject({ active: true });
    let writes = 0;
    const h = uc.hook_add(UC_HOOK_MEM_WRITE, () => {
      writes++;
    });
    expect(cpu.fastStores.active).toBe(false);
    expect(storeLoop(DATA, 8, 100)).toBe(TRAP_SYSCALL);
    expect(writes).toBe(100);
    uc.hook_del(h);
    if (needed) expect(cpu.fastStores.active).toBe(true);
    expect(storeLoop(DATA, 8, 100)).toBe(TRAP_SYSCALL);
    expect(writes).toBe(100);
  });

  it('NBEMU_NO_FAST_STORES turns it off', () => {
    const script = `import('${new URL('../src/unicorn/index.ts', import.meta.url).pathname.replace(/\.ts$/, '.js').replace('/src/', '/dist/src/')}').then((U) => {
      const cpu = new U.TrapCpu(new U.Unicorn(U.UC_ARCH_X86, U.UC_MODE_64));
      process.stdout.write(JSON.stringify(cpu.fastStores));
    })`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, NBEMU_NO_FAST_STORES: '1' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ active: false, why: 'NBEMU_NO_FAST_STORES is set' });
  });
});
