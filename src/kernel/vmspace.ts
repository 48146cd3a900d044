// A process's address space (NetBSD's struct vmspace / vm_map). Guest memory is JavaScript
// memory: every mapping is an ArrayBuffer handed to Unicorn with uc_mem_map_ptr, and the kernel
// reads and writes it through typed arrays. The map below is the kernel's own view, so copyin and
// copyout decide EFAULT from it (with protections: copyout to a read-only page is EFAULT, as in
// sys/uvm/uvm_fault.c / copyout(9)) without asking the engine.

import type { Unicorn } from '../unicorn/index.js';
import {
  EFAULT, EINVAL, ENOMEM, MAXSSIZ, PAGE_SIZE, PROT_READ, PROT_WRITE, USER_STACK_GUARD_SIZE,
  VM_MAXUSER_ADDRESS,
} from './constants.js';
import { Errno } from './errno.js';

export interface Region {
  start: number;
  end: number; // exclusive
  prot: number;
  /** The bytes of [start, end): a view into the ArrayBuffer mapped into the engine. */
  bytes: Uint8Array;
  view: DataView;
  name: string;
  /**
   * The bytes are shared with another process's mapping, copy-on-write: fork shares memory that
   * is not writable (program text, read-only data, PROT_NONE reservations) instead of copying
   * it, and whichever process first makes its piece writable gets a private copy (protect).
   */
  cow: boolean;
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

export const truncPage = (a: number): number => a - (a % PAGE_SIZE);
export const roundPage = (a: number): number => Math.ceil(a / PAGE_SIZE) * PAGE_SIZE;

export class VmSpace {
  /** Sorted, non-overlapping. */
  private regions: Region[] = [];
  private last: Region | undefined;
  private readonly scratch = new DataView(new ArrayBuffer(8));

  constructor(private readonly uc: Unicorn) {}

  get mappings(): readonly Region[] {
    return this.regions;
  }

  /** Map fresh zero-filled memory at [start, start+len). The range must be free. */
  map(start: number, len: number, prot: number, name: string): Region {
    if (start % PAGE_SIZE || len % PAGE_SIZE || len <= 0) throw new Errno(EINVAL);
    return this.insert(start, prot, name, new Uint8Array(len), false);
  }

  /** Map `bytes` themselves (not a copy) at start; the range must be free. */
  private insert(start: number, prot: number, name: string, bytes: Uint8Array, cow: boolean): Region {
    this.uc.mem_map_ptr(start, bytes.length, prot, bytes);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const region: Region = { start, end: start + bytes.length, prot, bytes, view, name, cow };
    const i = this.regions.findIndex((r) => r.start > start);
    if (i < 0) this.regions.push(region);
    else this.regions.splice(i, 0, region);
    this.last = undefined;
    return region;
  }

  /**
   * uvmspace_fork: the child's address space. Writable memory is copied (only the pages that
   * were ever written: the rest is zeros in a fresh buffer too); memory that is not writable is
   * shared copy-on-write, so text and large PROT_NONE reservations (the Go runtime makes
   * hundreds of MiB of them) cost nothing to fork.
   */
  forkInto(child: VmSpace): void {
    for (const r of this.regions) {
      if (r.prot & PROT_WRITE) {
        const copy = new Uint8Array(r.bytes.length);
        copyTouchedPages(copy, r.bytes);
        child.insert(r.start, r.prot, r.name, copy, false);
      } else {
        r.cow = true;
        child.insert(r.start, r.prot, r.name, r.bytes, true);
      }
    }
  }

  /**
   * __vfork14's FORK_SHAREVM: the child maps the parent's memory itself, writable parts
   * included; the parent sleeps until the child execs or exits.
   */
  shareInto(child: VmSpace): void {
    for (const r of this.regions) child.insert(r.start, r.prot, r.name, r.bytes, r.cow);
  }

  /** Give a copy-on-write piece its own copy of its bytes (mapped with `prot`). */
  private privatize(r: Region, prot: number, zero = false): void {
    const bytes = new Uint8Array(r.end - r.start);
    if (!zero) bytes.set(r.bytes);
    this.uc.mem_unmap(r.start, bytes.length);
    this.uc.mem_map_ptr(r.start, bytes.length, prot, bytes);
    r.bytes = bytes;
    r.view = new DataView(bytes.buffer);
    r.cow = false;
    r.prot = prot;
  }

  /**
   * Discard the pages of [start, end) that lie in mappings `which` accepts: they read back as
   * zeros (MADV_FREE's PGO_FREE). A copy-on-write piece gets fresh zero pages of its own.
   */
  zero(start: number, end: number, which: (r: Region) => boolean): void {
    this.forEachPiece(start, end, (r) => {
      if (!which(r)) return;
      if (r.cow) this.privatize(r, r.prot, true);
      else r.bytes.fill(0);
    });
  }

  /** Remove [start, start+len) from the map; unmapped holes inside are not an error (uvm_unmap). */
  unmap(start: number, len: number): void {
    const end = start + len;
    this.forEachPiece(start, end, (r) => {
      this.uc.mem_unmap(r.start, r.end - r.start);
      this.regions.splice(this.regions.indexOf(r), 1);
    });
    this.last = undefined;
  }

  /** Change protection of [start, start+len); every page must be mapped (ENOMEM otherwise, uvm_map_protect). */
  protect(start: number, len: number, prot: number): void {
    const end = start + len;
    if (!this.isMapped(start, end)) throw new Errno(ENOMEM);
    this.forEachPiece(start, end, (r) => {
      if (r.cow && prot & PROT_WRITE) this.privatize(r, prot); // the copy-on-write fault, taken early
      else this.uc.mem_protect(r.start, r.end - r.start, prot);
      r.prot = prot;
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

  /** Check that [addr, addr+len) is mapped with `prot`; EFAULT otherwise. */
  check(addr: number, len: number, prot: number): void {
    if (len === 0) return;
    if (!(addr >= 0) || addr + len > VM_MAXUSER_ADDRESS || !Number.isSafeInteger(addr + len)) throw new Errno(EFAULT);
    let at = addr;
    const end = addr + len;
    while (at < end) {
      const r = this.regionFor(at);
      if (!r || (r.prot & prot) !== prot) throw new Errno(EFAULT);
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
      const n = Math.min(r.end - at, data.length - off);
      r.bytes.set(data.subarray(off, off + n), at - r.start);
      at += n;
      off += n;
    }
  }

  /** The mapping holding all of [addr, addr+size) readable, or undefined (then take the slow path). */
  private fast(addr: number, size: number): Region | undefined {
    const r = this.regionFor(addr);
    return r && addr + size <= r.end && r.prot & PROT_READ ? r : undefined;
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
      const r = this.regionFor(addr + i);
      if (!r || !(r.prot & PROT_READ)) throw new Errno(EFAULT);
      const c = r.bytes[addr + i - r.start]!;
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

  private split(at: number): void {
    const r = this.regions.find((x) => x.start < at && x.end > at);
    if (!r) return;
    const cut = at - r.start;
    const buffer = r.bytes.buffer;
    const tail: Region = {
      start: at,
      end: r.end,
      prot: r.prot,
      bytes: r.bytes.subarray(cut),
      view: new DataView(buffer, r.bytes.byteOffset + cut, r.end - at),
      name: r.name,
      cow: r.cow,
    };
    r.end = at;
    r.bytes = r.bytes.subarray(0, cut);
    r.view = new DataView(buffer, r.bytes.byteOffset, cut);
    this.regions.splice(this.regions.indexOf(r) + 1, 0, tail);
    this.last = undefined;
  }
}
