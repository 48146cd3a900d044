// Files and the namespace: open/openat, the stat family, access, getdents, readlink, getcwd,
// chdir/fchdir, mkdir, rmdir, unlink, rename, link, symlink, chmod, the utimes family, fsync,
// truncate, lseek, pread/pwrite, statvfs, flock, umask.
//
// Orders of checks follow sys/kern/vfs_syscalls.c 1.500 (2015/07/24) and vfs_vnops.c 1.225
// (2022/03/13) vn_open/vn_openchk/vn_seek/vn_readdir, the newest copies read (see
// docs/netbsd-semantics.md §Files). Path lookup is src/kernel/vfs.ts, open files
// src/kernel/vnode.ts.

import * as fs from 'node:fs';
import { hostfs } from '../src/kernel/hostfs.js';
import {
  ACCESSPERMS, ALLPERMS, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, EBADF, EBUSY, EEXIST,
  EFTYPE, EINVAL, EISDIR, ENAMETOOLONG, ENOENT, ENOTDIR, ENOTEMPTY, EOPNOTSUPP, EPERM, ERANGE, ESPIPE, EXDEV,
  FCNTLFLAGS, FD_CLOEXEC, FD_CLOFORK, FFLAGS, FREAD, FWRITE, F_OK, GETCWD_MAX, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN,
  MAXPATHLEN, MNT_LOCAL, MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_RDONLY, O_CLOEXEC, O_CLOFORK, O_CREAT,
  O_DIRECTORY, O_EXCL, O_EXEC, O_EXLOCK, O_NOFOLLOW, O_NONBLOCK, O_NOSIGPIPE, O_REGULAR, O_SEARCH, O_SHLOCK,
  O_TRUNC, STATVFS_SIZE, S_ISGID, S_ISTXT, S_ISUID, UTIME_NOW, UTIME_OMIT, VFS_MNAMELEN, VFS_NAMELEN, EAGAIN,
  S_IFBLK, S_IFCHR, S_IFMT, S_IFREG, S_IFWHT,
  FDATASYNC, FFILESYNC,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import type { File, StatInfo } from '../src/kernel/file.js';
import { Uio } from '../src/kernel/uio.js';
import { fifoOpen, makeHostFifo } from '../src/kernel/fifo.js';
import { changeRoot, cwdOf, guestPathOf, host, hostErrno, namei, rootOf, type Lookup } from '../src/kernel/vfs.js';
import {
  DeviceFile, VnodeFile, deviceStat, procfsLinkStat, flock, flockWouldBlock, openTty, seek, statFromHost, type Seekable,
} from '../src/kernel/vnode.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';
import { encodeStat } from './structs.js';
import { syncAll, vnodeObject } from '../src/kernel/vnpager.js';
import { vopPathconf } from '../src/kernel/pathconf.js';

/** FMASK of sys/sys/fcntl.h: the open flags an open file keeps (FCNTLFLAGS there includes FNOSIGPIPE). */
const FMASK = FREAD | FWRITE | FCNTLFLAGS | O_NOSIGPIPE | O_EXEC;

/** copyinstr of a path: EFAULT, or ENAMETOOLONG without a NUL in MAXPATHLEN bytes. */
function pathArg(k: SysCtx, addr: number): string {
  return k.proc.vm.readString(addr, MAXPATHLEN, ENAMETOOLONG);
}

/** fd_getvnode (kern_descrip.c): EBADF for no file, EINVAL for one that is not a vnode. */
function getvnode(k: SysCtx, fd: number): File {
  const fp = k.proc.fd.get(fd);
  if (fp.type !== 'vnode') throw new Errno(EINVAL);
  return fp;
}

/**
 * fd_nameiat's start: the cwd for AT_FDCWD, else the directory open on `fdat` (looked up even
 * for an absolute path); a relative lookup from a non-directory is ENOTDIR.
 */
function startDir(k: SysCtx, fdat: number, path: string): string {
  if (fdat === AT_FDCWD) return cwdOf(k.proc).cwd;
  const fp = getvnode(k, fdat);
  if (path.startsWith('/')) return '/';
  if (!(fp instanceof VnodeFile) || !fp.isDir) throw new Errno(ENOTDIR);
  // Where the directory is under the process's root now (chroot may have moved the root since
  // it was opened); a directory left outside the root is looked up from as it was named then.
  return guestPathOf(rootOf(k.proc), fp.hostPath) ?? fp.guestPath;
}

/** pathbuf_copyin + fd_nameiat. */
function lookupAt(k: SysCtx, fdat: number, pathp: number, follow: boolean): Lookup {
  const path = pathArg(k, pathp);
  return namei(k.proc, startDir(k, fdat, path), path, follow);
}

/** The lookup must have found something (ENOENT otherwise). */
function existing(r: Lookup): Lookup {
  if (!r.st && !r.dev && r.link === undefined) throw new Errno(ENOENT);
  return r;
}

function statOf(r: Lookup): StatInfo {
  existing(r);
  if (r.link !== undefined) return procfsLinkStat(r.link);
  return r.dev ? deviceStat(r.dev) : statFromHost(r.st!);
}

const isDir = (r: Lookup): boolean => r.st?.isDirectory() === true;

/** Host open(2) flags for the access mode. */
function hostAccess(fflags: number): number {
  const c = fs.constants;
  if (fflags & FREAD && fflags & FWRITE) return c.O_RDWR;
  return fflags & FWRITE ? c.O_WRONLY : c.O_RDONLY;
}

/**
 * do_sys_openat → do_open → vn_open (vfs_vnops.c 1.225). Order: path copyin (EFAULT,
 * ENAMETOOLONG), the at-descriptor (EBADF), the access mode (EINVAL for O_ACCMODE 3), a
 * descriptor (EMFILE, ENFILE), O_CREAT|O_DIRECTORY (EINVAL), namei, then: O_EXCL on an
 * existing name EEXIST, a socket EOPNOTSUPP, a symbolic link (only with O_NOFOLLOW, or O_EXCL)
 * EFTYPE, vn_openchk (O_DIRECTORY ENOTDIR, O_REGULAR EFTYPE, writing a directory EISDIR,
 * permissions), O_TRUNC, and last O_SHLOCK/O_EXLOCK.
 */
function doOpen(k: SysCtx, fdat: number, pathp: number, oflags: number, mode: number): number {
  return openPath(k, fdat, pathArg(k, pathp), oflags, mode);
}

/** doOpen for a path already in the kernel (posix_spawn's FAE_OPEN: fd_open). */
export function openPath(k: SysCtx, fdat: number, path: string, oflags: number, mode: number): number {
  const p = k.proc;
  const start = startDir(k, fdat, path);
  if (oflags & O_SEARCH) oflags &= ~O_SEARCH;
  let fflags = FFLAGS(oflags);
  if ((fflags & (FREAD | FWRITE)) === 0) throw new Errno(EINVAL);
  const fd = p.fd.allocForNewFile();
  if ((fflags & (O_CREAT | O_DIRECTORY)) === (O_CREAT | O_DIRECTORY)) throw new Errno(EINVAL);
  const cmode = ((mode & ~cwdOf(p).cmask) & ALLPERMS) & ~S_ISTXT;
  const creat = (fflags & O_CREAT) !== 0;
  const excl = (fflags & O_EXCL) !== 0;
  const follow = !(creat && excl) && !(fflags & O_NOFOLLOW);
  const r = namei(p, start, path, follow);
  const fdflags = (oflags & O_CLOEXEC ? FD_CLOEXEC : 0) | (oflags & O_CLOFORK ? FD_CLOFORK : 0);
  const fileFlag = fflags & FMASK;
  let file: File;
  if (r.dev) {
    if (creat && excl) throw new Errno(EEXIST);
    if (fflags & O_DIRECTORY) throw new Errno(ENOTDIR);
    if (fflags & O_REGULAR) throw new Errno(EFTYPE);
    file = new DeviceFile(k.machine.files, fileFlag, r.dev, r.dev === 'tty' ? openTty() : -1);
  } else {
    const c = fs.constants;
    let hfd: number;
    let dir = false;
    let truncated = false;
    if (!r.st) {
      if (!creat) throw new Errno(ENOENT);
      if (r.trailingSlash) throw new Errno(EISDIR);
      hfd = host(() => hostfs.openSync(r.host, hostAccess(fflags) | c.O_CREAT | c.O_EXCL | c.O_NOFOLLOW, cmode));
      // The host's umask applied too; the guest's alone decides the mode.
      host(() => fs.fchmodSync(hfd, cmode));
      fflags &= ~O_TRUNC;
    } else {
      if (creat && excl) throw new Errno(EEXIST);
      const st = r.st;
      if (st.isSocket()) throw new Errno(EOPNOTSUPP);
      if (st.isSymbolicLink()) throw new Errno(EFTYPE);
      dir = st.isDirectory();
      if (fflags & O_DIRECTORY && !dir) throw new Errno(ENOTDIR);
      if (fflags & O_REGULAR && !st.isFile()) throw new Errno(EFTYPE);
      if (fflags & (FWRITE | O_TRUNC) && dir) throw new Errno(EISDIR);
      if (st.isFIFO()) {
        // fifofs: the FIFO's pipe among nbemu's processes (src/kernel/fifo.ts); it may wait.
        p.fd.affix(fd, fifoOpen(p, k.machine.fifos, k.machine.files, st, r.host, fileFlag), fdflags);
        return fd;
      }
      const extra = fflags & O_TRUNC && st.isFile() ? c.O_TRUNC : 0;
      truncated = (extra & c.O_TRUNC) !== 0;
      hfd = host(() => hostfs.openSync(r.host, (dir ? c.O_RDONLY : hostAccess(fflags)) | extra));
    }
    const vf = new VnodeFile(k.machine.files, fileFlag, hfd, r.host, r.guest, dir, rootOf(p));
    if (truncated) vnodeObject(vf.lockKey)?.refreshSize(); // O_TRUNC: uvm_vnp_setsize(0)
    if (fflags & (O_SHLOCK | O_EXLOCK)) {
      const how = fflags & O_EXLOCK ? LOCK_EX : LOCK_SH;
      if (flockWouldBlock(vf.lockKey, how) && fflags & O_NONBLOCK) {
        vf.release();
        throw new Errno(EAGAIN);
      }
      try {
        flock(vf.lockKey, vf, how, { proc: p, pid: p.pid, uid: p.cred.euid });
      } catch (e) {
        vf.release();
        throw e;
      }
    }
    file = vf;
  }
  p.fd.affix(fd, file, fdflags);
  return fd;
}

/** do_sys_chdir: a directory (ENOTDIR) that can be searched (EACCES) becomes the current one. */
export function chdirPath(k: SysCtx, path: string): number {
  const r = existing(namei(k.proc, startDir(k, AT_FDCWD, path), path, true));
  if (r.dev || !isDir(r)) throw new Errno(ENOTDIR);
  host(() => hostfs.accessSync(r.host, fs.constants.X_OK));
  cwdOf(k.proc).cwd = r.guest;
  return 0;
}

/** do_sys_fchdir: fd_getvnode (EBADF, EINVAL), a directory (ENOTDIR) that can be searched (EACCES). */
export function fchdirFd(k: SysCtx, fd: number): number {
  const fp = getvnode(k, fd);
  if (!(fp instanceof VnodeFile) || !fp.isDir) throw new Errno(ENOTDIR);
  host(() => hostfs.accessSync(fp.hostPath, fs.constants.X_OK));
  // sys_fchdir: once chrooted, not to a directory outside the root (vn_isunder): EPERM.
  const guest = guestPathOf(rootOf(k.proc), fp.hostPath);
  if (guest === undefined) throw new Errno(EPERM);
  cwdOf(k.proc).cwd = guest;
  return 0;
}

/** Seekable open files (vnodes: host files and devices); pipes and sockets are ESPIPE. */
function seekable(fp: File): Seekable & File {
  if (fp instanceof VnodeFile || fp instanceof DeviceFile) return fp;
  throw new Errno(ESPIPE);
}

/** Apply times to a vnode, reading the current ones for UTIME_OMIT. */
type TimeSpec = { sec: number; nsec: number };

function readTimes(k: SysCtx, tptr: number, timeval: boolean): [TimeSpec, TimeSpec] | undefined {
  if (tptr === 0) return undefined;
  const b = k.proc.vm.read(tptr, 32);
  const dv = new DataView(b.buffer, b.byteOffset, 32);
  const one = (off: number): TimeSpec => {
    const sec = Number(dv.getBigInt64(off, true));
    if (timeval) {
      const usec = dv.getInt32(off + 8, true);
      // do_sys_utimes: UTIME_NOW / UTIME_OMIT pass through tv_usec unchanged.
      return { sec, nsec: usec === UTIME_NOW || usec === UTIME_OMIT ? usec : usec * 1000 };
    }
    return { sec, nsec: Number(dv.getBigInt64(off + 8, true)) };
  };
  return [one(0), one(16)];
}

/** do_sys_utimensat: NULL or UTIME_NOW is now, UTIME_OMIT keeps the current value. */
function resolveTimes(ts: [TimeSpec, TimeSpec] | undefined, current: () => StatInfo): [number, number] | undefined {
  const now = Date.now() / 1000;
  if (!ts) return [now, now];
  if (ts[0].nsec === UTIME_OMIT && ts[1].nsec === UTIME_OMIT) return undefined;
  const pick = (t: TimeSpec, cur: () => number): number =>
    t.nsec === UTIME_NOW ? now : t.nsec === UTIME_OMIT ? cur() : t.sec + t.nsec / 1e9;
  return [pick(ts[0], () => current().atimeMs / 1000), pick(ts[1], () => current().mtimeMs / 1000)];
}

function utimesPath(k: SysCtx, fdat: number, pathp: number, tptr: number, timeval: boolean, follow: boolean): number {
  const ts = readTimes(k, tptr, timeval); // copyin before the lookup
  const r = existing(lookupAt(k, fdat, pathp, follow));
  if (r.dev) return 0;
  const t = resolveTimes(ts, () => statFromHost(r.st!));
  if (!t) return 0;
  if (follow || !r.st!.isSymbolicLink()) host(() => hostfs.utimesSync(r.host, t[0], t[1]));
  else host(() => hostfs.lutimesSync(r.host, t[0], t[1]));
  return 0;
}

function utimesFd(k: SysCtx, fd: number, tptr: number, timeval: boolean): number {
  const fp = getvnode(k, fd);
  const ts = readTimes(k, tptr, timeval);
  if (!(fp instanceof VnodeFile)) return 0;
  const t = resolveTimes(ts, () => fp.stat());
  if (t) host(() => fs.futimesSync(fp.fd, t[0], t[1]));
  return 0;
}

/** do_sys_accessat: nonsense mode bits EINVAL before anything else. */
function doAccess(k: SysCtx, fdat: number, pathp: number, mode: number, flags: number): number {
  if (mode & ~7) throw new Errno(EINVAL);
  const r = existing(lookupAt(k, fdat, pathp, !(flags & AT_SYMLINK_NOFOLLOW)));
  if (mode !== F_OK && !r.dev && !r.st!.isSymbolicLink()) host(() => hostfs.accessSync(r.host, mode));
  return 0;
}

function doStat(k: SysCtx, fdat: number, pathp: number, ub: number, follow: boolean): number {
  const st = statOf(lookupAt(k, fdat, pathp, follow));
  k.proc.vm.write(ub, encodeStat(st));
  return 0;
}

function doReadlink(k: SysCtx, fdat: number, pathp: number, buf: number, count: number): number {
  const r = existing(lookupAt(k, fdat, pathp, false));
  if (r.dev || (r.link === undefined && !r.st!.isSymbolicLink())) throw new Errno(EINVAL);
  const target = r.link !== undefined ? Buffer.from(r.link) : host(() => hostfs.readlinkSync(r.host, { encoding: 'buffer' }));
  const n = Math.min(count, target.length);
  k.proc.vm.write(buf, target.subarray(0, n));
  return n;
}

function doMkdir(k: SysCtx, fdat: number, pathp: number, mode: number): number {
  const r = lookupAt(k, fdat, pathp, false);
  if (r.st || r.dev) throw new Errno(EEXIST);
  const m = (mode & ACCESSPERMS) & ~cwdOf(k.proc).cmask;
  host(() => hostfs.mkdirSync(r.host, m));
  host(() => hostfs.chmodSync(r.host, m));
  return 0;
}

/**
 * do_sys_mkfifoat: the path (EFAULT), namei CREATE (a missing directory ENOENT), an existing
 * name EEXIST, then a FIFO of mode (mode & ALLPERMS) & ~cmask.
 */
function doMkfifo(k: SysCtx, fdat: number, pathp: number, mode: number): number {
  const r = lookupAt(k, fdat, pathp, false);
  if (r.st || r.dev || r.link !== undefined) throw new Errno(EEXIST);
  makeHostFifo(r.host, (mode & ALLPERMS) & ~cwdOf(k.proc).cmask);
  return 0;
}

/**
 * do_sys_mknodat (vfs_syscalls.c): KAUTH_SYSTEM_MKNOD first (EPERM but for root), then the path
 * and namei CREATE (EEXIST), then the type: S_IFREG makes an empty regular file (VOP_CREATE);
 * device, bad-block and whiteout nodes are not made on the host (EOPNOTSUPP); any other type,
 * S_IFIFO included (that is mkfifo's), is EINVAL.
 */
function doMknod(k: SysCtx, fdat: number, pathp: number, mode: number, dev: number): number {
  if (k.proc.cred.euid !== 0) throw new Errno(EPERM);
  const r = lookupAt(k, fdat, pathp, false);
  if (r.st || r.dev || r.link !== undefined) throw new Errno(EEXIST);
  const type = mode & S_IFMT;
  if (type === S_IFREG) {
    const m = (mode & ALLPERMS) & ~cwdOf(k.proc).cmask;
    host(() => fs.closeSync(hostfs.openSync(r.host, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, m)));
    host(() => hostfs.chmodSync(r.host, m));
    return 0;
  }
  // A device or bad-block node with va_rdev VNOVAL (-1) is EINVAL before VOP_MKNOD is asked.
  if ((type === S_IFCHR || type === S_IFBLK || type === S_IFMT) && dev === -1) throw new Errno(EINVAL);
  if (type === S_IFCHR || type === S_IFBLK || type === S_IFMT || type === S_IFWHT) throw new Errno(EOPNOTSUPP);
  throw new Errno(EINVAL);
}

/** do_sys_unlinkat: "/" EBUSY, "." EINVAL, a directory without AT_REMOVEDIR EPERM, AT_REMOVEDIR on a non-directory ENOTDIR. */
function doUnlink(k: SysCtx, fdat: number, pathp: number, flags: number): number {
  const r = existing(lookupAt(k, fdat, pathp, false));
  if (r.dev) throw new Errno(EPERM);
  if (r.guest === '/') throw new Errno(EBUSY); // the root of a mounted file system
  if (r.last === '.') throw new Errno(EINVAL);
  if (isDir(r)) {
    if (!(flags & AT_REMOVEDIR)) throw new Errno(EPERM);
    if (r.last === '..') throw new Errno(ENOTEMPTY);
    try {
      hostfs.rmdirSync(r.host);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Errno(ENOTEMPTY);
      throw hostErrno(e);
    }
    return 0;
  }
  if (flags & AT_REMOVEDIR) throw new Errno(ENOTDIR);
  host(() => hostfs.unlinkSync(r.host));
  return 0;
}

/** do_sys_renameat (vfs_syscalls.c 1.500). */
function doRename(k: SysCtx, fromfd: number, fromp: number, tofd: number, top: number, retain = false): number {
  const from = pathArg(k, fromp);
  const to = pathArg(k, top);
  const f = existing(namei(k.proc, startDir(k, fromfd, from), from, false));
  if (f.last === '.' || f.last === '..') throw new Errno(EINVAL);
  const t = namei(k.proc, startDir(k, tofd, to), to, false);
  if (t.last === '.') throw new Errno(EISDIR);
  if (t.last === '..') throw new Errno(EINVAL);
  if (f.dev || t.dev) throw new Errno(EXDEV);
  if (t.st) {
    if (isDir(f) && !isDir(t)) throw new Errno(ENOTDIR);
    if (!isDir(f) && isDir(t)) throw new Errno(EISDIR);
  }
  if (f.guest === t.parent || t.parent.startsWith(`${f.guest}/`)) throw new Errno(EINVAL);
  if (t.st && t.st.dev === f.st!.dev && t.st.ino === f.st!.ino) {
    // One file renamed to another of its names: BSD rename removes the source name (retain 0);
    // __posix_rename leaves both (retain 1), as POSIX asks.
    if (f.guest !== t.guest && !retain) host(() => hostfs.unlinkSync(f.host));
    return 0;
  }
  try {
    hostfs.renameSync(f.host, t.host);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Errno(ENOTEMPTY);
    throw hostErrno(e);
  }
  return 0;
}

/** do_sys_linkat: the existing file is looked up before the new name is copied in. */
function doLink(k: SysCtx, fd1: number, p1: number, fd2: number, p2: number, follow: boolean): number {
  const src = existing(lookupAt(k, fd1, p1, follow));
  const dst = lookupAt(k, fd2, p2, false);
  if (dst.st || dst.dev) throw new Errno(EEXIST);
  if (src.dev) throw new Errno(EXDEV);
  if (isDir(src)) throw new Errno(EPERM);
  host(() => hostfs.linkSync(src.host, dst.host));
  return 0;
}

function doSymlink(k: SysCtx, targetp: number, fdat: number, linkp: number): number {
  const target = pathArg(k, targetp);
  const r = lookupAt(k, fdat, linkp, false);
  if (r.st || r.dev) throw new Errno(EEXIST);
  host(() => hostfs.symlinkSync(target, r.host));
  return 0;
}

function doChmod(k: SysCtx, fdat: number, pathp: number, mode: number, flags: number): number {
  const r = existing(lookupAt(k, fdat, pathp, !(flags & AT_SYMLINK_NOFOLLOW)));
  if (r.dev) throw new Errno(EPERM);
  if (r.st!.isSymbolicLink()) throw new Errno(EOPNOTSUPP); // lchmod: the host (Linux) cannot
  host(() => hostfs.chmodSync(r.host, mode & ALLPERMS));
  return 0;
}

/**
 * change_owner (sys/kern/vfs_syscalls.c): an id of -1 is left as it is. The set-id bits go as
 * NetBSD decides: with NetBSD semantics (chown, lchown, fchown, fchownat) the set-user-id bit
 * when the owner is given and the set-group-id bit when the group is; with POSIX semantics
 * (__posix_*chown) both, unless the caller is the superuser (KAUTH_VNODE_RETAIN_SUID/SGID). The
 * host's chown decides permission (EPERM); the mode is then set to NetBSD's answer.
 */
function changeOwner(k: SysCtx, target: { host: string; st: fs.BigIntStats } | VnodeFile, uid: number, gid: number, posix: boolean, nofollow: boolean): number {
  const changed = (x: number): boolean => (x | 0) !== -1;
  const u = changed(uid) ? uid : -1;
  const g = changed(gid) ? gid : -1;
  const st = target instanceof VnodeFile ? host(() => fs.fstatSync(target.fd, { bigint: true })) : target.st;
  const mode = Number(st.mode) & ALLPERMS;
  let newmode = mode;
  if (posix) {
    if (k.proc.cred.euid !== 0) newmode &= ~(S_ISUID | S_ISGID);
  } else {
    if (changed(uid)) newmode &= ~S_ISUID;
    if (changed(gid)) newmode &= ~S_ISGID;
  }
  if (target instanceof VnodeFile) {
    host(() => fs.fchownSync(target.fd, u, g));
    if ((Number(host(() => fs.fstatSync(target.fd)).mode) & ALLPERMS) !== newmode) host(() => fs.fchmodSync(target.fd, newmode));
    return 0;
  }
  const link = st.isSymbolicLink();
  host(() => (nofollow ? hostfs.lchownSync(target.host, u, g) : hostfs.chownSync(target.host, u, g)));
  // A symbolic link's mode cannot be set on the host (and has no set-id bits to lose there).
  if (!link && (Number(host(() => hostfs.statSync(target.host)).mode) & ALLPERMS) !== newmode) host(() => hostfs.chmodSync(target.host, newmode));
  return 0;
}

/** do_sys_chownat: the file by name (following a final link unless AT_SYMLINK_NOFOLLOW). */
function doChown(k: SysCtx, fdat: number, pathp: number, uid: number, gid: number, flags: number, posix: boolean): number {
  const nofollow = (flags & AT_SYMLINK_NOFOLLOW) !== 0;
  const r = existing(lookupAt(k, fdat, pathp, !nofollow));
  if (r.dev) throw new Errno(EPERM); // nbemu's own devices keep their owner
  return changeOwner(k, { host: r.host, st: r.st! }, uid, gid, posix, nofollow);
}

/** sys_fchown: fd_getvnode (EBADF, EINVAL for a file that is no vnode), then change_owner. */
function doFchown(k: SysCtx, fd: number, uid: number, gid: number, posix: boolean): number {
  const fp = getvnode(k, fd);
  if (!(fp instanceof VnodeFile)) throw new Errno(EPERM);
  return changeOwner(k, fp, uid, gid, posix, false);
}

/** struct statvfs (sys/sys/statvfs.h 1.21) of the file system holding a host path. */
function encodeStatvfs(hostPath: string, old: boolean): Uint8Array {
  const sf = host(() => hostfs.statfsSync(hostPath, { bigint: true }));
  const st = host(() => hostfs.statSync(hostPath, { bigint: true }));
  const size = old ? 2256 : STATVFS_SIZE;
  const b = Buffer.alloc(size);
  const u64 = (off: number, v: bigint | number): void => void b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), off);
  let ro = false;
  try {
    hostfs.accessSync(hostPath, fs.constants.W_OK);
  } catch (e) {
    ro = (e as NodeJS.ErrnoException).code === 'EROFS';
  }
  u64(0, MNT_LOCAL | (ro ? MNT_RDONLY : 0) | (0 & (MNT_NOEXEC | MNT_NOSUID | MNT_NODEV))); // f_flag
  u64(8, sf.bsize); // f_bsize
  u64(16, sf.bsize); // f_frsize
  u64(24, sf.bsize); // f_iosize
  u64(32, sf.blocks);
  u64(40, sf.bfree);
  u64(48, sf.bavail);
  u64(56, sf.bfree > sf.bavail ? sf.bfree - sf.bavail : 0n); // f_bresvd
  u64(64, sf.files);
  u64(72, sf.ffree);
  u64(80, sf.ffree); // f_favail
  u64(88, 0); // f_fresvd
  // f_syncreads .. f_asyncwrites (96..127) stay 0
  b.writeUInt32LE(Number(st.dev & 0xffffffffn), 128); // f_fsidx.__fsid_val[0]
  b.writeUInt32LE(Number(sf.type & 0xffffffffn), 132); // f_fsidx.__fsid_val[1]
  u64(136, st.dev); // f_fsid
  u64(144, 255); // f_namemax (the host file system's)
  b.writeUInt32LE(0, 152); // f_owner
  const names = old ? 172 : 192; // after f_spare: uint32_t[4] in statvfs90, uint64_t[4] now
  b.write(fsTypeName(sf.type), names, VFS_NAMELEN - 1, 'utf8');
  b.write('/', names + VFS_NAMELEN, VFS_MNAMELEN - 1, 'utf8'); // f_mntonname
  b.write('nbemu-host', names + VFS_NAMELEN + VFS_MNAMELEN, VFS_MNAMELEN - 1, 'utf8'); // f_mntfromname
  return b;
}

