// The exact address of a faulting instruction. x86 page faults are precise and NetBSD saves the
// faulting instruction's address in the signal context (a handler that fixes the page and
// returns re-executes just that instruction). Unicorn 2.0.1 stops a faulting translation block
// with the registers as they were just before the faulting instruction but with RIP still at the
// start of the block. This module finds the instruction: it walks the block's instructions in a
// scratch engine (a code hook reports each one's length without running it), and runs each
// candidate alone, with the process's current registers and a read-only copy of the pages it
// touches, until one faults at the same address in the same way — that is the one.

import * as U from '../unicorn/index.js';
import { PAGE_SIZE, PROT_EXEC, PROT_READ } from './constants.js';
import type { Proc } from './proc.js';

const GPRS = [
  U.UC_X86_REG_RAX, U.UC_X86_REG_RBX, U.UC_X86_REG_RCX, U.UC_X86_REG_RDX, U.UC_X86_REG_RSI, U.UC_X86_REG_RDI,
  U.UC_X86_REG_RBP, U.UC_X86_REG_RSP, U.UC_X86_REG_R8, U.UC_X86_REG_R9, U.UC_X86_REG_R10, U.UC_X86_REG_R11,
  U.UC_X86_REG_R12, U.UC_X86_REG_R13, U.UC_X86_REG_R14, U.UC_X86_REG_R15, U.UC_X86_REG_EFLAGS,
  U.UC_X86_REG_FS_BASE, U.UC_X86_REG_GS_BASE,
];

/** The longest block walked (Unicorn's blocks are far shorter in practice). */
const MAX_INSNS = 512;

type Kind = 'read' | 'write' | 'fetch';

/** The kind of access of a UC_MEM_* type. */
export function kindOf(access: number): Kind {
  switch (access) {
    case U.UC_MEM_WRITE_UNMAPPED:
    case U.UC_MEM_WRITE_PROT:
    case U.UC_MEM_WRITE:
      return 'write';
    case U.UC_MEM_FETCH_UNMAPPED:
    case U.UC_MEM_FETCH_PROT:
    case U.UC_MEM_FETCH:
      return 'fetch';
    default:
      return 'read';
  }
}

/**
 * The address of the instruction in the block starting at `blockStart` that faulted on
 * `addr` with `access` (a UC_MEM_* type), or `blockStart` if it cannot be found.
 */
export function faultingInstruction(p: Proc, blockStart: number, addr: number, access: number): number {
  const want = kindOf(access);
  if (want === 'fetch') return addr;
  const uc = new U.Unicorn(U.UC_ARCH_X86, U.UC_MODE_64);
  try {
    const mapped = new Set<number>();
    // Pages come in on demand, as read-only copies: nothing a candidate does can change the process.
    const mapPage = (a: number): boolean => {
      const page = a - (a % PAGE_SIZE);
      if (mapped.has(page)) return false;
      const r = p.vm.inEngine(page); // not a file's pages past end-of-file: the engine lacks them too
      if (!r || !(r.prot & PROT_READ)) return false;
      uc.mem_map(page, PAGE_SIZE, PROT_READ | PROT_EXEC);
      uc.mem_write(page, r.bytes.subarray(page - r.start, page - r.start + PAGE_SIZE));
      mapped.add(page);
      return true;
    };
    let fault: { addr: number; kind: Kind } | undefined;
    uc.hook_add(U.UC_HOOK_MEM_UNMAPPED, (_uc: U.Unicorn, type: number, a: bigint) => {
      const n = Number(a);
      if (mapPage(n)) return true;
      fault = { addr: n, kind: kindOf(type) };
      return false;
    });
    uc.hook_add(U.UC_HOOK_MEM_PROT, (_uc: U.Unicorn, type: number, a: bigint) => {
      fault = { addr: Number(a), kind: kindOf(type) };
      return false;
    });
    let size = 0;
    const sizer = uc.hook_add(U.UC_HOOK_CODE, (u: U.Unicorn, _a: bigint, s: number) => {
      size = s;
      u.emu_stop();
    });
    // The instruction boundaries of the block.
    const insns: [number, number][] = [];
    for (let at = blockStart; insns.length < MAX_INSNS; ) {
      if (!mapPage(at) && !mapped.has(at - (at % PAGE_SIZE))) break;
      size = 0;
      try {
        uc.emu_start(at, 0, 0, 0);
      } catch {
        // an instruction straddling into an unreadable page: stop here
      }
      if (size === 0) break;
      insns.push([at, size]);
      at += size;
    }
    uc.hook_del(sizer);
    const regs = GPRS.map((r) => p.uc.reg_read(r));
    for (const [at, len] of insns) {
      GPRS.forEach((r, i) => uc.reg_write(r, regs[i]!));
      fault = undefined;
      try {
        uc.emu_start(at, at + len, 0, 1);
      } catch {
        // a fault: compared below
      }
      const f = fault as { addr: number; kind: Kind } | undefined; // set by the hooks during emu_start
      if (f && f.addr === addr && f.kind === want) return at;
    }
    return blockStart;
  } catch {
    return blockStart;
  } finally {
    uc.close();
  }
}
