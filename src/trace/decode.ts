// Argument decoding for the trace: what the tracer asks of the per-call formats (calls.ts).
//
// The syscall descriptors give each argument's name and register type; CALL_FORMATS says what
// a pointer points to, which flags or enumeration a number is, and whether the kernel reads the
// argument (in: decoded at entry, before the handler can change memory) or writes it (out:
// decoded after the call, shown only when it succeeded). A call without an entry is still
// traced from its types (numbers in decimal, pointers in hex, `path`-like names as strings),
// but test/trace.test.ts requires an entry for every descriptor argument.

import type { ArgSpec } from '../kernel/syscall.js';
import { CALL_FORMATS, RAW_ARGS } from './calls.js';
import { hex, ptrText, stringAt, type ArgFmt, type DecodeCtx, type Decoded } from './fmt.js';

export type { DecodeCtx, GuestMemory, TraceArg } from './fmt.js';
export { escapeBytes, hex, ptrText } from './fmt.js';
export { sigsetText } from './structs.js';
export { CALL_FORMATS, RAW_ARGS };
import type { TraceArg } from './fmt.js';

/** C string arguments by name (paths), for calls without an entry. */
const STRING_ARGS = new Set(['path', 'link', 'from', 'to', 'fname']);

/** Decoding from the register type alone. */
function byType(spec: ArgSpec, v: number, c: DecodeCtx): Decoded {
  if (spec.type === 'ptr') return STRING_ARGS.has(spec.name) ? stringAt(c, v) : { text: ptrText(v), value: v };
  return { text: String(v), value: v };
}

function fmtFor(call: string, argName: string): ArgFmt | undefined {
  const f = CALL_FORMATS[call]?.args[argName];
  if (!f) return undefined;
  return typeof f === 'function' ? { fmt: f } : f;
}

/** Has this argument of this call a decoder of its own (not just its register type)? */
export function hasDecoder(call: string, argName: string): boolean {
  return fmtFor(call, argName) !== undefined;
}

/** Is the argument an address shown as such on purpose (a handler, a hint, a mapping)? */
export function isOpaque(call: string, argName: string): boolean {
  return fmtFor(call, argName)?.opaque === true;
}

/** The argument specs the trace shows: the descriptor's, then any the program leaves on its stack (mmap's pos). */
export function traceSpecs(call: string, specs: readonly ArgSpec[]): readonly ArgSpec[] {
  const extra = CALL_FORMATS[call]?.stack;
  return extra ? [...specs, ...extra] : specs;
}

/** Is this argument written by the kernel (decoded at exit)? */
export function isOutArg(call: string, spec: ArgSpec, c: DecodeCtx): boolean {
  const out = fmtFor(call, spec.name)?.out;
  if (typeof out === 'function') {
    try {
      return out(c);
    } catch {
      return false;
    }
  }
  return out === true;
}

/** For an out-argument: what to keep from entry (an in/out length's value before the call). */
export function enterArg(call: string, i: number, c: DecodeCtx): unknown {
  const f = fmtFor(call, c.specs[i]!.name);
  if (!f?.enter) return undefined;
  try {
    return f.enter(c, c.args[i]!);
  } catch {
    return undefined;
  }
}

/** Decode one argument (an out-argument with what its entry kept). */
export function decodeArg(call: string, i: number, raw: bigint, c: DecodeCtx, kept?: unknown): TraceArg {
  const spec = c.specs[i]!;
  const f = fmtFor(call, spec.name);
  const v = c.args[i]!;
  let d: Decoded;
  c.kept = kept;
  try {
    d = f ? f.fmt(c, v) : byType(spec, v, c);
  } catch {
    d = { text: spec.type === 'ptr' ? ptrText(v) : String(v), value: v };
  } finally {
    c.kept = undefined;
  }
  const a: TraceArg = { name: spec.name, type: spec.type, raw: hex(raw), text: d.text };
  if (d.value !== undefined) a.value = d.value;
  if (f?.out && (typeof f.out !== 'function' || isOutArg(call, spec, c))) a.out = true;
  if (d.hidden) a.hidden = true;
  return a;
}

/** The return value as strace shows it (hex for addresses, flags for fcntl's F_GET*, poll's revents). */
export function retText(call: string, c: DecodeCtx, r: number): string {
  const f = CALL_FORMATS[call]?.ret;
  try {
    return f ? f(c, r) : String(r);
  } catch {
    return String(r);
  }
}

/** The *at calls' directory descriptors (AT_FDCWD) need a decoder; other descriptors read as numbers. */
const needsDecoder = (call: string, spec: ArgSpec): boolean => spec.type !== 'fd' || call.endsWith('at');

/**
 * What keeps the trace from decoding every argument: descriptor arguments with no entry in
 * CALL_FORMATS and none in RAW_ARGS, entries that name no descriptor or no argument of one, and
 * RAW_ARGS entries that are stale. Empty when all is well (test/trace.test.ts checks it).
 */
export function decoderGaps(
  descriptors: ReadonlyArray<{ name: string; args: readonly ArgSpec[] }>,
  formats: Readonly<Record<string, { args: Record<string, unknown>; stack?: ArgSpec[] }>> = CALL_FORMATS,
  raw: Readonly<Record<string, string>> = RAW_ARGS,
): string[] {
  const gaps: string[] = [];
  const byName = new Map(descriptors.map((d) => [d.name, d]));
  for (const d of descriptors) {
    const f = formats[d.name];
    for (const spec of [...d.args, ...(f?.stack ?? [])]) {
      if (!needsDecoder(d.name, spec) || f?.args[spec.name] !== undefined || raw[`${d.name}.${spec.name}`] !== undefined) continue;
      gaps.push(`${d.name}(${spec.name}: ${spec.type}) has no decoder: add one to CALL_FORMATS in src/trace/calls.ts (num for a plain number), or list it in RAW_ARGS with the reason`);
    }
  }
  for (const [name, f] of Object.entries(formats)) {
    const d = byName.get(name);
    if (!d) {
      gaps.push(`CALL_FORMATS.${name} names no syscall descriptor (the descriptor's NetBSD name is the key)`);
      continue;
    }
    const names = new Set([...d.args, ...(f.stack ?? [])].map((s) => s.name));
    for (const a of Object.keys(f.args)) if (!names.has(a)) gaps.push(`CALL_FORMATS.${name}.${a} is not an argument of ${name}`);
  }
  for (const key of Object.keys(raw)) {
    const [name, a] = key.split('.') as [string, string | undefined];
    const d = byName.get(name);
    if (!d || !a || !d.args.some((s) => s.name === a)) gaps.push(`RAW_ARGS['${key}'] names no descriptor argument`);
    else if (formats[name]?.args[a] !== undefined) gaps.push(`RAW_ARGS['${key}'] has a decoder now: remove it from RAW_ARGS`);
  }
  return gaps;
}
