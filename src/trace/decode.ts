// Argument decoders for the trace: how each syscall's arguments read in strace's notation.
//
// The syscall descriptors give each argument's name and register type; what a pointer points to,
// and whether the kernel reads it (in: decoded at entry, before the handler can change memory) or
// writes it (out: decoded after the call, shown only when it succeeded), is kept here, keyed by
// the syscall's NetBSD name. A call nbemu adds later without an entry here is still traced, from
// its descriptor's types alone (numbers in decimal, pointers in hex).

import type { ArgSpec, ArgType } from '../kernel/syscall.js';
import * as C from '../kernel/constants.js';
import {
  AF_NAMES, CLOCK_NAMES, CTL_NAMES, CTL_SECOND, FCNTL_NAMES, FD_FLAG_NAMES, LOCK_TYPE_NAMES, WHENCE_NAMES, MSG_NAMES, PROT_NAMES, RLIMIT_NAMES, SA_NAMES,
  SCM_NAMES, SIGPROCMASK_HOW, SOL_NAMES, SO_NAMES, SS_NAMES, SYSARCH_OPS, enumText, flagsText, mapFlagsText, modeText,
  oFlagsText, openFlagsText, signalText, sockTypeText,
} from './names.js';

/** Read-only access to guest memory (a VmSpace); a throw means the range is not readable. */
export interface GuestMemory {
  read(addr: number, len: number): Uint8Array;
}

/** One decoded argument. */
export interface TraceArg {
  /** The descriptor's name for it (NetBSD's, from syscalls.master). */
  name: string;
  /** Register type (see ArgType); 'raw' for calls nbemu does not implement. */
  type: ArgType | 'raw';
  /** The register as the program passed it: unsigned 64-bit, in hex. */
  raw: string;
  /** strace-style text: `AF_LOCAL`, `"hello"...`, `[3, 4]`, `0x1000` for an unreadable pointer. */
  text: string;
  /**
   * The value as data: the number for scalars and flags, the string for buffers, arrays and plain
   * objects for structures (`[3, 4]`, `{ rlim_cur: 128, rlim_max: 'RLIM_INFINITY' }`); undefined
   * when the memory could not be read or an out-parameter was not written (the call failed).
   */
  value?: unknown;
  /** The kernel writes it: decoded after the call. */
  out?: boolean;
  /** Left out of the text line (e.g. fcntl's unused third argument). */
  hidden?: boolean;
}

export interface DecodeCtx {
  mem: GuestMemory | undefined;
  /** The handler's arguments (as decoded by type). */
  args: readonly number[];
  specs: readonly ArgSpec[];
  /** Set at exit. */
  result: number | undefined;
  errno: number | undefined;
  /** The second return register, at exit. */
  rdx?: number;
  strsize: number;
}

type Decoded = { text: string; value?: unknown; hidden?: boolean };
type Fmt = (c: DecodeCtx, v: number) => Decoded;
interface ArgFmt {
  fmt: Fmt;
  out?: boolean;
}
interface CallFmt {
  args: Record<string, ArgFmt | Fmt>;
  ret?: (c: DecodeCtx, v: number) => string;
}

// ---- primitives ---------------------------------------------------------------------------------

export const hex = (v: number | bigint): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
export const ptrText = (v: number): string => (v === 0 ? 'NULL' : hex(v));

function mem(c: DecodeCtx, addr: number, len: number): Uint8Array | undefined {
  if (!c.mem || addr === 0) return undefined;
  try {
    return Uint8Array.from(c.mem.read(addr, len));
  } catch {
    return undefined;
  }
}

const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
const u64 = (d: DataView, o: number): number => d.getUint32(o, true) + d.getUint32(o + 4, true) * 0x1_0000_0000;
const i64 = (d: DataView, o: number): number => d.getInt32(o + 4, true) * 0x1_0000_0000 + d.getUint32(o, true);

