// Path name lookup (sys/kern/vfs_lookup.c namei) over the host's filesystem, the guest's root
// (--root: a host directory the guest sees as "/", with no way out), and each process's current
// directory and file creation mask (struct cwdinfo, sys/sys/filedesc.h).
//
// By default the guest sees the host's files, as under qemu-user. Lookup is done component by
// component with lstat/readlink here rather than by the host kernel, so that "..", absolute
// symbolic links and their targets are resolved inside the guest's root: ".." at the root stays
// at the root, a link to "/../../etc" means <root>/etc. The same walk runs without --root (with
// the host's "/" as the root), so the two modes share one set of rules: MAXSYMLINKS (32) links per
// lookup, then ELOOP; ENAMETOOLONG for a component over NAME_MAX (511) bytes or a path that grows
// to MAXPATHLEN (1024) through link expansion.
//
// Known gaps: paths are handled as UTF-8 strings (bytes that are not UTF-8 do not round-trip);
// permission checks are the host's (the guest's credentials are the host process's).

import * as fs from 'node:fs';
import { hostfs } from './hostfs.js';
import {
  EACCES, EAGAIN, EBADF, EBUSY, EEXIST, EFAULT, EFBIG, EINVAL, EIO, EISDIR, ELOOP, EMFILE, EMLINK, ENAMETOOLONG,
  ENFILE, ENOENT, ENOSPC, ENOTDIR, ENOTEMPTY, ENXIO, EOPNOTSUPP, EPERM, EROFS, ESPIPE, ETXTBSY, EXDEV, EDQUOT,
  ENOTSUP, ENOSYS, EOVERFLOW, ESTALE, EINTR, ENOLCK, ENOTTY, MAXPATHLEN, MAXSYMLINKS, NAME_MAX,
} from './constants.js';
import { Errno } from './errno.js';
import type { FileTable } from './file.js';
import type { Machine } from './machine.js';
import type { Proc } from './proc.js';

/** Node's error codes (the host's errno names) → NetBSD errno values (sys/sys/errno.h). */
export const HOST_ERRNO: Readonly<Record<string, number>> = {
  EPERM, ENOENT, EIO, ENXIO, EBADF, EACCES, EFAULT, EBUSY, EEXIST, EXDEV, ENOTDIR, EISDIR, EINVAL,
  ENFILE, EMFILE, ETXTBSY, EFBIG, ENOSPC, ESPIPE, EROFS, EMLINK, EAGAIN, EWOULDBLOCK: EAGAIN, ELOOP, ENAMETOOLONG,
  ENOTEMPTY, EDQUOT, ESTALE, ENOLCK, ENOSYS, EOVERFLOW, EOPNOTSUPP, ENOTSUP, EINTR, ENOTTY,
  // Linux-only names with a NetBSD counterpart.
  EMULTIHOP: EIO, ENOLINK: EIO, EBADFD: EBADF, ENOMEDIUM: ENXIO, EUCLEAN: EIO, ENODATA: EIO,
};

/** Turn a host (Node) error into the NetBSD Errno the guest sees. Non-host errors pass through. */
export function hostErrno(e: unknown): Errno {
  if (e instanceof Errno) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && code in HOST_ERRNO) return new Errno(HOST_ERRNO[code]!);
  if (code) return new Errno(EIO);
  throw e;
}

/** Run a host fs call, mapping its errors to NetBSD errno values. */
export function host<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw hostErrno(e);
  }
}

// ---- The guest's root ----------------------------------------------------------------------

const rootByMachine = new WeakMap<Machine, string>();
const rootByTable = new WeakMap<FileTable, string>();

/**
 * --root DIR: make DIR the guest's "/" for every process of the machine. Call before spawn.
 * DIR must be an existing directory; its real path (symbolic links resolved) is used.
 */
export function setRoot(machine: Machine, dir: string): void {
  const real = fs.realpathSync(dir);
  if (!hostfs.statSync(real).isDirectory()) throw new Error(`${dir}: not a directory`);
  rootByMachine.set(machine, real);
  rootByTable.set(machine.files, real);
}

/** The host directory that is the machine's "/" ("/" without --root). */
export function machineRoot(machine: Machine): string {
  return rootByMachine.get(machine) ?? '/';
}

/** The host directory that is the process's "/": cwdi_rdir after chroot, else the machine's. */
export function rootOf(p: Proc): string {
  return cwdinfo.get(p)?.root ?? rootByTable.get(p.files) ?? '/';
}

/** The host path of a canonical guest path. */
export function hostPathOf(root: string, guest: string): string {
  if (root === '/') return guest;
  return guest === '/' ? root : root + guest;
}

/**
 * vnode_to_path for a file nbemu holds open on host descriptor `fd`: where it is now (the host
 * kernel follows renames), as the guest names it under `root`; ENOENT once it was removed or
 * when it lies outside the root.
 */
