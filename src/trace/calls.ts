// How each syscall's arguments read in the trace, keyed by the descriptor's NetBSD name (the
// descriptors in syscalls/ give names and register types only). Every argument of every
// descriptor that is not a plain descriptor number has an entry here — `num` where decimal is
// the faithful reading, `opaque` for an address that is its own meaning — or is listed in
// RAW_ARGS with the reason; test/trace.test.ts fails for a descriptor argument that has
// neither, and for an entry that names no descriptor or no argument of it.
//
// In-arguments are decoded at entry, before the handler can change memory; out-arguments
// (`out`) after the call, and only when it succeeded (else their address is shown).

import * as C from '../kernel/constants.js';
import {
  arg, bufIn, bufOut, bufferAt, dv, enumOf, flagsOf, hex, i64, intOut, intsIn, intsOut, lenInOut, mem, num, ok, opaque,
  pad, ptrOut, ptrText, sig, str, stringAt, structIn, structOut, textOf, u64,
  type ArgFmt, type CallFmt, type DecodeCtx, type Decoded, type Fmt,
} from './fmt.js';
import {
  AF_NAMES, AT_FLAG_NAMES, CTL_NAMES, CTL_SECOND, FCNTL_NAMES, FD_FLAG_NAMES, IDTYPE_NAMES, ITIMER_NAMES, LOCK_NAMES,
  LWPCTL_NAMES, LWP_CREATE_NAMES, MADV_NAMES, MAP_INHERIT_NAMES, MSG_NAMES, MS_NAMES, PRIO_NAMES, PROT_NAMES, RLIMIT_NAMES,
  RUSAGE_NAMES, SEEK_NAMES, SHUT_NAMES, IPC_FLAG_NAMES, SHMAT_NAMES, SHMCTL_NAMES, SEMCTL_NAMES, SEM_FLAG_NAMES, SIGPROCMASK_HOW, SOCK_FLAG_NAMES, SOL_NAMES, ST_NAMES, SYSARCH_OPS, TIMER_FLAG_NAMES,
  WAIT_OPTION_NAMES, accessModeText, atFdText, clockText, enumText, errnoText, flagsText, mapFlagsText, oFlagsText, octalText,
  modeText, openFlagsText, sockTypeText, sockoptText, ioctlText, PC_NAMES, signalText,
} from './names.js';
import {
  STAT_SIZE, UCONTEXT_SIZE, dirents, fdsetAt, flock, iovIn, iovOut, itimerval, keventsAt, msghdr, pollfdsAt, rlimit, rusage,
  envArray, sigaction, sigset, sockaddrIn, spawnattr, spawnFileActions, sockaddrOut, sockoptValue, stack, stat, statvfs, statvfsSize, stringArray, timespec, timeval,
  timezone, ucontext, utimensPair, utimesPair, waitStatusText,
} from './structs.js';

// ---- shared argument formats --------------------------------------------------------------------

const atFd: Fmt = (_c, v) => ({ text: atFdText(v), value: v });
const atFlags = flagsOf(AT_FLAG_NAMES);
/** A uid_t/gid_t argument of the chown family: -1 (leave it) shows as -1. */
const ownerId: Fmt = (_c, v) => ({ text: String(v | 0), value: v | 0 });
const octal = textOf(octalText);
/** System V IPC: a key in hex; get flags as IPC_CREAT|IPC_EXCL|0600; a bare address or buffer. */
const ipcKey: Fmt = (_c, v) => ({ text: hex(v), value: v });
const ipcGetFlags: Fmt = (_c, v) => ({ text: [flagsText(v & ~0o777, IPC_FLAG_NAMES, ''), octalText(v & 0o777)].filter((x) => x).join('|'), value: v });
const ipcAddr: Fmt = (_c, v) => ({ text: ptrText(v), value: v });
/** A mode with its file type (mknod): S_IFREG|0644. */
const typedMode = textOf(modeText);
const openFlags = textOf(openFlagsText);
const oFlags = textOf(oFlagsText);
const sockType = textOf(sockTypeText);
const clockId = textOf(clockText);
const timespecIn = structIn(16, (d) => timespec(d));
const timespecOut = structOut(16, (d) => timespec(d));
const sigsetIn = structIn(16, sigset);
const statOut = structOut(STAT_SIZE, stat);
const addrLen = { addr: opaque, len: num };

/** open's mode: only O_CREAT makes the kernel look at it (strace leaves it out otherwise). */
const modeIf = (flagsArg: string): Fmt => (c, v) => ({ text: octalText(v), value: v, hidden: !(arg(c, flagsArg) & C.O_CREAT) });

/** A string the kernel writes, NUL-terminated, into a buffer of `lenArg` bytes. */
const strOut = (lenArg: string): ArgFmt => ({
  out: true,
  fmt: (c, v) => (ok(c) ? stringAt(c, v, Math.max(0, arg(c, lenArg))) : { text: ptrText(v) }),
});