/** strace's string escaping: printable ASCII as is, C escapes, octal for the rest. */
export function escapeBytes(b: Uint8Array, max: number): string {
  const n = Math.min(b.length, max);
  let s = '"';
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0x22) s += '\\"';
    else if (c === 0x5c) s += '\\\\';
    else if (c === 0x0a) s += '\\n';
    else if (c === 0x09) s += '\\t';
    else if (c === 0x0d) s += '\\r';
    else if (c === 0x0b) s += '\\v';
    else if (c === 0x0c) s += '\\f';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else {
      const next = i + 1 < n ? b[i + 1]! : 0;
      const o = c.toString(8);
      s += `\\${next >= 0x30 && next <= 0x37 ? o.padStart(3, '0') : o}`;
    }
  }
  return `${s}"${b.length > max ? '...' : ''}`;
}

const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Bytes kept in an argument's `value` (the text is cut at strsize). */
const VALUE_MAX = 65536;

/** A buffer of `len` bytes at addr: `"text"...` (value: the bytes as a latin1 string), or its address. */
function bufferAt(c: DecodeCtx, addr: number, len: number): Decoded {
  if (addr === 0) return { text: 'NULL' };
  if (!(len > 0)) return { text: '""', value: '' };
  const keep = Math.min(len, Math.max(VALUE_MAX, c.strsize));
  const b = mem(c, addr, keep) ?? mem(c, addr, Math.min(len, c.strsize));
  if (!b) return { text: hex(addr) };
  const shown = Math.min(b.length, c.strsize);
  return { text: escapeBytes(b.subarray(0, shown), shown) + (len > shown ? '...' : ''), value: latin1(b) };
}

/** The value of another argument by name. */
const arg = (c: DecodeCtx, name: string): number => {
  const i = c.specs.findIndex((s) => s.name === name);
  return i >= 0 ? c.args[i]! : 0;
};

const ok = (c: DecodeCtx): boolean => c.errno === undefined && c.result !== undefined;

// ---- formatters ---------------------------------------------------------------------------------

const enumOf = (t: ReadonlyMap<number, string>): Fmt => (_c, v) => ({ text: enumText(v, t), value: v });
const flagsOf = (t: ReadonlyArray<readonly [number, string]>): Fmt => (_c, v) => ({ text: flagsText(v, t), value: v });
const sig: Fmt = (_c, v) => ({ text: signalText(v), value: v });

/** Input buffer whose length is another argument. */
const bufIn = (lenArg: string): Fmt => (c, v) => bufferAt(c, v, arg(c, lenArg));
/** Output buffer: as many bytes as the call returned. */
const bufOut: ArgFmt = { out: true, fmt: (c, v) => (ok(c) ? bufferAt(c, v, c.result!) : { text: ptrText(v) }) };

/** An out-parameter of `n` ints: `[3, 4]`. */
const intsOut = (n: number): ArgFmt => ({
  out: true,
  fmt: (c, v) => {
    const b = ok(c) ? mem(c, v, 4 * n) : undefined;
    if (!b) return { text: ptrText(v) };
    const d = dv(b);
    const vals = Array.from({ length: n }, (_, i) => d.getInt32(4 * i, true));
    return { text: `[${vals.join(', ')}]`, value: vals };
  },
});
/** An int the kernel reads and writes (socklen_t *): shown after the call. */
const intInOut: ArgFmt = {
  out: true,
  fmt: (c, v) => {
    const b = mem(c, v, 4);
    if (!b) return { text: ptrText(v) };
    const n = dv(b).getUint32(0, true);
    return { text: `[${n}]`, value: n };
  },
};

function sockaddrText(b: Uint8Array): Decoded {
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
  return { text: `{sa_len=${b[0]}, sa_family=${enumText(fam, AF_NAMES)}, sa_data=${escapeBytes(b.subarray(2), 32)}}`, value };
}

