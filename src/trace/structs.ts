// NetBSD/amd64 structures as the trace shows them (strace's notation), read from guest memory:
// sockaddrs, msghdr with iovecs and control messages, stat, statvfs, time structures, rusage,
// rlimit, signal structures, struct flock, ucontext, kevent, pollfd and fd_set arrays, dirents.
// Layouts are those the handlers in syscalls/ read and write (process-abi.md §9).

import * as C from '../kernel/constants.js';
import {
  arg, arrayCap, bufferAt, dv, escapeBytes, hex, i64, latin1, mem, ok, ptrText, stringAt, u64,
  type ArgFmt, type DecodeCtx, type Decoded, type Fmt,
} from './fmt.js';
import {
  AF_NAMES, EV_NAMES, EVFILT_NAMES, F_LOCK_TYPES, MNT_NAMES, MSG_NAMES, POLL_NAMES, SA_NAMES, SCM_NAMES, SEEK_NAMES, SOL_NAMES,
  SS_NAMES, UC_FLAG_NAMES, enumText, errnoText, flagsText, keventFflagsText, modeText, octalText, openFlagsText, signalText,
} from './names.js';

// ---- sockets ------------------------------------------------------------------------------------

export function sockaddrText(b: Uint8Array): Decoded {
  if (b.length < 2) return { text: '{...}', value: {} };
  const fam = b[1]!;
  const value: Record<string, unknown> = { sa_len: b[0], sa_family: enumText(fam, AF_NAMES) };
  if (fam === C.AF_LOCAL) {
    const path = b.subarray(2, Math.min(b.length, b[0]!));
    const nul = path.indexOf(0);
    const p = latin1(nul >= 0 ? path.subarray(0, nul) : path);
    const o = { sun_len: b[0], sun_family: 'AF_LOCAL', ...(p ? { sun_path: p } : {}) };
    return { text: `{sun_len=${b[0]}, sun_family=AF_LOCAL${p ? `, sun_path=${escapeBytes(Buffer.from(p, 'latin1'), 108)}` : ''}}`, value: o };
  }
  if (fam === C.AF_INET && b.length >= 8) {
    const port = (b[2]! << 8) | b[3]!;
    const addr = `${b[4]}.${b[5]}.${b[6]}.${b[7]}`;
    return { text: `{sin_len=${b[0]}, sin_family=AF_INET, sin_port=htons(${port}), sin_addr=inet_addr("${addr}")}`, value: { ...value, sin_port: port, sin_addr: addr } };
  }
  if (fam === C.AF_INET6 && b.length >= 24) {
    const port = (b[2]! << 8) | b[3]!;
    const addr = inet6Text(b.subarray(8, 24));
    return { text: `{sin6_len=${b[0]}, sin6_family=AF_INET6, sin6_port=htons(${port}), sin6_addr="${addr}"}`, value: { ...value, sin6_port: port, sin6_addr: addr } };
  }
  return { text: `{sa_len=${b[0]}, sa_family=${enumText(fam, AF_NAMES)}, sa_data=${escapeBytes(b.subarray(2), 32)}}`, value };
}

/** An in6_addr as text (RFC 5952: the longest run of zero groups as ::, v4-mapped as ::ffff:a.b.c.d). */
function inet6Text(a: Uint8Array): string {
  if (a.subarray(0, 10).every((x) => x === 0) && a[10] === 0xff && a[11] === 0xff) return `::ffff:${a[12]}.${a[13]}.${a[14]}.${a[15]}`;
  const groups = Array.from({ length: 8 }, (_, i) => (a[2 * i]! << 8) | a[2 * i + 1]!);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hexs = groups.map((g) => g.toString(16));
  if (best < 0) return hexs.join(':');
  return `${hexs.slice(0, best).join(':')}::${hexs.slice(best + bestLen).join(':')}`;
}

const SOCKADDR_MAX = 255;
export function sockaddrFrom(c: DecodeCtx, addr: number, len: number): Decoded {
  if (addr === 0) return { text: 'NULL' };
  const b = mem(c, addr, Math.min(len, SOCKADDR_MAX));
  return b ? sockaddrText(b) : { text: hex(addr) };
}
/** struct sockaddr in, of length `lenArg`. */
export const sockaddrIn = (lenArg: string): Fmt => (c, v) => sockaddrFrom(c, v, arg(c, lenArg));
/** struct sockaddr out, its length in the socklen_t at `lenArg` after the call. */
export const sockaddrOut = (lenArg: string): ArgFmt => ({
  out: true,
  fmt: (c, v) => {
    if (v === 0) return { text: 'NULL' };
    if (!ok(c)) return { text: hex(v) };
    const lb = mem(c, arg(c, lenArg), 4);
    const len = lb ? Math.min(dv(lb).getUint32(0, true), SOCKADDR_MAX) : 0;
    if (len === 0) return { text: '{}', value: {} };
    return sockaddrFrom(c, v, len);
  },
});

