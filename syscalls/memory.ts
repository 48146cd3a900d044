// Anonymous memory: mmap, munmap, mprotect (sys/uvm/uvm_mmap.c; docs/netbsd-semantics.md §12).

import {
  EINVAL, ENODEV, MAP_ALIGNMENT_MASK, MAP_ALIGNMENT_SHIFT, MAP_ANON, MAP_FIXED, MAP_PRIVATE, MAP_SHARED,
  PAGE_SHIFT, PAGE_SIZE, VM_MAXUSER_ADDRESS, VM_PROT_ALL,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { roundPage } from '../src/kernel/vmspace.js';
import { full, partial, type SyscallDescriptor } from '../src/kernel/syscall.js';

/** range_test (uvm_mmap.c): inside the user address space and not wrapping, else EINVAL. */
function rangeTest(addr: number, size: number): void {
  if (addr < 0 || addr + size > VM_MAXUSER_ADDRESS || !Number.isSafeInteger(addr + size)) throw new Errno(EINVAL);
}

export const memorySyscalls: SyscallDescriptor[] = [
  {
    number: 197, name: 'mmap', class: 'memory',
    support: partial('anonymous mappings only: file mappings answer ENODEV; MAP_ALIGNED and MAP_TRYFIXED placement are approximate'),
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'prot', type: 'int' }, { name: 'flags', type: 'int' }, { name: 'fd', type: 'fd' }, { name: 'PAD', type: 'long' }],
    handler(k, addr, len, protArg, flags, fd) {
      const pos = Number(BigInt.asIntN(64, k.stackArg(6))); // off_t pos: the 7th argument, at rsp+8
      const prot = protArg & VM_PROT_ALL; // other bits are dropped, not refused
      if ((flags & (MAP_SHARED | MAP_PRIVATE)) === (MAP_SHARED | MAP_PRIVATE)) throw new Errno(EINVAL);
      const pageoff = ((pos % PAGE_SIZE) + PAGE_SIZE) % PAGE_SIZE;
      const size = roundPage(len + pageoff);
      if (len === 0) throw new Errno(EINVAL); // POSIX-2008; the stored uvm_mmap.c predates the check (unverified)
      // MAP_ALIGNED(n): 2^n alignment, n from log2(PAGE_SIZE) to below the pointer width.
      const alignShift = (flags & MAP_ALIGNMENT_MASK) >>> MAP_ALIGNMENT_SHIFT;
      if (alignShift !== 0 && (alignShift < PAGE_SHIFT || alignShift >= 64)) throw new Errno(EINVAL);
      const align = alignShift ? 2 ** alignShift : PAGE_SIZE;
      let at = addr;
      if (flags & MAP_FIXED) {
        at -= pageoff;
        if (at % PAGE_SIZE) throw new Errno(EINVAL);
        rangeTest(at, size);
      }
      if (flags & MAP_ANON) {
        if (fd !== -1) throw new Errno(EINVAL);
      } else {
        k.proc.fd.get(fd); // EBADF
        throw new Errno(ENODEV); // not a vnode nbemu can map
      }
      const vm = k.proc.vm;
      if (flags & MAP_FIXED) vm.unmap(at, size);
      else at = vm.findSpace(size, addr - (addr % PAGE_SIZE), align);
      vm.map(at, size, prot, 'anon');
      return at;
    },
  },
  {
    number: 73, name: 'munmap', class: 'memory', support: full,
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }],
    handler(k, addr, len) {
      const pageoff = addr % PAGE_SIZE; // an unaligned address is rounded down, not refused
      const start = addr - pageoff;
      const size = roundPage(len + pageoff);
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
      const pageoff = addr % PAGE_SIZE;
      const start = addr - pageoff;
      const size = roundPage(len + pageoff);
      rangeTest(start, size);
      if (size === 0) return 0;
      k.proc.vm.protect(start, size, prot & VM_PROT_ALL);
      return 0;
    },
  },
];


