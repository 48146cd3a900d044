// Open files on the filesystem (DTYPE_VNODE, sys/kern/vfs_vnops.c vnops): host files and
// directories, and nbemu's own character devices (/dev/null, /dev/zero, /dev/random,
// /dev/urandom, /dev/tty). The file offset (f_offset) belongs to the open file, so descriptors
// dup'ed from one open share it; FAPPEND writes go to the end (vn_write IO_APPEND). Both kinds
// of file take advisory locks (flock(2) and fcntl's record locks, src/kernel/lockf.ts), among the
// machine's processes (not against host processes).

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import { hostfs } from './hostfs.js';
import * as tty from 'node:tty';
import {
  DEV_NULL, DEV_RANDOM, DEV_TTY, DEV_URANDOM, DEV_ZERO, DIRENT_NAME_OFF, DT_BLK, DT_CHR, DT_DIR, DT_FIFO, DT_LNK,
  DT_REG, DT_SOCK, DT_UNKNOWN, EINVAL, EISDIR, ENXIO, FAPPEND, FREAD, FWRITE, F_FLOCK, F_RDLCK, F_SETLK, F_UNLCK,
  F_WAIT, F_WRLCK, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, SEEK_CUR, SEEK_END, SEEK_SET, S_IFCHR, S_IFLNK, makedev,
  EPASSTHROUGH, EOPNOTSUPP, ENOTTY, FIOASYNC, FIOGETOWN, FIONBIO, FIONREAD, FIONSPACE, FIONWRITE, FIOSETOWN, TIOCGETA,
  TIOCGPGRP, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP,
} from './constants.js';
import { Errno } from './errno.js';
import { File, type FileTable, type StatInfo } from './file.js';
import { lfAdvlock, wouldBlock, type FlockArg, type LockCaller } from './lockf.js';
import type { Uio } from './uio.js';
import type { IoctlCtx, IoctlData } from './ioctl.js';
import { hostTtyIoctl } from './tty.js';
import { vopPathconf } from './pathconf.js';
import { host, pathOfHostFd, type DevName } from './vfs.js';
import { vnodeObject } from './vnpager.js';

/** Largest single host transfer (a larger request returns a short count, as a file system may). */
const MAX_IO = 16 * 1024 * 1024;
/** MAXBSIZE (sys/sys/param.h): vn_readdir's bound on one getdents. */
const MAXBSIZE = 65536;

/** Linux's dev_t → major/minor → NetBSD's makedev (for host device nodes' st_rdev). */
function netbsdRdev(linux: bigint): number {
  if (linux === 0n) return 0;
  const major = Number(((linux >> 8n) & 0xfffn) | ((linux >> 32n) & ~0xfffn));
  const minor = Number((linux & 0xffn) | ((linux >> 12n) & ~0xffn));
  return makedev(major, minor);
}

/** vn_stat: struct stat from a host stat (the S_IF* and permission bits are the same as Linux's). */
export function statFromHost(st: fs.BigIntStats): StatInfo {
  return {
    dev: Number(st.dev),
    devBig: st.dev,
    ino: Number(st.ino),
    inoBig: st.ino,
    mode: Number(st.mode),
    nlink: Number(st.nlink),
    uid: Number(st.uid),
    gid: Number(st.gid),
    rdev: netbsdRdev(st.rdev),
    size: Number(st.size),
    blksize: Number(st.blksize),
    blocks: Number(st.blocks),
    atimeMs: Number(st.atimeMs),
    mtimeMs: Number(st.mtimeMs),
    ctimeMs: Number(st.ctimeMs),
    birthtimeMs: Number(st.birthtimeMs),
    ns: { atime: st.atimeNs, mtime: st.mtimeNs, ctime: st.ctimeNs, birthtime: st.birthtimeNs },
  };
}

/** IFTODT for a host stat. */
function dtype(st: fs.BigIntStats | undefined): number {
  if (!st) return DT_UNKNOWN;
  if (st.isFile()) return DT_REG;
  if (st.isDirectory()) return DT_DIR;
  if (st.isSymbolicLink()) return DT_LNK;
  if (st.isCharacterDevice()) return DT_CHR;
  if (st.isBlockDevice()) return DT_BLK;
  if (st.isFIFO()) return DT_FIFO;
  if (st.isSocket()) return DT_SOCK;
  return DT_UNKNOWN;
}

