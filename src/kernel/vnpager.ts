// The pages of mapped files: NetBSD's vnode pager and unified buffer cache (sys/uvm/uvm_vnode.c,
// sys/uvm/uvm_bio.c, sys/miscfs/genfs/genfs_io.c), for the machine's processes.
//
// NetBSD keeps one set of pages per vnode (its uvm_object): every MAP_SHARED mapping of the file,
// in any process, maps those very pages, read(2) and write(2) go through them, and the pager
// writes changed pages to the file. nbemu keeps one VnodeObject per mapped host file (dev:ino)
// whose windows are ArrayBuffers holding ranges of the file; a window is mapped into the engine
// of every process that maps that range (uc_mem_map_ptr at an offset). Hence:
//
//  - a store through any mapping is seen at once by every other mapping of the file, in any
//    nbemu process, and by read(2)/pread(2) from any nbemu process (readAt overlays the changed
//    bytes); write(2) by an nbemu process is seen at once by every mapping (noteWrite);
//  - changed bytes reach the host file at msync (MS_SYNC and MS_ASYNC alike, at once), fsync,
//    fdatasync, munmap, exec and exit; only the bytes that differ from what the file held are
//    written (a window that a writable MAP_SHARED mapping may change keeps a clean copy to
//    compare with), so host-side changes to other bytes survive, and nothing is written past
//    end-of-file;
//  - truncation by an nbemu process zeroes the bytes past the new end and takes the pages
//    wholly past it out of the mappings that use the object's pages (touching them is SIGBUS);
//    growth is noticed when a page past the old end is touched (VmSpace.fault / check);
//  - private mappings use the object's pages while they are not writable (they see the file
//    change, and truncation, as NetBSD's do until a page is written); a writable private mapping
//    has its own copy, taken whole when it becomes writable (NetBSD copies page by page on the
//    first store to each).
//
// Not coherent with host processes that use the file at the same time: their writes are not seen
// by mappings until msync(MS_INVALIDATE) or the file's last mapping goes, and their truncations
// only when a page past the old end is touched.

import * as fs from 'node:fs';
import { PAGE_SIZE } from './constants.js';
import { host } from './vfs.js';
import { allocate, roundPage, type Region, type VmSpace } from './vmspace.js';

interface Window {
  /** The file offset of data[0] (page aligned). */
  off: number;
  data: Uint8Array;
  /** The file's bytes as last read or written by nbemu, kept once a shared writable mapping may change `data`. */
  clean: Uint8Array | undefined;
}

/** What the pager needs of an open file (a VnodeFile). */
export interface PagedFile {
  readonly fd: number;
  readonly hostPath: string;
  readonly lockKey: string;
}

const objects = new Map<string, VnodeObject>();

/** sync(2)'s VFS_SYNC over every mount: each mapped file's changed pages go to the file. */
export function syncAll(): void {
  for (const o of objects.values()) o.fsync();
}

/** The object of a host file (dev:ino) while some process maps it. */
export function vnodeObject(key: string): VnodeObject | undefined {
  return objects.get(key);
}

const hostSize = (fd: number): number => Number(host(() => fs.fstatSync(fd, { bigint: true })).size);

/** A descriptor of our own for the file (it must outlive the guest's): /proc/self/fd, else the path. */
function reopen(f: PagedFile, write: boolean): number {
  const flags = write ? 'r+' : 'r';
  try {
    return fs.openSync(`/proc/self/fd/${f.fd}`, flags);
  } catch {
    return host(() => fs.openSync(f.hostPath, flags));
  }
}

/** pread of [off, off+out.length) into out; the bytes past end-of-file stay as they are. */
function readHost(fd: number, out: Uint8Array, off: number): void {
  let done = 0;
  while (done < out.length) {
    const n = host(() => fs.readSync(fd, out, done, Math.min(out.length - done, 1 << 30), off + done));
    if (n === 0) break;
    done += n;
  }
}

const clamp = (v: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, v));

export class VnodeObject {
  private windows: Window[] = [];
  /** The entries (in any address space) that map this file. */
  private readonly users = new Map<Region, VmSpace>();
  /** The file size the pages were last brought up to date with. */
  private size: number;

  private constructor(
    readonly key: string,
    private fd: number,
    private writable: boolean,
  ) {
    this.size = hostSize(fd);
  }

