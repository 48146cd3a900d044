// Descriptor and I/O calls: read, write, readv, writev, close, dup, dup2, dup3, fcntl, ioctl, __fstat50.
// Orders of checks follow sys/kern/sys_generic.c 1.130 and sys/kern/sys_descrip.c 1.48
// (docs/netbsd-semantics.md §4–6).

import {
  EAGAIN, EBADF, EINVAL, EPIPE, F_CLOSEM, F_DUPFD, F_DUPFD_CLOEXEC, F_DUPFD_CLOFORK, F_GETFD, F_GETFL,
  F_GETNOSIGPIPE, F_MAXFD, F_SETFD, F_SETFL, F_SETNOSIGPIPE, FCNTLFLAGS, FD_CLOEXEC, FD_CLOFORK,
  FFLAGS, FNONBLOCK, FNOSIGPIPE, FREAD, FWRITE, O_CLOEXEC, O_CLOFORK, O_NONBLOCK, O_NOSIGPIPE,
  OFLAGS, RLIMIT_NOFILE, SIGPIPE, F_GETLK, F_SETLK, F_SETLKW, F_RDLCK, F_WRLCK, F_UNLCK, F_POSIX, F_WAIT,
  FLOCK_SIZE, SEEK_CUR, SEEK_END, F_GETOWN, F_SETOWN, F_GETPATH, MAXPATHLEN, ENAMETOOLONG, FASYNC, FIOASYNC, FIOCLEX, FIOGETOWN, FIONBIO, FIONCLEX, FIOSETOWN, IOC_IN,
  IOC_OUT, IOC_VOID, IOCPARM_LEN, IOCPARM_MAX, ENOTTY, EPASSTHROUGH, ESPIPE, EOPNOTSUPP, POSIX_FADV_NORMAL,
  POSIX_FADV_NOREUSE,
} from '../src/kernel/constants.js';
import { IoctlData } from '../src/kernel/ioctl.js';
import { rootOf } from '../src/kernel/vfs.js';
import { lfAdvlock, type FlockArg } from '../src/kernel/lockf.js';
import type { Seekable } from '../src/kernel/vnode.js';
import { Errno } from '../src/kernel/errno.js';
import { ttyJobControl } from '../src/kernel/tty.js';
import { Sleep } from '../src/kernel/sleepq.js';
import { Pipe, PipeFile } from '../src/kernel/pipe.js';
import { FifoFile } from '../src/kernel/fifo.js';
import type { File } from '../src/kernel/file.js';
import type { Proc } from '../src/kernel/proc.js';
import { Uio } from '../src/kernel/uio.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';
import { encodeStat } from './structs.js';

/**
 * F_GETLK, F_SETLK, F_SETLKW (sys/kern/sys_descrip.c 1.48 sys_fcntl → do_fcntl_lock →
 * vn_advlock → lf_advlock): the struct flock is copied in first (EFAULT before EBADF); then the
 * descriptor (EBADF), a file that takes locks (EINVAL for pipes, sockets, kqueues), the lock
 * type against the open mode (a read lock needs FREAD, a write lock FWRITE: EBADF; another
 * type EINVAL); SEEK_CUR counts from the file offset. F_GETLK copies the answer back out.
 */