/** A timespec the kernel writes back when a sleep ends, early (EINTR) or not: nanosleep's rmtp. */
const remainOut = structOut(16, (d) => timespec(d), (c) => ok(c) || c.errno === C.EINTR);
/** clock_nanosleep's: its error is the value; nothing is written for an absolute time or an early error. */
const clockRemainOut = structOut(16, (d) => timespec(d), (c) =>
  !(arg(c, 'flags') & C.TIMER_ABSTIME) && (c.errno === C.EINTR || (ok(c) && (c.result === 0 || c.result === C.EINTR))));

/** select's sets: the descriptors asked about at entry; the ready ones in the return value. */
const fdset: Fmt = (c, v) => fdsetAt(c, v, arg(c, 'nd'));
function selectRet(c: DecodeCtx, r: number): string {
  if (r === 0) return '0 (Timeout)';
  const parts: string[] = [];
  for (const [name, label] of [['in', 'in'], ['ou', 'out'], ['ex', 'except']] as const) {
    const v = arg(c, name);
    if (v === 0) continue;
    const d = fdsetAt(c, v, arg(c, 'nd'));
    if (Array.isArray(d.value) && d.value.length) parts.push(`${label} ${d.text}`);
  }
  return parts.length ? `${r} (${parts.join(', ')})` : String(r);
}

/** poll's array: events at entry; the revents of the ready ones in the return value. */
const pollfds: Fmt = (c, v) => pollfdsAt(c, v, arg(c, 'nfds'), false);
const pollRet = (c: DecodeCtx, r: number): string => (r === 0 ? '0 (Timeout)' : `${r} (${pollfdsAt(c, arg(c, 'fds'), arg(c, 'nfds'), true).text})`);

/** kevent's lists: the changes at entry, the events (as many as returned) after. */
const changelist: Fmt = (c, v) => keventsAt(c, v, arg(c, 'nchanges'));
const eventlist: ArgFmt = { out: true, fmt: (c, v) => (ok(c) ? keventsAt(c, v, c.result!) : { text: ptrText(v) }) };

const sockaddrLen = { name: sockaddrOut('anamelen'), anamelen: lenInOut(4) };

// fcntl: the third argument by command; F_GETLK's struct flock is written by the kernel.
const fcntlArg: ArgFmt = {
  out: (c) => arg(c, 'cmd') === C.F_GETLK,
  fmt: (c, v) => {
    const cmd = arg(c, 'cmd');
    switch (cmd) {
      case C.F_SETFD:
        return { text: flagsText(v, FD_FLAG_NAMES), value: v };
      case C.F_SETFL:
        return { text: openFlagsText(v), value: v };
      case C.F_DUPFD: case C.F_DUPFD_CLOEXEC: case C.F_DUPFD_CLOFORK: case C.F_SETNOSIGPIPE: case C.F_CLOSEM:
      case C.F_SETOWN: case C.F_ADD_SEALS:
        return { text: String(v), value: v };
      case C.F_SETLK: case C.F_SETLKW:
        return structIn(C.FLOCK_SIZE, flock(false))(c, v);
      case C.F_GETLK:
        return structOut(C.FLOCK_SIZE, flock(true)).fmt(c, v);
      case C.F_GETPATH:
        return ok(c) ? stringAt(c, v, C.MAXPATHLEN) : { text: ptrText(v) };
      default:
        return { text: String(v), value: v, hidden: true };
    }
  },
};
const fcntlRet = (c: DecodeCtx, r: number): string => {
  const cmd = arg(c, 'cmd');
  if (cmd === C.F_GETFD) return r ? `${hex(r)} (flags ${flagsText(r, FD_FLAG_NAMES)})` : '0';
  if (cmd === C.F_GETFL) return `${hex(r)} (flags ${openFlagsText(r)})`;
  return String(r);
};