  /** vn_mmap's uobj = &vp->v_uobj: the object of the file, made on its first mapping. */
  static forFile(f: PagedFile, write: boolean): VnodeObject {
    let o = objects.get(f.lockKey);
    if (!o) {
      o = new VnodeObject(f.lockKey, reopen(f, write), write);
      objects.set(f.lockKey, o);
    } else if (write && !o.writable) {
      const fd = reopen(f, true);
      fs.closeSync(o.fd);
      o.fd = fd;
      o.writable = true;
    }
    return o;
  }

  /**
   * The object's pages for file bytes [off, off+len) (page aligned), as a view into the window
   * holding them: a window is made, or overlapping windows merged (the mappings using them move
   * to the new one), as needed. `track`: a shared writable mapping will use them.
   */
  pages(off: number, len: number, track: boolean): Uint8Array {
    this.refreshSize();
    const end = off + len;
    const hits = this.windows.filter((w) => w.off < end && w.off + w.data.length > off);
    let w = hits.length === 1 && hits[0]!.off <= off && hits[0]!.off + hits[0]!.data.length >= end ? hits[0]! : undefined;
    if (!w) w = this.merge(hits, off, end);
    if (track && !w.clean) w.clean = w.data.slice();
    return w.data.subarray(off - w.off, end - w.off);
  }

  private merge(hits: Window[], off: number, end: number): Window {
    const lo = Math.min(off, ...hits.map((h) => h.off));
    const hi = Math.max(end, ...hits.map((h) => h.off + h.data.length));
    const data = allocate(hi - lo);
    readHost(this.fd, data.subarray(0, clamp(this.size - lo, 0, hi - lo)), lo);
    const clean = hits.some((h) => h.clean) ? data.slice() : undefined;
    for (const h of hits) {
      data.set(h.data, h.off - lo);
      clean?.set(h.clean ?? h.data, h.off - lo);
    }
    const w: Window = { off: lo, data, clean };
    this.windows = [...this.windows.filter((x) => !hits.includes(x)), w].sort((a, b) => a.off - b.off);
    const moved = new Set(hits.map((h) => h.data.buffer));
    for (const [r, vm] of this.users) {
      if ((r.shared || r.needsCopy) && moved.has(r.bytes.buffer)) {
        vm.rebind(r, data.subarray(r.foff - lo, r.foff - lo + (r.end - r.start)));
      }
    }
    return w;
  }

  attach(vm: VmSpace, r: Region): void {
    this.users.set(r, vm);
  }

  /** A mapping that failed to come about: an object nobody maps goes (its descriptor closed). */
  releaseIfUnused(): void {
    if (this.users.size === 0 && objects.get(this.key) === this) this.end();
  }

  private end(): void {
    this.writebackQuietly(0, Infinity);
    objects.delete(this.key);
    this.windows = [];
    try {
      fs.closeSync(this.fd);
    } catch {
      // nothing to tell anyone
    }
  }

  /** An entry went: the last one takes the object with it (its changes written to the file first). */
  detach(r: Region): void {
    this.users.delete(r);
    if (this.users.size === 0) {
      this.end();
      return;
    }
    // Windows nobody maps any more are written back and dropped.
    const used = (w: Window): boolean =>
      [...this.users.keys()].some((u) => u.foff < w.off + w.data.length && u.foff + (u.end - u.start) > w.off);
    for (const w of this.windows.filter((x) => !used(x))) {
      this.writebackQuietly(w.off, w.data.length);
      this.windows.splice(this.windows.indexOf(w), 1);
    }
  }

  /** How far the engine may map entry r: up to the page holding the file's last byte. */
  availFor(r: Region): number {
    return this.availAt(r.start, r.end - r.start, r.foff);
  }

  /** The same for a mapping of file bytes [foff, foff+len) at `start`. */
  availAt(start: number, len: number, foff: number): number {
    this.refreshSize();
    return start + clamp(roundPage(this.size) - foff, 0, len);
  }

  /** Fill a private copy's [from, to) from the object's pages (they came in after the copy was taken). */
  copyInto(r: Region, from: number, to: number): void {
    const foff = r.foff + (from - r.start);
    const src = this.pages(foff, to - from, false);
    r.bytes.set(src, from - r.start);
  }