/** Linux statfs f_type magic numbers → a NetBSD-style file system type name. */
function fsTypeName(type: bigint): string {
  const names: Record<string, string> = {
    '61267': 'ext2fs', // EXT2/3/4_SUPER_MAGIC 0xef53
    '16914836': 'tmpfs', // TMPFS_MAGIC 0x01021994
    '2240043254': 'btrfs', // 0x9123683e (as unsigned)
    '1481003842': 'xfs', // 0x58465342
    '2035054128': 'overlay', // 0x794c7630
    '26985': 'nfs', // 0x6969
  };
  return names[type.toString()] ?? 'ffs';
}

function doStatvfs(k: SysCtx, hostPath: string, buf: number, old: boolean): number {
  k.proc.vm.write(buf, encodeStatvfs(hostPath, old));
  return 0;
}

/**
 * do_sys_getvfsstat (vfs_syscalls.c): the mount list as statvfs entries, as many as fit in
 * bufsize (none with a NULL buf, which asks for the count); the result is the count, or the
 * number written when buf was too small for all. nbemu's guest has one mount, its "/".
 */
function getvfsstat1(k: SysCtx, buf: number, bufsize: number, old: boolean): number {
  const entry = old ? 2256 : STATVFS_SIZE;
  const maxcount = Math.floor(bufsize / entry);
  const count = 1;
  if (buf !== 0 && maxcount > 0) k.proc.vm.write(buf, encodeStatvfs(rootOf(k.proc), old));
  return buf !== 0 && count > maxcount ? maxcount : count;
}

