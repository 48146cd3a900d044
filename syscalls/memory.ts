// Anonymous memory: mmap, munmap, mprotect, madvise, mincore, minherit, msync
// (sys/uvm/uvm_mmap.c, uvm_map.c; docs/netbsd-semantics.md §12).

import {
  EFAULT, EINVAL, ENODEV, ENOMEM, MADV_DONTNEED, MADV_FREE, MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL,
  MADV_WILLNEED, MAP_ALIGNMENT_MASK, MAP_ALIGNMENT_SHIFT, MAP_ANON, MAP_FIXED, MAP_INHERIT_COPY,
  MAP_INHERIT_NONE, MAP_INHERIT_SHARE, MAP_INHERIT_ZERO, MAP_PRIVATE, MAP_SHARED, MAP_TRYFIXED, MINCORE_INCORE,
  MS_ASYNC, MS_INVALIDATE, MS_SYNC, PAGE_SHIFT, PAGE_SIZE, PROT_WRITE, VM_MAXUSER_ADDRESS, VM_PROT_ALL,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import type { Proc } from '../src/kernel/proc.js';
import { roundPage, type VmSpace } from '../src/kernel/vmspace.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';
import { TRAP_RAX, TRAP_RSP } from '../src/unicorn/index.js';

/** range_test (uvm_mmap.c): inside the user address space and not wrapping, else EINVAL. */
function rangeTest(addr: number, size: number): void {
  if (addr < 0 || addr + size > VM_MAXUSER_ADDRESS || !Number.isSafeInteger(addr + size)) throw new Errno(EINVAL);
}

/**
 * mmap's off_t pos, its 7th argument. amd64 syscall.c copies arguments past the sixth in from the
 * user stack starting at rsp+8 (tf_rsp + 1); through syscall(2)/__syscall(2) (numbers 0 and 198)
 * the number takes the first register, so every argument moves one slot on and pos is at rsp+16.
 * Read from the trap record here rather than through SysCtx.stackArg, whose index-to-address
 * mapping is machine.ts's to fix (see the notes in docs/ or the issue).
 */
function mmapPos(k: SysCtx): number {
  const u = k.proc.cpu.u32;
  const rsp = u[TRAP_RSP * 2]! + u[TRAP_RSP * 2 + 1]! * 0x1_0000_0000;
  const code = u[TRAP_RAX * 2]! & 511;
  const indirect = code === 0 || code === 198;
  return Number(BigInt.asIntN(64, k.proc.vm.readBigU64(rsp + (indirect ? 16 : 8))));
}

/** The page-aligned range [addr - pageoff, …) a call covers (uvm_mmap.c: addr -= pageoff; size = round_page(size + pageoff)). */
function pageRange(addr: number, len: number): [number, number] {
  const pageoff = addr % PAGE_SIZE;
  return [addr - pageoff, roundPage(len + pageoff)];
}

/** uvm_map_lookup_entry: is the page at `addr` mapped at all? */
const mappedAt = (vm: VmSpace, addr: number): boolean => vm.isMapped(addr, addr + 1);

/**
 * uvm_map_clean's first pass: `start` must lie in a map entry and [start, end) must have no hole,
 * else EFAULT.
 */
function cleanCheck(vm: VmSpace, start: number, end: number): void {
  if (!mappedAt(vm, start)) throw new Errno(EFAULT);
  if (end > start && !vm.isMapped(start, end)) throw new Errno(EFAULT);
}

/**
 * PGO_FREE on anonymous memory (uvm_map_clean → uvm_anfree): the pages are thrown away, so the
 * next touch finds fresh zero-filled ones. Only anonymous mappings (mmap'd memory and the stack)
 * are discarded; the program image is a file mapping whose pages nbemu cannot re-read.
 */
function freeAnonPages(p: Proc, start: number, end: number): void {
  p.vm.zero(start, end, (r) => r.name === 'anon' || r.name === 'stack');
}

export const memorySyscalls: SyscallDescriptor[] = [
  {
    number: 197, name: 'mmap', class: 'memory',
    support: partial('anonymous mappings only: file mappings answer ENODEV'),
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'prot', type: 'int' }, { name: 'flags', type: 'int' }, { name: 'fd', type: 'fd' }, { name: 'PAD', type: 'long' }],
    handler(k, addr, len, protArg, flags, fd) {
      const pos = mmapPos(k); // off_t pos: the 7th argument, on the user stack
      const prot = protArg & VM_PROT_ALL; // other bits (PROT_MPROTECT's maximum protection) are dropped, not refused
      if ((flags & (MAP_SHARED | MAP_PRIVATE)) === (MAP_SHARED | MAP_PRIVATE)) throw new Errno(EINVAL);
      const pageoff = ((pos % PAGE_SIZE) + PAGE_SIZE) % PAGE_SIZE;
      const size = roundPage(len + pageoff);
      if (len === 0) throw new Errno(EINVAL); // POSIX-2008; the stored uvm_mmap.c predates the check (unverified)
      // MAP_ALIGNED(n): 2^n alignment, n from log2(PAGE_SIZE) to below the pointer width.
      const alignShift = (flags & MAP_ALIGNMENT_MASK) >>> MAP_ALIGNMENT_SHIFT;
      if (alignShift !== 0 && (alignShift < PAGE_SHIFT || alignShift >= 64)) throw new Errno(EINVAL);
      const align = alignShift ? 2 ** alignShift : PAGE_SIZE;
      if (align >= VM_MAXUSER_ADDRESS) throw new Errno(ENOMEM); // uvm_mmap: align >= vm_map_max
      let at = addr;
      if (flags & MAP_FIXED) {
        at -= pageoff;
        if (at % PAGE_SIZE) throw new Errno(EINVAL);
        rangeTest(at, size);
        if (at % align) throw new Errno(EINVAL); // uvm_mmap: a fixed address must honour MAP_ALIGNED
      }
      if (flags & MAP_ANON) {
        if (fd !== -1) throw new Errno(EINVAL);
      } else {
        k.proc.fd.get(fd); // EBADF
        throw new Errno(ENODEV); // not a vnode nbemu can map
      }
      const vm = k.proc.vm;
      if (flags & MAP_FIXED) vm.unmap(at, size);
      else {
        // uvm_mmap rounds the hint up to a page; MAP_TRYFIXED takes it as is when that space is free.
        const hint = roundPage(addr);
        if (flags & MAP_TRYFIXED && hint !== 0 && hint % align === 0 && hint + size <= VM_MAXUSER_ADDRESS && vm.isFree(hint, hint + size)) at = hint;
        else at = vm.findSpace(size, hint, align);
      }
      vm.map(at, size, prot, 'anon');
      return at + pageoff; // sys_mmap: "remember to add offset"
    },
  },
  {
    number: 73, name: 'munmap', class: 'memory', support: full,
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }],
    handler(k, addr, len) {
      const [start, size] = pageRange(addr, len); // an unaligned address is rounded down, not refused
      if (size === 0) return 0;
      rangeTest(start, size);
      k.proc.vm.unmap(start, size); // holes are not an error
      return 0;
    },
  },
  {
    number: 74, name: 'mprotect', class: 'memory', support: full,
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'prot', type: 'int' }],
    handler(k, addr, len, prot) {
      const [start, size] = pageRange(addr, len);
      rangeTest(start, size);
      if (size === 0) return 0;
      k.proc.vm.protect(start, size, prot & VM_PROT_ALL);
      return 0;
    },
  },
  {
    number: 75, name: 'madvise', class: 'memory',
    support: partial('advice is accepted and ignored except MADV_FREE, which discards anonymous pages (they read back as zeros)'),
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'behav', type: 'int' }],
    handler(k, addr, len, behav) {
      // sys_madvise: page-align, range_test, then per advice. NORMAL/RANDOM/SEQUENTIAL and
      // WILLNEED skip holes; DONTNEED and FREE go through uvm_map_clean (EFAULT on a hole).
      const [start, size] = pageRange(addr, len);
      rangeTest(start, size);
      const end = start + size;
      switch (behav) {
        case MADV_NORMAL:
        case MADV_RANDOM:
        case MADV_SEQUENTIAL:
        case MADV_WILLNEED:
          return 0;
        case MADV_DONTNEED: // PGO_DEACTIVATE: the data stays
          cleanCheck(k.proc.vm, start, end);
          return 0;
        case MADV_FREE: // PGO_FREE: the pages hold no valid data any more
          cleanCheck(k.proc.vm, start, end);
          freeAnonPages(k.proc, start, end);
          return 0;
        default: // MADV_SPACEAVAIL and anything else
          throw new Errno(EINVAL);
      }
    },
  },
  {
    number: 78, name: 'mincore', class: 'memory',
    support: partial('every mapped page is reported resident'),
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'vec', type: 'ptr' }],
    handler(k, addr, len, vec) {
      // sys_mincore: an aligned start, a non-empty non-wrapping range, vec writable for one byte
      // a page (uvm_vslock: EFAULT), then the range must be mapped without holes (ENOMEM).
      if (addr % PAGE_SIZE) throw new Errno(EINVAL);
      const size = roundPage(len);
      const end = addr + size;
      if (end <= addr || !Number.isSafeInteger(end)) throw new Errno(EINVAL);
      const npgs = size / PAGE_SIZE;
      const vm = k.proc.vm;
      vm.check(vec, npgs, PROT_WRITE);
      if (end > VM_MAXUSER_ADDRESS || !vm.isMapped(addr, end)) throw new Errno(ENOMEM);
      vm.write(vec, new Uint8Array(npgs).fill(MINCORE_INCORE));
      return 0;
    },
  },
  {
    number: 273, name: 'minherit', class: 'memory',
    support: partial('the inheritance is checked but fork copies every mapping'),
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'inherit', type: 'int' }],
    handler(_k, addr, len, inherit) {
      // sys_minherit → uvm_map_inherit: NONE, COPY, SHARE and ZERO; holes are skipped.
      const [start, size] = pageRange(addr, len);
      rangeTest(start, size);
      if (inherit !== MAP_INHERIT_NONE && inherit !== MAP_INHERIT_COPY && inherit !== MAP_INHERIT_SHARE && inherit !== MAP_INHERIT_ZERO) {
        throw new Errno(EINVAL);
      }
      return 0;
    },
  },
  {
    number: 277, name: '__msync13', class: 'memory', support: full,
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'flags', type: 'int' }],
    handler(k, addr, len, flags) {
      // sys___msync13: one of MS_ASYNC/MS_SYNC/MS_INVALIDATE and not ASYNC with SYNC; a zero
      // length means the whole map entry holding addr (EINVAL if none); then uvm_map_clean.
      const all = MS_ASYNC | MS_SYNC | MS_INVALIDATE;
      if ((flags & ~all) !== 0 || (flags & all) === 0 || (flags & (MS_ASYNC | MS_SYNC)) === (MS_ASYNC | MS_SYNC)) {
        throw new Errno(EINVAL);
      }
      let [start, size] = pageRange(addr, len);
      rangeTest(start, size);
      const vm = k.proc.vm;
      if (size === 0) {
        const r = vm.mappings.find((x) => x.start <= start && start < x.end);
        if (!r) throw new Errno(EINVAL);
        start = r.start;
        size = r.end - r.start;
      }
      cleanCheck(vm, start, start + size);
      // Anonymous memory has nothing to write back. MS_INVALIDATE makes it PGO_CLEANIT|PGO_FREE,
      // which uvm_map_clean treats as a deactivation ("in these first 3 cases, we just deactivate
      // the page"): unlike MADV_FREE, the data stays.
      return 0;
    },
  },
];
