// The building blocks of the trace's argument decoders: how guest memory is read, how numbers,
// strings and buffers are written (strace's notation), and the formatter types that
// calls.ts puts together per syscall. Nothing here runs unless a call is traced.

import type { ArgSpec, ArgType } from '../kernel/syscall.js';
import { enumText, flagsText, signalText, type EnumTable, type FlagTable } from './names.js';

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
  /** The register (or, past the sixth, the stack word) as the program passed it: unsigned 64-bit, in hex. */
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
  /** Left out of the text line (e.g. fcntl's unused third argument, a padding word). */
  hidden?: boolean;
}

export interface DecodeCtx {
  mem: GuestMemory | undefined;
  /** The handler's arguments (as decoded by type), then any read from the user stack. */
  args: readonly number[];
  specs: readonly ArgSpec[];
  /** Set at exit. */
  result: number | undefined;
  errno: number | undefined;
  /** The second return register, at exit. */
  rdx?: number;
  strsize: number;
  /** For an out-argument at exit: what its `enter` kept at entry. */
  kept?: unknown;
}

export type Decoded = { text: string; value?: unknown; hidden?: boolean };
export type Fmt = (c: DecodeCtx, v: number) => Decoded;
export interface ArgFmt {
  fmt: Fmt;
  /** The kernel writes it, so it is decoded after the call; a function when that depends on another argument. */
  out?: boolean | ((c: DecodeCtx) => boolean);
  /** For an out-argument: what to read at entry (an in/out length's value in), handed to fmt as `c.kept`. */
  enter?: (c: DecodeCtx, v: number) => unknown;
  /** Shown as an address on purpose: an opaque pointer (a handler, a hint, a TLS base, a mapping). */
  opaque?: boolean;
}
export interface CallFmt {
  args: Record<string, ArgFmt | Fmt>;
  ret?: (c: DecodeCtx, r: number) => string;
  /** Arguments past the sixth, which the program leaves on its stack (mmap's pos). */
  stack?: ArgSpec[];
}

// ---- memory and numbers -------------------------------------------------------------------------

export const hex = (v: number | bigint): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
export const ptrText = (v: number): string => (v === 0 ? 'NULL' : hex(v));

/** A copy of guest memory, or undefined when it is not readable (or the pointer is NULL). */
export function mem(c: DecodeCtx, addr: number, len: number): Uint8Array | undefined {
  if (!c.mem || addr === 0) return undefined;
  try {
    return Uint8Array.from(c.mem.read(addr, len));
  } catch {
    return undefined;
  }
}

export const dv = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
export const u64 = (d: DataView, o: number): number => d.getUint32(o, true) + d.getUint32(o + 4, true) * 0x1_0000_0000;
export const i64 = (d: DataView, o: number): number => d.getInt32(o + 4, true) * 0x1_0000_0000 + d.getUint32(o, true);

/** The value of another argument by name. */
export const arg = (c: DecodeCtx, name: string): number => {
  const i = c.specs.findIndex((s) => s.name === name);
  return i >= 0 ? c.args[i]! : 0;
};

/** The call succeeded (its out-parameters were written). */
export const ok = (c: DecodeCtx): boolean => c.errno === undefined && c.result !== undefined;

/** strace prints at most `-s` elements of an array too. */
export const arrayCap = (c: DecodeCtx): number => Math.max(1, c.strsize);

// ---- strings and buffers ------------------------------------------------------------------------

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

export const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** Bytes kept in an argument's `value` (the text is cut at strsize). */
const VALUE_MAX = 65536;

/** A buffer of `len` bytes at addr: `"text"...` (value: the bytes as a latin1 string), or its address. */
export function bufferAt(c: DecodeCtx, addr: number, len: number): Decoded {
  if (addr === 0) return { text: 'NULL' };
  if (!(len > 0)) return { text: '""', value: '' };
  const keep = Math.min(len, Math.max(VALUE_MAX, c.strsize));
  const b = mem(c, addr, keep) ?? mem(c, addr, Math.min(len, c.strsize));
  if (!b) return { text: hex(addr) };
  const shown = Math.min(b.length, c.strsize);
  return { text: escapeBytes(b.subarray(0, shown), shown) + (len > shown ? '...' : ''), value: latin1(b) };
}

const PATH_MAX_SHOWN = 4096;
const PAGE = 4096;

/** A NUL-terminated string (a path), read a page at a time; its address when unreadable. */
export function stringAt(c: DecodeCtx, v: number, max = PATH_MAX_SHOWN): Decoded {
  if (v === 0) return { text: 'NULL' };
  const parts: Uint8Array[] = [];
  let total = 0;
  let addr = v;
  while (total < max) {
    const n = Math.min(PAGE - (addr % PAGE), max - total);
    const b = mem(c, addr, n);
    if (!b) {
      if (total === 0) return { text: hex(v) };
      break;
    }
    const nul = b.indexOf(0);
    parts.push(nul >= 0 ? b.subarray(0, nul) : b);
    total += nul >= 0 ? nul : n;
    if (nul >= 0) break;
    addr += n;
  }
  const s = Buffer.concat(parts);
  return { text: escapeBytes(s, Math.max(c.strsize, 256)), value: latin1(s) };
}