  /**
   * Bring the pages up to date with the file's size: bytes it gained are read in; when it shrank
   * (ftruncate, truncate, O_TRUNC: uvm_vnp_setsize), the bytes past the new end are zeroed and
   * the pages wholly past it leave every mapping that uses the object's pages.
   */
  refreshSize(): void {
    const s = hostSize(this.fd);
    if (s === this.size) return;
    if (s > this.size) {
      for (const w of this.windows) {
        const a = Math.max(this.size, w.off);
        const b = Math.min(s, w.off + w.data.length);
        if (a >= b) continue;
        readHost(this.fd, w.data.subarray(a - w.off, b - w.off), a);
        w.clean?.set(w.data.subarray(a - w.off, b - w.off), a - w.off);
      }
    } else {
      for (const w of this.windows) {
        const from = clamp(s - w.off, 0, w.data.length);
        w.data.fill(0, from);
        w.clean?.fill(0, from);
      }
      const limit = roundPage(s);
      for (const [r, vm] of this.users) {
        if (!r.shared && !r.needsCopy) continue; // a private copy keeps its pages
        const avail = r.start + clamp(limit - r.foff, 0, r.end - r.start);
        if (avail < r.avail) vm.setAvail(r, avail);
      }
    }
    this.size = s;
  }

  /**
   * Write the changed bytes of file range [off, off+len) to the file (VOP_PUTPAGES with
   * PGO_CLEANIT), never past its end. Host errors are thrown (msync reports them).
   */
  writeback(off: number, len: number): void {
    if (!this.windows.some((w) => w.clean)) return;
    const fileEnd = hostSize(this.fd);
    for (const w of this.windows) {
      if (!w.clean) continue;
      const a = Math.max(off, w.off) - w.off;
      const b = Math.min(off + len, w.off + w.data.length, fileEnd) - w.off;
      if (a < b) this.flush(w, a, b);
    }
  }

  /** writeback where nobody can be told of a failure (munmap, exit, the object's end). */
  writebackQuietly(off: number, len: number): void {
    try {
      this.writeback(off, len);
    } catch {
      // as a pager's asynchronous write would, the error is lost
    }
  }

  /** Write the runs of w.data[from, to) that differ from w.clean, and remember them as clean. */
  private flush(w: Window, from: number, to: number): void {
    const d = w.data;
    const c = w.clean!;
    const put = (a: number, b: number): void => {
      let done = a;
      while (done < b) done += host(() => fs.writeSync(this.fd, d, done, b - done, w.off + done));
      c.set(d.subarray(a, b), a);
    };
    for (let p = from; p < to; p += PAGE_SIZE) {
      const e = Math.min(to, p + PAGE_SIZE);
      if (Buffer.compare(d.subarray(p, e), c.subarray(p, e)) === 0) continue;
      let i = p;
      while (i < e) {
        if (d[i] === c[i]) {
          i++;
          continue;
        }
        let last = i;
        for (let j = i + 1; j < e && j - last <= 16; j++) if (d[j] !== c[j]) last = j;
        put(i, last + 1);
        i = last + 1;
      }
    }
  }

  /** msync(MS_INVALIDATE) (PGO_CLEANIT|PGO_FREE): changes written, then the pages read from the file again. */
  invalidate(off: number, len: number): void {
    this.writeback(off, len);
    this.refreshSize();
    for (const w of this.windows) {
      const a = Math.max(off, w.off) - w.off;
      const b = Math.min(off + len, w.off + w.data.length) - w.off;
      if (a >= b) continue;
      const part = w.data.subarray(a, b);
      part.fill(0);
      readHost(this.fd, part.subarray(0, clamp(this.size - (w.off + a), 0, b - a)), w.off + a);
      w.clean?.set(part, a);
    }
  }

  /** fsync/fdatasync (VOP_FSYNC flushes the vnode's dirty pages): every changed byte to the file. */
  fsync(): void {
    this.writeback(0, Infinity);
  }

  /** write(2) by an nbemu process put `data` in the file at `off`: the pages show it at once. */
  noteWrite(off: number, data: Uint8Array): void {
    const end = off + data.length;
    for (const w of this.windows) {
      const a = Math.max(off, w.off);
      const b = Math.min(end, w.off + w.data.length);
      if (a >= b) continue;
      const part = data.subarray(a - off, b - off);
      w.data.set(part, a - w.off);
      w.clean?.set(part, a - w.off);
    }
  }

  /** read(2) by an nbemu process read `buf` from the file at `off`: show it the mappings' changes. */
  overlayRead(off: number, buf: Uint8Array): void {
    const end = off + buf.length;
    for (const w of this.windows) {
      if (!w.clean) continue;
      const a = Math.max(off, w.off);
      const b = Math.min(end, w.off + w.data.length);
      for (let i = a; i < b; i++) {
        const d = w.data[i - w.off]!;
        if (d !== w.clean[i - w.off]) buf[i - off] = d;
      }
    }
  }
}
