// Anonymous memory: mmap, munmap, mprotect, madvise, mincore, minherit, msync, mlock, munlock,
// mlockall, munlockall
// (sys/uvm/uvm_mmap.c, uvm_map.c; docs/netbsd-semantics.md §12).

import {
  EACCES, EAGAIN, EFAULT, EFBIG, EINVAL, ENODEV, ENOMEM, EOVERFLOW, FREAD, FWRITE, MADV_DONTNEED, MADV_FREE, MADV_NORMAL,
  MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MAP_ALIGNMENT_MASK, MAP_ALIGNMENT_SHIFT, MAP_ANON, MAP_COPY, MAP_FIXED,
  MAP_INHERIT_COPY, MAP_INHERIT_NONE, MAP_INHERIT_SHARE, MAP_INHERIT_ZERO, MAP_PRIVATE, MAP_SHARED, MAP_TRYFIXED,
  MAP_WIRED, MCL_CURRENT, MCL_FUTURE, MINCORE_INCORE, MS_ASYNC, MS_INVALIDATE, MS_SYNC, PAGE_SHIFT, PAGE_SIZE, PROT_EXEC,
  PROT_NONE, PROT_READ, PROT_WRITE, RLIMIT_MEMLOCK, VM_MAXUSER_ADDRESS, VM_PROT_ALL,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import type { File } from '../src/kernel/file.js';
import { physmemPages, type Proc } from '../src/kernel/proc.js';
import { allocate, roundPage, type VmSpace } from '../src/kernel/vmspace.js';
import { DeviceFile, VnodeFile } from '../src/kernel/vnode.js';
import { VnodeObject } from '../src/kernel/vnpager.js';
import type { Machine } from '../src/kernel/machine.js';
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
function mmapPos(k: SysCtx): bigint {
  const u = k.proc.cpu.u32;
  const rsp = u[TRAP_RSP * 2]! + u[TRAP_RSP * 2 + 1]! * 0x1_0000_0000;
  const code = u[TRAP_RAX * 2]! & 511;
  const indirect = code === 0 || code === 198;
  return BigInt.asIntN(64, k.proc.vm.readBigU64(rsp + (indirect ? 16 : 8)));
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
 * PGO_FREE (uvm_map_clean): anonymous pages are thrown away (uvm_anfree), so the next touch finds
 * fresh zero-filled ones (a piece sharing its pages copy-on-write gets zero pages of its own); a
 * file's pages are cleaned first and then freed (read from the file again), and a private file
 * mapping's own copy shows the file's pages again (unless fork shares it copy-on-write: then it
 * is left as it is). The program image is a file mapping whose pages nbemu cannot re-read: it is
 * left alone.
 */
function freePages(p: Proc, start: number, end: number): void {
  p.vm.zero(start, end, (r) => r.name === 'anon' || r.name === 'stack');
  for (const r of p.vm.mappings) {
    if (r.end <= start || r.start >= end || !r.vobj) continue;
    const from = Math.max(start, r.start) - r.start;
    const to = Math.min(end, r.end) - r.start;
    if (r.shared || r.needsCopy) r.vobj.invalidate(r.foff + from, to - from);
    else if (!r.cow && r.start + from < r.avail) r.vobj.copyInto(r, r.start + from, Math.min(r.start + to, r.avail));
  }
}

/** range_test(addr, size, true) for mmap (uvm_mmap.c 1.148.4.1): EINVAL below, EFBIG past the top, EOVERFLOW on wrap. */
function mmapRangeTest(addr: number, size: number): void {
  if (addr < 0) throw new Errno(EINVAL);
  const eaddr = BigInt(addr) + BigInt(size);
  if (eaddr >= 2n ** 64n) throw new Errno(EOVERFLOW); // vaddr_t arithmetic wrapped: addr > eaddr
  if (eaddr > BigInt(VM_MAXUSER_ADDRESS)) throw new Errno(EFBIG);
}

/** What vn_mmap hands uvm_mmap for a file: the object, the flags as it settled them, maxprot. */
interface FileMapping {
  file: VnodeFile;
  pos: number;
  flags: number;
  maxprot: number;
}

const OFF_MAX = 0x7fffffffffffffffn;

/**
 * fo_mmap for the descriptor (sys/kern/vfs_vnops.c 1.225 vn_mmap). Files without fo_mmap
 * (sockets, pipes, kqueues: socketops, pipeops, kqueueops have none) are ENODEV in sys_mmap;
 * vnodes that are not regular files or devices (directories, FIFOs) ENODEV; a regular file's
 * negative offset EINVAL and an offset + size past off_t EOVERFLOW; /dev/zero is anonymous
 * memory (undefined here); neither MAP_SHARED nor MAP_PRIVATE means private for a file and shared
 * for a device, and a device is always shared; PROT_READ without FREAD is EACCES, and so is
 * PROT_WRITE on a shared mapping without FWRITE. A character device's pages come from its
 * d_mmap (udv_attach): none of nbemu's (/dev/null, random, urandom, tty, the host's standard
 * streams) has one: EINVAL.
 */
function vnMmap(fp: File, pos: bigint, size: number, prot: number, flagsIn: number): FileMapping | undefined {
  if (fp.type !== 'vnode') throw new Errno(ENODEV);
  const vtype = fp instanceof VnodeFile ? fp.vtype() : 'VCHR'; // DeviceFile, and the host's standard streams
  if (vtype !== 'VREG' && vtype !== 'VCHR' && vtype !== 'VBLK') throw new Errno(ENODEV);
  if (vtype !== 'VCHR' && pos < 0n) throw new Errno(EINVAL);
  if (vtype !== 'VCHR' && pos + BigInt(size) > OFF_MAX) throw new Errno(EOVERFLOW);
  if (fp instanceof DeviceFile && fp.dev === 'zero') return undefined; // "catch SunOS style /dev/zero"
  let flags = flagsIn;
  if ((flags & (MAP_SHARED | MAP_PRIVATE)) === 0) flags |= vtype === 'VCHR' ? MAP_SHARED : MAP_PRIVATE;
  if (vtype === 'VCHR' && flags & MAP_PRIVATE) flags = (flags & ~MAP_PRIVATE) | MAP_SHARED;
  let maxprot = PROT_EXEC;
  if (fp.flag & FREAD) maxprot |= PROT_READ;
  else if (prot & PROT_READ) throw new Errno(EACCES);
  if (flags & MAP_SHARED) {
    if (fp.flag & FWRITE) maxprot |= PROT_WRITE;
    else if (prot & PROT_WRITE) throw new Errno(EACCES);
  } else maxprot |= PROT_WRITE; // MAP_PRIVATE mappings can always be written
  if (vtype !== 'VREG' || !(fp instanceof VnodeFile)) throw new Errno(EINVAL); // udv_attach finds no d_mmap
  return { file: fp, pos: Number(pos), flags, maxprot };
}

/**
 * uvm_map of a vnode's object: a shared mapping uses the object's pages (stores reach the
 * file); a private one uses them too while it is not writable, and has its own copy when it is.
 * The engine maps only the pages up to the one holding the file's last byte (the rest are SIGBUS).
 */
function mapFile(vm: VmSpace, m: FileMapping, at: number, size: number, prot: number, inherit: number): void {
  const shared = (m.flags & MAP_SHARED) !== 0;
  const obj = VnodeObject.forFile(m.file, (m.file.flag & FWRITE) !== 0);
  try {
    let bytes = obj.pages(m.pos, size, shared && (m.maxprot & PROT_WRITE) !== 0);
    const needsCopy = !shared && (prot & PROT_WRITE) === 0;
    if (!shared && !needsCopy) {
      const copy = allocate(size); // a writable private mapping: its own copy
      copy.set(bytes);
      bytes = copy;
    }
    vm.map(at, size, prot, 'file', { maxprot: m.maxprot, inherit, bytes, vobj: obj, foff: m.pos, shared, needsCopy, avail: obj.availAt(at, size, m.pos) });
  } catch (e) {
    obj.releaseIfUnused(); // no host descriptor left behind
    throw e;
  }
}

// ---- Wired memory (mlock, mlockall, MAP_WIRED) ---------------------------------------------------

/** uvmexp.wired: the pages wired machine-wide (user wirings only: nbemu has no kernel memory). */
function machineWiredPages(m: Machine): number {
  let n = 0;
  for (const p of m.procs.values()) if (!p.exited) n += p.vm.wiredBytes / PAGE_SIZE;
  return n;
}

/** uvmexp.wiredmax: a third of the machine's pages (uvm_page.c). */
const wiredMax = (): number => Math.floor(physmemPages() / 3);

/** RLIMIT_MEMLOCK's soft limit, as a number (RLIM_INFINITY is far beyond any size). */
const memlockLimit = (p: Proc): number => Number(p.limits[RLIMIT_MEMLOCK]!.cur);

/**
 * Would wiring `size` more bytes pass uvmexp.wiredmax or `limit` (pmap_wired_count + size)?
 * sys_mlock, uvm_mmap and uvm_map_pageable_all make the same two checks (their errnos differ).
 */
function overWireLimits(k: SysCtx, size: number, limit: number): boolean {
  return size / PAGE_SIZE + machineWiredPages(k.machine) > wiredMax() || size + k.proc.vm.wiredBytes > limit;
}

/**
 * uvm_mmap's last step: a mapping that is not PROT_NONE is wired when asked for (MAP_WIRED) or when
 * the address space wires all future mappings (mlockall MCL_FUTURE); past the limits the mapping is
 * undone and mmap fails with ENOMEM.
 */
function wireNewMapping(k: SysCtx, at: number, size: number, prot: number, flags: number): void {
  const vm = k.proc.vm;
  if (prot === PROT_NONE || !(flags & MAP_WIRED || vm.wireFuture)) return;
  if (overWireLimits(k, size, memlockLimit(k.proc))) {
    vm.unmap(at, size);
    throw new Errno(ENOMEM);
  }
  vm.setWired(at, at + size, true);
}

/** sys_mlock / sys_munlock: page-aligned range, range_test, then uvm_map_pageable (EFAULT is ENOMEM). */
function mlock1(k: SysCtx, addr: number, len: number, wire: boolean): number {
  const [start, size] = pageRange(addr, len);
  rangeTest(start, size);
  // sys_mlock only: the machine's wired limit and RLIMIT_MEMLOCK, both EAGAIN.
  if (wire && overWireLimits(k, size, memlockLimit(k.proc))) throw new Errno(EAGAIN);
  try {
    k.proc.vm.setWired(start, start + size, wire);
  } catch (e) {
    if (e instanceof Errno && e.errno === EFAULT) throw new Errno(ENOMEM);
    throw e;
  }
  return 0;
}

export const memorySyscalls: SyscallDescriptor[] = [
  {
    number: 197, name: 'mmap', class: 'memory',
    support: partial(
      'a file mapping is coherent among nbemu processes (the same pages for every mapping; read(2) and write(2) see them at once; '
      + 'changed bytes reach the host file at msync, fsync, munmap, exec and exit) but not with other host processes: mappings see '
      + 'their writes only after MS_INVALIDATE, and their truncations only at the next fault past the old end or mapping of the file; a private mapping copies the whole mapping when '
      + 'it becomes writable (NetBSD copies a page at its first store), so a writable private mapping no longer sees the file '
      + 'change; devices other than /dev/zero cannot be mapped (EINVAL); no EPERM for immutable or append-only files, no EACCES '
      + 'for PROT_EXEC on a noexec mount; RLIMIT_AS is not enforced; memory is allocated when mapped, so a mapping larger than '
      + 'the host can back is ENOMEM (NetBSD allocates lazily)',
    ),
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'prot', type: 'int' }, { name: 'flags', type: 'int' }, { name: 'fd', type: 'fd' }, { name: 'PAD', type: 'long' }],
    handler(k, addr, len, protArg, flagsArg, fd) {
      // sys_mmap (uvm_mmap.c 1.148.4.1), vn_mmap (vfs_vnops.c 1.225), uvm_mmap; see docs §12.
      let pos = mmapPos(k); // off_t pos: the 7th argument, on the user stack
      const prot = protArg & VM_PROT_ALL; // other bits (PROT_MPROTECT's maximum protection) are dropped, not refused
      let flags = flagsArg;
      if (flags & MAP_COPY) flags = (flags & ~MAP_COPY) | MAP_PRIVATE;
      if ((flags & (MAP_SHARED | MAP_PRIVATE)) === (MAP_SHARED | MAP_PRIVATE)) throw new Errno(EINVAL);
      const pageoff = Number(BigInt.asUintN(64, pos) & BigInt(PAGE_SIZE - 1));
      pos -= BigInt(pageoff);
      const size = roundPage(len + pageoff);
      if (len === 0) throw new Errno(EINVAL); // POSIX-2008; the stored uvm_mmap.c predates the check (unverified)
      let at = addr;
      if (flags & MAP_FIXED) {
        at -= pageoff;
        if (at % PAGE_SIZE) throw new Errno(EINVAL);
        mmapRangeTest(at, size);
      }
      // The descriptor: fd_getfile (EBADF), fo_mmap (ENODEV without one), then vn_mmap.
      let m: FileMapping | undefined;
      if (!(flags & MAP_ANON)) {
        m = vnMmap(k.proc.fd.get(fd), pos, size, prot, flags);
        if (m) flags = m.flags;
        else flags |= MAP_ANON; // /dev/zero: anonymous memory (sys_mmap's is_anon)
      } else if (fd !== -1) throw new Errno(EINVAL);
      const maxprot = m ? m.maxprot : VM_PROT_ALL;
      // uvm_mmap: prot within maxprot (vn_mmap's EACCES checks make that hold), MAP_ALIGNED(n):
      // 2^n alignment, n from log2(PAGE_SIZE) to below the pointer width.
      if ((prot & maxprot) !== prot) throw new Errno(EINVAL);
      const alignShift = (flags & MAP_ALIGNMENT_MASK) >>> MAP_ALIGNMENT_SHIFT;
      if (alignShift !== 0 && (alignShift >= 64 || alignShift < PAGE_SHIFT)) throw new Errno(EINVAL);
      const align = alignShift ? 2 ** alignShift : PAGE_SIZE;
      if (align >= VM_MAXUSER_ADDRESS) throw new Errno(ENOMEM); // uvm_mmap: align >= vm_map_max
      if (flags & MAP_FIXED && at % align) throw new Errno(EINVAL); // a fixed address must honour MAP_ALIGNED
      const vm = k.proc.vm;
      if (flags & MAP_FIXED) vm.unmap(at, size);
      else {
        // uvm_mmap rounds the hint up to a page; MAP_TRYFIXED takes it as is when that space is free.
        const hint = roundPage(addr);
        if (flags & MAP_TRYFIXED && hint !== 0 && hint % align === 0 && hint + size <= VM_MAXUSER_ADDRESS && vm.isFree(hint, hint + size)) at = hint;
        else at = vm.findSpace(size, hint, align);
      }
      // MAP_SHARED entries are inherited shared (UVM_INH_SHARE), the rest copied.
      const inherit = flags & MAP_SHARED ? MAP_INHERIT_SHARE : MAP_INHERIT_COPY;
      if (!m) vm.map(at, size, prot, 'anon', { inherit });
      else mapFile(vm, m, at, size, prot, inherit);
      wireNewMapping(k, at, size, prot, flags);
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
    support: partial('advice is accepted and ignored except MADV_FREE, which discards anonymous pages (they read back as zeros) and a file\'s (read from the file again)'),
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
          freePages(k.proc, start, end);
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
    number: 203, name: 'mlock', class: 'memory', support: partial('wiring changes nothing in the host: nbemu\'s pages are never paged out; the limits are the guest\'s (RLIMIT_MEMLOCK, a third of the host\'s memory machine-wide)'),
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }],
    handler: (k, addr, len) => mlock1(k, addr, len, true),
  },
  {
    number: 204, name: 'munlock', class: 'memory', support: full,
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }],
    handler: (k, addr, len) => mlock1(k, addr, len, false),
  },
  {
    number: 242, name: 'mlockall', class: 'memory', support: partial('as mlock'),
    args: [{ name: 'flags', type: 'int' }],
    handler(k, flags) {
      // sys_mlockall: flags a non-empty subset of MCL_CURRENT|MCL_FUTURE (EINVAL), then
      // uvm_map_pageable_all: MCL_FUTURE is remembered first (even if wiring what is there fails);
      // MCL_CURRENT counts the pages of the entries not yet wired and not PROT_NONE against the
      // machine's limit and RLIMIT_MEMLOCK (ENOMEM), then wires them.
      if (flags === 0 || flags & ~(MCL_CURRENT | MCL_FUTURE)) throw new Errno(EINVAL);
      const vm = k.proc.vm;
      if (flags & MCL_FUTURE) vm.wireFuture = true;
      if (!(flags & MCL_CURRENT)) return 0;
      const limit = memlockLimit(k.proc);
      if (overWireLimits(k, vm.unwiredBytes, limit === 0 ? Infinity : limit)) throw new Errno(ENOMEM);
      vm.setAllWired(true);
      return 0;
    },
  },
  {
    number: 243, name: 'munlockall', class: 'memory', support: full, args: [],
    handler(k) {
      // sys_munlockall → uvm_map_pageable_all(map, 0, 0): every entry unwired, MCL_FUTURE cleared; never fails.
      k.proc.vm.setAllWired(false);
      k.proc.vm.wireFuture = false;
      return 0;
    },
  },
  {
    number: 273, name: 'minherit', class: 'memory',
    support: full,
    args: [{ name: 'addr', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'inherit', type: 'int' }],
    handler(k, addr, len, inherit) {
      // sys_minherit → uvm_map_inherit: NONE, COPY, SHARE and ZERO; holes are skipped.
      const [start, size] = pageRange(addr, len);
      rangeTest(start, size);
      if (inherit !== MAP_INHERIT_NONE && inherit !== MAP_INHERIT_COPY && inherit !== MAP_INHERIT_SHARE && inherit !== MAP_INHERIT_ZERO) {
        throw new Errno(EINVAL);
      }
      k.proc.vm.setInherit(start, size, inherit); // fork follows it (VmSpace.forkInto)
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
      // A shared file mapping's changed bytes go to the file (PGO_CLEANIT; nbemu writes at once for
      // MS_ASYNC too), and MS_INVALIDATE (PGO_FREE) then has the file's pages read again.
      // Anonymous memory has nothing to write back; for it PGO_CLEANIT|PGO_FREE is a deactivation
      // ("in these first 3 cases, we just deactivate the page"): unlike MADV_FREE, the data stays.
      vm.sync(start, start + size, (flags & MS_INVALIDATE) !== 0);
      return 0;
    },
  },
];
