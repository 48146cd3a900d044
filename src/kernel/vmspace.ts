// A process's address space (NetBSD's struct vmspace / vm_map). Guest memory is JavaScript
// memory: every mapping is an ArrayBuffer (or a part of one) handed to Unicorn with
// uc_mem_map_ptr, and the kernel reads and writes it through typed arrays. The map below is the
// kernel's own view, so copyin and copyout decide EFAULT from it (with protections: copyout to a
// read-only page is EFAULT, as in sys/uvm/uvm_fault.c / copyout(9)) without asking the engine.
//
// Each entry (vm_map_entry) keeps NetBSD's max_protection and inheritance. Memory is shared
// by mapping one buffer (or a part of it) into several engines: MAP_SHARED anonymous memory
// after fork, memory fork shares copy-on-write, and file mappings, whose pages are the vnode
// object's (src/kernel/vnpager.ts). The engine maps an entry
// only up to `avail`: the pages of a file mapping that lie wholly past the end of the file are
// left out, so touching them faults, and the pager decides (SIGBUS, or the file grew and the
// pages come in).

import type { Unicorn } from '../unicorn/index.js';
import {
  EACCES, EFAULT, EINVAL, ENOMEM, MAP_INHERIT_COPY, MAP_INHERIT_NONE, MAP_INHERIT_SHARE, MAP_INHERIT_ZERO, MAXSSIZ,
  PAGE_SIZE, PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, USER_STACK_GUARD_SIZE, VM_MAXUSER_ADDRESS, VM_PROT_ALL,
} from './constants.js';
import { Errno } from './errno.js';
import type { VnodeObject } from './vnpager.js';

export interface Region {
  start: number;
  end: number; // exclusive
  prot: number;
  /** max_protection: mprotect may not go beyond it (EACCES, uvm_map_protect). */
  maxprot: number;
  /** MAP_INHERIT_*: what fork gives the child (uvm_map_inherit, uvmspace_fork). */
  inherit: number;
  /** The bytes of [start, end): a view into the ArrayBuffer mapped into the engine. */
  bytes: Uint8Array;
  view: DataView;
  name: string;
  /** A file mapping: the vnode's object, and the file offset of `start`. */
  vobj?: VnodeObject;
  foff: number;
  /** MAP_SHARED file mapping: its pages are the object's, stores go to the file. */
  shared: boolean;
  /**
   * A private file mapping that still uses the object's pages (it sees the file as it changes);
   * never writable: it takes its own copy when it becomes writable (copy-on-write, done whole).
   */
  needsCopy: boolean;
  /**
   * The bytes are shared with another process's private mapping, copy-on-write: fork shares
   * private memory that is not writable (program text, read-only data, PROT_NONE reservations)
   * instead of copying it, and whichever process first makes its piece writable gets a private
   * copy (protect).
   */
  cow: boolean;
  /** The engine maps [start, avail); a file mapping's pages from `avail` on lie past end-of-file. */
  avail: number;
  /** wired_count > 0: mlock(2), mlockall(2) or MAP_WIRED (nbemu's pages are always resident). */
  wired: boolean;
}

/** A page of zeros, to find the pages of a mapping that were never written (fork skips them). */
const ZERO_PAGE = new Uint8Array(PAGE_SIZE);

/** Copy src into a fresh, zero-filled dst page by page, skipping the pages that are all zeros. */
function copyTouchedPages(dst: Uint8Array, src: Uint8Array): void {
  for (let off = 0; off < src.length; off += PAGE_SIZE) {
    const page = src.subarray(off, off + PAGE_SIZE);
    if (Buffer.compare(page, page.length === PAGE_SIZE ? ZERO_PAGE : ZERO_PAGE.subarray(0, page.length)) !== 0) dst.set(page, off);
  }
}

