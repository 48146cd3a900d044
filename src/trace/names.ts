// Symbolic names for the trace: NetBSD's flag sets and enumerations, built from the one constants
// module (src/kernel/constants.ts). Only names used for display live here; a few values the
// kernel does not use yet are spelled out with the header they come from.

import * as C from '../kernel/constants.js';

export type FlagTable = ReadonlyArray<readonly [number, string]>;
export type EnumTable = ReadonlyMap<number, string>;

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

/** `A|B|0x40` — known bits by name, unknown bits in hex; `0` when nothing is set. */
export function flagsText(value: number, table: FlagTable, zero = '0'): string {
  let rest = value >>> 0;
  const parts: string[] = [];
  for (const [bit, name] of table) {
    if (bit !== 0 && (rest & bit) >>> 0 === bit >>> 0) {
      parts.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest) parts.push(hex(rest));
  return parts.length ? parts.join('|') : zero;
}

/** The name of an enumerated value, or the number itself. */
export function enumText(value: number, table: EnumTable): string {
  return table.get(value) ?? String(value);
}

const enumOf = (entries: Array<[number, string]>): EnumTable => new Map(entries);

export const AF_NAMES = enumOf([
  [C.AF_UNSPEC, 'AF_UNSPEC'], [C.AF_LOCAL, 'AF_LOCAL'], [C.AF_INET, 'AF_INET'], [C.AF_INET6, 'AF_INET6'], [C.AF_ROUTE, 'AF_ROUTE'],
]);

export const SOCK_TYPE_NAMES = enumOf([
  [C.SOCK_STREAM, 'SOCK_STREAM'], [C.SOCK_DGRAM, 'SOCK_DGRAM'], [C.SOCK_RAW, 'SOCK_RAW'], [C.SOCK_RDM, 'SOCK_RDM'], [C.SOCK_SEQPACKET, 'SOCK_SEQPACKET'],
]);

export const SOCK_FLAG_NAMES: FlagTable = [
  [C.SOCK_NONBLOCK, 'SOCK_NONBLOCK'], [C.SOCK_CLOEXEC, 'SOCK_CLOEXEC'], [C.SOCK_NOSIGPIPE, 'SOCK_NOSIGPIPE'], [C.SOCK_CLOFORK, 'SOCK_CLOFORK'],
];

/** socket(2)/socketpair(2) type: the type by name, then its flags (`SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC`). */
export function sockTypeText(value: number): string {
  const type = value & ~C.SOCK_FLAGS_MASK;
  const flags = value & C.SOCK_FLAGS_MASK;
  const t = enumText(type, SOCK_TYPE_NAMES);
  return flags ? `${t}|${flagsText(flags, SOCK_FLAG_NAMES)}` : t;
}

export const MSG_NAMES: FlagTable = [
  [C.MSG_OOB, 'MSG_OOB'], [C.MSG_PEEK, 'MSG_PEEK'], [0x4, 'MSG_DONTROUTE'], [C.MSG_EOR, 'MSG_EOR'], [C.MSG_TRUNC, 'MSG_TRUNC'],
  [C.MSG_CTRUNC, 'MSG_CTRUNC'], [C.MSG_WAITALL, 'MSG_WAITALL'], [C.MSG_DONTWAIT, 'MSG_DONTWAIT'], [0x100, 'MSG_BCAST'],
  [0x200, 'MSG_MCAST'], [C.MSG_NOSIGNAL, 'MSG_NOSIGNAL'], [C.MSG_CMSG_CLOEXEC, 'MSG_CMSG_CLOEXEC'], [0x1000, 'MSG_NBIO'],
  [0x2000, 'MSG_WAITFORONE'], [0x4000, 'MSG_NOTIFICATION'],
];

/** Levels: nbemu's sockets are all local, so level 0 is SOL_LOCAL (sys/sys/un.h), not IPPROTO_IP. */
export const SOL_NAMES = enumOf([[C.SOL_SOCKET, 'SOL_SOCKET'], [C.SOL_LOCAL, 'SOL_LOCAL'], [6, 'IPPROTO_TCP'], [17, 'IPPROTO_UDP']]);

/** SOL_LOCAL options (sys/sys/un.h). */
export const LOCAL_SO_NAMES = enumOf([
  [C.LOCAL_OCREDS, 'LOCAL_OCREDS'], [C.LOCAL_CONNWAIT, 'LOCAL_CONNWAIT'], [C.LOCAL_PEEREID, 'LOCAL_PEEREID'], [C.LOCAL_CREDS, 'LOCAL_CREDS'],
]);

/** An option name at its level. */
export function sockoptText(level: number, name: number): string {
  if (level === C.SOL_SOCKET) return enumText(name, SO_NAMES);
  if (level === C.SOL_LOCAL) return enumText(name, LOCAL_SO_NAMES);
  return String(name);
}

export const SHUT_NAMES = enumOf([[C.SHUT_RD, 'SHUT_RD'], [C.SHUT_WR, 'SHUT_WR'], [C.SHUT_RDWR, 'SHUT_RDWR']]);

export const SO_NAMES = enumOf([
  [C.SO_DEBUG, 'SO_DEBUG'], [C.SO_ACCEPTCONN, 'SO_ACCEPTCONN'], [C.SO_REUSEADDR, 'SO_REUSEADDR'], [C.SO_KEEPALIVE, 'SO_KEEPALIVE'],
  [C.SO_DONTROUTE, 'SO_DONTROUTE'], [C.SO_BROADCAST, 'SO_BROADCAST'], [C.SO_USELOOPBACK, 'SO_USELOOPBACK'], [C.SO_LINGER, 'SO_LINGER'],
  [C.SO_OOBINLINE, 'SO_OOBINLINE'], [C.SO_REUSEPORT, 'SO_REUSEPORT'], [C.SO_NOSIGPIPE, 'SO_NOSIGPIPE'], [C.SO_TIMESTAMP, 'SO_TIMESTAMP'],
  [C.SO_SNDBUF, 'SO_SNDBUF'], [C.SO_RCVBUF, 'SO_RCVBUF'], [C.SO_SNDLOWAT, 'SO_SNDLOWAT'], [C.SO_RCVLOWAT, 'SO_RCVLOWAT'],
  [C.SO_ERROR, 'SO_ERROR'], [C.SO_TYPE, 'SO_TYPE'], [C.SO_OVERFLOWED, 'SO_OVERFLOWED'], [C.SO_NOHEADER, 'SO_NOHEADER'],
  [C.SO_SNDTIMEO, 'SO_SNDTIMEO'], [C.SO_RCVTIMEO, 'SO_RCVTIMEO'],
]);

export const SCM_NAMES = enumOf([[C.SCM_RIGHTS, 'SCM_RIGHTS'], [C.SCM_CREDS, 'SCM_CREDS'], [0x8, 'SCM_TIMESTAMP']]);

/** open(2)-style flags (O_RDONLY/O_WRONLY/O_RDWR as the access mode, then the rest). */
export const O_FLAG_NAMES: FlagTable = [
  [C.O_NONBLOCK, 'O_NONBLOCK'], [C.O_APPEND, 'O_APPEND'], [C.O_SHLOCK, 'O_SHLOCK'], [C.O_EXLOCK, 'O_EXLOCK'], [C.O_ASYNC, 'O_ASYNC'],
  [C.O_FSYNC, 'O_FSYNC'], [C.O_NOFOLLOW, 'O_NOFOLLOW'], [C.O_CREAT, 'O_CREAT'], [C.O_TRUNC, 'O_TRUNC'], [C.O_EXCL, 'O_EXCL'],
  [C.O_NOCTTY, 'O_NOCTTY'], [C.O_DSYNC, 'O_DSYNC'], [C.O_RSYNC, 'O_RSYNC'], [C.O_ALT_IO, 'O_ALT_IO'], [C.O_DIRECT, 'O_DIRECT'],
  [C.O_DIRECTORY, 'O_DIRECTORY'], [C.O_CLOEXEC, 'O_CLOEXEC'], [C.O_SEARCH, 'O_SEARCH'], [C.O_NOSIGPIPE, 'O_NOSIGPIPE'],
  [C.O_REGULAR, 'O_REGULAR'], [C.O_EXEC, 'O_EXEC'], [C.O_CLOFORK, 'O_CLOFORK'],
];
const ACCMODE = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', '0x3'];

export function openFlagsText(value: number): string {
  const rest = value & ~C.O_ACCMODE;
  const mode = ACCMODE[value & C.O_ACCMODE]!;
  return rest ? `${mode}|${flagsText(rest, O_FLAG_NAMES)}` : mode;
}

/** Flags without an access mode (dup3, pipe2): `O_CLOEXEC|O_NONBLOCK`, or 0. */
export function oFlagsText(value: number): string {
  return flagsText(value, [[C.O_RDWR, 'O_RDWR'], [C.O_WRONLY, 'O_WRONLY'], ...O_FLAG_NAMES]);
}

/** The *at calls' flags (sys/sys/fcntl.h) and their directory descriptor. */
export const AT_FLAG_NAMES: FlagTable = [
  [C.AT_EACCESS, 'AT_EACCESS'], [C.AT_SYMLINK_NOFOLLOW, 'AT_SYMLINK_NOFOLLOW'], [C.AT_SYMLINK_FOLLOW, 'AT_SYMLINK_FOLLOW'],
  [C.AT_REMOVEDIR, 'AT_REMOVEDIR'],
];
export const atFdText = (fd: number): string => (fd === C.AT_FDCWD ? 'AT_FDCWD' : String(fd));

/** access(2) modes (sys/sys/unistd.h): F_OK alone, else R_OK|W_OK|X_OK. */
export const accessModeText = (mode: number): string =>
  flagsText(mode, [[C.R_OK, 'R_OK'], [C.W_OK, 'W_OK'], [C.X_OK, 'X_OK']], 'F_OK');

export const SEEK_NAMES = enumOf([[C.SEEK_SET, 'SEEK_SET'], [C.SEEK_CUR, 'SEEK_CUR'], [C.SEEK_END, 'SEEK_END']]);
export const LOCK_NAMES: FlagTable = [[C.LOCK_SH, 'LOCK_SH'], [C.LOCK_EX, 'LOCK_EX'], [C.LOCK_NB, 'LOCK_NB'], [C.LOCK_UN, 'LOCK_UN']];
export const F_LOCK_TYPES = enumOf([[C.F_RDLCK, 'F_RDLCK'], [C.F_UNLCK, 'F_UNLCK'], [C.F_WRLCK, 'F_WRLCK']]);

/** A mode in octal as strace writes modes and umasks (`%#03o`): `0644`, `022`, `000`. */
export const octalText = (mode: number): string => `0${(mode >>> 0).toString(8)}`.padStart(3, '0');

/** statvfs(2) flags (sys/sys/fstypes.h ST_WAIT/ST_NOWAIT) and f_flag's MNT_* bits. */
export const ST_NAMES = enumOf([[C.ST_WAIT, 'ST_WAIT'], [C.ST_NOWAIT, 'ST_NOWAIT']]);
export const MNT_NAMES: FlagTable = [
  [C.MNT_RDONLY, 'MNT_RDONLY'], [C.MNT_SYNCHRONOUS, 'MNT_SYNCHRONOUS'], [C.MNT_NOEXEC, 'MNT_NOEXEC'], [C.MNT_NOSUID, 'MNT_NOSUID'],
  [C.MNT_NODEV, 'MNT_NODEV'], [C.MNT_LOCAL, 'MNT_LOCAL'],
];

export const FD_FLAG_NAMES: FlagTable = [[C.FD_CLOEXEC, 'FD_CLOEXEC'], [C.FD_CLOFORK, 'FD_CLOFORK']];

export const FCNTL_NAMES = enumOf([
  [C.F_DUPFD, 'F_DUPFD'], [C.F_GETFD, 'F_GETFD'], [C.F_SETFD, 'F_SETFD'], [C.F_GETFL, 'F_GETFL'], [C.F_SETFL, 'F_SETFL'],
  [C.F_GETOWN, 'F_GETOWN'], [C.F_SETOWN, 'F_SETOWN'], [C.F_GETLK, 'F_GETLK'], [C.F_SETLK, 'F_SETLK'], [C.F_SETLKW, 'F_SETLKW'],
  [C.F_CLOSEM, 'F_CLOSEM'], [C.F_MAXFD, 'F_MAXFD'], [C.F_DUPFD_CLOEXEC, 'F_DUPFD_CLOEXEC'], [C.F_GETNOSIGPIPE, 'F_GETNOSIGPIPE'],
  [C.F_SETNOSIGPIPE, 'F_SETNOSIGPIPE'], [C.F_GETPATH, 'F_GETPATH'], [C.F_ADD_SEALS, 'F_ADD_SEALS'], [C.F_GET_SEALS, 'F_GET_SEALS'],
  [C.F_DUPFD_CLOFORK, 'F_DUPFD_CLOFORK'],
]);

export const RLIMIT_NAMES = enumOf([
  [C.RLIMIT_CPU, 'RLIMIT_CPU'], [C.RLIMIT_FSIZE, 'RLIMIT_FSIZE'], [C.RLIMIT_DATA, 'RLIMIT_DATA'], [C.RLIMIT_STACK, 'RLIMIT_STACK'],
  [C.RLIMIT_CORE, 'RLIMIT_CORE'], [C.RLIMIT_RSS, 'RLIMIT_RSS'], [C.RLIMIT_MEMLOCK, 'RLIMIT_MEMLOCK'], [C.RLIMIT_NPROC, 'RLIMIT_NPROC'],
  [C.RLIMIT_NOFILE, 'RLIMIT_NOFILE'], [C.RLIMIT_SBSIZE, 'RLIMIT_SBSIZE'], [C.RLIMIT_AS, 'RLIMIT_AS'], [C.RLIMIT_NTHR, 'RLIMIT_NTHR'],
]);

export const PROT_NAMES: FlagTable = [[C.PROT_READ, 'PROT_READ'], [C.PROT_WRITE, 'PROT_WRITE'], [C.PROT_EXEC, 'PROT_EXEC']];

export const MAP_NAMES: FlagTable = [
  [C.MAP_SHARED, 'MAP_SHARED'], [C.MAP_PRIVATE, 'MAP_PRIVATE'], [C.MAP_FIXED, 'MAP_FIXED'], [C.MAP_RENAME, 'MAP_RENAME'],
  [C.MAP_NORESERVE, 'MAP_NORESERVE'], [C.MAP_INHERIT, 'MAP_INHERIT'], [C.MAP_HASSEMAPHORE, 'MAP_HASSEMAPHORE'],
  [C.MAP_TRYFIXED, 'MAP_TRYFIXED'], [C.MAP_WIRED, 'MAP_WIRED'], [C.MAP_ANON, 'MAP_ANON'], [C.MAP_STACK, 'MAP_STACK'],
];

/** mmap flags, with MAP_ALIGNED(n) for the alignment field. */
export function mapFlagsText(value: number): string {
  const align = (value >>> C.MAP_ALIGNMENT_SHIFT) & 0xff;
  const s = flagsText(value & ~C.MAP_ALIGNMENT_MASK, MAP_NAMES);
  return align ? `${s === '0' ? '' : `${s}|`}MAP_ALIGNED(${align})` : s;
}

export const CLOCK_NAMES = enumOf([
  [C.CLOCK_REALTIME, 'CLOCK_REALTIME'], [C.CLOCK_VIRTUAL, 'CLOCK_VIRTUAL'], [C.CLOCK_PROF, 'CLOCK_PROF'],
  [C.CLOCK_MONOTONIC, 'CLOCK_MONOTONIC'], [C.CLOCK_THREAD_CPUTIME_ID, 'CLOCK_THREAD_CPUTIME_ID'],
  [C.CLOCK_PROCESS_CPUTIME_ID, 'CLOCK_PROCESS_CPUTIME_ID'],
]);

/** A clock id; clock_getcpuclockid2's CPU clocks carry the pid or LWP id in their low bits. */
export function clockText(id: number): string {
  const name = CLOCK_NAMES.get(id);
  if (name) return name;
  for (const cpu of [C.CLOCK_PROCESS_CPUTIME_ID, C.CLOCK_THREAD_CPUTIME_ID]) {
    if (id > cpu && (id & ~(cpu - 1)) === cpu) return `${CLOCK_NAMES.get(cpu)}|${id & (cpu - 1)}`;
  }
  return String(id);
}

export const TIMER_FLAG_NAMES: FlagTable = [[C.TIMER_ABSTIME, 'TIMER_ABSTIME']];
export const ITIMER_NAMES = enumOf([
  [C.ITIMER_REAL, 'ITIMER_REAL'], [C.ITIMER_VIRTUAL, 'ITIMER_VIRTUAL'], [C.ITIMER_PROF, 'ITIMER_PROF'], [C.ITIMER_MONOTONIC, 'ITIMER_MONOTONIC'],
]);
export const IDTYPE_NAMES = enumOf([
  [C.P_MYID, 'P_MYID'], [C.P_ALL, 'P_ALL'], [C.P_PID, 'P_PID'], [C.P_LWPID, 'P_LWPID'], [C.P_PPID, 'P_PPID'], [C.P_PGID, 'P_PGID'],
  [C.P_SID, 'P_SID'], [C.P_CID, 'P_CID'], [C.P_UID, 'P_UID'], [C.P_GID, 'P_GID'],
]);
export const RUSAGE_NAMES = enumOf([[C.RUSAGE_SELF, 'RUSAGE_SELF'], [C.RUSAGE_CHILDREN, 'RUSAGE_CHILDREN']]);
export const PRIO_NAMES = enumOf([[C.PRIO_PROCESS, 'PRIO_PROCESS'], [C.PRIO_PGRP, 'PRIO_PGRP'], [C.PRIO_USER, 'PRIO_USER']]);

export const WAIT_OPTION_NAMES: FlagTable = [
  [C.WNOHANG, 'WNOHANG'], [C.WUNTRACED, 'WUNTRACED'], [C.WALTSIG, 'WALTSIG'], [C.WALLSIG, 'WALLSIG'], [C.WCONTINUED, 'WCONTINUED'],
  [C.WEXITED, 'WEXITED'], [C.WTRAPPED, 'WTRAPPED'], [C.WNOWAIT, 'WNOWAIT'], [C.WNOZOMBIE, 'WNOZOMBIE'],
];
export const POLL_NAMES: FlagTable = [
  [C.POLLIN, 'POLLIN'], [C.POLLPRI, 'POLLPRI'], [C.POLLOUT, 'POLLOUT'], [C.POLLERR, 'POLLERR'], [C.POLLHUP, 'POLLHUP'],
  [C.POLLNVAL, 'POLLNVAL'], [C.POLLRDNORM, 'POLLRDNORM'], [C.POLLRDBAND, 'POLLRDBAND'], [C.POLLWRBAND, 'POLLWRBAND'],
];

/** madvise, msync, minherit (sys/sys/mman.h). */
/** shmget's flags besides the permission bits; shmat's; shmctl's commands (sys/sys/ipc.h, shm.h). */
export const IPC_FLAG_NAMES: FlagTable = [[C.IPC_CREAT, 'IPC_CREAT'], [C.IPC_EXCL, 'IPC_EXCL'], [C.IPC_NOWAIT, 'IPC_NOWAIT']];
export const SHMAT_NAMES: FlagTable = [[C.SHM_RDONLY, 'SHM_RDONLY'], [C.SHM_RND, 'SHM_RND']];
export const SHMCTL_NAMES = enumOf([
  [C.IPC_RMID, 'IPC_RMID'], [C.IPC_SET, 'IPC_SET'], [C.IPC_STAT, 'IPC_STAT'], [C.SHM_LOCK, 'SHM_LOCK'], [C.SHM_UNLOCK, 'SHM_UNLOCK'],
]);

export const SEMCTL_NAMES = enumOf([
  [C.IPC_RMID, 'IPC_RMID'], [C.IPC_SET, 'IPC_SET'], [C.IPC_STAT, 'IPC_STAT'], [C.GETNCNT, 'GETNCNT'], [C.GETPID, 'GETPID'],
  [C.GETVAL, 'GETVAL'], [C.GETALL, 'GETALL'], [C.GETZCNT, 'GETZCNT'], [C.SETVAL, 'SETVAL'], [C.SETALL, 'SETALL'],
]);
export const SEM_FLAG_NAMES: FlagTable = [[C.IPC_NOWAIT, 'IPC_NOWAIT'], [C.SEM_UNDO, 'SEM_UNDO']];

export const MADV_NAMES = enumOf([
  [C.MADV_NORMAL, 'MADV_NORMAL'], [C.MADV_RANDOM, 'MADV_RANDOM'], [C.MADV_SEQUENTIAL, 'MADV_SEQUENTIAL'], [C.MADV_WILLNEED, 'MADV_WILLNEED'],
  [C.MADV_DONTNEED, 'MADV_DONTNEED'], [C.MADV_SPACEAVAIL, 'MADV_SPACEAVAIL'], [C.MADV_FREE, 'MADV_FREE'],
]);
export const MS_NAMES: FlagTable = [[C.MS_ASYNC, 'MS_ASYNC'], [C.MS_INVALIDATE, 'MS_INVALIDATE'], [C.MS_SYNC, 'MS_SYNC']];
export const MAP_INHERIT_NAMES = enumOf([
  [C.MAP_INHERIT_SHARE, 'MAP_INHERIT_SHARE'], [C.MAP_INHERIT_COPY, 'MAP_INHERIT_COPY'], [C.MAP_INHERIT_NONE, 'MAP_INHERIT_NONE'],
  [C.MAP_INHERIT_DONATE_COPY, 'MAP_INHERIT_DONATE_COPY'], [C.MAP_INHERIT_ZERO, 'MAP_INHERIT_ZERO'],
]);

/** LWPs: _lwp_create's flags (sys/sys/lwp.h), _lwp_ctl's features, ucontext's uc_flags. */
export const LWP_CREATE_NAMES: FlagTable = [[C.LWP_DETACHED, 'LWP_DETACHED'], [C.LWP_SUSPENDED, 'LWP_SUSPENDED']];
export const LWPCTL_NAMES: FlagTable = [[C.LWPCTL_FEATURE_CURCPU, 'LWPCTL_FEATURE_CURCPU'], [C.LWPCTL_FEATURE_PCTR, 'LWPCTL_FEATURE_PCTR']];
export const UC_FLAG_NAMES: FlagTable = [
  [C._UC_SIGMASK, '_UC_SIGMASK'], [C._UC_STACK, '_UC_STACK'], [C._UC_CPU, '_UC_CPU'], [C._UC_FPU, '_UC_FPU'],
  [C._UC_SETSTACK, '_UC_SETSTACK'], [C._UC_CLRSTACK, '_UC_CLRSTACK'], [C._UC_TLSBASE, '_UC_TLSBASE'],
];

/** kqueue (sys/sys/event.h): filters, flags, and each filter's fflags. */
export const EVFILT_NAMES = enumOf([
  [C.EVFILT_READ, 'EVFILT_READ'], [C.EVFILT_WRITE, 'EVFILT_WRITE'], [C.EVFILT_AIO, 'EVFILT_AIO'], [C.EVFILT_VNODE, 'EVFILT_VNODE'],
  [C.EVFILT_PROC, 'EVFILT_PROC'], [C.EVFILT_SIGNAL, 'EVFILT_SIGNAL'], [C.EVFILT_TIMER, 'EVFILT_TIMER'], [C.EVFILT_FS, 'EVFILT_FS'],
  [C.EVFILT_USER, 'EVFILT_USER'], [C.EVFILT_EMPTY, 'EVFILT_EMPTY'],
]);
export const EV_NAMES: FlagTable = [
  [C.EV_ADD, 'EV_ADD'], [C.EV_DELETE, 'EV_DELETE'], [C.EV_ENABLE, 'EV_ENABLE'], [C.EV_DISABLE, 'EV_DISABLE'], [C.EV_ONESHOT, 'EV_ONESHOT'],
  [C.EV_CLEAR, 'EV_CLEAR'], [C.EV_RECEIPT, 'EV_RECEIPT'], [C.EV_DISPATCH, 'EV_DISPATCH'], [C.EV_FLAG1, 'EV_FLAG1'], [C.EV_ERROR, 'EV_ERROR'],
  [C.EV_EOF, 'EV_EOF'],
];
const NOTE_PROC_NAMES: FlagTable = [
  [C.NOTE_EXIT, 'NOTE_EXIT'], [C.NOTE_FORK, 'NOTE_FORK'], [C.NOTE_EXEC, 'NOTE_EXEC'], [C.NOTE_TRACK, 'NOTE_TRACK'],
  [C.NOTE_TRACKERR, 'NOTE_TRACKERR'], [C.NOTE_CHILD, 'NOTE_CHILD'],
];
const NOTE_VNODE_NAMES: FlagTable = [
  [C.NOTE_DELETE, 'NOTE_DELETE'], [C.NOTE_WRITE, 'NOTE_WRITE'], [C.NOTE_EXTEND, 'NOTE_EXTEND'], [C.NOTE_ATTRIB, 'NOTE_ATTRIB'],
  [C.NOTE_LINK, 'NOTE_LINK'], [C.NOTE_RENAME, 'NOTE_RENAME'], [C.NOTE_REVOKE, 'NOTE_REVOKE'],
];
const NOTE_TIMER_UNITS = enumOf([
  [C.NOTE_MSECONDS, 'NOTE_MSECONDS'], [C.NOTE_SECONDS, 'NOTE_SECONDS'], [C.NOTE_USECONDS, 'NOTE_USECONDS'], [C.NOTE_NSECONDS, 'NOTE_NSECONDS'],
]);
const NOTE_USER_CTRL = enumOf([[C.NOTE_FFAND, 'NOTE_FFAND'], [C.NOTE_FFOR, 'NOTE_FFOR'], [C.NOTE_FFCOPY, 'NOTE_FFCOPY']]);

/** A kevent's fflags, by its filter. */
export function keventFflagsText(filter: number, fflags: number): string {
  const f = fflags >>> 0;
  switch (filter) {
    case C.EVFILT_READ:
    case C.EVFILT_WRITE:
      return flagsText(f, [[C.NOTE_LOWAT, 'NOTE_LOWAT']]);
    case C.EVFILT_VNODE:
      return flagsText(f, NOTE_VNODE_NAMES);
    case C.EVFILT_PROC:
      return flagsText(f, NOTE_PROC_NAMES);
    case C.EVFILT_TIMER: {
      // The unit is an enumeration in the low bits; NOTE_MSECONDS (0) is the default and not shown.
      const unit = f & C.NOTE_TIMER_UNITMASK;
      const parts = unit ? [enumText(unit, NOTE_TIMER_UNITS)] : [];
      const rest = f & ~C.NOTE_TIMER_UNITMASK;
      if (rest) parts.push(flagsText(rest, [[C.NOTE_ABSTIME, 'NOTE_ABSTIME']]));
      return parts.length ? parts.join('|') : '0';
    }
    case C.EVFILT_USER: {
      const parts: string[] = [];
      const ctrl = (f & C.NOTE_FFCTRLMASK) >>> 0;
      if (ctrl) parts.push(enumText(ctrl, NOTE_USER_CTRL));
      if (f & C.NOTE_TRIGGER) parts.push('NOTE_TRIGGER');
      const rest = f & C.NOTE_FFLAGSMASK;
      if (rest) parts.push(hex(rest));
      const other = f & ~(C.NOTE_FFCTRLMASK | C.NOTE_TRIGGER | C.NOTE_FFLAGSMASK);
      if (other) parts.push(hex(other));
      return parts.length ? parts.join('|') : '0';
    }
    default:
      return f ? hex(f) : '0';
  }
}

export const SIGPROCMASK_HOW = enumOf([[C.SIG_BLOCK, 'SIG_BLOCK'], [C.SIG_UNBLOCK, 'SIG_UNBLOCK'], [C.SIG_SETMASK, 'SIG_SETMASK']]);

export const SA_NAMES: FlagTable = [
  [C.SA_ONSTACK, 'SA_ONSTACK'], [C.SA_RESTART, 'SA_RESTART'], [C.SA_RESETHAND, 'SA_RESETHAND'], [C.SA_NOCLDSTOP, 'SA_NOCLDSTOP'],
  [C.SA_NODEFER, 'SA_NODEFER'], [C.SA_NOCLDWAIT, 'SA_NOCLDWAIT'], [C.SA_SIGINFO, 'SA_SIGINFO'],
];

export const SS_NAMES: FlagTable = [[C.SS_ONSTACK, 'SS_ONSTACK'], [C.SS_DISABLE, 'SS_DISABLE']];

export const SYSARCH_OPS = enumOf([
  [C.X86_GET_GSBASE, 'X86_GET_GSBASE'], [C.X86_GET_FSBASE, 'X86_GET_FSBASE'], [C.X86_SET_GSBASE, 'X86_SET_GSBASE'],
  [C.X86_SET_FSBASE, 'X86_SET_FSBASE'],
]);

/** sysctl MIB names, for the top two levels nbemu answers (sys/sys/sysctl.h). */
export const CTL_NAMES = enumOf([[C.CTL_KERN, 'CTL_KERN'], [C.CTL_VM, 'CTL_VM'], [C.CTL_HW, 'CTL_HW']]);
export const CTL_SECOND: ReadonlyMap<number, EnumTable> = new Map([
  [C.CTL_KERN, enumOf([
    [C.KERN_OSTYPE, 'KERN_OSTYPE'], [C.KERN_OSRELEASE, 'KERN_OSRELEASE'], [C.KERN_OSREV, 'KERN_OSREV'], [C.KERN_VERSION, 'KERN_VERSION'],
    [C.KERN_MAXFILES, 'KERN_MAXFILES'], [C.KERN_HOSTNAME, 'KERN_HOSTNAME'], [C.KERN_ARND, 'KERN_ARND'],
  ])],
  [C.CTL_HW, enumOf([
    [C.HW_MACHINE, 'HW_MACHINE'], [C.HW_NCPU, 'HW_NCPU'], [C.HW_PAGESIZE, 'HW_PAGESIZE'], [C.HW_MACHINE_ARCH, 'HW_MACHINE_ARCH'],
    [C.HW_NCPUONLINE, 'HW_NCPUONLINE'], [C.HW_PHYSMEM64, 'HW_PHYSMEM64'],
  ])],
]);

/** si_code names (sys/sys/siginfo.h): the generic ones, then the per-signal ones. */
const SI_GENERIC = enumOf([
  [C.SI_USER, 'SI_USER'], [-1, 'SI_QUEUE'], [-2, 'SI_TIMER'], [-3, 'SI_ASYNCIO'], [-4, 'SI_MESGQ'], [C.SI_LWP, 'SI_LWP'],
  [C.SI_NOINFO, 'SI_NOINFO'],
]);
const SI_BY_SIGNAL: ReadonlyMap<number, EnumTable> = new Map([
  [C.SIGSEGV, enumOf([[C.SEGV_MAPERR, 'SEGV_MAPERR'], [C.SEGV_ACCERR, 'SEGV_ACCERR']])],
  [C.SIGILL, enumOf([[C.ILL_ILLOPC, 'ILL_ILLOPC'], [2, 'ILL_ILLOPN'], [3, 'ILL_ILLADR'], [4, 'ILL_ILLTRP'], [5, 'ILL_PRVOPC'], [6, 'ILL_PRVREG'], [7, 'ILL_COPROC'], [8, 'ILL_BADSTK']])],
  [C.SIGFPE, enumOf([[C.FPE_INTDIV, 'FPE_INTDIV'], [2, 'FPE_INTOVF'], [3, 'FPE_FLTDIV'], [4, 'FPE_FLTOVF'], [5, 'FPE_FLTUND'], [6, 'FPE_FLTRES'], [C.FPE_FLTINV, 'FPE_FLTINV'], [8, 'FPE_FLTSUB']])],
  [C.SIGBUS, enumOf([[C.BUS_ADRALN, 'BUS_ADRALN'], [C.BUS_ADRERR, 'BUS_ADRERR'], [3, 'BUS_OBJERR']])],
  [C.SIGTRAP, enumOf([[C.TRAP_BRKPT, 'TRAP_BRKPT'], [C.TRAP_TRACE, 'TRAP_TRACE']])],
  [C.SIGCHLD, enumOf([
    [C.CLD_EXITED, 'CLD_EXITED'], [C.CLD_KILLED, 'CLD_KILLED'], [C.CLD_DUMPED, 'CLD_DUMPED'], [C.CLD_TRAPPED, 'CLD_TRAPPED'],
    [C.CLD_STOPPED, 'CLD_STOPPED'], [C.CLD_CONTINUED, 'CLD_CONTINUED'],
  ])],
  [C.SIGIO, enumOf([[C.POLL_IN, 'POLL_IN'], [C.POLL_OUT, 'POLL_OUT'], [3, 'POLL_MSG'], [C.POLL_ERR, 'POLL_ERR'], [5, 'POLL_PRI'], [C.POLL_HUP, 'POLL_HUP']])],
]);

export function siCodeText(signo: number, code: number): string {
  if (code <= 0 || code === C.SI_NOINFO) return enumText(code, SI_GENERIC);
  return SI_BY_SIGNAL.get(signo)?.get(code) ?? String(code);
}

/** Signal name for a number, or the number when out of range. */
export function signalText(sig: number): string {
  return sig > 0 && sig < C.NSIG ? C.signalName(sig) : String(sig);
}

/** errno name and message (sys/sys/errno.h), or `E<n>` for a number nbemu has no name for. */
export function errnoText(errno: number): { name: string; message: string } {
  const e = C.ERRNO_NAMES[errno];
  return e ? { name: e[0], message: e[1] } : { name: `E${errno}`, message: `Unknown error: ${errno}` };
}

/** errno by name (`ENFILE`) or number (`23`); undefined if neither. */
export function errnoByName(s: string): number | undefined {
  if (/^\d+$/.test(s)) return Number(s);
  for (const [n, [name]] of Object.entries(C.ERRNO_NAMES)) if (name === s.toUpperCase()) return Number(n);
  return undefined;
}

export const S_IFMT_NAMES = enumOf([
  [C.S_IFIFO, 'S_IFIFO'], [C.S_IFCHR, 'S_IFCHR'], [C.S_IFDIR, 'S_IFDIR'], [C.S_IFREG, 'S_IFREG'], [C.S_IFSOCK, 'S_IFSOCK'],
  [0o060000, 'S_IFBLK'], [0o120000, 'S_IFLNK'], [0o160000, 'S_IFWHT'],
]);

export function modeText(mode: number): string {
  const fmt = mode & C.S_IFMT;
  const perm = (mode & ~C.S_IFMT).toString(8).padStart(4, '0');
  return fmt ? `${enumText(fmt, S_IFMT_NAMES)}|${perm}` : perm;
}

export const PC_NAMES = enumOf([
  [C._PC_LINK_MAX, '_PC_LINK_MAX'], [C._PC_MAX_CANON, '_PC_MAX_CANON'], [C._PC_MAX_INPUT, '_PC_MAX_INPUT'], [C._PC_NAME_MAX, '_PC_NAME_MAX'],
  [C._PC_PATH_MAX, '_PC_PATH_MAX'], [C._PC_PIPE_BUF, '_PC_PIPE_BUF'], [C._PC_CHOWN_RESTRICTED, '_PC_CHOWN_RESTRICTED'],
  [C._PC_NO_TRUNC, '_PC_NO_TRUNC'], [C._PC_VDISABLE, '_PC_VDISABLE'], [C._PC_SYNC_IO, '_PC_SYNC_IO'], [C._PC_FILESIZEBITS, '_PC_FILESIZEBITS'],
  [C._PC_SYMLINK_MAX, '_PC_SYMLINK_MAX'], [C._PC_2_SYMLINKS, '_PC_2_SYMLINKS'], [C._PC_ACL_EXTENDED, '_PC_ACL_EXTENDED'],
  [C._PC_MIN_HOLE_SIZE, '_PC_MIN_HOLE_SIZE'], [C._PC_ACL_PATH_MAX, '_PC_ACL_PATH_MAX'], [C._PC_ACL_NFS4, '_PC_ACL_NFS4'],
]);

export const IOCTL_NAMES = enumOf([
  [C.FIOCLEX, 'FIOCLEX'], [C.FIONCLEX, 'FIONCLEX'], [C.FIONREAD, 'FIONREAD'], [C.FIONBIO, 'FIONBIO'], [C.FIOASYNC, 'FIOASYNC'],
  [C.FIOSETOWN, 'FIOSETOWN'], [C.FIOGETOWN, 'FIOGETOWN'], [C.FIONWRITE, 'FIONWRITE'], [C.FIONSPACE, 'FIONSPACE'],
  [C.TIOCEXCL, 'TIOCEXCL'], [C.TIOCNXCL, 'TIOCNXCL'], [C.TIOCFLUSH, 'TIOCFLUSH'], [C.TIOCGETA, 'TIOCGETA'], [C.TIOCSETA, 'TIOCSETA'],
  [C.TIOCSETAW, 'TIOCSETAW'], [C.TIOCSETAF, 'TIOCSETAF'], [C.TIOCGPGRP, 'TIOCGPGRP'], [C.TIOCSPGRP, 'TIOCSPGRP'],
  [C.TIOCOUTQ, 'TIOCOUTQ'], [C.TIOCNOTTY, 'TIOCNOTTY'], [C.TIOCGWINSZ, 'TIOCGWINSZ'], [C.TIOCSWINSZ, 'TIOCSWINSZ'],
  [C.TIOCSCTTY, 'TIOCSCTTY'], [C.TIOCDRAIN, 'TIOCDRAIN'], [C.TIOCGSID, 'TIOCGSID'], [C.SIOCATMARK, 'SIOCATMARK'],
  [C.SIOCSPGRP, 'SIOCSPGRP'], [C.SIOCGPGRP, 'SIOCGPGRP'], [C.KFILTER_BYFILTER, 'KFILTER_BYFILTER'], [C.KFILTER_BYNAME, 'KFILTER_BYNAME'],
]);

/** An ioctl command by name, or as _IO[RW]('g', n, len) when nbemu has no name for it. */
export function ioctlText(com: number): string {
  const name = IOCTL_NAMES.get(com);
  if (name) return name;
  if (com > 0xffffffff || Math.floor(com / 0x10000) === 0) return hex(com);
  const dir = (com & C.IOC_IN ? 'W' : '') + (com & C.IOC_OUT ? 'R' : '');
  const g = (com >>> 8) & 0xff;
  const group = g >= 0x20 && g < 0x7f ? `'${String.fromCharCode(g)}'` : String(g);
  return `_IO${dir}(${group}, ${com & 0xff}, ${C.IOCPARM_LEN(com)})`;
}