function fcntlLock(k: SysCtx, fd: number, cmd: number, arg: number): number {
  const p = k.proc;
  const b = p.vm.read(arg, FLOCK_SIZE);
  const dv = new DataView(b.buffer, b.byteOffset, FLOCK_SIZE);
  const fl: FlockArg = {
    start: dv.getBigInt64(0, true), len: dv.getBigInt64(8, true), pid: dv.getInt32(16, true),
    type: dv.getInt16(20, true), whence: dv.getInt16(22, true),
  };
  const fp = p.fd.get(fd);
  const key = fp.lockKey;
  if (key === undefined) throw new Errno(EINVAL); // no fo_advlock
  const f = fp as File & Seekable;
  // vn_advlock: SEEK_CUR is made absolute before VOP_ADVLOCK.
  if (fl.whence === SEEK_CUR) fl.start = BigInt.asIntN(64, fl.start + BigInt(f.offset));
  const caller = { proc: p, pid: p.pid, uid: p.cred.euid };
  const size = fl.whence === SEEK_END ? f.seekSize() : 0;
  if (cmd === F_GETLK) {
    if (fl.type !== F_RDLCK && fl.type !== F_WRLCK && fl.type !== F_UNLCK) throw new Errno(EINVAL);
    lfAdvlock(key, p, F_GETLK, fl, F_POSIX, size, caller);
    const out = new Uint8Array(FLOCK_SIZE);
    const o = new DataView(out.buffer);
    o.setBigInt64(0, fl.start, true);
    o.setBigInt64(8, fl.len, true);
    o.setInt32(16, fl.pid, true);
    o.setInt16(20, fl.type, true);
    o.setInt16(22, fl.whence, true);
    p.vm.write(arg, out);
    return 0;
  }
  const flg = F_POSIX | (cmd === F_SETLKW ? F_WAIT : 0);
  switch (fl.type) {
    case F_RDLCK:
    case F_WRLCK:
      if (!(fp.flag & (fl.type === F_RDLCK ? FREAD : FWRITE))) throw new Errno(EBADF);
      p.advlock = true; // PK_ADVLOCK
      lfAdvlock(key, p, F_SETLK, fl, flg, size, caller);
      return 0;
    case F_UNLCK:
      lfAdvlock(key, p, F_UNLCK, fl, F_POSIX, size, caller);
      return 0;
    default:
      throw new Errno(EINVAL);
  }
}

/**
 * sys_ioctl (sys/kern/sys_generic.c): the descriptor (EBADF, also for a file open for neither
 * reading nor writing); FIOCLEX/FIONCLEX act on the descriptor; a parameter longer than
 * IOCPARM_MAX is ENOTTY; the argument is copied in for IOC_IN (EFAULT), zeroed for IOC_OUT, and
 * is the pointer itself for IOC_VOID or a command with no parameter word; FIONBIO and FIOASYNC
 * set or clear FNONBLOCK / FASYNC before the file is told (left so if it then fails); the answer
 * is copied out for IOC_OUT (EFAULT) after success. EPASSTHROUGH becomes ENOTTY.
 */
function sysIoctl(k: SysCtx, fd: number, com: number, uaddr: number): number {
  const slot = k.proc.fd.slot(fd);
  const fp = slot.file;
  if (!(fp.flag & (FREAD | FWRITE))) throw new Errno(EBADF);
  if (com === FIOCLEX || com === FIONCLEX) {
    slot.flags = com === FIOCLEX ? slot.flags | FD_CLOEXEC : slot.flags & ~FD_CLOEXEC;
    return 0;
  }
  const size = IOCPARM_LEN(com);
  if (size > IOCPARM_MAX) throw new Errno(ENOTTY);
  const lo = com % 0x1_0000_0000; // the direction bits
  const data = new IoctlData(size);
  if (Math.floor(com / 0x10000) === 0) {
    data.view.setBigUint64(0, BigInt(uaddr), true); // UNIX-style ioctl: the address itself
  } else if (lo & IOC_IN) {
    if (size) data.bytes.set(k.proc.vm.read(uaddr, size));
    else data.view.setBigUint64(0, BigInt(uaddr), true);
  } else if (!(lo & IOC_OUT && size) && lo & IOC_VOID) {
    data.view.setBigUint64(0, BigInt(uaddr), true);
  }
  try {
    if (com === FIONBIO || com === FIOASYNC) {
      const bit = com === FIONBIO ? FNONBLOCK : FASYNC;
      fp.flag = data.int !== 0 ? fp.flag | bit : fp.flag & ~bit;
      fp.ioctl(com, data, k);
    } else {
      fp.ioctl(com, data, k);
      if (lo & IOC_OUT && size) k.proc.vm.write(uaddr, data.bytes.subarray(0, size));
    }
  } catch (e) {
    if (e instanceof Errno && e.errno === EPASSTHROUGH) throw new Errno(ENOTTY);
    throw e;
  }
  return 0;
}