/** What a new mapping is made of (the defaults: private anonymous zero-filled memory). */
export interface MapOptions {
  maxprot?: number;
  inherit?: number;
  /** The memory to map (a view of exactly the mapping's length); default: fresh zeros. */
  bytes?: Uint8Array;
  vobj?: VnodeObject;
  foff?: number;
  shared?: boolean;
  needsCopy?: boolean;
  cow?: boolean;
  /** Map only [start, avail) in the engine (default: all of it). */
  avail?: number;
}

/** The kind of access a fault made. */
export type Access = 'read' | 'write' | 'fetch';

/** uvm_fault's verdict on an engine fault inside the map (see VmSpace.fault). */
export type FaultVerdict = 'retry' | 'sigbus' | 'accerr' | undefined;

/** Zero-filled memory for a mapping; ENOMEM when the host cannot give that much. */
export function allocate(len: number): Uint8Array {
  try {
    return new Uint8Array(len);
  } catch (e) {
    if (e instanceof RangeError) throw new Errno(ENOMEM);
    throw e;
  }
}

export const truncPage = (a: number): number => a - (a % PAGE_SIZE);
export const roundPage = (a: number): number => Math.ceil(a / PAGE_SIZE) * PAGE_SIZE;

const ACCESS_PROT: Record<Access, number> = { read: PROT_READ, write: PROT_WRITE, fetch: PROT_EXEC };

export class VmSpace {
  /** Sorted, non-overlapping. */
  private regions: Region[] = [];
  private last: Region | undefined;
  /**
   * VM_MAP_WIREFUTURE (mlockall MCL_FUTURE): new mappings are wired as they are made. A new
   * address space has it clear: fork and exec do not pass it on (uvmspace_fork, uvmspace_exec).
   */
  wireFuture = false;
  private readonly scratch = new DataView(new ArrayBuffer(8));
  private destroyed = false;

  constructor(private readonly uc: Unicorn) {}

  get mappings(): readonly Region[] {
    return this.regions;
  }

  /** Map fresh zero-filled memory at [start, start+len). The range must be free. */
  map(start: number, len: number, prot: number, name: string, opts: MapOptions = {}): Region {
    if (start % PAGE_SIZE || len % PAGE_SIZE || len <= 0) throw new Errno(EINVAL);
    const bytes = opts.bytes ?? allocate(len);
    if (bytes.length !== len) throw new Error('VmSpace.map: the backing view must have the mapping\'s length');
    const region: Region = {
      start, end: start + len, prot, maxprot: opts.maxprot ?? VM_PROT_ALL, inherit: opts.inherit ?? MAP_INHERIT_COPY,
      bytes, view: new DataView(bytes.buffer, bytes.byteOffset, len), name,
      vobj: opts.vobj, foff: opts.foff ?? 0, shared: opts.shared ?? false, needsCopy: opts.needsCopy ?? false,
      cow: opts.cow ?? false, avail: opts.avail ?? start + len, wired: false,
    };
    this.engineMap(region, region.start, region.avail);
    const i = this.regions.findIndex((r) => r.start > start);
    if (i < 0) this.regions.push(region);
    else this.regions.splice(i, 0, region);
    this.last = undefined;
    region.vobj?.attach(this, region);
    return region;
  }

  /** Remove [start, start+len) from the map; unmapped holes inside are not an error (uvm_unmap). */
  unmap(start: number, len: number): void {
    const end = start + len;
    this.forEachPiece(start, end, (r) => this.remove(r));
    this.last = undefined;
  }

  /** uvm_unmap_detach for one entry: a shared file mapping's stores go to the file first. */
  private remove(r: Region): void {
    this.engineUnmap(r, r.start, r.avail);
    this.regions.splice(this.regions.indexOf(r), 1);
    if (r.vobj) {
      if (r.shared) r.vobj.writebackQuietly(r.foff, r.end - r.start);
      r.vobj.detach(r);
    }
  }