interface Iov {
  base: number;
  len: number;
}
function readIovs(c: DecodeCtx, addr: number, cnt: number): Iov[] | undefined {
  if (cnt < 0 || cnt > C.IOV_MAX) return undefined;
  const b = mem(c, addr, 16 * cnt);
  if (!b) return undefined;
  const d = dv(b);
  return Array.from({ length: cnt }, (_, i) => ({ base: u64(d, 16 * i), len: u64(d, 16 * i + 8) }));
}

/** iovecs with their contents; `budget` bytes in total are shown (what was read, for the out side). */
function iovText(c: DecodeCtx, iovs: Iov[], budget: number): Decoded {
  let left = budget;
  const parts: string[] = [];
  const values: Array<{ iov_base: unknown; iov_len: number }> = [];
  for (const [i, v] of iovs.entries()) {
    if (i >= Math.min(8, arrayCap(c))) {
      parts.push('...');
      break;
    }
    const n = Math.min(v.len, left);
    left -= n;
    const d = bufferAt(c, v.base, n);
    parts.push(`{iov_base=${d.text}, iov_len=${v.len}}`);
    values.push({ iov_base: d.value, iov_len: v.len });
  }
  return { text: `[${parts.join(', ')}]`, value: values };
}

export const iovIn = (cntArg: string): Fmt => (c, v) => {
  const iovs = readIovs(c, v, arg(c, cntArg));
  return iovs ? iovText(c, iovs, Infinity) : { text: ptrText(v) };
};
export const iovOut = (cntArg: string): ArgFmt => ({
  out: true,
  fmt: (c, v) => {
    const iovs = ok(c) ? readIovs(c, v, arg(c, cntArg)) : undefined;
    return iovs ? iovText(c, iovs, c.result!) : { text: ptrText(v) };
  },
});

/** struct sockcred of SCM_CREDS (sys/sys/socket.h): pid, uid, euid, gid, egid, ngroups, groups. */
function sockcredText(d: DataView, off: number, end: number): { text: string; value: unknown } | undefined {
  if (off + 24 > end) return undefined;
  const v = {
    sc_pid: d.getInt32(off, true), sc_uid: d.getUint32(off + 4, true), sc_euid: d.getUint32(off + 8, true),
    sc_gid: d.getUint32(off + 12, true), sc_egid: d.getUint32(off + 16, true), sc_ngroups: d.getInt32(off + 20, true),
  };
  return { text: `{sc_pid=${v.sc_pid}, sc_uid=${v.sc_uid}, sc_euid=${v.sc_euid}, sc_gid=${v.sc_gid}, sc_egid=${v.sc_egid}, sc_ngroups=${v.sc_ngroups}}`, value: v };
}

function cmsgText(c: DecodeCtx, addr: number, len: number): Decoded {
  const b = mem(c, addr, len);
  if (!b) return { text: hex(addr) };
  const d = dv(b);
  const parts: string[] = [];
  const values: unknown[] = [];
  for (let off = 0; off + 16 <= b.length; ) {
    const clen = d.getUint32(off, true);
    const level = d.getInt32(off + 4, true);
    const type = d.getInt32(off + 8, true);
    const levelText = enumText(level, SOL_NAMES);
    const typeText = level === C.SOL_SOCKET ? enumText(type, SCM_NAMES) : String(type);
    let data: string;
    let dataValue: unknown;
    const end = Math.min(off + clen, b.length);
    const creds = level === C.SOL_SOCKET && type === C.SCM_CREDS ? sockcredText(d, off + 16, end) : undefined;
    if (level === C.SOL_SOCKET && type === C.SCM_RIGHTS) {
      const fds: number[] = [];
      for (let i = off + 16; i + 4 <= end; i += 4) fds.push(d.getInt32(i, true));
      data = `[${fds.join(', ')}]`;
      dataValue = fds;
    } else if (creds) {
      data = creds.text;
      dataValue = creds.value;
    } else {
      const bytes = b.subarray(Math.min(off + 16, end), end);
      data = escapeBytes(bytes, c.strsize);
      dataValue = latin1(bytes);
    }
    parts.push(`{cmsg_len=${clen}, cmsg_level=${levelText}, cmsg_type=${typeText}, cmsg_data=${data}}`);
    values.push({ cmsg_len: clen, cmsg_level: levelText, cmsg_type: typeText, cmsg_data: dataValue });
    if (clen < 16) break;
    off += (clen + 7) & ~7;
  }
  return { text: `[${parts.join(', ')}]`, value: values };
}