/** The terminal's job control for a read or write of `fp` (ttread/ttwrite; src/kernel/tty.ts). */
function ttcheck(k: SysCtx, fp: File, op: 'read' | 'write'): File {
  const fd = fp.terminalFd;
  if (fd !== undefined) ttyJobControl(k, fd, op);
  return fp;
}

/** fd_getfile plus the FREAD/FWRITE check of sys_read/sys_write: EBADF either way. */
function fileFor(p: Proc, fd: number, mode: number): File {
  const fp = p.fd.get(fd);
  if (!(fp.flag & mode)) throw new Errno(EBADF);
  return fp;
}

/**
 * dofilewrite: a blocking write goes on until everything is written, sleeping whenever the
 * file is full; what was written before a sleep is kept across the call's re-executions (and
 * is the result if a signal interrupts it). A non-blocking write returns the count so far.
 * EPIPE posts a process-directed SIGPIPE unless the file has FNOSIGPIPE.
 */
function dofilewrite(p: Proc, fp: File, uio: Uio): number {
  const st = (p.restartState as { done: number } | undefined) ?? { done: 0 };
  uio.skip(st.done);
  const nonblock = fp.nonblocking;
  // A reader may have finished this write while the writer slept (Socket.receive's refill).
  if (st.done > 0 && uio.resid === 0) return st.done;
  const l = p.curlwp;
  if (!nonblock) uio.pending = { progress: st, sleeping: () => l.state === 'sleeping' && l.restartPending && l.restartState === st };
  if (fp.type === 'socket') uio.sender = { pid: p.pid, uid: p.cred.uid, euid: p.cred.euid, gid: p.cred.gid, egid: p.cred.egid };
  try {
    do {
      st.done += fp.write(uio, nonblock);
    } while (uio.resid > 0 && !nonblock);
    return st.done;
  } catch (e) {
    if (e instanceof Sleep) {
      p.restartState = st;
      throw e;
    }
    if (st.done > 0 && e instanceof Errno && e.errno === EAGAIN) return st.done;
    if (e instanceof Errno && e.errno === EPIPE && !(fp.flag & FNOSIGPIPE)) p.psignal(SIGPIPE);
    throw e;
  }
}

function nofileLimit(p: Proc, maxfiles: number): number {
  return Math.min(Number(p.limits[RLIMIT_NOFILE]!.cur), maxfiles);
}

/** dodup (sys_descrip.c): dup2 passes flags 0, dup3 its flags. */
export function dodup(k: SysCtx, from: number, to: number, flags: number, isDup3: boolean): number {
  const p = k.proc;
  const fp = p.fd.get(from);
  if (to < 0 || to >= nofileLimit(p, k.machine.files.maxfiles)) throw new Errno(EBADF);
  // kern_descrip.c fd_dup2: flags other than these are EINVAL.
  if (isDup3 && flags & ~(O_CLOEXEC | O_CLOFORK | O_NONBLOCK | O_NOSIGPIPE)) throw new Errno(EINVAL);
  if (from === to) return to; // nothing changes, not even close-on-exec (netbsd-10 dup3 too)
  p.fd.dupTo(from, to, (flags & O_CLOEXEC ? FD_CLOEXEC : 0) | (flags & O_CLOFORK ? FD_CLOFORK : 0));
  fp.flag |= (flags & O_NONBLOCK ? FNONBLOCK : 0) | (flags & O_NOSIGPIPE ? FNOSIGPIPE : 0);
  return to;
}

/**
 * pipe1 (sys/kern/sys_pipe.c + uipc_syscalls.c): a read end and a write end, the descriptors
 * allocated in that order (EMFILE, ENFILE), with the O_* flags of pipe2 applied to both.
 */