  /**
   * uvm_map_protect: every page must be mapped (ENOMEM otherwise), and no entry may go beyond
   * its max_protection (EACCES, checked for all before any changes). Private memory that shares
   * its pages (with the file, or copy-on-write with another process) and becomes writable takes
   * its own copy of them here: the copy-on-write fault, taken early.
   */
  protect(start: number, len: number, prot: number): void {
    const end = start + len;
    if (!this.isMapped(start, end)) throw new Errno(ENOMEM);
    for (const r of this.regions) {
      if (r.end > start && r.start < end && (prot & r.maxprot) !== prot) throw new Errno(EACCES);
    }
    this.forEachPiece(start, end, (r) => {
      if ((r.needsCopy || r.cow) && prot & PROT_WRITE) this.copyOnWrite(r);
      // PROT_NONE memory is not in the engine (engineMap): it leaves or enters it here.
      if (prot === PROT_NONE) this.engineUnmap(r, r.start, r.avail);
      const was = r.prot;
      r.prot = prot;
      // uvm_map_protect: with VM_MAP_WIREFUTURE an entry that leaves PROT_NONE is wired.
      if (this.wireFuture && was === PROT_NONE && prot !== PROT_NONE) r.wired = true;
      if (was === PROT_NONE) this.engineMap(r, r.start, r.avail);
      else if (prot !== PROT_NONE && r.avail > r.start) this.uc.mem_protect(r.start, r.avail - r.start, prot);
    });
  }

  /** pmap_wired_count, in bytes: the wired entries (every page of one is resident and wired). */
  get wiredBytes(): number {
    let n = 0;
    for (const r of this.regions) if (r.wired) n += r.end - r.start;
    return n;
  }

  /**
   * uvm_map_pageable (sys/uvm/uvm_map.c): wire [start, end) (`wire`) or unwire it. `start` must
   * lie in an entry (EFAULT, which mlock and munlock turn into ENOMEM); the range may have no
   * hole, and wiring no PROT_NONE entry, unwiring no entry that is not wired (EINVAL). Nothing
   * changes on an error. Wiring twice is wiring; one unwire undoes it (uvm_map_entry_unwire).
   */
  setWired(start: number, end: number, wire: boolean): void {
    if (!this.regionFor(start)) throw new Errno(EFAULT);
    let at = start;
    for (const r of this.regions) {
      if (at >= end) break; // an empty range checks nothing past the lookup
      if (r.end <= at) continue;
      if (r.start > at || (wire ? r.prot === PROT_NONE : !r.wired)) throw new Errno(EINVAL);
      at = r.end;
      if (at >= end) break;
    }
    if (at < end) throw new Errno(EINVAL);
    this.forEachPiece(start, end, (r) => {
      r.wired = wire;
    });
  }

  /** uvm_map_pageable_all's first pass: the bytes of the entries MCL_CURRENT would newly wire. */
  get unwiredBytes(): number {
    let n = 0;
    for (const r of this.regions) if (r.prot !== PROT_NONE && !r.wired) n += r.end - r.start;
    return n;
  }

  /** uvm_map_pageable_all: wire every entry that is not PROT_NONE, or (`wire` false) unwire all. */
  setAllWired(wire: boolean): void {
    for (const r of this.regions) r.wired = wire && (r.wired || r.prot !== PROT_NONE);
  }

  /** uvm_map_inherit: holes are skipped. */
  setInherit(start: number, len: number, inherit: number): void {
    this.forEachPiece(start, start + len, (r) => {
      r.inherit = inherit;
    });
  }

  isMapped(start: number, end: number): boolean {
    let at = start;
    for (const r of this.regions) {
      if (r.end <= at) continue;
      if (r.start > at) return false;
      at = r.end;
      if (at >= end) return true;
    }
    return at >= end;
  }

  isFree(start: number, end: number): boolean {
    return !this.regions.some((r) => r.start < end && r.end > start);
  }

  /** Is the page holding `addr` mapped in the engine (inside an entry and before its `avail`)? */
  inEngine(addr: number): Region | undefined {
    const r = this.regionFor(addr);
    return r && addr < r.avail && r.prot !== PROT_NONE ? r : undefined;
  }

