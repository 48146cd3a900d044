// struct filedesc (sys/sys/filedesc.h) and the descriptor operations of sys/kern/kern_descrip.c:
// a table of slots, each holding an open file and the descriptor's own flags (close-on-exec,
// close-on-fork). Allocation takes the lowest free slot at or above a minimum, bounded by
// RLIMIT_NOFILE (EMFILE); the machine-wide kern.maxfiles bound (ENFILE) is checked when a new
// open file is created.

import { EBADF, EMFILE, ENFILE, FD_CLOEXEC, FD_CLOFORK, NDFILE } from './constants.js';
import { Errno } from './errno.js';
import type { File, FileTable } from './file.js';

export interface FdSlot {
  file: File;
  /** FD_CLOEXEC | FD_CLOFORK */
  flags: number;
}

export class FileDesc {
  private slots: (FdSlot | undefined)[] = [];
  /** The highest descriptor ever allocated (the table never shrinks). */
  private highWater: number | undefined;

  constructor(
    private readonly files: FileTable,
    /** The process's RLIMIT_NOFILE soft limit, read at each allocation. */
    private readonly limit: () => number,
    /** fd_close's work for the process before the file is let go (its POSIX record locks). */
    private readonly onClose?: (file: File) => void,
  ) {}

  /** fd_getfile: the open file of a descriptor, or EBADF. */
  get(fd: number): File {
    const s = fd >= 0 ? this.slots[fd] : undefined;
    if (!s) throw new Errno(EBADF);
    return s.file;
  }

  slot(fd: number): FdSlot {
    const s = fd >= 0 ? this.slots[fd] : undefined;
    if (!s) throw new Errno(EBADF);
    return s;
  }

  isOpen(fd: number): boolean {
    return fd >= 0 && this.slots[fd] !== undefined;
  }

  /** fd_lastfile: the highest open descriptor, -1 when none is open (F_MAXFD). */
  get lastfile(): number {
    for (let i = this.slots.length - 1; i >= 0; i--) if (this.slots[i]) return i;
    return -1;
  }

  /**
   * dt_nfiles: the size of the descriptor table, NDFILE (20) doubled as higher descriptors were
   * allocated (kern_descrip.c fd_tryexpand). select clamps its nd to it.
   */
  get tableSize(): number {
    if (this.highWater === undefined) return NDFILE;
    let n = NDFILE;
    while (n <= this.highWater) n *= 2;
    return n;
  }

  /** Number of open descriptors. */
  get count(): number {
    return this.slots.reduce((n, s) => n + (s ? 1 : 0), 0);
  }

  /** The open descriptors, lowest first. */
  *entries(): Generator<[number, FdSlot]> {
    for (let i = 0; i < this.slots.length; i++) {
      const s = this.slots[i];
      if (s) yield [i, s];
    }
  }

  /** The lowest descriptor whose file matches (kpsendsig's search for si_fd), -1 if none. */
  find(match: (f: File) => boolean): number {
    for (const [fd, s] of this.entries()) if (match(s.file)) return fd;
    return -1;
  }

  /**
   * fd_alloc: the lowest free descriptor >= want. EMFILE when it would reach the process's
   * limit (min(RLIMIT_NOFILE, kern.maxfiles) in kern_descrip.c).
   */
  alloc(want = 0): number {
    const lim = Math.min(this.limit(), this.files.maxfiles);
    if (want >= lim) throw new Errno(EMFILE);
    let fd = want;
    while (fd < lim && this.slots[fd]) fd++;
    if (fd >= lim) throw new Errno(EMFILE);
    return fd;
  }

  /**
   * fd_allocfile's order: a descriptor first (EMFILE), then room for a new open file in the
   * machine's file table (ENFILE). Returns the descriptor; the caller creates the file and
   * affixes it.
   */
  allocForNewFile(): number {
    const fd = this.alloc(0);
    if (this.files.nfiles >= this.files.maxfiles) throw new Errno(ENFILE);
    return fd;
  }

  /** fd_affix: install a file in a free slot. */
  affix(fd: number, file: File, flags = 0): void {
    if (this.highWater === undefined || fd > this.highWater) this.highWater = fd;
    if (this.slots[fd]) throw new Error(`descriptor ${fd} is already in use`);
    file.hold();
    this.slots[fd] = { file, flags };
  }

  /** fd_close: free the slot and drop its reference to the file. */
  close(fd: number): void {
    const s = this.slot(fd);
    this.slots[fd] = undefined;
    while (this.slots.length && !this.slots[this.slots.length - 1]) this.slots.pop();
    this.onClose?.(s.file);
    s.file.release();
  }

  /** fd_dup2 onto `to`: closes what was there; the new slot's flags are given. */
  dupTo(from: number, to: number, flags: number): void {
    const file = this.get(from);
    file.hold(); // keep it alive if closing `to` drops the last other reference
    if (this.isOpen(to)) this.close(to);
    this.affix(to, file, flags);
    file.release();
  }

  /** fd_closeexec / the fork-time close: drop every descriptor carrying `flag`. */
  closeFlagged(flag: typeof FD_CLOEXEC | typeof FD_CLOFORK): void {
    for (const [fd, s] of [...this.entries()]) if (s.flags & flag) this.close(fd);
  }

  /** Close everything from `from` up (F_CLOSEM, and process exit with from = 0). */
  closeFrom(from: number): void {
    for (const [fd] of [...this.entries()]) if (fd >= from) this.close(fd);
  }
}