// ioctl: the command by name; its argument as the command's type (an int, a termios, a window
// size), read at entry for IOC_IN and after a successful call for IOC_OUT; else the address.
const ioctlCom: Fmt = (_c, v) => ({ text: ioctlText(v), value: v });
const INT_IOCTLS = new Set([
  C.FIONREAD, C.FIONBIO, C.FIOASYNC, C.FIOSETOWN, C.FIOGETOWN, C.FIONWRITE, C.FIONSPACE, C.TIOCFLUSH, C.TIOCGPGRP,
  C.TIOCSPGRP, C.TIOCOUTQ, C.TIOCGSID, C.SIOCATMARK, C.SIOCSPGRP, C.SIOCGPGRP,
]);
const termiosText = (d: DataView): Decoded => {
  const w = [0, 4, 8, 12].map((o) => d.getUint32(o, true));
  return { text: `{c_iflag=${hex(w[0]!)}, c_oflag=${hex(w[1]!)}, c_cflag=${hex(w[2]!)}, c_lflag=${hex(w[3]!)}, c_ispeed=${d.getInt32(36, true)}, c_ospeed=${d.getInt32(40, true)}}`, value: w };
};
const winsizeText = (d: DataView): Decoded => {
  const v = [0, 2, 4, 6].map((o) => d.getUint16(o, true));
  return { text: `{ws_row=${v[0]}, ws_col=${v[1]}, ws_xpixel=${v[2]}, ws_ypixel=${v[3]}}`, value: v };
};
const ioctlDataOf = (com: number): ((d: DataView) => Decoded) | undefined => {
  if (INT_IOCTLS.has(com)) return (d) => ({ text: `[${d.getInt32(0, true)}]`, value: d.getInt32(0, true) });
  if (com === C.TIOCGETA || com === C.TIOCSETA || com === C.TIOCSETAW || com === C.TIOCSETAF) return termiosText;
  if (com === C.TIOCGWINSZ || com === C.TIOCSWINSZ) return winsizeText;
  return undefined;
};
const ioctlOut = (c: DecodeCtx): boolean => (arg(c, 'com') % 0x1_0000_0000 & C.IOC_OUT) !== 0 && C.IOCPARM_LEN(arg(c, 'com')) > 0;
const ioctlArg: ArgFmt = {
  out: ioctlOut,
  fmt: (c, v) => {
    const com = arg(c, 'com');
    const fn = ioctlDataOf(com);
    if (!fn || (ioctlOut(c) && !ok(c))) return { text: ptrText(v), value: v };
    const b = mem(c, v, C.IOCPARM_LEN(com));
    return b ? fn(dv(b)) : { text: ptrText(v), value: v };
  },
};

/** struct itimerspec: it_interval, it_value. */
const itimerspec = (d: DataView): Decoded => {
  const i = timespec(d, 0);
  const v = timespec(d, 16);
  return { text: `{it_interval=${i.text}, it_value=${v.text}}`, value: { interval: i.value, value: v.value } };
};

/** A wait status the kernel writes, when the call reported a child (result > 0). */
const waitStatusOut: ArgFmt = {
  out: true,
  fmt: (c, v) => {
    const b = ok(c) && c.result! > 0 ? mem(c, v, 4) : undefined;
    return b ? { text: waitStatusText(dv(b).getInt32(0, true)), value: dv(b).getInt32(0, true) } : { text: ptrText(v) };
  },
};

// sysctl: the MIB by name for the top two levels; old values of 4 or 8 bytes as numbers.
const sysctlName: Fmt = (c, v) => {
  const n = Math.min(arg(c, 'namelen'), C.CTL_MAXNAME);
  const b = mem(c, v, 4 * n);
  if (!b) return { text: ptrText(v) };
  const d = dv(b);
  const ids = Array.from({ length: n }, (_, i) => d.getInt32(4 * i, true));
  const names = ids.map((id, i) => (i === 0 ? enumText(id, CTL_NAMES) : i === 1 ? enumText(id, CTL_SECOND.get(ids[0]!) ?? new Map()) : String(id)));
  return { text: `[${names.join(', ')}]`, value: ids };
};
const sysctlOld: ArgFmt = {
  out: true,
  fmt: (c, v) => {
    if (v === 0 || !ok(c)) return { text: ptrText(v) };
    const lb = mem(c, arg(c, 'oldlenp'), 8);
    if (!lb) return { text: hex(v) };
    const len = u64(dv(lb), 0);
    if (len === 4 || len === 8) {
      const b = mem(c, v, len);
      if (b) {
        const n = len === 4 ? dv(b).getInt32(0, true) : i64(dv(b), 0);
        return { text: `[${n}]`, value: n };
      }
    }
    return bufferAt(c, v, len);
  },
};

const sysarchParms: ArgFmt = {
  out: (c) => arg(c, 'op') === C.X86_GET_FSBASE || arg(c, 'op') === C.X86_GET_GSBASE,
  fmt: (c, v) => {
    const op = arg(c, 'op');
    const isSet = op === C.X86_SET_FSBASE || op === C.X86_SET_GSBASE;
    const isGet = op === C.X86_GET_FSBASE || op === C.X86_GET_GSBASE;
    if (!(isSet || (isGet && ok(c)))) return { text: ptrText(v) };
    const b = mem(c, v, 8);
    if (!b) return { text: ptrText(v) };
    const p = u64(dv(b), 0);
    return { text: `[${ptrText(p)}]`, value: p };
  },
};

const sockoptLevel = enumOf(SOL_NAMES);
const sockoptName: Fmt = (c, v) => ({ text: sockoptText(arg(c, 'level'), v), value: v });