  /**
   * Top-down placement of a non-fixed mapping (sys/uvm/uvm_mmap.c sys_mmap → uvm_default_mapaddr,
   * VM_DEFAULT_ADDRESS_TOPDOWN in sys/uvm/uvm_param.h): start just below the stack's maximum
   * size and a guard gap, and search downward; a hint below that default is honoured if free.
   */
  findSpace(len: number, hint: number, align = PAGE_SIZE): number {
    const defaddr = truncPage(VM_MAXUSER_ADDRESS - MAXSSIZ - len - USER_STACK_GUARD_SIZE);
    let top = hint === 0 ? defaddr : Math.min(hint, defaddr);
    top -= top % align;
    if (hint !== 0 && this.isFree(top, top + len)) return top;
    top = defaddr - (defaddr % align);
    for (let i = this.regions.length - 1; i >= -1; i--) {
      const r = this.regions[i];
      if (r && r.start >= top + len) continue;
      if (r && r.end > top) {
        top = r.start - len;
        top -= ((top % align) + align) % align;
        continue;
      }
      if (top >= PAGE_SIZE && (!r || r.end <= top)) return top;
    }
    throw new Errno(ENOMEM);
  }

  // ---- Faults and the pager --------------------------------------------------------------------

  /**
   * uvm_fault for an access the engine refused at `addr`: undefined when the kernel's map agrees
   * (no entry, or a protection the entry lacks: SIGSEGV as the engine reported it); 'accerr' for
   * a page past end-of-file the access may not make anyway (uvm_fault checks the entry's
   * protection first: SEGV_ACCERR); 'retry' when the page is there now (the file grew), so the
   * instruction runs again; 'sigbus' for a file page wholly past end-of-file (genfs_getpages
   * EINVAL, which trap.c turns into SIGBUS/BUS_ADRERR).
   */
  fault(addr: number, access: Access): FaultVerdict {
    const r = this.regionFor(addr);
    if (!r) return undefined;
    const need = ACCESS_PROT[access];
    // A PROT_NONE entry is absent from the engine, so its faults come here as unmapped ones.
    if ((r.prot & need) !== need) return 'accerr';
    if (addr < r.avail) return undefined;
    try {
      return this.pageIn(r, addr + 1) ? 'retry' : 'sigbus';
    } catch {
      return 'sigbus'; // the file could not be read: the pager's error is SIGBUS too
    }
  }

  /** Bring a file mapping's pages in up to `upto` if the file now reaches them. */
  private pageIn(r: Region, upto: number): boolean {
    if (!r.vobj) return false;
    const avail = r.vobj.availFor(r);
    if (avail > r.avail) {
      if (!r.shared && !r.needsCopy) r.vobj.copyInto(r, r.avail, avail); // a private copy: fill it
      this.setAvail(r, avail);
    }
    return r.avail >= upto;
  }

  /** Map or unmap a file mapping's pages in the engine so that [start, avail) is mapped. */
  setAvail(r: Region, avail: number): void {
    if (avail > r.avail) this.engineMap(r, r.avail, avail);
    else if (avail < r.avail) this.engineUnmap(r, avail, r.avail);
    r.avail = avail;
  }

  /** Point an entry at other memory of the same contents (the object's pages moved, or a private copy). */
  rebind(r: Region, bytes: Uint8Array): void {
    this.engineUnmap(r, r.start, r.avail);
    r.bytes = bytes;
    r.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    this.engineMap(r, r.start, r.avail);
  }

  /**
   * Private memory that shares its pages (a file's, or another process's copy-on-write) takes its
   * own copy of them, whole entry at once (`zero`: fresh zero pages instead).
   */
  private copyOnWrite(r: Region, zero = false): void {
    const copy = new Uint8Array(r.end - r.start);
    if (!zero) copy.set(r.bytes.subarray(0, r.avail - r.start));
    r.needsCopy = false;
    r.cow = false;
    this.rebind(r, copy);
  }