const SOCKADDR_MAX = 255;
/** struct sockaddr in, of length `lenArg`. */
const sockaddrIn = (lenArg: string): Fmt => (c, v) => {
  if (v === 0) return { text: 'NULL' };
  const b = mem(c, v, Math.min(arg(c, lenArg), SOCKADDR_MAX));
  return b ? sockaddrText(b) : { text: hex(v) };
};
/** struct sockaddr out, its length in the socklen_t at `lenArg` after the call. */
const sockaddrOut = (lenArg: string): ArgFmt => ({
  out: true,
  fmt: (c, v) => {
    if (v === 0) return { text: 'NULL' };
    if (!ok(c)) return { text: hex(v) };
    const lb = mem(c, arg(c, lenArg), 4);
    const len = lb ? Math.min(dv(lb).getUint32(0, true), SOCKADDR_MAX) : 0;
    if (len === 0) return { text: '{}', value: {} };
    const b = mem(c, v, len);
    return b ? sockaddrText(b) : { text: hex(v) };
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
    if (i >= 8) {
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

const iovIn = (cntArg: string): Fmt => (c, v) => {
  const iovs = readIovs(c, v, arg(c, cntArg));
  return iovs ? iovText(c, iovs, Infinity) : { text: ptrText(v) };
};
const iovOut = (cntArg: string): ArgFmt => ({
  out: true,
  fmt: (c, v) => {
    const iovs = ok(c) ? readIovs(c, v, arg(c, cntArg)) : undefined;
    return iovs ? iovText(c, iovs, c.result!) : { text: ptrText(v) };
  },
});

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
    if (level === C.SOL_SOCKET && type === C.SCM_RIGHTS) {
      const fds: number[] = [];
      for (let i = off + 16; i + 4 <= end; i += 4) fds.push(d.getInt32(i, true));
      data = `[${fds.join(', ')}]`;
      dataValue = fds;
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
function msghdr(c: DecodeCtx, v: number, out: boolean): Decoded {
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
function sockaddrFrom(c: DecodeCtx, addr: number, len: number): Decoded {
  const b = mem(c, addr, Math.min(len, SOCKADDR_MAX));
  return b ? sockaddrText(b) : { text: hex(addr) };
}

const timespecAt = (d: DataView, o: number): { tv_sec: number; tv_nsec: number } => ({ tv_sec: i64(d, o), tv_nsec: i64(d, o + 8) });
const timespecStr = (t: { tv_sec: number; tv_nsec: number }): string => `{tv_sec=${t.tv_sec}, tv_nsec=${t.tv_nsec}}`;

/** An out-structure of `size` bytes, decoded by `fn`; the address when the call failed or it is unreadable. */
const structOut = (size: number, fn: (d: DataView) => Decoded): ArgFmt => ({
  out: true,
  fmt: (c, v) => {
    const b = ok(c) ? mem(c, v, size) : undefined;
    return b ? fn(dv(b)) : { text: ptrText(v) };
  },
});
const structIn = (size: number, fn: (d: DataView) => Decoded): Fmt => (c, v) => {
  const b = mem(c, v, size);
  return b ? fn(dv(b)) : { text: ptrText(v) };
};

const timespec = (d: DataView): Decoded => {
  const t = timespecAt(d, 0);
  return { text: timespecStr(t), value: t };
};

const rlimVal = (d: DataView, o: number): number | string => {
  const v = d.getBigUint64(o, true);
  return v === C.RLIM_INFINITY ? 'RLIM_INFINITY' : Number(v);
};
const rlimit = (d: DataView): Decoded => {
  const cur = rlimVal(d, 0);
  const max = rlimVal(d, 8);
  return { text: `{rlim_cur=${cur}, rlim_max=${max}}`, value: { rlim_cur: cur, rlim_max: max } };
};

function stat(d: DataView): Decoded {
  const v = {
    st_dev: i64(d, 0), st_mode: d.getUint32(8, true), st_ino: i64(d, 16), st_nlink: d.getUint32(24, true),
    st_uid: d.getUint32(28, true), st_gid: d.getUint32(32, true), st_rdev: i64(d, 40),
    st_atim: timespecAt(d, 48), st_mtim: timespecAt(d, 64), st_ctim: timespecAt(d, 80), st_birthtim: timespecAt(d, 96),
    st_size: i64(d, 112), st_blocks: i64(d, 120), st_blksize: d.getUint32(128, true),
  };
  const text = `{st_dev=${v.st_dev}, st_ino=${v.st_ino}, st_mode=${modeText(v.st_mode)}, st_nlink=${v.st_nlink}, st_uid=${v.st_uid}, st_gid=${v.st_gid}, st_rdev=${v.st_rdev}, st_size=${v.st_size}, st_blksize=${v.st_blksize}, st_blocks=${v.st_blocks}, st_mtim=${timespecStr(v.st_mtim)}}`;
  return { text, value: { ...v, st_mode: modeText(v.st_mode) } };
}

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
const sigset = (d: DataView): Decoded => sigsetText(readSigset(d, 0));

function sigaction(d: DataView): Decoded {
  const h = u64(d, 0);
  const handler = h === C.SIG_DFL ? 'SIG_DFL' : h === C.SIG_IGN ? 'SIG_IGN' : hex(h);
  const mask = sigsetText(readSigset(d, 8));
  const flags = d.getInt32(24, true);
  return {
    text: `{sa_handler=${handler}, sa_mask=${mask.text}, sa_flags=${flagsText(flags, SA_NAMES)}}`,
    value: { sa_handler: handler, sa_mask: mask.value, sa_flags: flagsText(flags, SA_NAMES) },
  };
}

function stack(d: DataView): Decoded {
  const sp = u64(d, 0);
  const size = u64(d, 8);
  const flags = d.getInt32(16, true);
  return { text: `{ss_sp=${ptrText(sp)}, ss_size=${size}, ss_flags=${flagsText(flags, SS_NAMES)}}`, value: { ss_sp: sp, ss_size: size, ss_flags: flagsText(flags, SS_NAMES) } };
}

const fcntlArg: Fmt = (c, v) => {
  const cmd = arg(c, 'cmd');
  switch (cmd) {
    case C.F_SETFD:
      return { text: flagsText(v, FD_FLAG_NAMES), value: v };
    case C.F_SETFL:
      return { text: oFlagsText(v), value: v };
    case C.F_DUPFD: case C.F_DUPFD_CLOEXEC: case C.F_DUPFD_CLOFORK: case C.F_SETNOSIGPIPE: case C.F_CLOSEM:
    case C.F_SETOWN: case C.F_ADD_SEALS:
      return { text: String(v), value: v };
    case C.F_GETLK: case C.F_SETLK: case C.F_SETLKW: {
      // struct flock as the call was given it (F_GETLK's answer overwrites it).
      const b = mem(c, v, C.FLOCK_SIZE);
      if (!b) return { text: ptrText(v), value: v };
      const d = dv(b);
      const value = {
        l_start: i64(d, 0), l_len: i64(d, 8), l_pid: d.getInt32(16, true),
        l_type: enumText(d.getInt16(20, true), LOCK_TYPE_NAMES), l_whence: enumText(d.getInt16(22, true), WHENCE_NAMES),
      };
      return { text: `{l_start=${value.l_start}, l_len=${value.l_len}, l_pid=${value.l_pid}, l_type=${value.l_type}, l_whence=${value.l_whence}}`, value };
    }
    case C.F_GETPATH:
      return { text: ptrText(v), value: v };
    default:
      return { text: String(v), value: v, hidden: true };
  }
};
const fcntlRet = (c: DecodeCtx, r: number): string => {
  const cmd = arg(c, 'cmd');
  if (cmd === C.F_GETFD) return r ? `${hex(r)} (flags ${flagsText(r, FD_FLAG_NAMES)})` : '0';
  if (cmd === C.F_GETFL) return `${hex(r)} (flags ${openFlagsText(r)})`;
  return String(r);
};

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
const sizeInOut: ArgFmt = {
  out: true,
  fmt: (c, v) => {
    const b = mem(c, v, 8);
    if (!b) return { text: ptrText(v) };
    const n = u64(dv(b), 0);
    return { text: `[${n}]`, value: n };
  },
};

const sysarchParms: ArgFmt = {
  out: true,
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

const hexRet = (_c: DecodeCtx, r: number): string => hex(r);

/** wait status (sys/sys/wait.h) as strace writes it. */
function waitStatusText(st: number): string {
  const low = st & 0x7f;
  if (low === 0) return `[{WIFEXITED(s) && WEXITSTATUS(s) == ${(st >> 8) & 0xff}}]`;
  if ((st & 0xff) === 0x7f) return `[{WIFSTOPPED(s) && WSTOPSIG(s) == ${signalText((st >> 8) & 0xff)}}]`;
  if (st === 0xffff) return '[{WIFCONTINUED(s)}]';
  return `[{WIFSIGNALED(s) && WTERMSIG(s) == ${signalText(low)}${st & 0x80 ? ' && WCOREDUMP(s)' : ''}}]`;
}
const WAIT_OPTIONS: ReadonlyArray<readonly [number, string]> = [
  [0x1, 'WNOHANG'], [0x2, 'WUNTRACED'], [0x4, 'WALTSIG'], [0x10, 'WCONTINUED'], [0x20, 'WEXITED'], [0x40, 'WTRAPPED'], [0x10000, 'WNOWAIT'],
];
const POLL_EVENTS: ReadonlyArray<readonly [number, string]> = [
  [0x1, 'POLLIN'], [0x2, 'POLLPRI'], [0x4, 'POLLOUT'], [0x8, 'POLLERR'], [0x10, 'POLLHUP'], [0x20, 'POLLNVAL'], [0x40, 'POLLRDNORM'],
  [0x80, 'POLLRDBAND'], [0x100, 'POLLWRBAND'],
];
/** struct pollfd[nfds] (fd, events, revents), shown after the call with the revents. */
const pollfds: ArgFmt = {
  out: true,
  fmt: (c, v) => {
    const n = Math.min(arg(c, 'nfds'), 64);
    const b = mem(c, v, 8 * n);
    if (!b) return { text: ptrText(v) };
    const d = dv(b);
    const items = Array.from({ length: n }, (_, i) => ({ fd: d.getInt32(8 * i, true), events: d.getInt16(8 * i + 4, true), revents: d.getInt16(8 * i + 6, true) }));
    const text = items.map((x) => `{fd=${x.fd}, events=${flagsText(x.events, POLL_EVENTS)}${ok(c) && x.revents ? `, revents=${flagsText(x.revents, POLL_EVENTS)}` : ''}}`);
    return { text: `[${text.join(', ')}]`, value: items };
  },
};
/** A NULL-terminated array of C strings (execve's argv and envp). */
const stringArray: Fmt = (c, v) => {
  if (v === 0) return { text: 'NULL' };
  const out: string[] = [];
  for (let i = 0; i < 256; i++) {
    const pb = mem(c, v + 8 * i, 8);
    if (!pb) return { text: hex(v) };
    const p = u64(dv(pb), 0);
    if (p === 0) break;
    const s = stringAt(c, p);
    out.push(typeof s.value === 'string' ? s.value : s.text);
  }
  return { text: `[${out.map((x) => escapeBytes(Buffer.from(x, 'latin1'), Math.max(c.strsize, 256))).join(', ')}]`, value: out };
};

/** Per-call formats, by NetBSD name. Arguments not listed fall back to their register type. */
export const CALL_FORMATS: Record<string, CallFmt> = {
  read: { args: { buf: bufOut } },
  write: { args: { buf: bufIn('nbyte') } },
  readv: { args: { iovp: iovOut('iovcnt') } },
  writev: { args: { iovp: iovIn('iovcnt') } },
  dup3: { args: { flags: (_c, v) => ({ text: oFlagsText(v), value: v }) } },
  fcntl: { args: { cmd: enumOf(FCNTL_NAMES), arg: fcntlArg }, ret: fcntlRet },
  __fstat50: { args: { sb: structOut(152, stat) } },
  socketpair: { args: { domain: enumOf(AF_NAMES), type: (_c, v) => ({ text: sockTypeText(v), value: v }), rsv: intsOut(2) } },
  socket: { args: { domain: enumOf(AF_NAMES), type: (_c, v) => ({ text: sockTypeText(v), value: v }) } },
  sendmsg: { args: { msg: (c, v) => msghdr(c, v, false), flags: flagsOf(MSG_NAMES) } },
  recvmsg: { args: { msg: { out: true, fmt: (c, v) => (ok(c) ? msghdr(c, v, true) : { text: ptrText(v) }) }, flags: flagsOf(MSG_NAMES) } },
  sendto: { args: { buf: bufIn('len'), flags: flagsOf(MSG_NAMES), to: sockaddrIn('tolen') } },
  recvfrom: { args: { buf: bufOut, flags: flagsOf(MSG_NAMES), from: sockaddrOut('fromlenaddr'), fromlenaddr: intInOut } },
  getpeername: { args: { asa: sockaddrOut('alen'), alen: intInOut } },
  getsockname: { args: { asa: sockaddrOut('alen'), alen: intInOut } },
  getsockopt: {
    args: {
      level: enumOf(SOL_NAMES),
      name: (c, v) => ({ text: arg(c, 'level') === C.SOL_SOCKET ? enumText(v, SO_NAMES) : String(v), value: v }),
      val: {
        out: true,
        fmt: (c, v) => {
          const lb = ok(c) ? mem(c, arg(c, 'avalsize'), 4) : undefined;
          if (!lb) return { text: ptrText(v) };
          const len = dv(lb).getUint32(0, true);
          if (len !== 4) return bufferAt(c, v, len);
          const d = intsOut(1).fmt(c, v);
          return { ...d, value: Array.isArray(d.value) ? d.value[0] : d.value };
        },
      },
      avalsize: intInOut,
    },
  },
  setsockopt: { args: { level: enumOf(SOL_NAMES), name: (c, v) => ({ text: arg(c, 'level') === C.SOL_SOCKET ? enumText(v, SO_NAMES) : String(v), value: v }) } },
  kill: { args: { signum: sig } },
  mmap: { args: { prot: flagsOf(PROT_NAMES), flags: (_c, v) => ({ text: mapFlagsText(v), value: v }) }, ret: hexRet },
  mprotect: { args: { prot: flagsOf(PROT_NAMES) } },
  getrlimit: { args: { which: enumOf(RLIMIT_NAMES), rlp: structOut(16, rlimit) } },
  setrlimit: { args: { which: enumOf(RLIMIT_NAMES), rlp: structIn(16, rlimit) } },
  __sysctl: { args: { name: sysctlName, oldp: sysctlOld, oldlenp: sizeInOut, newp: (c, v) => bufferAt(c, v, arg(c, 'newlen')) } },
  sysarch: { args: { op: enumOf(SYSARCH_OPS), parms: sysarchParms } },
  _lwp_getprivate: { args: {}, ret: hexRet },
  __clock_gettime50: { args: { clock_id: enumOf(CLOCK_NAMES), tp: structOut(16, timespec) } },
  __sigaction_sigtramp: { args: { signum: sig, nsa: structIn(32, sigaction), osa: structOut(32, sigaction) } },
  __sigprocmask14: { args: { how: enumOf(SIGPROCMASK_HOW), set: structIn(16, sigset), oset: structOut(16, sigset) } },
  __sigpending14: { args: { set: structOut(16, sigset) } },
  __sigsuspend14: { args: { set: structIn(16, sigset) } },
  __sigaltstack14: { args: { nss: structIn(24, stack), oss: structOut(24, stack) } },
  pipe: { args: {}, ret: (c, r) => `${r} (fildes [${r}, ${c.rdx ?? '?'}])` },
  execve: { args: { argp: stringArray, envp: stringArray } },
  __wait450: {
    args: {
      status: { out: true, fmt: (c, v) => { const b = ok(c) && c.result! > 0 ? mem(c, v, 4) : undefined; return b ? { text: waitStatusText(dv(b).getInt32(0, true)), value: dv(b).getInt32(0, true) } : { text: ptrText(v) }; } },
      options: flagsOf(WAIT_OPTIONS),
    },
  },
  poll: { args: { fds: pollfds } },
  __pollts50: { args: { fds: pollfds, ts: structIn(16, timespec), mask: structIn(16, sigset) } },
  __pselect50: { args: { ts: structIn(16, timespec), mask: structIn(16, sigset) } },
  open: { args: { flags: (_c, v) => ({ text: openFlagsText(v), value: v }) } },
  pipe2: { args: { fildes: intsOut(2), flags: (_c, v) => ({ text: oFlagsText(v), value: v }) } },
};

/** C string arguments by name (paths), for calls added later. */
const STRING_ARGS = new Set(['path', 'link', 'from', 'to', 'fname']);

function stringAt(c: DecodeCtx, v: number): Decoded {
  if (v === 0) return { text: 'NULL' };
  const b = mem(c, v, 1);
  if (!b) return { text: hex(v) };
  const bytes: number[] = [];
  for (let i = 0; i < 4096; i++) {
    const x = mem(c, v + i, 1);
    if (!x || x[0] === 0) break;
    bytes.push(x[0]!);
  }
  const s = Uint8Array.from(bytes);
  return { text: escapeBytes(s, Math.max(c.strsize, 256)), value: latin1(s) };
}

/** Decoding from the register type alone. */
function byType(spec: ArgSpec, v: number, c: DecodeCtx): Decoded {
  if (spec.type === 'ptr') return STRING_ARGS.has(spec.name) ? stringAt(c, v) : { text: ptrText(v), value: v };
  return { text: String(v), value: v };
}

function fmtFor(name: string, arg: string): ArgFmt | undefined {
  const f = CALL_FORMATS[name]?.args[arg];
  if (!f) return undefined;
  return typeof f === 'function' ? { fmt: f } : f;
}

/** Is this argument written by the kernel (decoded at exit)? */
export function isOutArg(name: string, spec: ArgSpec): boolean {
  return fmtFor(name, spec.name)?.out === true;
}

/** Decode one argument. */
export function decodeArg(call: string, i: number, raw: bigint, c: DecodeCtx): TraceArg {
  const spec = c.specs[i]!;
  const f = fmtFor(call, spec.name);
  const v = c.args[i]!;
  let d: Decoded;
  try {
    d = f ? f.fmt(c, v) : byType(spec, v, c);
  } catch {
    d = { text: spec.type === 'ptr' ? ptrText(v) : String(v), value: v };
  }
  const a: TraceArg = { name: spec.name, type: spec.type, raw: hex(raw), text: d.text };
  if (d.value !== undefined) a.value = d.value;
  if (f?.out) a.out = true;
  if (d.hidden) a.hidden = true;
  return a;
}

/** The return value as strace shows it (hex for addresses, flags for fcntl's F_GET*). */
export function retText(call: string, c: DecodeCtx, r: number): string {
  const f = CALL_FORMATS[call]?.ret;
  try {
    return f ? f(c, r) : String(r);
  } catch {
    return String(r);
  }
}