function makePipe(k: SysCtx, flags: number): [number, number] {
  const p = k.proc;
  const pipe = new Pipe(p.cred.euid, p.cred.egid);
  const fdflags = (flags & O_CLOEXEC ? FD_CLOEXEC : 0) | (flags & O_CLOFORK ? FD_CLOFORK : 0);
  const fflag = (flags & O_NONBLOCK ? FNONBLOCK : 0) | (flags & O_NOSIGPIPE ? FNOSIGPIPE : 0);
  const rfd = p.fd.allocForNewFile();
  p.fd.affix(rfd, new PipeFile(k.machine.files, pipe, 'read', fflag), fdflags);
  try {
    const wfd = p.fd.allocForNewFile();
    p.fd.affix(wfd, new PipeFile(k.machine.files, pipe, 'write', fflag), fdflags);
    return [rfd, wfd];
  } catch (e) {
    p.fd.close(rfd);
    throw e;
  }
}

export const fdSyscalls: SyscallDescriptor[] = [
  {
    number: 42, name: 'pipe', class: 'file', support: full, args: [],
    handler(k) {
      const [r, w] = makePipe(k, 0);
      k.rdx = w; // both descriptors come back in registers: rax, rdx
      return r;
    },
  },
  {
    number: 453, name: 'pipe2', class: 'file', support: full,
    args: [{ name: 'fildes', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler(k, fildes, flags) {
      if (flags & ~(O_CLOEXEC | O_CLOFORK | O_NONBLOCK | O_NOSIGPIPE)) throw new Errno(EINVAL);
      const [r, w] = makePipe(k, flags);
      const out = new Uint8Array(8);
      const dv = new DataView(out.buffer);
      dv.setInt32(0, r, true);
      dv.setInt32(4, w, true);
      // sys_pipe2 copies the descriptors out after making the pipe; when that faults it returns
      // EFAULT and the two descriptors stay open (unlike socketpair, which aborts them).
      k.proc.vm.write(fildes, out);
      return 0;
    },
  },
  {
    number: 3, name: 'read', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }, { name: 'buf', type: 'ptr' }, { name: 'nbyte', type: 'size' }],
    handler(k, fd, buf, nbyte) {
      const fp = ttcheck(k, fileFor(k.proc, fd, FREAD), 'read');
      return fp.read(Uio.single(k.proc.vm, buf, nbyte, 'read'), fp.nonblocking);
    },
  },
  {
    number: 4, name: 'write', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }, { name: 'buf', type: 'ptr' }, { name: 'nbyte', type: 'size' }],
    handler(k, fd, buf, nbyte) {
      const fp = ttcheck(k, fileFor(k.proc, fd, FWRITE), 'write');
      return dofilewrite(k.proc, fp, Uio.single(k.proc.vm, buf, nbyte, 'write'));
    },
  },
  {
    number: 120, name: 'readv', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }, { name: 'iovp', type: 'ptr' }, { name: 'iovcnt', type: 'int' }],
    handler(k, fd, iovp, iovcnt) {
      if (iovcnt === 0) throw new Errno(EINVAL); // do_filereadv: before the descriptor is looked up
      const fp = ttcheck(k, fileFor(k.proc, fd, FREAD), 'read');
      return fp.read(Uio.fromIovecs(k.proc.vm, iovp, iovcnt, 'read'), fp.nonblocking);
    },
  },
  {
    number: 121, name: 'writev', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }, { name: 'iovp', type: 'ptr' }, { name: 'iovcnt', type: 'int' }],
    handler(k, fd, iovp, iovcnt) {
      if (iovcnt === 0) throw new Errno(EINVAL);
      const fp = ttcheck(k, fileFor(k.proc, fd, FWRITE), 'write');
      return dofilewrite(k.proc, fp, Uio.fromIovecs(k.proc.vm, iovp, iovcnt, 'write'));
    },
  },
  {
    number: 6, name: 'close', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }],
    handler(k, fd) {
      k.proc.fd.close(fd);
      return 0;
    },
  },
  {
    number: 41, name: 'dup', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }],
    handler(k, fd) {
      const fp = k.proc.fd.get(fd);
      const nfd = k.proc.fd.alloc(0);
      k.proc.fd.affix(nfd, fp, 0);
      return nfd;
    },
  },
  {
    number: 90, name: 'dup2', class: 'file', support: full,
    args: [{ name: 'from', type: 'fd' }, { name: 'to', type: 'fd' }],
    handler: (k, from, to) => dodup(k, from, to, 0, false),
  },
  {
    number: 454, name: 'dup3', class: 'file', support: full,
    args: [{ name: 'from', type: 'fd' }, { name: 'to', type: 'fd' }, { name: 'flags', type: 'int' }],
    handler: (k, from, to, flags) => dodup(k, from, to, flags, true),
  },
  {
    number: 92, name: 'fcntl', class: 'file',
    support: partial('record locks are shared among nbemu\'s processes only, not with host processes'),
    args: [{ name: 'fd', type: 'fd' }, { name: 'cmd', type: 'int' }, { name: 'arg', type: 'long' }],
    handler(k, fd, cmd, arg) {
      const fdp = k.proc.fd;
      // Commands that act before the descriptor is looked up (sys_fcntl).
      if (cmd === F_CLOSEM) {
        if (fd < 0) throw new Errno(EBADF);
        fdp.closeFrom(fd);
        return 0;
      }
      if (cmd === F_MAXFD) return fdp.lastfile;
      if (cmd === F_SETLKW || cmd === F_SETLK || cmd === F_GETLK) return fcntlLock(k, fd, cmd, arg);
      const slot = fdp.slot(fd);
      const fp = slot.file;
      switch (cmd) {
        case F_DUPFD:
        case F_DUPFD_CLOEXEC:
        case F_DUPFD_CLOFORK: {
          const min = arg % 0x1_0000_0000 >>> 0; // (u_int)newmin: a negative arg is huge
          if (min >= nofileLimit(k.proc, k.machine.files.maxfiles)) throw new Errno(EINVAL);
          const nfd = fdp.alloc(min);
          fdp.affix(nfd, fp, cmd === F_DUPFD_CLOEXEC ? FD_CLOEXEC : cmd === F_DUPFD_CLOFORK ? FD_CLOFORK : 0);
          return nfd;
        }
        case F_GETFD:
          return slot.flags;
        case F_SETFD:
          slot.flags = arg & (FD_CLOEXEC | FD_CLOFORK);
          return 0;
        case F_GETFL:
          return OFLAGS(fp.flag);
        case F_SETFL: {
          // FFLAGS adds one, so the access mode cannot change; O_NOSIGPIPE is not in FCNTLFLAGS.
          // The file may refuse (fo_fcntl), and hears of FNONBLOCK and FASYNC changes through
          // FIONBIO and FIOASYNC; a refusal puts the old flags back (sys_descrip.c sys_fcntl).
          const tmp = FFLAGS(arg) & FCNTLFLAGS;
          fp.fcntlSetfl(tmp);
          const changed = tmp ^ fp.flag;
          if (changed & FNONBLOCK) {
            try {
              fp.ioctl(FIONBIO, IoctlData.ofInt(tmp & FNONBLOCK), k);
            } catch (e) {
              fp.fcntlSetfl(fp.flag);
              throw e;
            }
          }
          if (changed & FASYNC) {
            try {
              fp.ioctl(FIOASYNC, IoctlData.ofInt(tmp & FASYNC), k);
            } catch (e) {
              if (changed & FNONBLOCK) {
                try {
                  fp.ioctl(FIONBIO, IoctlData.ofInt(fp.flag & FNONBLOCK), k);
                } catch {
                  // (void) in sys_fcntl
                }
              }
              fp.fcntlSetfl(fp.flag);
              throw e;
            }
          }
          fp.flag = (fp.flag & ~FCNTLFLAGS) | tmp;
          return 0;
        }
        // The owner is the file's (fo_ioctl FIOGETOWN/FIOSETOWN). Its error is returned as it is:
        // a regular file's VOP_IOCTL answers EPASSTHROUGH, which sys_fcntl does not turn into
        // ENOTTY as sys_ioctl does, so NetBSD returns errno -4 there, and so does nbemu.
        case F_GETPATH: {
          // vnode_to_path (vnodes) or fo_fcntl, then copyoutstr of at most MAXPATHLEN bytes.
          const b = Buffer.from(`${fp.getPath(rootOf(k.proc))}\0`);
          if (b.length > MAXPATHLEN) throw new Errno(ENAMETOOLONG);
          k.proc.vm.write(arg, b);
          return 0;
        }
        case F_GETOWN: {
          const d = IoctlData.ofInt(0);
          fp.ioctl(FIOGETOWN, d, k);
          return d.int;
        }
        case F_SETOWN:
          fp.ioctl(FIOSETOWN, IoctlData.ofInt(arg | 0), k);
          return 0;
        case F_GETNOSIGPIPE:
          return fp.flag & FNOSIGPIPE ? 1 : 0;
        case F_SETNOSIGPIPE:
          fp.flag = arg ? fp.flag | FNOSIGPIPE : fp.flag & ~FNOSIGPIPE;
          return 0;
        default:
          throw new Errno(EINVAL);
      }
    },
  },
  {
    number: 54, name: 'ioctl', class: 'file',
    support: partial('files answer their own commands (FIO*, sockets\' SIOCATMARK and owners, kqueue\'s KFILTER_*); the host terminal\'s TIOCGETA/TIOCSETA*, window size, FIONREAD, flush, drain and a guest foreground group; no line disciplines, modem lines, TIOCSTI, entropy (RND*) or interface (SIOC*IF*) ioctls; no SIGTTOU for background processes'),
    args: [{ name: 'fd', type: 'fd' }, { name: 'com', type: 'size' }, { name: 'data', type: 'ptr' }],
    handler(k, fd, com, data) {
      return sysIoctl(k, fd, com, data);
    },
  },
  {
    number: 416, name: '__posix_fadvise50', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }, { name: 'PAD', type: 'int' }, { name: 'offset', type: 'long' }, { name: 'len', type: 'long' }, { name: 'advice', type: 'int' }],
    handler(k, fd, _pad, offset, len, advice) {
      // sys___posix_fadvise50 returns do_posix_fadvise's error as its value (the call itself
      // succeeds): EBADF; pipes and sockets ESPIPE (pipe_posix_fadvise), other non-vnodes
      // EOPNOTSUPP; then the range (len 0 is to the end; a negative or overflowing one EINVAL)
      // and the advice (EINVAL past POSIX_FADV_NOREUSE). The advice itself changes nothing here:
      // nbemu keeps no page cache of its own to read ahead or drop (sys_descrip.c, vfs_vnops.c).
      let fp: File;
      try {
        fp = k.proc.fd.get(fd);
      } catch (e) {
        return (e as Errno).errno;
      }
      const vnode = fp.type === 'vnode' || fp instanceof FifoFile;
      if (!vnode) return fp.type === 'pipe' || fp.type === 'socket' ? ESPIPE : EOPNOTSUPP;
      if (len < 0 || (len > 0 && offset > Number.MAX_SAFE_INTEGER - len)) return EINVAL;
      if (advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE) return EINVAL;
      return 0;
    },
  },
  {
    number: 192, name: 'fpathconf', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }, { name: 'name', type: 'int' }],
    // sys_fpathconf (sys_descrip.c): EBADF, then the file's fo_fpathconf.
    handler: (k, fd, name) => k.proc.fd.get(fd).fpathconf(name),
  },
  {
    number: 440, name: '__fstat50', class: 'file', support: full,
    args: [{ name: 'fd', type: 'fd' }, { name: 'sb', type: 'ptr' }],
    handler(k, fd, sb) {
      const st = k.proc.fd.get(fd).stat();
      k.proc.vm.write(sb, encodeStat(st));
      return 0;
    },
  },
];