export function pathOfHostFd(fd: number, root: string): string {
  let now: string;
  try {
    now = fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    throw new Errno(ENOENT);
  }
  if (now.endsWith(' (deleted)') || !now.startsWith('/')) throw new Errno(ENOENT);
  const guest = guestPathOf(root, now);
  if (guest === undefined) throw new Errno(ENOENT);
  return guest;
}

/** The guest path of a host path inside the root, or undefined when it lies outside. */
export function guestPathOf(root: string, hostPath: string): string | undefined {
  if (root === '/') return hostPath;
  if (hostPath === root) return '/';
  return hostPath.startsWith(`${root}/`) ? hostPath.slice(root.length) : undefined;
}

// ---- struct cwdinfo: current directory and umask, per process ------------------------------

export interface CwdInfo {
  /** cwdi_cdir, as a canonical guest path (absolute, no symbolic links, no "." or ".."). */
  cwd: string;
  /** cwdi_cmask: the file creation mask. */
  cmask: number;
  /** cwdi_rdir: the host directory chroot made the process's "/" (undefined: the machine's). */
  root?: string | undefined;
}

const cwdinfo = new WeakMap<Proc, CwdInfo>();

/** The host's umask, read without changing it (process.umask() with no argument is deprecated). */
function hostUmask(): number {
  try {
    const m = /^Umask:\s*([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return parseInt(m[1]!, 8);
  } catch {
    // not Linux: fall through
  }
  return 0o022;
}

function initialCwd(root: string): string {
  let here: string;
  try {
    here = fs.realpathSync(process.cwd());
  } catch {
    return '/';
  }
  return guestPathOf(root, here) ?? '/';
}

/** The process's cwdinfo (the first process starts in nbemu's own directory, or "/" under --root). */
export function cwdOf(p: Proc): CwdInfo {
  let c = cwdinfo.get(p);
  if (!c) {
    c = { cwd: initialCwd(rootOf(p)), cmask: hostUmask() };
    cwdinfo.set(p, c);
  }
  return c;
}

/** fork1 (cwdinit's copy in sys/kern/vfs_cwd.c cwdinit): the child starts where the parent is. */
export function forkCwd(parent: Proc, child: Proc): void {
  const c = cwdOf(parent);
  cwdinfo.set(child, { cwd: c.cwd, cmask: c.cmask, root: c.root });
}

/**
 * change_root (sys/kern/vfs_syscalls.c): the host directory `newRoot` (inside the machine's root,
 * where every file nbemu opens lies) becomes the process's "/"; a current directory that is not
 * under it moves to the new root ("Prevent escaping from chroot": vn_isunder, then cwdi_cdir).
 */
export function changeRoot(p: Proc, newRoot: string): void {
  const c = cwdOf(p);
  const cwdHost = hostPathOf(rootOf(p), c.cwd);
  c.root = newRoot;
  c.cwd = guestPathOf(newRoot, cwdHost) ?? '/';
}

// ---- namei ---------------------------------------------------------------------------------

/** The character devices nbemu provides itself under /dev (whatever the host or root holds). */
export type DevName = 'null' | 'zero' | 'random' | 'urandom' | 'tty';
const DEVICES: ReadonlySet<string> = new Set<DevName>(['null', 'zero', 'random', 'urandom', 'tty']);

export interface Lookup {
  /** Canonical guest path of what was found (or would be created). */
  guest: string;
  /** Its host path. */
  host: string;
  /** lstat of it; undefined when it does not exist (the parent does). */
  st: fs.BigIntStats | undefined;
  /** One of nbemu's own devices. */
  dev?: DevName;
  /** The target of one of nbemu's own procfs symbolic links (/proc/curproc, /proc/N/exe). */
  link?: string;
  /** The canonical guest path of the containing directory. */
  parent: string;
  /** The last component as the caller wrote it ('.', '..' or a name; '' for "/"). */
  last: string;
  /** The path ended in "/". */
  trailingSlash: boolean;
}

const byteLength = (s: string): number => Buffer.byteLength(s);

/**
 * The few procfs nodes nbemu provides itself (sys/miscfs/procfs/procfs_vnops.c procfs_readlink;
 * NetBSD installs mount procfs on /proc): /proc/curproc and /proc/self are links to the
 * caller's pid, /proc/N/exe to process N's executable (the Go runtime's os.Executable reads it).
 * `dir` is the directory being looked in, `comp` the name.
 */
function procfsLink(p: Proc, dir: string[], comp: string): string | undefined {
  if (dir[0] !== 'proc') return undefined;
  if (dir.length === 1 && (comp === 'curproc' || comp === 'self')) return String(p.pid);
  if (dir.length === 2 && comp === 'exe') {
    const q = /^[0-9]+$/.test(dir[1]!) ? p.sched.findProc(Number(dir[1])) : undefined;
    if (q && !q.exited && q.path) return q.path;
  }
  return undefined;
}

/** /proc/N for a live nbemu process N: a directory of procfs, whatever the host's /proc holds. */
const isProcfsDir = (p: Proc, dir: string[], comp: string): boolean =>
  dir.length === 1 && dir[0] === 'proc' && /^[0-9]+$/.test(comp) && p.sched.findProc(Number(comp))?.exited === false;

function join(stack: string[]): string {
  return `/${stack.join('/')}`;
}

function lstat(hostPath: string): fs.BigIntStats | undefined {
  return host(() => hostfs.lstatSync(hostPath, { bigint: true, throwIfNoEntry: false }));
}

/**
 * namei: look `path` up, starting at the guest directory `start` for a relative path.
 * `follow`: follow a symbolic link in the last component (FOLLOW); links in the middle are
 * always followed. A missing last component is not an error (the result has st undefined);
 * a missing directory on the way is ENOENT.
 */
export function namei(p: Proc, start: string, path: string, follow: boolean): Lookup {
  if (path === '') throw new Errno(ENOENT);
  if (byteLength(path) >= MAXPATHLEN) throw new Errno(ENAMETOOLONG);
  const root = rootOf(p);
  const trailingSlash = path.endsWith('/');
  let todo = path.split('/');
  let stack = path.startsWith('/') ? [] : start.split('/').filter(Boolean);
  let links = 0;
  let last = '';
  const lastReal = (from: number): boolean => {
    for (let j = from; j < todo.length; j++) if (todo[j] !== '') return false;
    return true;
  };
  for (let i = 0; i < todo.length; i++) {
    const comp = todo[i]!;
    if (comp === '') continue;
    const isLast = lastReal(i + 1);
    if (isLast) last = comp;
    if (comp === '.') continue;
    if (comp === '..') {
      stack.pop(); // clamped at the root: ".." of "/" is "/"
      continue;
    }
    if (byteLength(comp) > NAME_MAX) throw new Errno(ENAMETOOLONG);
    if (stack.length === 1 && stack[0] === 'dev' && DEVICES.has(comp)) {
      if (!isLast) throw new Errno(ENOTDIR);
      const guest = join([...stack, comp]);
      return { guest, host: hostPathOf(root, guest), st: undefined, dev: comp as DevName, parent: '/dev', last, trailingSlash };
    }
    const guest = join([...stack, comp]);
    const hp = hostPathOf(root, guest);
    /** Continue the walk with a symbolic link's target in place of the component. */
    const followLink = (target: string): void => {
      if (++links > MAXSYMLINKS) throw new Errno(ELOOP);
      if (target === '') throw new Errno(ENOENT);
      const rest = todo.slice(i + 1);
      if (byteLength(target) + byteLength(rest.join('/')) + 1 >= MAXPATHLEN) throw new Errno(ENAMETOOLONG);
      todo = [...target.split('/'), ...rest];
      i = -1;
      if (target.startsWith('/')) stack = [];
    };
    const vlink = procfsLink(p, stack, comp);
    if (vlink !== undefined) {
      if (!isLast || follow || trailingSlash) {
        followLink(vlink);
        continue;
      }
      return { guest, host: hp, st: undefined, link: vlink, parent: join(stack), last, trailingSlash };
    }
    if (!isLast && isProcfsDir(p, stack, comp)) {
      stack.push(comp);
      continue;
    }
    const st = lstat(hp);
    if (!st) {
      if (isLast) return { guest, host: hp, st: undefined, parent: join(stack), last, trailingSlash };
      // procfs is mounted on /proc even when the root (--root) has no such directory.
      if (stack.length === 0 && comp === 'proc') {
        stack.push(comp);
        continue;
      }
      throw new Errno(ENOENT);
    }
    if (st.isSymbolicLink() && (!isLast || follow || trailingSlash)) {
      followLink(host(() => hostfs.readlinkSync(hp, 'utf8')));
      continue;
    }
    if (!isLast && !st.isDirectory()) throw new Errno(ENOTDIR);
    stack.push(comp);
    if (isLast) {
      if (trailingSlash && !st.isDirectory()) throw new Errno(ENOTDIR);
      return { guest, host: hp, st, parent: join(stack.slice(0, -1)), last, trailingSlash };
    }
  }
  // The path ended in ".", ".." or "/": the result is the directory reached.
  const guest = join(stack);
  const hp = hostPathOf(root, guest);
  const st = lstat(hp);
  if (!st) throw new Errno(ENOENT);
  if (!st.isDirectory()) throw new Errno(ENOTDIR);
  return { guest, host: hp, st, parent: join(stack.slice(0, -1)), last, trailingSlash };
}

/**
 * execve's lookup (kern_exec.c: namei with FOLLOW from the process's cwd, inside its root):
 * the host path of the program file. ENOENT if it does not exist.
 */
export function resolveForExec(p: Proc, path: string): string {
  const r = namei(p, cwdOf(p).cwd, path, true);
  if (r.dev) throw new Errno(EACCES);
  if (!r.st) throw new Errno(ENOENT);
  return r.host;
}