// ---- flock(2) --------------------------------------------------------------------------------

const WHOLE_FILE = (): FlockArg => ({ start: 0n, len: 0n, pid: 0, type: F_UNLCK, whence: SEEK_SET });

/**
 * flock on an open file (sys/kern/sys_descrip.c sys_flock → lf_advlock with F_FLOCK, the open
 * file as owner, the whole file): LOCK_SH, LOCK_EX (converting a lock the file holds), LOCK_UN;
 * without LOCK_NB a conflict sleeps until the holder lets go, with it the answer is EAGAIN.
 * `how` has been checked: one of LOCK_SH, LOCK_EX, LOCK_UN, maybe with LOCK_NB.
 */
export function flock(key: string, owner: File, how: number, caller: LockCaller): void {
  const fl = WHOLE_FILE();
  if ((how & ~LOCK_NB) === LOCK_UN) {
    lfAdvlock(key, owner, F_UNLCK, fl, F_FLOCK, 0, caller);
    return;
  }
  fl.type = (how & ~LOCK_NB) === LOCK_EX ? F_WRLCK : F_RDLCK;
  lfAdvlock(key, owner, F_SETLK, fl, F_FLOCK | (how & LOCK_NB ? 0 : F_WAIT), 0, caller);
}

/** Would taking this lock block? (open's O_SHLOCK/O_EXLOCK look before they create anything) */
export function flockWouldBlock(key: string, how: number): boolean {
  return wouldBlock(key, how & LOCK_EX ? F_WRLCK : F_RDLCK);
}

/** vn_closefile: the last close of an open file drops its flock locks (FHASLOCK). */
function flockRelease(key: string, owner: File): void {
  lfAdvlock(key, owner, F_UNLCK, WHOLE_FILE(), F_FLOCK, 0, { pid: 0, uid: 0 });
}

export { LOCK_EX, LOCK_SH };

// ---- Vnode files -----------------------------------------------------------------------------

/** Something lseek, pread and pwrite can position (vn_seek). */
export interface Seekable {
  offset: number;
  /** The size SEEK_END counts from. */
  seekSize(): number;
  readAt(uio: Uio, off: number): number;
  writeAt(uio: Uio, off: number): number;
}

/** A host file or directory opened by the guest. */
export class VnodeFile extends File implements Seekable {
  /** f_offset: shared by every descriptor of this open file. For a directory: the entry index. */
  offset = 0;
  private entries: Uint8Array[] | undefined;
  override readonly lockKey: string;

  constructor(
    table: FileTable,
    flag: number,
    readonly fd: number,
    /** The host path (for directory listings and statvfs), and the guest's canonical path. */
    readonly hostPath: string,
    readonly guestPath: string,
    readonly isDir: boolean,
    /** The host path of the guest root (".." of the root is the root). */
    private readonly root: string,
  ) {
    super('vnode', flag, table);
    const st = fs.fstatSync(fd, { bigint: true });
    this.lockKey = `${st.dev}:${st.ino}`;
  }

  override read(uio: Uio): number {
    const n = this.readAt(uio, this.offset);
    this.offset += n;
    return n;
  }

  override write(uio: Uio): number {
    if (this.flag & FAPPEND) {
      const n = this.writeAt(uio, this.seekSize());
      this.offset = this.seekSize();
      return n;
    }
    const n = this.writeAt(uio, this.offset);
    this.offset += n;
    return n;
  }

  readAt(uio: Uio, off: number): number {
    if (this.isDir) throw new Errno(EISDIR);
    const want = Math.min(uio.resid, MAX_IO);
    if (want === 0) return 0;
    uio.check(want);
    const buf = Buffer.allocUnsafe(want);
    const n = host(() => fs.readSync(this.fd, buf, 0, want, off));
    // The file's pages (UBC): bytes stored through a mapping and not yet written back.
    vnodeObject(this.lockKey)?.overlayRead(off, buf.subarray(0, n));
    uio.copyout(buf.subarray(0, n));
    return n;
  }