const hexRet = (_c: DecodeCtx, r: number): string => hex(r);
/** clock_nanosleep returns its error as the value (sys_clock_nanosleep: *retval = error). */
const errnoRet = (_c: DecodeCtx, r: number): string => (r === 0 ? '0' : `${r} (${errnoText(r).name})`);

// ---- the table ----------------------------------------------------------------------------------

/** Per-call formats, by NetBSD name. */
export const CALL_FORMATS: Record<string, CallFmt> = {
  // process
  exit: { args: { rval: num } },
  __wait450: {
    args: {
      pid: num,
      status: waitStatusOut,
      options: flagsOf(WAIT_OPTION_NAMES),
      rusage: structOut(C.RUSAGE_SIZE, rusage, (c) => ok(c) && c.result! > 0),
    },
  },
  wait6: {
    args: {
      idtype: enumOf(IDTYPE_NAMES),
      id: num,
      status: waitStatusOut,
      options: flagsOf(WAIT_OPTION_NAMES),
      // struct wrusage: wru_self (shown), then wru_children
      wru: structOut(C.RUSAGE_SIZE, rusage, (c) => ok(c) && c.result! > 0),
      info: structOut(32, (d) => ({
        text: `{si_signo=${signalText(d.getInt32(0, true))}, si_code=${d.getInt32(4, true)}, si_pid=${d.getInt32(16, true)}, si_status=${d.getInt32(24, true)}}`,
        value: d.getInt32(16, true),
      }), (c) => ok(c) && c.result! > 0),
    },
  },
  execve: { args: { path: str, argp: stringArray, envp: envArray } },
  fexecve: { args: { argp: stringArray, envp: envArray } },
  posix_spawn: {
    args: {
      pid: structOut(4, (d) => ({ text: `[${d.getInt32(0, true)}]`, value: d.getInt32(0, true) }), (c) => ok(c) && c.result === 0),
      path: str,
      file_actions: spawnFileActions,
      attrp: structIn(C.SPAWNATTR_SIZE, spawnattr),
      argv: stringArray,
      envp: envArray,
    },
    ret: errnoRet, // sys_posix_spawn: *retval = error
  },
  getpgid: { args: { pid: num } },
  getsid: { args: { pid: num } },
  setpgid: { args: { pid: num, pgid: num } },
  getrlimit: { args: { which: enumOf(RLIMIT_NAMES), rlp: structOut(16, rlimit) } },
  setrlimit: { args: { which: enumOf(RLIMIT_NAMES), rlp: structIn(16, rlimit) } },
  getgroups: { args: { gidsetsize: num, gidset: intsOut((c) => (arg(c, 'gidsetsize') > 0 ? c.result! : 0)) } },
  setgroups: { args: { gidsetsize: num, gidset: intsIn('gidsetsize') } },
  setuid: { args: { uid: ownerId } },
  seteuid: { args: { euid: ownerId } },
  setreuid: { args: { ruid: ownerId, euid: ownerId } },
  setgid: { args: { gid: ownerId } },
  setegid: { args: { egid: ownerId } },
  setregid: { args: { rgid: ownerId, egid: ownerId } },
  getpriority: { args: { which: enumOf(PRIO_NAMES), who: num } },
  __getlogin: { args: { namebuf: strOut('namelen'), namelen: num } },
  __setlogin: { args: { namebuf: str } },
  setpriority: { args: { which: enumOf(PRIO_NAMES), who: num, prio: num } },
  __getrusage50: { args: { who: enumOf(RUSAGE_NAMES), rusage: structOut(C.RUSAGE_SIZE, rusage) } },
  pipe: { args: {}, ret: (c, r) => `${r} (fildes [${r}, ${c.rdx ?? '?'}])` },

  // signals
  kill: { args: { pid: num, signum: sig } },
  uuidgen: {
    args: {
      // the first UUID, as uuid_snprintf writes it
      store: structOut(16, (d, c) => {
        const h = (o: number, n: number): string => Array.from({ length: n }, (_, i) => d.getUint8(o + i).toString(16).padStart(2, '0')).join('');
        const text = `${d.getUint32(0, true).toString(16).padStart(8, '0')}-${d.getUint16(4, true).toString(16).padStart(4, '0')}-${d.getUint16(6, true).toString(16).padStart(4, '0')}-${h(8, 2)}-${h(10, 6)}`;
        return { text: `[${text}${arg(c, 'count') > 1 ? ', ...' : ''}]`, value: text };
      }),
      count: num,
    },
  },
  sigqueueinfo: {
    args: {
      pid: num,
      info: structIn(96, (d) => ({
        text: `{si_signo=${signalText(d.getInt32(0, true))}, si_code=${d.getInt32(4, true)}, si_pid=${d.getInt32(16, true)}, si_uid=${d.getUint32(20, true)}, si_value=${hex(d.getBigUint64(24, true))}}`,
        value: d.getInt32(0, true),
      })),
    },
  },
  __sigaction_sigtramp: { args: { signum: sig, nsa: structIn(32, sigaction), osa: structOut(32, sigaction), tramp: opaque, vers: num } },
  __sigprocmask14: { args: { how: enumOf(SIGPROCMASK_HOW), set: sigsetIn, oset: structOut(16, sigset) } },
  __sigpending14: { args: { set: structOut(16, sigset) } },
  __sigsuspend14: { args: { set: sigsetIn } },
  timer_create: {
    args: {
      clock_id: clockId,
      evp: structIn(C.SIGEVENT_SIZE, (d) => ({
        text: `{sigev_notify=${d.getInt32(0, true)}, sigev_signo=${signalText(d.getInt32(4, true))}, sigev_value=${hex(u64(d, 8))}}`,
        value: d.getInt32(0, true),
      })),
      timerid: intOut(),
    },
  },
  timer_delete: { args: { timerid: num } },
  timer_getoverrun: { args: { timerid: num } },
  __timer_settime50: { args: { timerid: num, flags: flagsOf(TIMER_FLAG_NAMES), value: structIn(32, itimerspec), ovalue: structOut(32, itimerspec) } },
  __timer_gettime50: { args: { timerid: num, value: structOut(32, itimerspec) } },
  ____sigtimedwait50: {
    args: {
      set: sigsetIn,
      // the signal taken: si_signo and si_code of the siginfo_t written
      info: structOut(16, (d) => ({ text: `{si_signo=${signalText(d.getInt32(0, true))}, si_code=${d.getInt32(4, true)}}`, value: d.getInt32(0, true) })),
      timeout: timespecIn,
    },
    ret: (_c, r) => `${r} (${signalText(r)})`,
  },
  __sigaltstack14: { args: { nss: structIn(24, (d) => stack(d)), oss: structOut(24, (d) => stack(d)) } },
  getcontext: { args: { ucp: structOut(UCONTEXT_SIZE, ucontext) } },
  setcontext: { args: { ucp: structIn(UCONTEXT_SIZE, ucontext) } },

  // descriptors and I/O
  read: { args: { buf: bufOut, nbyte: num } },
  write: { args: { buf: bufIn('nbyte'), nbyte: num } },
  readv: { args: { iovp: iovOut('iovcnt'), iovcnt: num } },
  writev: { args: { iovp: iovIn('iovcnt'), iovcnt: num } },
  pread: { args: { buf: bufOut, nbyte: num, PAD: pad, offset: num } },
  pwrite: { args: { buf: bufIn('nbyte'), nbyte: num, PAD: pad, offset: num } },
  __posix_fadvise50: { args: { PAD: pad, offset: num, len: num, advice: num }, ret: (_c, r) => (r === 0 ? '0' : `${r} (${errnoText(r).name})`) },
  fsync_range: { args: { flags: flagsOf([[C.FDATASYNC, 'FDATASYNC'], [C.FFILESYNC, 'FFILESYNC'], [C.FDISKSYNC, 'FDISKSYNC']]), start: num, length: num } },
  preadv: { args: { iovp: iovOut('iovcnt'), iovcnt: num, PAD: pad, offset: num } },
  pwritev: { args: { iovp: iovIn('iovcnt'), iovcnt: num, PAD: pad, offset: num } },
  dup3: { args: { flags: oFlags } },
  pipe2: { args: { fildes: intsOut(2), flags: oFlags } },
  fcntl: { args: { cmd: enumOf(FCNTL_NAMES), arg: fcntlArg }, ret: fcntlRet },
  ioctl: { args: { com: ioctlCom, data: ioctlArg } },
  fpathconf: { args: { name: enumOf(PC_NAMES) } },
  __fstat50: { args: { sb: statOut } },
  lseek: { args: { PAD: pad, offset: num, whence: enumOf(SEEK_NAMES) } },
  flock: { args: { how: flagsOf(LOCK_NAMES) } },
  kqueue1: { args: { flags: oFlags } },
  __kevent50: { args: { changelist, nchanges: num, eventlist, nevents: num, timeout: timespecIn } },
  poll: { args: { fds: pollfds, nfds: num, timeout: num }, ret: pollRet },
  __pollts50: { args: { fds: pollfds, nfds: num, ts: timespecIn, mask: sigsetIn }, ret: pollRet },
  __select50: { args: { nd: num, in: fdset, ou: fdset, ex: fdset, tv: structIn(16, (d) => timeval(d)) }, ret: selectRet },
  __pselect50: { args: { nd: num, in: fdset, ou: fdset, ex: fdset, ts: timespecIn, mask: sigsetIn }, ret: selectRet },

  // files and the namespace
  open: { args: { path: str, flags: openFlags, mode: modeIf('flags') } },
  openat: { args: { fd: atFd, path: str, oflags: openFlags, mode: modeIf('oflags') } },
  pathconf: { args: { path: str, name: enumOf(PC_NAMES) } },
  __stat50: { args: { path: str, ub: statOut } },
  __lstat50: { args: { path: str, ub: statOut } },
  fstatat: { args: { fd: atFd, path: str, buf: statOut, flag: atFlags } },
  access: { args: { path: str, flags: textOf(accessModeText) } },
  faccessat: { args: { fd: atFd, path: str, amode: textOf(accessModeText), flag: atFlags } },
  __getdents30: { args: { buf: { out: true, fmt: (c, v) => (ok(c) ? dirents(c, v, c.result!) : { text: ptrText(v) }) }, count: num } },
  readlink: { args: { path: str, buf: bufOut, count: num } },
  readlinkat: { args: { fd: atFd, path: str, buf: bufOut, bufsize: num } },
  __getcwd: { args: { bufp: strOut('length'), length: num } },
  chdir: { args: { path: str } },
  chroot: { args: { path: str } },
  mkdir: { args: { path: str, mode: octal } },
  mkdirat: { args: { fd: atFd, path: str, mode: octal } },
  mkfifo: { args: { path: str, mode: octal } },
  mkfifoat: { args: { fd: atFd, path: str, mode: octal } },
  __mknod50: { args: { path: str, mode: typedMode, dev: num } },
  mknodat: { args: { fd: atFd, path: str, mode: typedMode, PAD: pad, dev: num } },
  rmdir: { args: { path: str } },
  unlink: { args: { path: str } },
  unlinkat: { args: { fd: atFd, path: str, flag: atFlags } },
  rename: { args: { from: str, to: str } },
  __posix_rename: { args: { from: str, to: str } },
  renameat: { args: { fromfd: atFd, from: str, tofd: atFd, to: str } },
  link: { args: { path: str, link: str } },
  linkat: { args: { fd1: atFd, name1: str, fd2: atFd, name2: str, flags: atFlags } },
  symlink: { args: { path: str, link: str } },
  symlinkat: { args: { path1: str, fd: atFd, path2: str } },
  chmod: { args: { path: str, mode: octal } },
  lchmod: { args: { path: str, mode: octal } },
  fchmod: { args: { mode: octal } },
  fchmodat: { args: { fd: atFd, path: str, mode: octal, flag: atFlags } },
  chown: { args: { path: str, uid: ownerId, gid: ownerId } },
  lchown: { args: { path: str, uid: ownerId, gid: ownerId } },
  fchown: { args: { uid: ownerId, gid: ownerId } },
  __posix_chown: { args: { path: str, uid: ownerId, gid: ownerId } },
  __posix_lchown: { args: { path: str, uid: ownerId, gid: ownerId } },
  __posix_fchown: { args: { uid: ownerId, gid: ownerId } },
  fchownat: { args: { fd: atFd, path: str, uid: ownerId, gid: ownerId, flag: atFlags } },
  __utimes50: { args: { path: str, tptr: structIn(32, utimesPair) } },
  __lutimes50: { args: { path: str, tptr: structIn(32, utimesPair) } },
  __futimes50: { args: { tptr: structIn(32, utimesPair) } },
  utimensat: { args: { fd: atFd, path: str, tptr: structIn(32, utimensPair), flag: atFlags } },
  futimens: { args: { tptr: structIn(32, utimensPair) } },
  truncate: { args: { path: str, PAD: pad, length: num } },
  ftruncate: { args: { PAD: pad, length: num } },
  __statvfs190: { args: { path: str, buf: structOut(statvfsSize(false), statvfs(false)), flags: enumOf(ST_NAMES) } },
  // the first entry, as statvfs shows one (a NULL buf asks for the count)
  __getvfsstat90: { args: { buf: structOut(statvfsSize(false), statvfs(false), (c) => ok(c) && c.result! > 0), bufsize: num, flags: enumOf(ST_NAMES) } },
  getvfsstat: { args: { buf: structOut(statvfsSize(true), statvfs(true), (c) => ok(c) && c.result! > 0), bufsize: num, flags: enumOf(ST_NAMES) } },
  __fstatvfs190: { args: { buf: structOut(statvfsSize(false), statvfs(false)), flags: enumOf(ST_NAMES) } },
  statvfs1: { args: { path: str, buf: structOut(statvfsSize(true), statvfs(true)), flags: enumOf(ST_NAMES) } },
  fstatvfs1: { args: { buf: structOut(statvfsSize(true), statvfs(true)), flags: enumOf(ST_NAMES) } },
  umask: { args: { newmask: octal }, ret: (_c, r) => octalText(r) },

  // sockets
  __socket30: { args: { domain: enumOf(AF_NAMES), type: sockType, protocol: num } },
  socketpair: { args: { domain: enumOf(AF_NAMES), type: sockType, protocol: num, rsv: intsOut(2) } },
  bind: { args: { name: sockaddrIn('namelen'), namelen: num } },
  connect: { args: { name: sockaddrIn('namelen'), namelen: num } },
  listen: { args: { backlog: num } },
  accept: { args: { ...sockaddrLen } },
  paccept: { args: { ...sockaddrLen, mask: sigsetIn, flags: flagsOf(SOCK_FLAG_NAMES) } },
  shutdown: { args: { how: enumOf(SHUT_NAMES) } },
  sendmsg: { args: { msg: (c, v) => msghdr(c, v, false), flags: flagsOf(MSG_NAMES) } },
  recvmsg: { args: { msg: { out: true, fmt: (c, v) => (ok(c) ? msghdr(c, v, true) : { text: ptrText(v) }) }, flags: flagsOf(MSG_NAMES) } },
  // the vector of struct mmsghdr: its first header, as sendmsg/recvmsg show one
  sendmmsg: { args: { mmsg: (c, v) => msghdr(c, v, false), vlen: num, flags: flagsOf(MSG_NAMES) } },
  recvmmsg: {
    args: { mmsg: { out: true, fmt: (c, v) => (ok(c) && c.result! > 0 ? msghdr(c, v, true) : { text: ptrText(v) }) }, vlen: num, flags: flagsOf(MSG_NAMES), timeout: timespecIn },
  },
  sendto: { args: { buf: bufIn('len'), len: num, flags: flagsOf(MSG_NAMES), to: sockaddrIn('tolen'), tolen: num } },
  recvfrom: { args: { buf: bufOut, len: num, flags: flagsOf(MSG_NAMES), from: sockaddrOut('fromlenaddr'), fromlenaddr: lenInOut(4) } },
  getpeername: { args: { asa: sockaddrOut('alen'), alen: lenInOut(4) } },
  getsockname: { args: { asa: sockaddrOut('alen'), alen: lenInOut(4) } },
  getsockopt: {
    args: {
      level: sockoptLevel,
      name: sockoptName,
      val: {
        out: true,
        fmt: (c, v) => {
          const lb = ok(c) ? mem(c, arg(c, 'avalsize'), 4) : undefined;
          return lb ? sockoptValue(c, arg(c, 'level'), arg(c, 'name'), v, dv(lb).getUint32(0, true)) : { text: ptrText(v) };
        },
      },
      avalsize: lenInOut(4),
    },
  },
  setsockopt: {
    args: { level: sockoptLevel, name: sockoptName, val: (c, v) => sockoptValue(c, arg(c, 'level'), arg(c, 'name'), v, arg(c, 'valsize')), valsize: num },
  },

  // memory
  mmap: {
    args: { ...addrLen, prot: flagsOf(PROT_NAMES), flags: textOf(mapFlagsText), PAD: pad, pos: num },
    ret: hexRet,
    stack: [{ name: 'pos', type: 'long' }],
  },
  munmap: { args: { ...addrLen } },
  shmget: {
    args: {
      key: ipcKey,
      size: num,
      shmflg: ipcGetFlags,
    },
  },
  shmat: { args: { shmid: num, shmaddr: ipcAddr, shmflg: flagsOf(SHMAT_NAMES) }, ret: hexRet },
  shmdt: { args: { shmaddr: ipcAddr } },
  semget: {
    args: {
      key: ipcKey,
      nsems: num,
      semflg: ipcGetFlags,
    },
  },
  semop: {
    args: {
      semid: num,
      // struct sembuf[nsops]: {sem_num, sem_op, sem_flg}
      sops: (c, v) => {
        const n = Math.min(arg(c, 'nsops'), 8);
        const b = v !== 0 ? mem(c, v, n * 6) : undefined;
        if (!b) return { text: ptrText(v), value: v };
        const d = new DataView(b.buffer, b.byteOffset, b.length);
        const ops = Array.from({ length: n }, (_, i) => `{${d.getUint16(i * 6, true)}, ${d.getInt16(i * 6 + 2, true)}, ${flagsText(d.getInt16(i * 6 + 4, true), SEM_FLAG_NAMES)}}`);
        return { text: `[${ops.join(', ')}${arg(c, 'nsops') > n ? ', ...' : ''}]`, value: v };
      },
      nsops: num,
    },
  },
  semconfig: { args: { flag: num } },
  msgget: {
    args: {
      key: ipcKey,
      msgflg: ipcGetFlags,
    },
  },
  msgsnd: { args: { msqid: num, msgp: ipcAddr, msgsz: num, msgflg: flagsOf(IPC_FLAG_NAMES) } },
  msgrcv: { args: { msqid: num, msgp: ipcAddr, msgsz: num, msgtyp: num, msgflg: flagsOf([...IPC_FLAG_NAMES, [C.MSG_NOERROR, 'MSG_NOERROR']]) } },
  __msgctl50: { args: { msqid: num, cmd: enumOf(SHMCTL_NAMES), buf: ipcAddr } },
  ____semctl50: { args: { semid: num, semnum: num, cmd: enumOf(SEMCTL_NAMES), arg: ipcAddr } },
  __shmctl50: { args: { shmid: num, cmd: enumOf(SHMCTL_NAMES), buf: ipcAddr } },
  mprotect: { args: { ...addrLen, prot: flagsOf(PROT_NAMES) } },
  madvise: { args: { ...addrLen, behav: enumOf(MADV_NAMES) } },
  mincore: {
    args: {
      ...addrLen,
      vec: {
        out: true,
        fmt: (c, v) => {
          const pages = Math.ceil(arg(c, 'len') / C.PAGE_SIZE);
          const shown = Math.min(pages, Math.max(1, c.strsize));
          const b = ok(c) ? mem(c, v, shown) : undefined;
          if (!b) return { text: ptrText(v) };
          return { text: `[${[...b].join(', ')}${pages > shown ? ', ...' : ''}]`, value: [...b] };
        },
      },
    },
  },
  minherit: { args: { ...addrLen, inherit: enumOf(MAP_INHERIT_NAMES) } },
  mlock: { args: addrLen },
  munlock: { args: addrLen },
  mlockall: { args: { flags: flagsOf([[C.MCL_CURRENT, 'MCL_CURRENT'], [C.MCL_FUTURE, 'MCL_FUTURE']]) } },
  __msync13: { args: { ...addrLen, flags: flagsOf(MS_NAMES) } },

  // LWPs
  _lwp_create: { args: { ucp: structIn(UCONTEXT_SIZE, ucontext), flags: flagsOf(LWP_CREATE_NAMES), new_lwp: intOut() } },
  _lwp_wait: { args: { wait_for: num, departed: intOut() } },
  _lwp_suspend: { args: { target: num } },
  _lwp_continue: { args: { target: num } },
  _lwp_wakeup: { args: { target: num } },
  _lwp_detach: { args: { target: num } },
  _lwp_kill: { args: { target: num, signo: sig } },
  ___lwp_park60: { args: { clock_id: clockId, flags: flagsOf(TIMER_FLAG_NAMES), ts: timespecIn, unpark: num, hint: opaque, unparkhint: opaque } },
  _lwp_unpark: { args: { target: num, hint: opaque } },
  _lwp_unpark_all: { args: { targets: intsIn('ntargets'), ntargets: num, hint: opaque } },
  _lwp_setname: { args: { target: num, name: str } },
  _lwp_getname: { args: { target: num, name: strOut('len'), len: num } },
  _lwp_ctl: { args: { features: flagsOf(LWPCTL_NAMES), address: ptrOut } },
  _lwp_setprivate: { args: { ptr: opaque } },
  _lwp_getprivate: { args: {}, ret: hexRet },
  sysarch: { args: { op: enumOf(SYSARCH_OPS), parms: sysarchParms } },

  // time
  __clock_gettime50: { args: { clock_id: clockId, tp: timespecOut } },
  __clock_getres50: { args: { clock_id: clockId, tp: timespecOut } },
  clock_getcpuclockid2: { args: { idtype: enumOf(IDTYPE_NAMES), id: num, clock_id: intOut(clockText) } },
  __nanosleep50: { args: { rqtp: timespecIn, rmtp: remainOut } },
  clock_nanosleep: {
    args: { clock_id: clockId, flags: flagsOf(TIMER_FLAG_NAMES), rqtp: timespecIn, rmtp: clockRemainOut },
    ret: errnoRet,
  },
  __gettimeofday50: { args: { tp: structOut(16, (d) => timeval(d)), tzp: structOut(8, timezone) } },
  __settimeofday50: { args: { tv: structIn(16, (d) => timeval(d)), tzp: structIn(8, timezone) } },
  __adjtime50: { args: { delta: structIn(16, (d) => timeval(d)), olddelta: structOut(16, (d) => timeval(d)) } },
  __clock_settime50: { args: { clock_id: clockId, tp: timespecIn } },
  __setitimer50: { args: { which: enumOf(ITIMER_NAMES), itv: structIn(32, itimerval), oitv: structOut(32, itimerval) } },
  __getitimer50: { args: { which: enumOf(ITIMER_NAMES), itv: structOut(32, itimerval) } },

  // sysctl
  __sysctl: { args: { name: sysctlName, namelen: num, oldp: sysctlOld, oldlenp: lenInOut(8), newp: (c, v) => bufferAt(c, v, arg(c, 'newlen')), newlen: num } },
};

/**
 * Descriptor arguments deliberately shown raw (their register in decimal or hex), each with the
 * reason: `call.arg`. Empty while every argument has a decoder; an entry that gets a decoder
 * fails the completeness test, so the list cannot go stale.
 */
export const RAW_ARGS: Readonly<Record<string, string>> = {};