  /**
   * Discard the pages of [start, end) that lie in mappings `which` accepts: they read back as
   * zeros (MADV_FREE's PGO_FREE). A piece sharing its pages gets fresh zero pages of its own.
   */
  zero(start: number, end: number, which: (r: Region) => boolean): void {
    this.forEachPiece(start, end, (r) => {
      if (!which(r)) return;
      if (r.cow || r.needsCopy) this.copyOnWrite(r, true);
      else r.bytes.fill(0);
    });
  }

  /**
   * The engine holds an entry's [start, avail) unless the entry is PROT_NONE: every access to
   * such memory faults anyway, and leaving it out keeps the engine's regions small. The Go
   * runtime reserves hundreds of MiB PROT_NONE and then maps pieces of it MAP_FIXED; Unicorn
   * cuts a piece out of a region by unmapping the whole region, flushing its TLB page by page
   * (memory_unmap in Unicorn 2.0.1's qemu/softmmu/memory.c) — 6 ms for each 512 MiB arena.
   */
  private engineMap(r: Region, from: number, to: number): void {
    if (to > from && r.prot !== PROT_NONE) this.uc.mem_map_ptr(from, to - from, r.prot, r.bytes.subarray(from - r.start, to - r.start));
  }

  private engineUnmap(r: Region, from: number, to: number): void {
    if (to > from && r.prot !== PROT_NONE) this.uc.mem_unmap(from, to - from);
  }

  // ---- fork, exec, exit ------------------------------------------------------------------------

  /**
   * uvmspace_fork: the child's map from each entry's inheritance. SHARE maps the same memory
   * (MAP_SHARED mappings, and anything minherit made shared); ZERO gives fresh zero-filled
   * memory; NONE leaves a hole; COPY (the rest) gives the child its own: a private file mapping
   * that uses the file's pages keeps using them (and so does the child's, of a shared mapping
   * that is not writable), other memory that is not writable is shared copy-on-write (so text
   * and large PROT_NONE reservations — the Go runtime makes hundreds of MiB of them — cost
   * nothing to fork), and writable memory is copied, only the pages ever written (the rest is
   * zeros in a fresh buffer too).
   */
  forkInto(child: VmSpace): void {
    for (const r of this.regions) {
      const len = r.end - r.start;
      const common = { maxprot: r.maxprot, inherit: r.inherit };
      const file = { vobj: r.vobj, foff: r.foff, avail: r.avail };
      switch (r.inherit) {
        case MAP_INHERIT_NONE:
          break;
        case MAP_INHERIT_ZERO:
          child.map(r.start, len, r.prot, r.vobj ? 'anon' : r.name, common);
          break;
        case MAP_INHERIT_SHARE:
          child.map(r.start, len, r.prot, r.name, { ...common, ...file, bytes: r.bytes, shared: r.shared, needsCopy: r.needsCopy, cow: r.cow });
          break;
        default: // MAP_INHERIT_COPY (and DONATE_COPY, which uvm_map_inherit refuses)
          if (r.needsCopy || (r.shared && !(r.prot & PROT_WRITE))) {
            child.map(r.start, len, r.prot, r.name, { ...common, ...file, bytes: r.bytes, needsCopy: true });
          } else if (!(r.prot & PROT_WRITE)) {
            r.cow = true;
            child.map(r.start, len, r.prot, r.name, { ...common, ...file, bytes: r.bytes, cow: true });
          } else {
            const copy = new Uint8Array(len);
            copyTouchedPages(copy, r.bytes);
            child.map(r.start, len, r.prot, r.name, { ...common, ...file, bytes: copy });
          }
      }
    }
  }

  /**
   * __vfork14's FORK_SHAREVM: the child maps the parent's memory itself, every entry, writable
   * parts included; the parent sleeps until the child execs or exits.
   */
  shareInto(child: VmSpace): void {
    for (const r of this.regions) {
      child.map(r.start, r.end - r.start, r.prot, r.name, {
        maxprot: r.maxprot, inherit: r.inherit, vobj: r.vobj, foff: r.foff, avail: r.avail,
        bytes: r.bytes, shared: r.shared, needsCopy: r.needsCopy, cow: r.cow,
      });
    }
  }

