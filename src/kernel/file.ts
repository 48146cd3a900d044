// struct file (sys/sys/file.h): an open file, shared by every descriptor dup'ed from it. Its
// f_flag holds the status flags (FREAD, FWRITE, FNONBLOCK, FAPPEND, FNOSIGPIPE); descriptor
// flags (close-on-exec, close-on-fork) live in the descriptor slot instead (filedesc.ts).

import { EINVAL, EOPNOTSUPP, EPASSTHROUGH, FNONBLOCK, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, S_IFCHR } from './constants.js';
import type { WaitQueue } from './sleepq.js';
import { Errno } from './errno.js';
import type { Uio } from './uio.js';
import type { IoctlCtx, IoctlData } from './ioctl.js';

/** DTYPE_* of sys/sys/file.h. */
export type FileType = 'vnode' | 'socket' | 'pipe' | 'kqueue' | 'misc';

export { Sleep } from './sleepq.js';

/** The fields of struct stat (sys/sys/stat.h) a file fills in; the rest are zero. */
export interface StatInfo {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atimeMs: number;
  mtimeMs: number;
  ctimeMs: number;
  birthtimeMs: number;
  /** Exact values where a file knows them (host files): inode, device, and times in ns. */
  inoBig?: bigint;
  devBig?: bigint;
  ns?: { atime: bigint; mtime: bigint; ctime: bigint; birthtime: bigint };
}

/** Machine-wide file accounting (sys/kern/kern_descrip.c nfiles / kern.maxfiles). */
export interface FileTable {
  nfiles: number;
  maxfiles: number;
  /** unp_rights: descriptors in flight in SCM_RIGHTS messages, machine-wide. */
  inflight: number;
}

export abstract class File {
  /** Number of descriptor slots (in any process) referring to this file. */
  private refs = 0;
  private closed = false;

  protected constructor(
    readonly type: FileType,
    /** f_flag: FREAD | FWRITE | status flags. */
    public flag: number,
    private readonly table: FileTable,
  ) {
    table.nfiles++;
  }

  /**
   * The vnode's advisory-lock list (fo_advlock): set for files that take flock and fcntl record
   * locks (vnodes), undefined for the rest (pipes, sockets, kqueues: EINVAL / EOPNOTSUPP).
   */
  readonly lockKey: string | undefined = undefined;

  /** The host descriptor of the terminal this file is (job control applies to it), if it is one. */
  get terminalFd(): number | undefined {
    return undefined;
  }

  get nonblocking(): boolean {
    return (this.flag & FNONBLOCK) !== 0;
  }

  hold(): void {
    this.refs++;
  }

  /** Drop one reference; the last one closes the file (closef in kern_descrip.c). */
  release(): void {
    if (--this.refs > 0 || this.closed) return;
    this.closed = true;
    this.table.nfiles--;
    this.close();
  }

  read(_uio: Uio, _nonblock: boolean): number {
    throw new Errno(EINVAL);
  }

  write(_uio: Uio, _nonblock: boolean): number {
    throw new Errno(EINVAL);
  }

  /**
   * fo_fcntl(F_SETFL): may the file take these status flags? Most answer yes (fnullop_fcntl,
   * soo_fcntl); sys_fcntl then tells it of FNONBLOCK and FASYNC changes through ioctl.
   */
  fcntlSetfl(_flags: number): void {}

  abstract stat(): StatInfo;

  /**
   * fo_poll: which of `events` (POLL* bits) are ready now. Files that never block (the host's
   * standard streams, for now) are always ready.
   */
  poll(events: number): number {
    return events & (POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
  }

  /** The queues a poller sleeps on to hear of readiness changes (selrecord's selinfo). */
  pollQueues(): WaitQueue[] {
    return [];
  }

  /**
   * F_GETPATH: a vnode's path as vnode_to_path builds it under the process's root `root` (a host
   * path); other files answer through fo_fcntl, fnullop_fcntl's EOPNOTSUPP by default.
   */
  getPath(_root: string): string {
    throw new Errno(EOPNOTSUPP);
  }

  /** fo_fpathconf: the file types without limits of their own answer EINVAL (pathconf.ts). */
  fpathconf(_name: number): number {
    throw new Errno(EINVAL);
  }

  /**
   * fo_ioctl: act on `cmd` with the kernel's copy of its argument (sys_ioctl copies it in and
   * out). EPASSTHROUGH, which sys_ioctl turns into ENOTTY, for a command the file does not know.
   */
  ioctl(_cmd: number, _data: IoctlData, _k: IoctlCtx): void {
    throw new Errno(EPASSTHROUGH);
  }

  protected abstract close(): void;
}

export function emptyStat(mode: number): StatInfo {
  const now = Date.now();
  return {
    dev: 0, ino: 0, mode, nlink: 1, uid: 0, gid: 0, rdev: 0, size: 0, blksize: 0, blocks: 0,
    atimeMs: now, mtimeMs: now, ctimeMs: now, birthtimeMs: now,
  };
}

export const CHARDEV_MODE = S_IFCHR | 0o620;
