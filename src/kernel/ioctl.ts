// What the file types share for ioctl(2) and for F_GETOWN/F_SETOWN: the argument as the kernel
// holds it, and the owner a file signals with SIGIO when it is in async mode (fsetown, fgetown
// and fownsignal of sys/kern/sys_generic.c / kern_descrip.c, pgid_in_session of kern_proc.c).

import { EINVAL, EPERM, ESRCH, INT_MIN, SIGIO, TIOCGPGRP, TIOCSPGRP } from './constants.js';
import { Errno } from './errno.js';
import type { File } from './file.js';
import type { Proc } from './proc.js';

/** What a file's ioctl sees besides the command: the caller and the other processes. */
export interface IoctlCtx {
  proc: Proc;
  machine: { procs: ReadonlyMap<number, Proc>; ctty?: { sid: number; pgid: number } | undefined };
}

/**
 * The kernel's copy of an ioctl argument (sys_ioctl's stkbuf): IOCPARM_LEN bytes, copied in for
 * IOC_IN, zeroed for IOC_OUT and copied back out when the call succeeds. For IOC_VOID, and IOC_IN
 * with no length, it holds the argument itself (the pointer value) in its first 8 bytes.
 */
export class IoctlData {
  readonly bytes: Uint8Array;
  readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(Math.max(size, 8));
    this.view = new DataView(this.bytes.buffer);
  }

  static ofInt(v: number): IoctlData {
    const d = new IoctlData(4);
    d.int = v;
    return d;
  }

  get int(): number {
    return this.view.getInt32(0, true);
  }

  set int(v: number) {
    this.view.setInt32(0, v, true);
  }
}

const live = (k: IoctlCtx, pid: number): Proc | undefined => {
  const p = k.machine.procs.get(pid);
  return p && !p.exited ? p : undefined; // proc_find skips zombies
};

/**
 * fsetown: the owner FIOSETOWN / TIOCSPGRP / SIOCSPGRP name. A positive id is a process
 * (ESRCH if there is none), a negative one a process group of the caller's session (EINVAL if
 * there is none, EPERM in another session); TIOCSPGRP takes a group id and negates it.
 */
export function fsetown(k: IoctlCtx, cmd: number, data: IoctlData): number {
  let id = data.int;
  if (id === INT_MIN) throw new Errno(EINVAL);
  if (cmd === TIOCSPGRP) {
    if (id < 0) throw new Errno(EINVAL);
    id = -id;
  }
  if (id > 0) {
    if (!live(k, id)) throw new Errno(ESRCH);
  } else if (id < 0) {
    // pgid_in_session(curproc, -id)
    const member = [...k.machine.procs.values()].find((p) => !p.exited && p.pgid === -id);
    if (!member) throw new Errno(EINVAL);
    if (member.sid !== k.proc.sid) throw new Errno(EPERM);
  }
  return id;
}

/** fgetown: TIOCGPGRP answers the group as a positive number, the others the owner as set. */
export function fgetown(pgid: number, cmd: number, data: IoctlData): void {
  data.int = cmd === TIOCGPGRP ? -pgid : pgid;
}

/**
 * Who a file in async mode signals, and whether it is in async mode (SB_ASYNC / PIPE_ASYNC).
 * `notify` is fownsignal: SIGIO with si_code POLL_IN, POLL_OUT, POLL_ERR or POLL_HUP, the band
 * of poll bits, and si_fd the descriptor of the file in the receiving process (kpsendsig).
 */
export class AsyncOwner {
  pgid = 0;
  async = false;
  private procs: ReadonlyMap<number, Proc> | undefined;

  constructor(private readonly isFile: (f: File) => boolean) {}

  set(k: IoctlCtx, pgid: number): void {
    this.pgid = pgid;
    this.procs = k.machine.procs;
  }

  setAsync(k: IoctlCtx, on: boolean): void {
    this.async = on;
    this.procs = k.machine.procs;
  }

  notify(code: number, band: number): void {
    if (!this.async || this.pgid === 0 || !this.procs) return;
    const targets = this.pgid > 0
      ? [this.procs.get(this.pgid)].filter((p): p is Proc => !!p && !p.exited)
      : [...this.procs.values()].filter((p) => !p.exited && p.pgid === -this.pgid);
    for (const p of targets) p.psignal(SIGIO, { code, band, fd: p.fd.find(this.isFile) });
  }
}