  /** Called once when the address space goes, before its mappings (sysvshm.ts: shmexit). */
  onDestroy: (() => void) | undefined;

  /** The address space goes (exec, exit): shared file mappings' stores go to their files. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.onDestroy?.();
    for (const r of this.regions) {
      if (!r.vobj) continue;
      if (r.shared) r.vobj.writebackQuietly(r.foff, r.end - r.start);
      r.vobj.detach(r);
    }
    this.regions = [];
    this.last = undefined;
  }

  /**
   * uvm_map_clean for msync: a shared file mapping's changed bytes go to the file (MS_SYNC and
   * MS_ASYNC alike: nbemu writes at once); MS_INVALIDATE then drops the object's pages so they are
   * read from the file again. Anonymous and private memory has nothing to write back.
   */
  sync(start: number, end: number, invalidate: boolean): void {
    for (const r of this.regions) {
      if (r.end <= start || r.start >= end || !r.vobj || !(r.shared || r.needsCopy)) continue;
      const from = Math.max(start, r.start);
      const to = Math.min(end, r.end);
      const off = r.foff + (from - r.start);
      if (r.shared) r.vobj.writeback(off, to - from);
      if (invalidate) r.vobj.invalidate(off, to - from);
    }
  }

  // ---- copyin / copyout (sys/arch/amd64/amd64/copy.S semantics: EFAULT on any bad byte) -------