/** struct msghdr; on the out side the iovecs show what was received and the control data what arrived. */
export function msghdr(c: DecodeCtx, v: number, out: boolean): Decoded {
  const b = mem(c, v, 48);
  if (!b) return { text: ptrText(v) };
  const d = dv(b);
  const name = u64(d, 0);
  const namelen = d.getUint32(8, true);
  const iov = u64(d, 16);
  const iovlen = d.getInt32(24, true);
  const control = u64(d, 32);
  const controllen = d.getUint32(40, true);
  const flags = d.getInt32(44, true);
  const nameD = name === 0 || namelen === 0 ? { text: ptrText(name) } : sockaddrFrom(c, name, namelen);
  const iovs = readIovs(c, iov, iovlen);
  const iovD = iovs ? iovText(c, iovs, out ? c.result! : Infinity) : { text: ptrText(iov) };
  const ctlD = control === 0 || controllen === 0 ? { text: ptrText(control) } : cmsgText(c, control, controllen);
  const text = `{msg_name=${nameD.text}, msg_namelen=${namelen}, msg_iov=${iovD.text}, msg_iovlen=${iovlen}, msg_control=${ctlD.text}, msg_controllen=${controllen}, msg_flags=${flagsText(flags, MSG_NAMES)}}`;
  return {
    text,
    value: { msg_name: nameD.value ?? name, msg_namelen: namelen, msg_iov: iovD.value, msg_iovlen: iovlen, msg_control: ctlD.value ?? control, msg_controllen: controllen, msg_flags: flags },
  };
}

/** A socket option's value: an int, a timeval (SO_*TIMEO), struct linger, LOCAL_PEEREID's unpcbid, or bytes. */
export function sockoptValue(c: DecodeCtx, level: number, name: number, v: number, len: number): Decoded {
  if (v === 0) return { text: 'NULL' };
  const b = len > 0 ? mem(c, v, Math.min(len, 256)) : undefined;
  if (!b) return bufferAt(c, v, len);
  const d = dv(b);
  if (level === C.SOL_SOCKET && (name === C.SO_SNDTIMEO || name === C.SO_RCVTIMEO) && len >= 16) return timeval(d, 0);
  if (level === C.SOL_SOCKET && name === C.SO_LINGER && len >= 8) {
    const l = { l_onoff: d.getInt32(0, true), l_linger: d.getInt32(4, true) };
    return { text: `{l_onoff=${l.l_onoff}, l_linger=${l.l_linger}}`, value: l };
  }
  if (level === C.SOL_LOCAL && name === C.LOCAL_PEEREID && len >= 12) {
    const u = { unp_pid: d.getInt32(0, true), unp_euid: d.getUint32(4, true), unp_egid: d.getUint32(8, true) };
    return { text: `{unp_pid=${u.unp_pid}, unp_euid=${u.unp_euid}, unp_egid=${u.unp_egid}}`, value: u };
  }
  if (len === 4) {
    const n = d.getInt32(0, true);
    return { text: `[${n}]`, value: n };
  }
  return bufferAt(c, v, len);
}

// ---- time ---------------------------------------------------------------------------------------

const timespecAt = (d: DataView, o: number): { tv_sec: number; tv_nsec: number } => ({ tv_sec: i64(d, o), tv_nsec: i64(d, o + 8) });
const timespecStr = (t: { tv_sec: number; tv_nsec: number }): string => `{tv_sec=${t.tv_sec}, tv_nsec=${t.tv_nsec}}`;

/** struct timespec: tv_sec int64, tv_nsec long. */
export const timespec = (d: DataView, o = 0): Decoded => {
  const t = timespecAt(d, o);
  return { text: timespecStr(t), value: t };
};
/** struct timeval: tv_sec int64, tv_usec int (suseconds_t), 4 bytes of padding. */
export const timeval = (d: DataView, o = 0): Decoded => {
  const t = { tv_sec: i64(d, o), tv_usec: d.getInt32(o + 8, true) };
  return { text: `{tv_sec=${t.tv_sec}, tv_usec=${t.tv_usec}}`, value: t };
};
export const itimerval = (d: DataView): Decoded => {
  const i = timeval(d, 0);
  const v = timeval(d, 16);
  return { text: `{it_interval=${i.text}, it_value=${v.text}}`, value: { it_interval: i.value, it_value: v.value } };
};
export const timezone = (d: DataView): Decoded => {
  const z = { tz_minuteswest: d.getInt32(0, true), tz_dsttime: d.getInt32(4, true) };
  return { text: `{tz_minuteswest=${z.tz_minuteswest}, tz_dsttime=${z.tz_dsttime}}`, value: z };
};