  writeAt(uio: Uio, off: number): number {
    const n = Math.min(uio.resid, MAX_IO);
    if (n === 0) return 0;
    const data = uio.copyin(n);
    // FAPPEND: the end of the file at the moment of the write (vn_write IO_APPEND), pwrite too.
    const at = this.flag & FAPPEND ? this.seekSize() : off;
    let done = 0;
    while (done < n) done += host(() => fs.writeSync(this.fd, data, done, n - done, at + done));
    vnodeObject(this.lockKey)?.noteWrite(at, data.subarray(0, n)); // mappings of the file see it at once
    return n;
  }

  /** The vnode's v_type, as vn_mmap asks for it. */
  vtype(): 'VREG' | 'VDIR' | 'VCHR' | 'VBLK' | 'VFIFO' | 'VSOCK' | 'VLNK' {
    const st = host(() => fs.fstatSync(this.fd));
    if (st.isFile()) return 'VREG';
    if (st.isDirectory()) return 'VDIR';
    if (st.isCharacterDevice()) return 'VCHR';
    if (st.isBlockDevice()) return 'VBLK';
    if (st.isFIFO()) return 'VFIFO';
    if (st.isSocket()) return 'VSOCK';
    return 'VLNK';
  }

  seekSize(): number {
    return Number(host(() => fs.fstatSync(this.fd, { bigint: true })).size);
  }

  /** vn_fpathconf → VOP_PATHCONF: FFS's answers (pathconf.ts). */
  override fpathconf(name: number): number {
    return vopPathconf('ufs', name);
  }

  override getPath(root: string): string {
    return pathOfHostFd(this.fd, root);
  }

  /**
   * vn_ioctl (sys/kern/vfs_vnops.c) for regular files and directories: FIONREAD is the size
   * less the offset (as an int; a directory's offset here counts entries, not bytes), FIONWRITE
   * and FIONSPACE 0 (files have no send queue), FIONBIO and FIOASYNC succeed; anything else
   * reaches VOP_IOCTL, genfs_enoioctl: EPASSTHROUGH (ENOTTY).
   */
  override ioctl(cmd: number, data: IoctlData): void {
    const t = this.vtype();
    if (t === 'VREG' || t === 'VDIR') {
      switch (cmd) {
        case FIONREAD:
          data.view.setInt32(0, this.seekSize() - this.offset, true);
          return;
        case FIONWRITE:
        case FIONSPACE:
          data.int = 0;
          return;
      }
    }
    // Regular files and directories accept both (vn_ioctl's "XXX"); so do the host's other
    // file types here, which have no NetBSD driver to answer for them.
    if (cmd === FIONBIO || cmd === FIOASYNC) return;
    throw new Errno(EPASSTHROUGH);
  }

  stat(): StatInfo {
    return statFromHost(host(() => fs.fstatSync(this.fd, { bigint: true })));
  }

  /**
   * VOP_READDIR into struct dirent records (sys/sys/dirent.h): d_fileno, d_reclen, d_namlen,
   * d_type, the NUL-terminated name, each record padded to 8 bytes. Whole records only; the
   * offset counts entries ("." and ".." first). EINVAL if not even one record fits.
   */
  readdir(count: number): Uint8Array {
    count = Math.min(count, MAXBSIZE);
    if (this.offset === 0 || !this.entries) this.entries = this.loadEntries();
    const out: Uint8Array[] = [];
    let used = 0;
    while (this.offset < this.entries.length) {
      const rec = this.entries[this.offset]!;
      if (used + rec.length > count) {
        if (used === 0) throw new Errno(EINVAL);
        break;
      }
      out.push(rec);
      used += rec.length;
      this.offset++;
    }
    return Buffer.concat(out, used);
  }