  private regionFor(addr: number): Region | undefined {
    const last = this.last;
    if (last && addr >= last.start && addr < last.end) return last;
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rs[mid]!;
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.end) lo = mid + 1;
      else return (this.last = r);
    }
    return undefined;
  }

  /**
   * Check that [addr, addr+len) is mapped with `prot`; EFAULT otherwise — also for file pages
   * past end-of-file (copyin's fault there fails: uvm_fault's EINVAL ends in copy.S's EFAULT).
   */
  check(addr: number, len: number, prot: number): void {
    if (len === 0) return;
    if (!(addr >= 0) || addr + len > VM_MAXUSER_ADDRESS || !Number.isSafeInteger(addr + len)) throw new Errno(EFAULT);
    let at = addr;
    const end = addr + len;
    while (at < end) {
      const r = this.regionFor(at);
      if (!r || (r.prot & prot) !== prot) throw new Errno(EFAULT);
      if (r.avail < r.end && r.avail < end && !this.pageIn(r, Math.min(end, r.end))) throw new Errno(EFAULT);
      at = r.end;
    }
  }

  /** copyin: the bytes at [addr, addr+len). A view when they lie in one mapping, else a copy. */
  read(addr: number, len: number): Uint8Array {
    if (len === 0) return new Uint8Array(0);
    this.check(addr, len, PROT_READ);
    const r = this.regionFor(addr)!;
    if (addr + len <= r.end) return r.bytes.subarray(addr - r.start, addr - r.start + len);
    const out = new Uint8Array(len);
    let at = addr;
    while (at < addr + len) {
      const rr = this.regionFor(at)!;
      const n = Math.min(rr.end, addr + len) - at;
      out.set(rr.bytes.subarray(at - rr.start, at - rr.start + n), at - addr);
      at += n;
    }
    return out;
  }

  /** copyout: all or nothing — the whole range is checked before a byte is written. */
  write(addr: number, data: Uint8Array): void {
    const len = data.length;
    if (len === 0) return;
    this.check(addr, len, PROT_WRITE);
    let at = addr;
    let off = 0;
    while (off < len) {
      const r = this.regionFor(at)!;
      const n = Math.min(r.end - at, len - off);
      r.bytes.set(data.subarray(off, off + n), at - r.start);
      at += n;
      off += n;
    }
  }

  /** Kernel-side write that ignores protections (the loader filling read-only text). */
  poke(addr: number, data: Uint8Array): void {
    let at = addr;
    let off = 0;
    while (off < data.length) {
      const r = this.regionFor(at);
      if (!r) throw new Errno(EFAULT);
      if (r.needsCopy || r.cow) this.copyOnWrite(r); // never pages another mapping has
      const n = Math.min(r.end - at, data.length - off);
      r.bytes.set(data.subarray(off, off + n), at - r.start);
      at += n;
      off += n;
    }
  }

  /** The mapping holding all of [addr, addr+size) readable, or undefined (then take the slow path). */
  private fast(addr: number, size: number): Region | undefined {
    const r = this.regionFor(addr);
    return r && addr + size <= r.avail && r.prot & PROT_READ ? r : undefined;
  }

  private slow(addr: number, size: number): DataView {
    new Uint8Array(this.scratch.buffer).set(this.read(addr, size));
    return this.scratch;
  }

  readU32(addr: number): number {
    const r = this.fast(addr, 4);
    return r ? r.view.getUint32(addr - r.start, true) : this.slow(addr, 4).getUint32(0, true);
  }

  readI32(addr: number): number {
    const r = this.fast(addr, 4);
    return r ? r.view.getInt32(addr - r.start, true) : this.slow(addr, 4).getInt32(0, true);
  }

  /** A 64-bit value as a number (exact for pointers and sizes below 2^53). */
  readU64(addr: number): number {
    const r = this.fast(addr, 8);
    const [v, o] = r ? [r.view, addr - r.start] : [this.slow(addr, 8), 0];
    return v.getUint32(o, true) + v.getUint32(o + 4, true) * 0x1_0000_0000;
  }

  readBigU64(addr: number): bigint {
    const r = this.fast(addr, 8);
    return r ? r.view.getBigUint64(addr - r.start, true) : this.slow(addr, 8).getBigUint64(0, true);
  }

  writeI32(addr: number, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, value, true);
    this.write(addr, b);
  }

  writeU64(addr: number, value: number | bigint): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, BigInt(value)), true);
    this.write(addr, b);
  }

  /** copyinstr: a NUL-terminated string of at most `max` bytes (ENAMETOOLONG past it). */
  readString(addr: number, max: number, tooLong: number): string {
    const out: number[] = [];
    for (let i = 0; i < max; i++) {
      const a = addr + i;
      let r = this.regionFor(a);
      if (r && a >= r.avail) {
        this.check(a, 1, PROT_READ); // a file page past end-of-file: EFAULT unless it came in
        r = this.regionFor(a);
      }
      if (!r || !(r.prot & PROT_READ)) throw new Errno(EFAULT);
      const c = r.bytes[a - r.start]!;
      if (c === 0) return Buffer.from(out).toString('utf8');
      out.push(c);
    }
    throw new Errno(tooLong);
  }

  /** Split mappings at start and end, then call fn on each piece inside [start, end). */
  private forEachPiece(start: number, end: number, fn: (r: Region) => void): void {
    this.split(start);
    this.split(end);
    for (const r of this.regions.filter((x) => x.start >= start && x.end <= end)) fn(r);
  }

  /** UVM_MAP_CLIP: cut the entry holding `at` in two; both halves keep its attributes. */
  private split(at: number): void {
    const r = this.regions.find((x) => x.start < at && x.end > at);
    if (!r) return;
    const cut = at - r.start;
    const buffer = r.bytes.buffer;
    const tail: Region = {
      ...r,
      start: at,
      bytes: r.bytes.subarray(cut),
      view: new DataView(buffer, r.bytes.byteOffset + cut, r.end - at),
      foff: r.foff + cut,
      avail: Math.max(r.avail, at),
    };
    r.end = at;
    r.avail = Math.min(r.avail, at);
    r.bytes = r.bytes.subarray(0, cut);
    r.view = new DataView(buffer, r.bytes.byteOffset, cut);
    this.regions.splice(this.regions.indexOf(r) + 1, 0, tail);
    this.last = undefined;
    tail.vobj?.attach(this, tail);
  }
}

export { MAP_INHERIT_COPY, MAP_INHERIT_NONE, MAP_INHERIT_SHARE, MAP_INHERIT_ZERO };