/** utimensat/futimens's timespec[2] (UTIME_NOW, UTIME_OMIT by name, as strace writes them). */
export const utimensPair = (d: DataView): Decoded => {
  const one = (o: number): Decoded => {
    const ns = i64(d, o + 8);
    if (ns === C.UTIME_NOW) return { text: 'UTIME_NOW', value: 'UTIME_NOW' };
    if (ns === C.UTIME_OMIT) return { text: 'UTIME_OMIT', value: 'UTIME_OMIT' };
    return timespec(d, o);
  };
  const a = one(0);
  const m = one(16);
  return { text: `[${a.text}, ${m.text}]`, value: [a.value, m.value] };
};
/** The utimes family's timeval[2] (do_sys_utimes passes UTIME_NOW/UTIME_OMIT in tv_usec through). */
export const utimesPair = (d: DataView): Decoded => {
  const one = (o: number): Decoded => {
    const us = d.getInt32(o + 8, true);
    if (us === C.UTIME_NOW) return { text: 'UTIME_NOW', value: 'UTIME_NOW' };
    if (us === C.UTIME_OMIT) return { text: 'UTIME_OMIT', value: 'UTIME_OMIT' };
    return timeval(d, o);
  };
  const a = one(0);
  const m = one(16);
  return { text: `[${a.text}, ${m.text}]`, value: [a.value, m.value] };
};

// ---- processes and files ------------------------------------------------------------------------

const rlimVal = (d: DataView, o: number): number | string => {
  const v = d.getBigUint64(o, true);
  return v === C.RLIM_INFINITY ? 'RLIM_INFINITY' : Number(v);
};
export const rlimit = (d: DataView): Decoded => {
  const cur = rlimVal(d, 0);
  const max = rlimVal(d, 8);
  return { text: `{rlim_cur=${cur}, rlim_max=${max}}`, value: { rlim_cur: cur, rlim_max: max } };
};

const RUSAGE_LONGS = [
  'ru_maxrss', 'ru_ixrss', 'ru_idrss', 'ru_isrss', 'ru_minflt', 'ru_majflt', 'ru_nswap', 'ru_inblock', 'ru_oublock',
  'ru_msgsnd', 'ru_msgrcv', 'ru_nsignals', 'ru_nvcsw', 'ru_nivcsw',
] as const;
/** struct rusage: two timevals and 14 longs; the text abbreviated as strace's (the times, then `...`). */
export const rusage = (d: DataView): Decoded => {
  const u = timeval(d, 0);
  const s = timeval(d, 16);
  const value: Record<string, unknown> = { ru_utime: u.value, ru_stime: s.value };
  RUSAGE_LONGS.forEach((name, i) => (value[name] = i64(d, 32 + 8 * i)));
  return { text: `{ru_utime=${u.text}, ru_stime=${s.text}, ...}`, value };
};

/** struct stat of __stat50 (sys/sys/stat.h), 152 bytes. */
export function stat(d: DataView): Decoded {
  const v = {
    st_dev: i64(d, 0), st_mode: d.getUint32(8, true), st_ino: i64(d, 16), st_nlink: d.getUint32(24, true),
    st_uid: d.getUint32(28, true), st_gid: d.getUint32(32, true), st_rdev: i64(d, 40),
    st_atim: timespecAt(d, 48), st_mtim: timespecAt(d, 64), st_ctim: timespecAt(d, 80), st_birthtim: timespecAt(d, 96),
    st_size: i64(d, 112), st_blocks: i64(d, 120), st_blksize: d.getUint32(128, true),
  };
  const text = `{st_dev=${v.st_dev}, st_ino=${v.st_ino}, st_mode=${modeText(v.st_mode)}, st_nlink=${v.st_nlink}, st_uid=${v.st_uid}, st_gid=${v.st_gid}, st_rdev=${v.st_rdev}, st_size=${v.st_size}, st_blksize=${v.st_blksize}, st_blocks=${v.st_blocks}, st_mtim=${timespecStr(v.st_mtim)}}`;
  return { text, value: { ...v, st_mode: modeText(v.st_mode) } };
}
export const STAT_SIZE = 152;

