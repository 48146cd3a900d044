// The host's terminal as the guest's terminal (sys/kern/tty.c ttioctl, for the ioctls a program
// of the guest asks of its standard streams or /dev/tty). Modes and window size are the host
// terminal's own, read and set through hostio.cc, which translates struct termios between the
// host's layout and NetBSD's. The foreground process group is the guest's: the terminal belongs
// to the session of nbemu's first process (the guest never sees host process ids).

import {
  EINVAL, ENOTTY, EPERM, FIOASYNC, FIONBIO, FIONREAD, TIOCDRAIN, TIOCEXCL, TIOCFLUSH, TIOCGETA,
  TIOCGPGRP, TIOCGSID, TIOCGWINSZ, TIOCNXCL, TIOCOUTQ, TIOCSETA, TIOCSETAF, TIOCSETAW, TIOCSPGRP, TIOCSWINSZ,
  TERMIOS_SIZE, EOPNOTSUPP, FREAD, FWRITE, EIO, EINTR, ERESTART, SA_RESTART, SIG_DFL, SIGTTIN, SIGTTOU, TOSTOP, TERMIOS_LFLAG_OFF,
} from './constants.js';
import type { Proc } from './proc.js';
import { Errno } from './errno.js';
import type { IoctlCtx, IoctlData } from './ioctl.js';
import { hostio } from '../unicorn/index.js';
import { host } from './vfs.js'; // hostio.cc's errors carry the host errno's name, as node:fs's do

/** t_session and t_pgrp of the terminal (Machine.ctty, set when the first process is spawned). */
interface TtyOwner {
  sid: number;
  pgid: number;
}

function ownerOf(k: IoctlCtx): TtyOwner {
  k.machine.ctty ??= { sid: k.proc.sid, pgid: k.proc.pgid };
  return k.machine.ctty;
}

/** isctty: the caller's session is the terminal's (and has not left it with setsid). */
const isctty = (k: IoctlCtx, o: TtyOwner): boolean => k.proc.sid === o.sid;

/**
 * pg_jobc == 0: an orphaned process group, none of whose members has a parent in another group
 * of the same session (a shell that could continue it) — its stop signals would stop it for good.
 */
function orphaned(k: IoctlCtx, pgid: number, sid: number): boolean {
  for (const q of k.machine.procs.values()) {
    if (q.exited || q.pgid !== pgid) continue;
    const parent = q.parent;
    if (parent && !parent.exited && parent.pgid !== pgid && parent.sid === sid) return false;
  }
  return true;
}

/** sigismasked: blocked by the calling LWP, or ignored. */
const sigismasked = (p: Proc, sig: number): boolean => (p.sig.mask & (1n << BigInt(sig - 1))) !== 0n || p.sig.ignored(sig);

/**
 * Job control at the terminal (sys/kern/tty.c ttread, ttwrite, ttioctl): a process of the
 * terminal's session outside its foreground group (isbackground) that reads — or writes with
 * TOSTOP set, or changes the terminal's state — has SIGTTIN/SIGTTOU sent to its whole group and
 * tries again after it (ttypause). A read with SIGTTIN blocked or ignored, by a vfork child
 * (PL_PPWAIT) or from an orphaned group fails with EIO; a write from an orphaned group too,
 * while one with SIGTTOU blocked or ignored just goes ahead, as does an ioctl in any of those
 * cases. `fd` is the host terminal's descriptor.
 */
export function ttyJobControl(k: IoctlCtx, fd: number, op: 'read' | 'write' | 'ioctl'): void {
  const o = k.machine.ctty;
  const p = k.proc;
  if (!o || p.sid !== o.sid || p.pgid === o.pgid) return; // not isbackground
  const sig = op === 'read' ? SIGTTIN : SIGTTOU;
  const ppwait = p.vforkParent !== undefined;
  const lost = orphaned(k, p.pgid, p.sid);
  if (op === 'read') {
    if (sigismasked(p, sig) || ppwait || lost) throw new Errno(EIO);
  } else if (op === 'write') {
    if (ppwait || sigismasked(p, sig)) return;
    const termios = host(() => hostio.ttyGetattr(fd));
    if (!(new DataView(termios.buffer, termios.byteOffset).getUint32(TERMIOS_LFLAG_OFF, true) & TOSTOP)) return;
    if (lost) throw new Errno(EIO);
  } else if (lost || ppwait || sigismasked(p, sig)) return;
  for (const q of k.machine.procs.values()) if (!q.exited && q.pgid === p.pgid) q.psignal(sig); // pgsignal(pg, sig, 1)
  // ttypause(tp, hz) returns at once, the signal being pending: EINTR for a handler without
  // SA_RESTART, else ERESTART — the call runs again after the handler, or once the default
  // action's stop is over (NetBSD sleeps out the rest of the second first; nbemu retries at once).
  const act = p.sig.actions[sig]!;
  throw new Errno(act.handler !== SIG_DFL && !(act.flags & SA_RESTART) ? EINTR : ERESTART);
}