  private loadEntries(): Uint8Array[] {
    const names = host(() => hostfs.readdirSync(this.hostPath, { encoding: 'buffer' }));
    const self = host(() => fs.fstatSync(this.fd, { bigint: true }));
    const parentPath = this.hostPath === this.root ? this.hostPath : this.hostPath.replace(/\/[^/]*$/, '') || '/';
    const parent = hostfs.lstatSync(parentPath, { bigint: true, throwIfNoEntry: false }) ?? self;
    const recs = [dirent(self.ino, Buffer.from('.'), DT_DIR), dirent(parent.ino, Buffer.from('..'), DT_DIR)];
    for (const name of names) {
      const st = hostfs.lstatSync(Buffer.concat([Buffer.from(`${this.hostPath}/`), name]), { bigint: true, throwIfNoEntry: false });
      if (st) recs.push(dirent(st.ino, name, dtype(st)));
    }
    return recs;
  }

  fsync(dataOnly: boolean): void {
    vnodeObject(this.lockKey)?.fsync(); // VOP_FSYNC puts the vnode's dirty pages, mapped stores too
    host(() => (dataOnly ? fs.fdatasyncSync(this.fd) : fs.fsyncSync(this.fd)));
  }

  protected close(): void {
    flockRelease(this.lockKey, this);
    try {
      fs.closeSync(this.fd);
    } catch {
      // nothing the guest can be told
    }
  }
}

/** One struct dirent record. */
function dirent(ino: bigint, name: Buffer, type: number): Uint8Array {
  const reclen = (DIRENT_NAME_OFF + name.length + 1 + 7) & ~7;
  const b = Buffer.alloc(reclen);
  b.writeBigUInt64LE(BigInt.asUintN(64, ino), 0);
  b.writeUInt16LE(reclen, 8);
  b.writeUInt16LE(name.length, 10);
  b.writeUInt8(type, 12);
  name.copy(b, DIRENT_NAME_OFF);
  return b;
}

// ---- nbemu's character devices ---------------------------------------------------------------

const DEVICE_INFO: Record<DevName, { rdev: number; perm: number }> = {
  null: { rdev: DEV_NULL, perm: 0o666 },
  zero: { rdev: DEV_ZERO, perm: 0o666 },
  random: { rdev: DEV_RANDOM, perm: 0o444 },
  urandom: { rdev: DEV_URANDOM, perm: 0o644 },
  tty: { rdev: DEV_TTY, perm: 0o666 },
};

/** stat of one of the devices (a fixed inode per device, st_dev of a devfs-like "/dev"). */
export function deviceStat(dev: DevName): StatInfo {
  const info = DEVICE_INFO[dev];
  const t = Date.now();
  return {
    dev: 0x0b00, ino: 100 + Object.keys(DEVICE_INFO).indexOf(dev), mode: S_IFCHR | info.perm, nlink: 1,
    uid: 0, gid: 0, rdev: info.rdev, size: 0, blksize: 4096, blocks: 0,
    atimeMs: t, mtimeMs: t, ctimeMs: t, birthtimeMs: t,
  };
}

/** lstat of one of nbemu's procfs links (procfs_getattr: a symlink, mode 0777, size = target length). */
export function procfsLinkStat(target: string): StatInfo {
  const t = Date.now();
  return {
    dev: 0x0c00, ino: 3, mode: S_IFLNK | 0o777, nlink: 1, uid: 0, gid: 0, rdev: 0, size: Buffer.byteLength(target),
    blksize: 4096, blocks: 0, atimeMs: t, mtimeMs: t, ctimeMs: t, birthtimeMs: t,
  };
}

/** /dev/tty is the controlling terminal: nbemu's own, when its standard input is a terminal. */
export function openTty(): number {
  if (!tty.isatty(0)) throw new Errno(ENXIO);
  return host(() => hostfs.openSync('/dev/tty', 'r+'));
}

export class DeviceFile extends File implements Seekable {
  offset = 0;
  /** spec_advlock: a device's vnode has its own lock list (v_speclockf). */
  override readonly lockKey: string;

  constructor(
    table: FileTable,
    flag: number,
    readonly dev: DevName,
    /** For /dev/tty: the host descriptor of the terminal. */
    private readonly ttyFd = -1,
  ) {
    super('vnode', flag, table);
    this.lockKey = `dev:${dev}`;
  }

  override get terminalFd(): number | undefined {
    return this.dev === 'tty' ? this.ttyFd : undefined;
  }