/** struct statvfs (sys/sys/statvfs.h 1.21); `old` is statvfs90 (uint32_t f_spare[4]), whose names start 20 bytes sooner. */
export const statvfs = (old: boolean) => (d: DataView): Decoded => {
  const n = (o: number): number => u64(d, o);
  const names = old ? 172 : 192;
  const cstr = (o: number, len: number): string => {
    const b = new Uint8Array(d.buffer, d.byteOffset + o, len);
    const nul = b.indexOf(0);
    return latin1(nul >= 0 ? b.subarray(0, nul) : b);
  };
  const v = {
    f_flag: flagsText(n(0), MNT_NAMES), f_bsize: n(8), f_frsize: n(16), f_iosize: n(24), f_blocks: n(32), f_bfree: n(40),
    f_bavail: n(48), f_bresvd: n(56), f_files: n(64), f_ffree: n(72), f_favail: n(80), f_fresvd: n(88), f_fsid: n(136),
    f_namemax: n(144), f_owner: d.getUint32(152, true),
    f_fstypename: cstr(names, C.VFS_NAMELEN), f_mntonname: cstr(names + C.VFS_NAMELEN, C.VFS_MNAMELEN),
    f_mntfromname: cstr(names + C.VFS_NAMELEN + C.VFS_MNAMELEN, C.VFS_MNAMELEN),
  };
  const q = (s: string): string => escapeBytes(Buffer.from(s, 'latin1'), 1024);
  const text = `{f_flag=${v.f_flag}, f_bsize=${v.f_bsize}, f_frsize=${v.f_frsize}, f_iosize=${v.f_iosize}, f_blocks=${v.f_blocks}, f_bfree=${v.f_bfree}, f_bavail=${v.f_bavail}, f_bresvd=${v.f_bresvd}, f_files=${v.f_files}, f_ffree=${v.f_ffree}, f_favail=${v.f_favail}, f_fresvd=${v.f_fresvd}, f_fsid=${hex(v.f_fsid)}, f_namemax=${v.f_namemax}, f_owner=${v.f_owner}, f_fstypename=${q(v.f_fstypename)}, f_mntonname=${q(v.f_mntonname)}, f_mntfromname=${q(v.f_mntfromname)}}`;
  return { text, value: v };
};
export const statvfsSize = (old: boolean): number => (old ? 2256 : C.STATVFS_SIZE);

/** struct flock (sys/sys/fcntl.h): l_pid only where the kernel reports it (F_GETLK). */
export const flock = (withPid: boolean) => (d: DataView): Decoded => {
  const v = {
    l_type: enumText(d.getInt16(20, true), F_LOCK_TYPES), l_whence: enumText(d.getInt16(22, true), SEEK_NAMES),
    l_start: i64(d, 0), l_len: i64(d, 8), l_pid: d.getInt32(16, true),
  };
  const text = `{l_type=${v.l_type}, l_whence=${v.l_whence}, l_start=${v.l_start}, l_len=${v.l_len}${withPid ? `, l_pid=${v.l_pid}` : ''}}`;
  return { text, value: v };
};

/** struct dirent records (sys/sys/dirent.h) in `len` bytes: strace's `0x... /\* 3 entries *\/`, the names as the value. */
export function dirents(c: DecodeCtx, v: number, len: number): Decoded {
  const b = mem(c, v, len);
  if (!b) return { text: ptrText(v) };
  const d = dv(b);
  const entries: Array<{ d_fileno: number; d_type: number; d_name: string }> = [];
  for (let off = 0; off + C.DIRENT_NAME_OFF <= b.length; ) {
    const reclen = d.getUint16(off + 8, true);
    const namlen = d.getUint16(off + 10, true);
    if (reclen === 0) break;
    const name = latin1(b.subarray(off + C.DIRENT_NAME_OFF, Math.min(off + C.DIRENT_NAME_OFF + namlen, b.length)));
    entries.push({ d_fileno: u64(d, off), d_type: d.getUint8(off + 12), d_name: name });
    off += reclen;
  }
  return { text: `${hex(v)} /* ${entries.length} entries */`, value: entries };
}

/** wait status (sys/sys/wait.h) as strace writes it. */
export function waitStatusText(st: number): string {
  const low = st & 0x7f;
  if (low === 0) return `[{WIFEXITED(s) && WEXITSTATUS(s) == ${(st >> 8) & 0xff}}]`;
  if ((st & 0xff) === C.WSTOPPED_CODE) return `[{WIFSTOPPED(s) && WSTOPSIG(s) == ${signalText((st >> 8) & 0xff)}}]`;
  if (st === C.WCONTINUED_STATUS) return '[{WIFCONTINUED(s)}]';
  return `[{WIFSIGNALED(s) && WTERMSIG(s) == ${signalText(low)}${st & C.WCOREFLAG ? ' && WCOREDUMP(s)' : ''}}]`;
}