// ---- formatters ---------------------------------------------------------------------------------

/** A plain number, in decimal (counts, lengths, ids, offsets). */
export const num: Fmt = (_c, v) => ({ text: String(v), value: v });
/** An address that is the value itself: shown in hex (or NULL). */
export const opaque: ArgFmt = { opaque: true, fmt: (_c, v) => ({ text: ptrText(v), value: v }) };
/** A padding word of syscalls.master (`PAD`): kept in the JSON, left out of the line. */
export const pad: Fmt = (_c, v) => ({ text: String(v), value: v, hidden: true });
/** A C string (a path or a name). */
export const str: Fmt = (c, v) => stringAt(c, v);

export const enumOf = (t: EnumTable): Fmt => (_c, v) => ({ text: enumText(v, t), value: v });
export const flagsOf = (t: FlagTable): Fmt => (_c, v) => ({ text: flagsText(v, t), value: v });
export const textOf = (f: (v: number) => string): Fmt => (_c, v) => ({ text: f(v), value: v });
export const sig: Fmt = (_c, v) => ({ text: signalText(v), value: v });

/** A structure the kernel reads: decoded at entry. */
export const structIn = (size: number, fn: (d: DataView, c: DecodeCtx) => Decoded): Fmt => (c, v) => {
  const b = mem(c, v, size);
  return b ? fn(dv(b), c) : { text: ptrText(v) };
};
/** A structure the kernel writes: decoded after a successful call, else its address. */
export const structOut = (size: number, fn: (d: DataView, c: DecodeCtx) => Decoded, when: (c: DecodeCtx) => boolean = ok): ArgFmt => ({
  out: true,
  fmt: (c, v) => {
    const b = when(c) ? mem(c, v, size) : undefined;
    return b ? fn(dv(b), c) : { text: ptrText(v) };
  },
});

/** Input buffer whose length is another argument. */
export const bufIn = (lenArg: string): Fmt => (c, v) => bufferAt(c, v, arg(c, lenArg));
/** Output buffer: as many bytes as the call returned. */
export const bufOut: ArgFmt = { out: true, fmt: (c, v) => (ok(c) ? bufferAt(c, v, c.result!) : { text: ptrText(v) }) };

/** `n` ints in memory: `[3, 4]`, each by `each`. */
function intsAt(c: DecodeCtx, v: number, n: number, each: (x: number) => string = String): Decoded | undefined {
  const shown = Math.min(n, arrayCap(c));
  const b = mem(c, v, 4 * shown);
  if (!b) return undefined;
  const d = dv(b);
  const vals = Array.from({ length: shown }, (_, i) => d.getInt32(4 * i, true));
  return { text: `[${vals.map(each).join(', ')}${n > shown ? ', ...' : ''}]`, value: vals };
}
/** An out-parameter of `n` ints (a function of the context for a count known at exit). */
export const intsOut = (n: number | ((c: DecodeCtx) => number), each?: (x: number) => string): ArgFmt => ({
  out: true,
  fmt: (c, v) => (ok(c) ? intsAt(c, v, typeof n === 'number' ? n : n(c), each) : undefined) ?? { text: ptrText(v) },
});
/** An array of ints the kernel reads, its length another argument. */
export const intsIn = (lenArg: string): Fmt => (c, v) => intsAt(c, v, Math.max(0, arg(c, lenArg))) ?? { text: ptrText(v) };
/** One int the kernel writes: `[4]`. */
export const intOut = (each?: (x: number) => string): ArgFmt => {
  const f = intsOut(1, each);
  return { out: true, fmt: (c, v) => { const d = f.fmt(c, v); return Array.isArray(d.value) ? { ...d, value: d.value[0] } : d; } };
};
/** A pointer the kernel writes (a void **): `[0x7f7ff7ff0000]`. */
export const ptrOut: ArgFmt = {
  out: true,
  fmt: (c, v) => {
    const b = ok(c) ? mem(c, v, 8) : undefined;
    if (!b) return { text: ptrText(v) };
    const p = u64(dv(b), 0);
    return { text: `[${ptrText(p)}]`, value: p };
  },
};

/**
 * A length the kernel reads and writes (socklen_t *, size_t *): `[110 => 2]` when the call
 * changed it, `[4]` when not, and the value it went in with when the call failed.
 */
export const lenInOut = (size: 4 | 8): ArgFmt => {
  const read = (c: DecodeCtx, v: number): number | undefined => {
    const b = mem(c, v, size);
    return b ? (size === 4 ? dv(b).getUint32(0, true) : u64(dv(b), 0)) : undefined;
  };
  return {
    out: true,
    enter: read,
    fmt: (c, v) => {
      const before = c.kept as number | undefined;
      const after = ok(c) ? read(c, v) : undefined;
      if (after === undefined) return before === undefined ? { text: ptrText(v) } : { text: `[${before}]`, value: before };
      return { text: before === undefined || before === after ? `[${after}]` : `[${before} => ${after}]`, value: after };
    },
  };
};