/** ttioctl's commands that change the terminal: a background caller gets SIGTTOU first. */
const MODIFYING = new Set([TIOCFLUSH, TIOCDRAIN, TIOCSETA, TIOCSETAW, TIOCSETAF, TIOCSWINSZ]);

/**
 * ttioctl for a host terminal open on host descriptor `fd`. Commands ttioctl does not know are
 * EPASSTHROUGH; ones nbemu cannot carry to the host terminal (line disciplines, modem lines,
 * TIOCSTI, packet mode) too, so they are ENOTTY.
 */
export function hostTtyIoctl(fd: number, cmd: number, data: IoctlData, k: IoctlCtx): void {
  const o = ownerOf(k);
  if (MODIFYING.has(cmd)) ttyJobControl(k, fd, 'ioctl');
  switch (cmd) {
    case FIONBIO:
      return; // ttioctl: nothing to do, the file's FNONBLOCK is what reads look at
    case FIOASYNC:
      if (data.int === 0) return;
      throw new Errno(EOPNOTSUPP); // nbemu cannot hear of host terminal input to send SIGIO
    case FIONREAD:
      data.int = host(() => hostio.fdNread(fd));
      return;
    case TIOCOUTQ:
      data.int = 0; // the host terminal's output queue is the host's; nbemu's writes are done
      return;
    case TIOCGETA:
      data.bytes.set(host(() => hostio.ttyGetattr(fd)).subarray(0, TERMIOS_SIZE));
      return;
    case TIOCSETA:
    case TIOCSETAW:
    case TIOCSETAF:
      host(() => hostio.ttySetattr(fd, cmd === TIOCSETA ? 0 : cmd === TIOCSETAW ? 1 : 2, data.bytes.subarray(0, TERMIOS_SIZE)));
      return;
    case TIOCGWINSZ: {
      const [row, col, x, y] = host(() => hostio.ttyGetWinsize(fd));
      const d = data.view;
      d.setUint16(0, row, true);
      d.setUint16(2, col, true);
      d.setUint16(4, x, true);
      d.setUint16(6, y, true);
      return;
    }
    case TIOCSWINSZ: {
      const d = data.view;
      host(() => hostio.ttySetWinsize(fd, d.getUint16(0, true), d.getUint16(2, true), d.getUint16(4, true), d.getUint16(6, true)));
      return;
    }
    case TIOCDRAIN:
      host(() => hostio.ttyDrain(fd));
      return;
    case TIOCFLUSH: {
      // 0 means both queues; FREAD and FWRITE pick them (tty.c ttioctl → ttyflush).
      const which = data.int === 0 ? FREAD | FWRITE : data.int & (FREAD | FWRITE);
      if (which) host(() => hostio.ttyFlush(fd, (which & FREAD ? 1 : 0) | (which & FWRITE ? 2 : 0)));
      return;
    }
    case TIOCEXCL:
    case TIOCNXCL:
      return; // TS_XCLUDE only bars later opens, and only nbemu's own processes open it
    case TIOCGPGRP:
      if (!isctty(k, o)) throw new Errno(ENOTTY);
      data.int = o.pgid;
      return;
    case TIOCSPGRP: {
      // ttioctl: the caller's terminal, a group of the caller's session (EPERM otherwise).
      if (!isctty(k, o)) throw new Errno(ENOTTY);
      const pgid = data.int;
      if (pgid < 0) throw new Errno(EINVAL);
      const member = [...k.machine.procs.values()].find((p) => !p.exited && p.pgid === pgid);
      if (!member || member.sid !== k.proc.sid) throw new Errno(EPERM);
      o.pgid = pgid;
      return;
    }
    case TIOCGSID:
      if (!isctty(k, o)) throw new Errno(ENOTTY);
      data.int = o.sid;
      return;
    default:
      throw new Errno(ENOTTY);
  }
}