/** The strings of a NULL-terminated array of C strings, or undefined when it cannot be read. */
function stringsAt(c: DecodeCtx, v: number): string[] | undefined {
  const out: string[] = [];
  for (let i = 0; i < 4096; i++) {
    const pb = mem(c, v + 8 * i, 8);
    if (!pb) return undefined;
    const p = u64(dv(pb), 0);
    if (p === 0) break;
    const s = stringAt(c, p);
    out.push(typeof s.value === 'string' ? s.value : s.text);
  }
  return out;
}
/** execve's argv: `["ls", "-l"]`. */
export const stringArray: Fmt = (c, v) => {
  if (v === 0) return { text: 'NULL' };
  const out = stringsAt(c, v);
  if (!out) return { text: hex(v) };
  return { text: `[${out.map((x) => escapeBytes(Buffer.from(x, 'latin1'), Math.max(c.strsize, 256))).join(', ')}]`, value: out };
};
/** execve's envp, abbreviated as strace does: `0x7f7fffffe6a0 /\* 12 vars *\/` (the strings are the value). */
export const envArray: Fmt = (c, v) => {
  if (v === 0) return { text: 'NULL' };
  const out = stringsAt(c, v);
  if (!out) return { text: hex(v) };
  return { text: `${hex(v)} /* ${out.length} var${out.length === 1 ? '' : 's'} */`, value: out };
};

// ---- signals and contexts -----------------------------------------------------------------------

/** sigset_t (128 bits, signal n is bit n-1): strace's `[PIPE USR1]`, or `~[...]` when most are set. */
export function sigsetText(set: bigint): { text: string; value: string[] } {
  const names = (s: bigint): string[] => {
    const out: string[] = [];
    for (let n = 1; n < C.NSIG; n++) if ((s >> BigInt(n - 1)) & 1n) out.push(signalText(n).replace(/^SIG/, ''));
    return out;
  };
  const all = (1n << BigInt(C.NSIG - 1)) - 1n;
  const within = set & all;
  const value = names(within).map((n) => (/^\d/.test(n) ? n : `SIG${n}`));
  let bits = 0;
  for (let n = 1; n < C.NSIG; n++) if ((within >> BigInt(n - 1)) & 1n) bits++;
  if (bits > (C.NSIG - 1) / 2) return { text: `~[${names(~within & all).join(' ')}]`, value };
  return { text: `[${names(within).join(' ')}]`, value };
}
const readSigset = (d: DataView, o: number): bigint => {
  let s = 0n;
  for (let w = 3; w >= 0; w--) s = (s << 32n) | BigInt(d.getUint32(o + 4 * w, true));
  return s;
};
export const sigset = (d: DataView): Decoded => sigsetText(readSigset(d, 0));

export function sigaction(d: DataView): Decoded {
  const h = u64(d, 0);
  const handler = h === C.SIG_DFL ? 'SIG_DFL' : h === C.SIG_IGN ? 'SIG_IGN' : hex(h);
  const mask = sigsetText(readSigset(d, 8));
  const flags = d.getInt32(24, true);
  return {
    text: `{sa_handler=${handler}, sa_mask=${mask.text}, sa_flags=${flagsText(flags, SA_NAMES)}}`,
    value: { sa_handler: handler, sa_mask: mask.value, sa_flags: flagsText(flags, SA_NAMES) },
  };
}

export function stack(d: DataView, o = 0): Decoded {
  const sp = u64(d, o);
  const size = u64(d, o + 8);
  const flags = d.getInt32(o + 16, true);
  return { text: `{ss_sp=${ptrText(sp)}, ss_size=${size}, ss_flags=${flagsText(flags, SS_NAMES)}}`, value: { ss_sp: sp, ss_size: size, ss_flags: flagsText(flags, SS_NAMES) } };
}

/** ucontext_t's offsets (sys/sys/ucontext.h, sys/arch/amd64/include/mcontext.h): __gregs from 56, _REG_RIP 21, _REG_RSP 24, _mc_tlsbase. */
const UC_MCONTEXT = 56;
const REG_RIP = 21;
const REG_RSP = 24;
const MC_TLSBASE = UC_MCONTEXT + 208;
export const UCONTEXT_SIZE = 784;