function fdStatvfsPath(k: SysCtx, fd: number): string {
  const fp = getvnode(k, fd);
  if (fp instanceof VnodeFile) return fp.hostPath;
  return rootOf(k.proc);
}

const PATH = { name: 'path', type: 'ptr' } as const;
const FD = { name: 'fd', type: 'fd' } as const;
const MODE = { name: 'mode', type: 'uint' } as const;
const UID = { name: 'uid', type: 'uint' } as const;
const GID = { name: 'gid', type: 'uint' } as const;
const PAD = { name: 'PAD', type: 'int' } as const;

export const fileSyscalls: SyscallDescriptor[] = [
  {
    number: 5, name: 'open', class: 'file',
    support: partial('a FIFO connects nbemu\'s processes only (not host processes); O_SHLOCK/O_EXLOCK wait before, not after, creating'),
    args: [PATH, { name: 'flags', type: 'int' }, MODE],
    handler: (k, path, flags, mode) => doOpen(k, AT_FDCWD, path, flags, mode),
  },
  {
    number: 468, name: 'openat', class: 'file',
    support: partial('as open'),
    args: [FD, PATH, { name: 'oflags', type: 'int' }, MODE],
    handler: (k, fd, path, flags, mode) => doOpen(k, fd, path, flags, mode),
  },
  {
    number: 439, name: '__stat50', class: 'file', support: full,
    args: [PATH, { name: 'ub', type: 'ptr' }],
    handler: (k, path, ub) => doStat(k, AT_FDCWD, path, ub, true),
  },
  {
    number: 441, name: '__lstat50', class: 'file', support: full,
    args: [PATH, { name: 'ub', type: 'ptr' }],
    handler: (k, path, ub) => doStat(k, AT_FDCWD, path, ub, false),
  },
  {
    number: 466, name: 'fstatat', class: 'file', support: full,
    args: [FD, PATH, { name: 'buf', type: 'ptr' }, { name: 'flag', type: 'int' }],
    handler: (k, fd, path, buf, flag) => doStat(k, fd, path, buf, !(flag & AT_SYMLINK_NOFOLLOW)),
  },
  {
    number: 33, name: 'access', class: 'file', support: partial('permissions are checked as the host user'),
    args: [PATH, { name: 'flags', type: 'int' }],
    handler: (k, path, mode) => doAccess(k, AT_FDCWD, path, mode, 0),
  },
  {
    number: 462, name: 'faccessat', class: 'file', support: partial('permissions are checked as the host user'),
    args: [FD, PATH, { name: 'amode', type: 'int' }, { name: 'flag', type: 'int' }],
    handler: (k, fd, path, mode, flag) => doAccess(k, fd, path, mode, flag),
  },
  {
    number: 390, name: '__getdents30', class: 'file', support: full,
    args: [FD, { name: 'buf', type: 'ptr' }, { name: 'count', type: 'size' }],
    handler(k, fd, buf, count) {
      const fp = getvnode(k, fd);
      if (!(fp.flag & FREAD)) throw new Errno(EBADF);
      if (!(fp instanceof VnodeFile) || !fp.isDir) throw new Errno(EINVAL); // vn_readdir: v_type != VDIR
      const before = fp.offset;
      const data = fp.readdir(count);
      try {
        k.proc.vm.write(buf, data);
      } catch (e) {
        fp.offset = before;
        throw e;
      }
      return data.length;
    },
  },
  {
    number: 58, name: 'readlink', class: 'file', support: full,
    args: [PATH, { name: 'buf', type: 'ptr' }, { name: 'count', type: 'size' }],
    handler: (k, path, buf, count) => doReadlink(k, AT_FDCWD, path, buf, count),
  },
  {
    number: 469, name: 'readlinkat', class: 'file', support: full,
    args: [FD, PATH, { name: 'buf', type: 'ptr' }, { name: 'bufsize', type: 'size' }],
    handler: (k, fd, path, buf, count) => doReadlink(k, fd, path, buf, count),
  },
  {
    number: 296, name: '__getcwd', class: 'file', support: full,
    args: [{ name: 'bufp', type: 'ptr' }, { name: 'length', type: 'size' }],
    handler(k, bufp, length) {
      // sys___getcwd (vfs_getcwd.c): length clamped to MAXPATHLEN*4, under 2 ERANGE; the result
      // is the length written, NUL included.
      const len = Math.min(length, GETCWD_MAX);
      if (len < 2) throw new Errno(ERANGE);
      const cwd = cwdOf(k.proc).cwd;
      const st = hostfs.statSync(rootOf(k.proc) === '/' ? cwd : rootOf(k.proc) + (cwd === '/' ? '' : cwd), { throwIfNoEntry: false });
      if (!st) throw new Errno(ENOENT);
      const b = Buffer.from(`${cwd}\0`);
      if (b.length > len) throw new Errno(ERANGE);
      k.proc.vm.write(bufp, b);
      return b.length;
    },
  },
  {
    number: 12, name: 'chdir', class: 'file', support: full,
    args: [PATH],
    handler: (k, pathp) => chdirPath(k, pathArg(k, pathp)),
  },
  {
    number: 61, name: 'chroot', class: 'file', support: full,
    args: [PATH],
    handler(k, pathp) {
      // sys_chroot: KAUTH_SYSTEM_CHROOT first (the superuser only: EPERM), then chdir_lookup
      // (a directory, ENOTDIR; search permission, EACCES), then change_root.
      if (k.proc.cred.euid !== 0) throw new Errno(EPERM);
      const r = existing(lookupAt(k, AT_FDCWD, pathp, true));
      if (r.dev || !isDir(r)) throw new Errno(ENOTDIR);
      host(() => hostfs.accessSync(r.host, fs.constants.X_OK));
      changeRoot(k.proc, r.host);
      return 0;
    },
  },
  {
    number: 297, name: 'fchroot', class: 'file', support: full,
    args: [FD],
    handler(k, fd) {
      // sys_fchroot: the same permission first, then fd_getvnode (EBADF, EINVAL), a directory
      // (ENOTDIR) that can be searched (EACCES).
      if (k.proc.cred.euid !== 0) throw new Errno(EPERM);
      const fp = getvnode(k, fd);
      if (!(fp instanceof VnodeFile) || !fp.isDir) throw new Errno(ENOTDIR);
      host(() => hostfs.accessSync(fp.hostPath, fs.constants.X_OK));
      changeRoot(k.proc, fp.hostPath); // even a directory outside the current root (no vn_isunder here)
      return 0;
    },
  },
  {
    number: 13, name: 'fchdir', class: 'file', support: full,
    args: [FD],
    handler: (k, fd) => fchdirFd(k, fd),
  },
  {
    number: 136, name: 'mkdir', class: 'file', support: full,
    args: [PATH, MODE],
    handler: (k, path, mode) => doMkdir(k, AT_FDCWD, path, mode),
  },
  {
    number: 461, name: 'mkdirat', class: 'file', support: full,
    args: [FD, PATH, MODE],
    handler: (k, fd, path, mode) => doMkdir(k, fd, path, mode),
  },
  {
    number: 132, name: 'mkfifo', class: 'file', support: partial('the FIFO is a real one on the host, made with the host\'s mkfifo(1); it connects nbemu\'s processes'),
    args: [PATH, MODE],
    handler: (k, path, mode) => doMkfifo(k, AT_FDCWD, path, mode),
  },
  {
    number: 459, name: 'mkfifoat', class: 'file', support: partial('as mkfifo'),
    args: [FD, PATH, MODE],
    handler: (k, fd, path, mode) => doMkfifo(k, fd, path, mode),
  },
  {
    number: 450, name: '__mknod50', class: 'file', support: partial('regular files only: device, bad-block and whiteout nodes answer EOPNOTSUPP (they are not made on the host)'),
    args: [PATH, MODE, { name: 'dev', type: 'long' }],
    handler: (k, path, mode, dev) => doMknod(k, AT_FDCWD, path, mode, dev),
  },
  {
    // syscalls.master since dev_t became 64-bit: mknodat(int fd, const char *path, mode_t mode,
    // int PAD, dev_t dev) (the comment in vfs_syscalls.c sys_mknodat).
    number: 460, name: 'mknodat', class: 'file', support: partial('as __mknod50'),
    args: [FD, PATH, MODE, PAD, { name: 'dev', type: 'long' }],
    handler: (k, fd, path, mode, _pad, dev) => doMknod(k, fd, path, mode, dev),
  },
  {
    number: 137, name: 'rmdir', class: 'file', support: full,
    args: [PATH],
    handler: (k, path) => doUnlink(k, AT_FDCWD, path, AT_REMOVEDIR),
  },
  {
    number: 10, name: 'unlink', class: 'file', support: full,
    args: [PATH],
    handler: (k, path) => doUnlink(k, AT_FDCWD, path, 0),
  },
  {
    number: 471, name: 'unlinkat', class: 'file', support: full,
    args: [FD, PATH, { name: 'flag', type: 'int' }],
    handler: (k, fd, path, flag) => doUnlink(k, fd, path, flag),
  },
  {
    number: 128, name: 'rename', class: 'file', support: full,
    args: [{ name: 'from', type: 'ptr' }, { name: 'to', type: 'ptr' }],
    handler: (k, from, to) => doRename(k, AT_FDCWD, from, AT_FDCWD, to),
  },
  {
    number: 270, name: '__posix_rename', class: 'file', support: full,
    args: [{ name: 'from', type: 'ptr' }, { name: 'to', type: 'ptr' }],
    // sys___posix_rename → do_sys_renameat(..., retain = 1) (vfs_syscalls.c).
    handler: (k, from, to) => doRename(k, AT_FDCWD, from, AT_FDCWD, to, true),
  },
  {
    number: 458, name: 'renameat', class: 'file', support: full,
    args: [{ name: 'fromfd', type: 'fd' }, { name: 'from', type: 'ptr' }, { name: 'tofd', type: 'fd' }, { name: 'to', type: 'ptr' }],
    handler: (k, fromfd, from, tofd, to) => doRename(k, fromfd, from, tofd, to),
  },
  {
    number: 9, name: 'link', class: 'file', support: full,
    args: [PATH, { name: 'link', type: 'ptr' }],
    handler: (k, path, link) => doLink(k, AT_FDCWD, path, AT_FDCWD, link, true),
  },
  {
    number: 457, name: 'linkat', class: 'file', support: full,
    args: [{ name: 'fd1', type: 'fd' }, { name: 'name1', type: 'ptr' }, { name: 'fd2', type: 'fd' }, { name: 'name2', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler: (k, fd1, n1, fd2, n2, flags) => doLink(k, fd1, n1, fd2, n2, (flags & AT_SYMLINK_FOLLOW) !== 0),
  },
  {
    number: 57, name: 'symlink', class: 'file', support: full,
    args: [PATH, { name: 'link', type: 'ptr' }],
    handler: (k, path, link) => doSymlink(k, path, AT_FDCWD, link),
  },
  {
    number: 470, name: 'symlinkat', class: 'file', support: full,
    args: [{ name: 'path1', type: 'ptr' }, FD, { name: 'path2', type: 'ptr' }],
    handler: (k, path1, fd, path2) => doSymlink(k, path1, fd, path2),
  },
  {
    number: 15, name: 'chmod', class: 'file', support: full,
    args: [PATH, MODE],
    handler: (k, path, mode) => doChmod(k, AT_FDCWD, path, mode, 0),
  },
  {
    number: 16, name: 'chown', class: 'file', support: partial('the host decides permission (nbemu runs as the host user)'),
    args: [PATH, UID, GID],
    handler: (k, path, uid, gid) => doChown(k, AT_FDCWD, path, uid, gid, 0, false),
  },
  {
    number: 123, name: 'fchown', class: 'file', support: partial('as chown'),
    args: [FD, UID, GID],
    handler: (k, fd, uid, gid) => doFchown(k, fd, uid, gid, false),
  },
  {
    number: 275, name: 'lchown', class: 'file', support: partial('as chown'),
    args: [PATH, UID, GID],
    handler: (k, path, uid, gid) => doChown(k, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW, false),
  },
  {
    number: 283, name: '__posix_chown', class: 'file', support: partial('as chown'),
    args: [PATH, UID, GID],
    handler: (k, path, uid, gid) => doChown(k, AT_FDCWD, path, uid, gid, 0, true),
  },
  {
    number: 284, name: '__posix_fchown', class: 'file', support: partial('as chown'),
    args: [FD, UID, GID],
    handler: (k, fd, uid, gid) => doFchown(k, fd, uid, gid, true),
  },
  {
    number: 285, name: '__posix_lchown', class: 'file', support: partial('as chown'),
    args: [PATH, UID, GID],
    handler: (k, path, uid, gid) => doChown(k, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW, true),
  },
  {
    number: 464, name: 'fchownat', class: 'file', support: partial('as chown'),
    args: [FD, PATH, UID, GID, { name: 'flag', type: 'int' }],
    handler: (k, fd, path, uid, gid, flag) => doChown(k, fd, path, uid, gid, flag, false),
  },
  {
    number: 124, name: 'fchmod', class: 'file', support: full,
    args: [FD, MODE],
    handler(k, fd, mode) {
      const fp = getvnode(k, fd);
      if (fp instanceof VnodeFile) host(() => fs.fchmodSync(fp.fd, mode & ALLPERMS));
      return 0;
    },
  },
  {
    number: 463, name: 'fchmodat', class: 'file', support: partial('AT_SYMLINK_NOFOLLOW on a symbolic link answers EOPNOTSUPP (no lchmod on the host)'),
    args: [FD, PATH, MODE, { name: 'flag', type: 'int' }],
    handler: (k, fd, path, mode, flag) => doChmod(k, fd, path, mode, flag),
  },
  {
    number: 274, name: 'lchmod', class: 'file', support: partial('on a symbolic link EOPNOTSUPP (the host, Linux, keeps no modes for links); other files as chmod'),
    args: [PATH, MODE],
    // sys_lchmod → do_sys_chmodat(l, AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW) (vfs_syscalls.c).
    handler: (k, path, mode) => doChmod(k, AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW),
  },
  {
    number: 420, name: '__utimes50', class: 'file', support: full,
    args: [PATH, { name: 'tptr', type: 'ptr' }],
    handler: (k, path, tptr) => utimesPath(k, AT_FDCWD, path, tptr, true, true),
  },
  {
    number: 423, name: '__futimes50', class: 'file', support: full,
    args: [FD, { name: 'tptr', type: 'ptr' }],
    handler: (k, fd, tptr) => utimesFd(k, fd, tptr, true),
  },
  {
    number: 424, name: '__lutimes50', class: 'file', support: full,
    args: [PATH, { name: 'tptr', type: 'ptr' }],
    handler: (k, path, tptr) => utimesPath(k, AT_FDCWD, path, tptr, true, false),
  },
  {
    number: 467, name: 'utimensat', class: 'file', support: full,
    args: [FD, PATH, { name: 'tptr', type: 'ptr' }, { name: 'flag', type: 'int' }],
    handler: (k, fd, path, tptr, flag) => utimesPath(k, fd, path, tptr, false, !(flag & AT_SYMLINK_NOFOLLOW)),
  },
  {
    number: 472, name: 'futimens', class: 'file', support: full,
    args: [FD, { name: 'tptr', type: 'ptr' }],
    handler: (k, fd, tptr) => utimesFd(k, fd, tptr, false),
  },
  {
    number: 36, name: 'sync', class: 'file',
    support: partial('the changed pages of mapped files go to the host files (nbemu keeps no other file data); the host\'s own cache is the host\'s to write'),
    args: [],
    handler() {
      syncAll(); // do_sys_sync: VFS_SYNC(MNT_NOWAIT) on every mount
      return 0;
    },
  },
  {
    number: 191, name: 'pathconf', class: 'file', support: full,
    args: [PATH, { name: 'name', type: 'int' }],
    handler(k, path, name) {
      // sys_pathconf (vfs_syscalls.c): namei with FOLLOW (its errors first), then VOP_PATHCONF.
      const r = existing(lookupAt(k, AT_FDCWD, path, true));
      const spec = r.dev !== undefined || r.st?.isCharacterDevice() === true || r.st?.isBlockDevice() === true;
      return vopPathconf(spec ? 'spec' : r.link !== undefined ? 'genfs' : 'ufs', name);
    },
  },
  {
    number: 354, name: 'fsync_range', class: 'file', support: full,
    args: [FD, { name: 'flags', type: 'int' }, { name: 'start', type: 'long' }, { name: 'length', type: 'long' }],
    handler(k, fd, flags, start, length) {
      // sys_fsync_range: fd_getvnode (EBADF, EINVAL), open for writing (EBADF), exactly one of
      // FDATASYNC and FFILESYNC (EINVAL), a range inside off_t when length is not 0 (EINVAL),
      // then VOP_FSYNC (the whole file here: the host has no ranged fsync, which is allowed).
      const fp = getvnode(k, fd);
      if (!(fp.flag & FWRITE)) throw new Errno(EBADF);
      const sync = flags & (FDATASYNC | FFILESYNC);
      if (sync === 0 || sync === (FDATASYNC | FFILESYNC)) throw new Errno(EINVAL);
      if (length !== 0 && (start < 0 || length < 0 || length > Number.MAX_SAFE_INTEGER - start)) throw new Errno(EINVAL);
      if (fp instanceof VnodeFile) fp.fsync((flags & FDATASYNC) !== 0);
      return 0;
    },
  },
  {
    number: 95, name: 'fsync', class: 'file', support: full,
    args: [FD],
    handler(k, fd) {
      const fp = getvnode(k, fd);
      if (fp instanceof VnodeFile) fp.fsync(false);
      return 0;
    },
  },
  {
    number: 241, name: 'fdatasync', class: 'file', support: full,
    args: [FD],
    handler(k, fd) {
      const fp = getvnode(k, fd);
      if (!(fp.flag & FWRITE)) throw new Errno(EBADF);
      if (fp instanceof VnodeFile) fp.fsync(true);
      return 0;
    },
  },
  {
    number: 201, name: 'ftruncate', class: 'file', support: full,
    args: [FD, PAD, { name: 'length', type: 'long' }],
    handler(k, fd, _pad, length) {
      if (length < 0) throw new Errno(EINVAL);
      const fp = getvnode(k, fd);
      if (!(fp.flag & FWRITE)) throw new Errno(EINVAL);
      if (fp instanceof VnodeFile) {
        if (fp.isDir) throw new Errno(EISDIR);
        host(() => fs.ftruncateSync(fp.fd, length));
        vnodeObject(fp.lockKey)?.refreshSize(); // uvm_vnp_setsize: mappings lose the pages past the end
      }
      return 0;
    },
  },
  {
    number: 200, name: 'truncate', class: 'file', support: full,
    args: [PATH, PAD, { name: 'length', type: 'long' }],
    handler(k, pathp, _pad, length) {
      if (length < 0) throw new Errno(EINVAL);
      const r = existing(lookupAt(k, AT_FDCWD, pathp, true));
      if (r.dev) return 0;
      if (isDir(r)) throw new Errno(EISDIR);
      host(() => hostfs.truncateSync(r.host, length));
      vnodeObject(`${r.st!.dev}:${r.st!.ino}`)?.refreshSize(); // uvm_vnp_setsize
      return 0;
    },
  },
  {
    number: 199, name: 'lseek', class: 'file', support: full,
    args: [FD, PAD, { name: 'offset', type: 'long' }, { name: 'whence', type: 'int' }],
    handler(k, fd, _pad, offset, whence) {
      const fp = seekable(k.proc.fd.get(fd));
      return seek(fp, offset, whence);
    },
  },
  {
    number: 173, name: 'pread', class: 'file', support: full,
    args: [FD, { name: 'buf', type: 'ptr' }, { name: 'nbyte', type: 'size' }, PAD, { name: 'offset', type: 'long' }],
    handler(k, fd, buf, nbyte, _pad, offset) {
      const fp0 = k.proc.fd.get(fd);
      if (!(fp0.flag & FREAD)) throw new Errno(EBADF);
      const fp = seekable(fp0);
      if (offset < 0) throw new Errno(EINVAL);
      return fp.readAt(Uio.single(k.proc.vm, buf, nbyte, 'read'), offset);
    },
  },
  {
    number: 174, name: 'pwrite', class: 'file', support: full,
    args: [FD, { name: 'buf', type: 'ptr' }, { name: 'nbyte', type: 'size' }, PAD, { name: 'offset', type: 'long' }],
    handler(k, fd, buf, nbyte, _pad, offset) {
      const fp0 = k.proc.fd.get(fd);
      if (!(fp0.flag & FWRITE)) throw new Errno(EBADF);
      const fp = seekable(fp0);
      if (offset < 0) throw new Errno(EINVAL);
      return fp.writeAt(Uio.single(k.proc.vm, buf, nbyte, 'write'), offset);
    },
  },
  {
    number: 289, name: 'preadv', class: 'file', support: full,
    args: [FD, { name: 'iovp', type: 'ptr' }, { name: 'iovcnt', type: 'int' }, PAD, { name: 'offset', type: 'long' }],
    handler(k, fd, iovp, iovcnt, _pad, offset) {
      // do_filereadv with an offset: iovcnt 0 first (EINVAL), the descriptor (EBADF), a vnode
      // that is not a FIFO (ESPIPE), the offset (VOP_SEEK: EINVAL), then the iovecs.
      if (iovcnt === 0) throw new Errno(EINVAL);
      const fp0 = k.proc.fd.get(fd);
      if (!(fp0.flag & FREAD)) throw new Errno(EBADF);
      const fp = seekable(fp0);
      if (offset < 0) throw new Errno(EINVAL);
      return fp.readAt(Uio.fromIovecs(k.proc.vm, iovp, iovcnt, 'read'), offset);
    },
  },
  {
    number: 290, name: 'pwritev', class: 'file', support: full,
    args: [FD, { name: 'iovp', type: 'ptr' }, { name: 'iovcnt', type: 'int' }, PAD, { name: 'offset', type: 'long' }],
    handler(k, fd, iovp, iovcnt, _pad, offset) {
      // do_filewritev with an offset, in the same order.
      if (iovcnt === 0) throw new Errno(EINVAL);
      const fp0 = k.proc.fd.get(fd);
      if (!(fp0.flag & FWRITE)) throw new Errno(EBADF);
      const fp = seekable(fp0);
      if (offset < 0) throw new Errno(EINVAL);
      return fp.writeAt(Uio.fromIovecs(k.proc.vm, iovp, iovcnt, 'write'), offset);
    },
  },
  {
    number: 484, name: '__statvfs190', class: 'file',
    support: partial('counts from the host statfs; f_mntonname is "/", f_flag only MNT_LOCAL/MNT_RDONLY'),
    args: [PATH, { name: 'buf', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler(k, pathp, buf) {
      const r = existing(lookupAt(k, AT_FDCWD, pathp, true));
      return doStatvfs(k, r.dev ? rootOf(k.proc) : r.host, buf, false);
    },
  },
  {
    number: 485, name: '__fstatvfs190', class: 'file', support: partial('as __statvfs190'),
    args: [FD, { name: 'buf', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler: (k, fd, buf) => doStatvfs(k, fdStatvfsPath(k, fd), buf, false),
  },
  {
    number: 357, name: 'statvfs1', class: 'file', support: partial('compat (struct statvfs90); as __statvfs190'),
    args: [PATH, { name: 'buf', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler(k, pathp, buf) {
      const r = existing(lookupAt(k, AT_FDCWD, pathp, true));
      return doStatvfs(k, r.dev ? rootOf(k.proc) : r.host, buf, true);
    },
  },
  {
    number: 358, name: 'fstatvfs1', class: 'file', support: partial('compat (struct statvfs90); as __statvfs190'),
    args: [FD, { name: 'buf', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler: (k, fd, buf) => doStatvfs(k, fdStatvfsPath(k, fd), buf, true),
  },
  {
    number: 483, name: '__getvfsstat90', class: 'file', support: partial('one file system, the guest\'s "/", as __statvfs190 reports it'),
    args: [{ name: 'buf', type: 'ptr' }, { name: 'bufsize', type: 'size' }, { name: 'flags', type: 'int' }],
    handler: (k, buf, bufsize) => getvfsstat1(k, buf, bufsize, false),
  },
  {
    number: 356, name: 'getvfsstat', class: 'file', support: partial('compat (struct statvfs90); as __getvfsstat90'),
    args: [{ name: 'buf', type: 'ptr' }, { name: 'bufsize', type: 'size' }, { name: 'flags', type: 'int' }],
    handler: (k, buf, bufsize) => getvfsstat1(k, buf, bufsize, true),
  },
  {
    number: 131, name: 'flock', class: 'file', support: partial('locks are shared among nbemu\'s processes only, not with host processes'),
    args: [FD, { name: 'how', type: 'int' }],
    handler(k, fd, how) {
      // sys_flock (sys/kern/sys_descrip.c 1.48): EBADF, then EOPNOTSUPP for a file without
      // fo_advlock (not a vnode), then `how & ~LOCK_NB` must be exactly LOCK_UN, LOCK_EX or
      // LOCK_SH (EINVAL otherwise: LOCK_SH|LOCK_EX is no request).
      const p = k.proc;
      const fp = p.fd.get(fd);
      if (fp.lockKey === undefined) throw new Errno(EOPNOTSUPP);
      const op = how & ~LOCK_NB;
      if (op !== LOCK_UN && op !== LOCK_EX && op !== LOCK_SH) throw new Errno(EINVAL);
      flock(fp.lockKey, fp, how & (op | LOCK_NB), { proc: p, pid: p.pid, uid: p.cred.euid });
      return 0;
    },
  },
  {
    number: 60, name: 'umask', class: 'file', support: full,
    args: [{ name: 'newmask', type: 'uint' }],
    handler(k, newmask) {
      const c = cwdOf(k.proc);
      const old = c.cmask;
      c.cmask = newmask & ALLPERMS;
      return old;
    },
  },
];
