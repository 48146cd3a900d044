// The host's terminal as the guest's terminal (sys/kern/tty.c ttioctl, for the ioctls a program
// of the guest asks of its standard streams or /dev/tty). Modes and window size are the host
// terminal's own, read and set through hostio.cc, which translates struct termios between the
// host's layout and NetBSD's. The foreground process group is the guest's: the terminal belongs
// to the session of nbemu's first process (the guest never sees host process ids).

import {
  EINVAL, ENOTTY, EPERM, FIOASYNC, FIONBIO, FIONREAD, TIOCDRAIN, TIOCEXCL, TIOCFLUSH, TIOCGETA,
  TIOCGPGRP, TIOCGSID, TIOCGWINSZ, TIOCNXCL, TIOCOUTQ, TIOCSETA, TIOCSETAF, TIOCSETAW, TIOCSPGRP, TIOCSWINSZ,
  TERMIOS_SIZE, EOPNOTSUPP, FREAD, FWRITE,
} from './constants.js';
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
 * ttioctl for a host terminal open on host descriptor `fd`. A background process is not stopped
 * with SIGTTOU for the mode-changing commands (nbemu has no job control on the terminal). Commands ttioctl does not know are EPASSTHROUGH; ones nbemu cannot carry to the
 * host terminal (line disciplines, modem lines, TIOCSTI, packet mode) too, so they are ENOTTY.
 */
export function hostTtyIoctl(fd: number, cmd: number, data: IoctlData, k: IoctlCtx): void {
  const o = ownerOf(k);
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