/** ucontext_t: its flags, link, mask and stack, and of the machine context rip, rsp and the TLS base. */
export function ucontext(d: DataView): Decoded {
  const flags = d.getUint32(0, true);
  const link = u64(d, 8);
  const mask = sigsetText(readSigset(d, 16));
  const st = stack(d, 32);
  const rip = u64(d, UC_MCONTEXT + 8 * REG_RIP);
  const rsp = u64(d, UC_MCONTEXT + 8 * REG_RSP);
  const tls = u64(d, MC_TLSBASE);
  const mc = `{rip=${hex(rip)}, rsp=${hex(rsp)}${flags & C._UC_TLSBASE ? `, _mc_tlsbase=${hex(tls)}` : ''}}`;
  const f = flagsText(flags, UC_FLAG_NAMES);
  return {
    text: `{uc_flags=${f}, uc_link=${ptrText(link)}, uc_sigmask=${mask.text}, uc_stack=${st.text}, uc_mcontext=${mc}}`,
    value: { uc_flags: f, uc_link: link, uc_sigmask: mask.value, uc_stack: st.value, uc_mcontext: { rip, rsp, _mc_tlsbase: tls } },
  };
}

// ---- waiting: kevent, pollfd, fd_set ------------------------------------------------------------

/** struct kevent[n] (40 bytes each): `[{ident=3, filter=EVFILT_READ, flags=EV_ADD|EV_CLEAR, ...}]`. */
export function keventsAt(c: DecodeCtx, v: number, n: number): Decoded {
  if (v === 0) return { text: 'NULL' };
  if (n <= 0) return { text: '[]', value: [] };
  const shown = Math.min(n, arrayCap(c));
  const b = mem(c, v, C.KEVENT_SIZE * shown);
  if (!b) return { text: hex(v) };
  const d = dv(b);
  const parts: string[] = [];
  const values: unknown[] = [];
  for (let i = 0; i < shown; i++) {
    const o = C.KEVENT_SIZE * i;
    const ident = u64(d, o);
    const filter = d.getUint32(o + 8, true);
    const flags = d.getUint32(o + 12, true);
    const fflags = d.getUint32(o + 16, true);
    const data = i64(d, o + 24);
    const udata = u64(d, o + 32);
    const identText = filter === C.EVFILT_SIGNAL ? signalText(ident) : String(ident);
    const dataText = flags & C.EV_ERROR && data > 0 ? errnoText(data).name : String(data);
    const e = {
      ident: identText, filter: enumText(filter, EVFILT_NAMES), flags: flagsText(flags, EV_NAMES),
      fflags: keventFflagsText(filter, fflags), data: dataText, udata: ptrText(udata),
    };
    parts.push(`{ident=${e.ident}, filter=${e.filter}, flags=${e.flags}, fflags=${e.fflags}, data=${e.data}, udata=${e.udata}}`);
    values.push({ ...e, ident, data, udata });
  }
  return { text: `[${parts.join(', ')}${n > shown ? ', ...' : ''}]`, value: values };
}

/** struct pollfd[nfds] (fd, events, revents) as the kernel reads it: `[{fd=3, events=POLLIN}]`. */
export function pollfdsAt(c: DecodeCtx, v: number, n: number, revents: boolean): Decoded {
  const shown = Math.min(n, arrayCap(c));
  const b = mem(c, v, 8 * shown);
  if (!b) return { text: ptrText(v) };
  const d = dv(b);
  const items = Array.from({ length: shown }, (_, i) => ({ fd: d.getInt32(8 * i, true), events: d.getUint16(8 * i + 4, true), revents: d.getUint16(8 * i + 6, true) }));
  const parts = revents
    ? items.filter((x) => x.revents).map((x) => `{fd=${x.fd}, revents=${flagsText(x.revents, POLL_NAMES)}}`)
    : items.map((x) => `{fd=${x.fd}, events=${flagsText(x.events, POLL_NAMES)}}`);
  return { text: `[${parts.join(', ')}${n > shown ? ', ...' : ''}]`, value: revents ? items.filter((x) => x.revents) : items };
}

/** Display bound on select's nd (the kernel clamps it to the descriptor table). */
const FDSET_MAX = 65536;
/** An fd_set of `nd` descriptors: strace's `[3 4]`. */
export function fdsetAt(c: DecodeCtx, v: number, nd: number): Decoded {
  if (v === 0) return { text: 'NULL' };
  const n = Math.max(0, Math.min(nd, FDSET_MAX));
  if (n === 0) return { text: '[]', value: [] };
  const b = mem(c, v, Math.ceil(n / 8));
  if (!b) return { text: hex(v) };
  const fds: number[] = [];
  for (let fd = 0; fd < n; fd++) if (b[fd >> 3]! & (1 << (fd & 7))) fds.push(fd);
  return { text: `[${fds.join(' ')}]`, value: fds };
}