  override read(uio: Uio): number {
    return this.readAt(uio, this.offset);
  }

  override write(uio: Uio): number {
    return this.writeAt(uio, this.offset);
  }

  readAt(uio: Uio, _off: number): number {
    const want = Math.min(uio.resid, this.dev === 'tty' ? 65536 : MAX_IO);
    switch (this.dev) {
      case 'null':
        return 0;
      case 'zero':
        uio.copyout(new Uint8Array(want));
        return want;
      case 'random':
      case 'urandom':
        uio.check(want);
        uio.copyout(crypto.randomBytes(want));
        return want;
      case 'tty': {
        uio.check(want);
        const buf = Buffer.alloc(want);
        const n = host(() => fs.readSync(this.ttyFd, buf, 0, want, null));
        uio.copyout(buf.subarray(0, n));
        return n;
      }
    }
  }

  writeAt(uio: Uio, _off: number): number {
    const n = uio.resid;
    const data = uio.copyin(n); // EFAULT for a bad buffer, even for /dev/null (uiomove)
    if (this.dev === 'tty') host(() => fs.writeSync(this.ttyFd, data));
    return n;
  }

  seekSize(): number {
    return 0;
  }

  /** vn_fpathconf → spec_pathconf. */
  override fpathconf(name: number): number {
    return vopPathconf('spec', name);
  }

  /** nbemu's devices are /dev/<name> under every root. */
  override getPath(): string {
    return `/dev/${this.dev}`;
  }

  /**
   * The drivers' ioctls. /dev/null and /dev/zero: mm_ioctl (sys/dev/mm.c): FIONBIO succeeds,
   * FIOASYNC only to turn it off; the owner and TIOCGETA are ENOTTY, the rest EOPNOTSUPP.
   * /dev/random and /dev/urandom: rnd_ioctl (sys/dev/rndpseudo.c): FIONBIO and FIOASYNC succeed,
   * the rest goes to entropy_ioctl (sys/kern/kern_entropy.c), whose RND* queries nbemu does not
   * have: ENOTTY. /dev/tty: cttyioctl (sys/kern/tty_tty.c) hands the call to the terminal.
   */
  override ioctl(cmd: number, data: IoctlData, k: IoctlCtx): void {
    switch (this.dev) {
      case 'null':
      case 'zero':
        if (cmd === FIONBIO) return;
        if (cmd === FIOSETOWN || cmd === FIOGETOWN || cmd === TIOCGPGRP || cmd === TIOCSPGRP || cmd === TIOCGETA) throw new Errno(ENOTTY);
        if (cmd === FIOASYNC && data.int === 0) return;
        throw new Errno(EOPNOTSUPP);
      case 'random':
      case 'urandom':
        if (cmd === FIONBIO || cmd === FIOASYNC) return;
        throw new Errno(ENOTTY);
      case 'tty':
        if (cmd === TIOCSCTTY) throw new Errno(EINVAL);
        if (cmd === TIOCNOTTY) {
          if (k.proc.sid === k.proc.pid) throw new Errno(EINVAL); // SESS_LEADER
          return;
        }
        hostTtyIoctl(this.ttyFd, cmd, data, k);
    }
  }

  stat(): StatInfo {
    return deviceStat(this.dev);
  }

  protected close(): void {
    flockRelease(this.lockKey, this);
    if (this.ttyFd >= 0) {
      try {
        fs.closeSync(this.ttyFd);
      } catch {
        // ignore
      }
    }
  }
}

/** vn_seek's arithmetic (sys/kern/vfs_vnops.c 1.225; genfs_seek refuses a negative result). */
export function seek(f: Seekable, offset: number, whence: number): number {
  let off: number;
  switch (whence) {
    case SEEK_SET:
      off = offset;
      break;
    case SEEK_CUR:
      off = f.offset + offset;
      break;
    case SEEK_END:
      off = f.seekSize() + offset;
      break;
    default:
      throw new Errno(EINVAL);
  }
  if (off < 0) throw new Errno(EINVAL);
  f.offset = off;
  return off;
}

export { FREAD, FWRITE };