// ---- posix_spawn ------------------------------------------------------------------------------

const SPAWN_FLAG_NAMES: [number, string][] = [
  [C.POSIX_SPAWN_RESETIDS, 'POSIX_SPAWN_RESETIDS'], [C.POSIX_SPAWN_SETPGROUP, 'POSIX_SPAWN_SETPGROUP'],
  [C.POSIX_SPAWN_SETSCHEDPARAM, 'POSIX_SPAWN_SETSCHEDPARAM'], [C.POSIX_SPAWN_SETSCHEDULER, 'POSIX_SPAWN_SETSCHEDULER'],
  [C.POSIX_SPAWN_SETSIGDEF, 'POSIX_SPAWN_SETSIGDEF'], [C.POSIX_SPAWN_SETSIGMASK, 'POSIX_SPAWN_SETSIGMASK'],
  [C.POSIX_SPAWN_RETURNERROR, 'POSIX_SPAWN_RETURNERROR'],
];

/** struct posix_spawnattr: the flags, and the fields the flags make the kernel read. */
export function spawnattr(d: DataView): Decoded {
  const flags = d.getInt16(0, true);
  const parts = [`sa_flags=${flagsText(flags & 0xffff, SPAWN_FLAG_NAMES)}`];
  if (flags & C.POSIX_SPAWN_SETPGROUP) parts.push(`sa_pgroup=${d.getInt32(4, true)}`);
  if (flags & (C.POSIX_SPAWN_SETSCHEDPARAM | C.POSIX_SPAWN_SETSCHEDULER)) parts.push(`sa_schedparam={sched_priority=${d.getInt32(8, true)}}`);
  if (flags & C.POSIX_SPAWN_SETSCHEDULER) parts.push(`sa_schedpolicy=${d.getInt32(12, true)}`);
  if (flags & C.POSIX_SPAWN_SETSIGDEF) parts.push(`sa_sigdefault=${sigsetText(readSigset(d, 16)).text}`);
  if (flags & C.POSIX_SPAWN_SETSIGMASK) parts.push(`sa_sigmask=${sigsetText(readSigset(d, 32)).text}`);
  return { text: `{${parts.join(', ')}}`, value: flags };
}

/** struct posix_spawn_file_actions: its entries, `[{FAE_DUP2, 3, 1}, {FAE_OPEN, 1, "out", O_WRONLY|O_CREAT, 0644}]`. */
export const spawnFileActions: Fmt = (c, v) => {
  const h = mem(c, v, C.SPAWN_FILE_ACTIONS_SIZE);
  if (!h) return { text: ptrText(v) };
  const len = dv(h).getUint32(4, true);
  const shown = Math.min(len, arrayCap(c));
  const b = mem(c, u64(dv(h), 8), shown * C.SPAWN_FAE_SIZE);
  if (!b) return { text: `{len=${len}, fae=${ptrText(u64(dv(h), 8))}}`, value: len };
  const d = dv(b);
  const items: string[] = [];
  for (let i = 0; i < shown; i++) {
    const o = i * C.SPAWN_FAE_SIZE;
    const fd = d.getInt32(o + 4, true);
    switch (d.getInt32(o, true)) {
      case C.FAE_OPEN:
        items.push(`{FAE_OPEN, ${fd}, ${stringAt(c, u64(d, o + 8)).text}, ${openFlagsText(d.getInt32(o + 16, true))}, ${octalText(d.getUint32(o + 20, true))}}`);
        break;
      case C.FAE_DUP2:
        items.push(`{FAE_DUP2, ${fd}, ${d.getInt32(o + 8, true)}}`);
        break;
      case C.FAE_CLOSE:
        items.push(`{FAE_CLOSE, ${fd}}`);
        break;
      case C.FAE_CHDIR:
        items.push(`{FAE_CHDIR, ${stringAt(c, u64(d, o + 8)).text}}`);
        break;
      case C.FAE_FCHDIR:
        items.push(`{FAE_FCHDIR, ${fd}}`);
        break;
      default:
        items.push(`{${d.getInt32(o, true)}, ${fd}}`);
    }
  }
  return { text: `[${items.join(', ')}${len > shown ? ', ...' : ''}]`, value: len };
};
