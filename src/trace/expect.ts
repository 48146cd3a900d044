// Assertions on a collected trace, for vitest (or any runner: they throw an Error whose message
// lists the calls of that name and why each did not match). Also `traceMatchers` for
// `expect.extend()`. Nothing here imports vitest.

import { aliases } from './filter.js';
import type { SyscallTraceEvent, TraceArg, TraceEvent } from './tracer.js';

/**
 * How an argument (or a field of its decoded structure) is matched:
 * - string: the decoded text exactly (`'AF_LOCAL'`, `'[3, 4]'`), or the value when it is a string
 *   (a buffer's bytes: `'hello\n'`);
 * - RegExp: tested on the decoded text (`/SOCK_CLOEXEC/`);
 * - number / bigint: the argument's numeric value;
 * - array or object: the decoded structure (arrays element by element, objects by the keys given);
 * - function: a predicate on the value (and the whole TraceArg).
 */
export type ValueMatcher =
  | string | RegExp | number | bigint | boolean | null
  | readonly unknown[]
  | { readonly [key: string]: unknown }
  | ((value: unknown, arg: TraceArg) => boolean);

export interface SyscallMatch {
  /** Arguments by name, or by position as an array. */
  args?: Readonly<Record<string, ValueMatcher>> | readonly ValueMatcher[];
  /** Out-parameters by name (decoded only when the call succeeded): `{ rsv: [3, 4] }`. */
  out?: Readonly<Record<string, ValueMatcher>>;
  /** The result the program saw (success only). */
  result?: number | ((r: number) => boolean);
  /** The errno name or number; null: the call must have succeeded. */
  errno?: string | number | null;
  pid?: number;
  injected?: boolean;
  resumed?: boolean;
  /** The strace-style line (exactly, or a RegExp). */
  line?: string | RegExp;
}

function nameMatches(ev: SyscallTraceEvent, name: string | RegExp): boolean {
  if (typeof name !== 'string') return aliases(ev.name).some((a) => name.test(a));
  return aliases(ev.name).includes(name);
}

function valueMatches(m: unknown, v: unknown, text?: string): boolean {
  if (m instanceof RegExp) return m.test(text ?? (typeof v === 'string' ? v : JSON.stringify(v)));
  if (typeof m === 'function') return false;
  if (typeof m === 'string') return (text !== undefined && text === m) || v === m;
  if (typeof m === 'number' || typeof m === 'bigint') return typeof v === 'number' && BigInt(Math.trunc(v)) === BigInt(m) && v === Math.trunc(v);
  if (m === null || typeof m === 'boolean') return v === m;
  if (Array.isArray(m)) return Array.isArray(v) && v.length === m.length && m.every((x, i) => valueMatches(x, v[i]));
  if (typeof m === 'object') {
    if (typeof v !== 'object' || v === null) return false;
    return Object.entries(m).every(([k, x]) => valueMatches(x, (v as Record<string, unknown>)[k]));
  }
  return false;
}

function argMatches(m: ValueMatcher, a: TraceArg | undefined): boolean {
  if (!a) return false;
  if (typeof m === 'function') return m(a.value, a);
  if ((typeof m === 'number' || typeof m === 'bigint') && typeof a.value !== 'number') return BigInt(a.raw) === BigInt.asUintN(64, BigInt(m));
  return valueMatches(m, a.value, a.text);
}

const show = (m: unknown): string => (m instanceof RegExp ? String(m) : typeof m === 'function' ? '<predicate>' : typeof m === 'bigint' ? `${m}n` : JSON.stringify(m));

/** Why ev does not match (empty: it matches). */
export function mismatches(ev: SyscallTraceEvent, match: SyscallMatch = {}): string[] {
  const why: string[] = [];
  const byName = (name: string): TraceArg | undefined => ev.args.find((a) => a.name === name);
  const check = (label: string, m: ValueMatcher, a: TraceArg | undefined): void => {
    if (!a) why.push(`${label}: no such argument (${ev.name} has ${ev.args.map((x) => x.name).join(', ') || 'none'})`);
    else if (!argMatches(m, a)) why.push(`${label}: ${a.text} does not match ${show(m)}`);
  };
  if (Array.isArray(match.args)) match.args.forEach((m, i) => check(`argument ${i + 1}`, m, ev.args[i]));
  else if (match.args) for (const [k, m] of Object.entries(match.args)) check(k, m as ValueMatcher, byName(k));
  if (match.out) for (const [k, m] of Object.entries(match.out)) check(k, m, byName(k));
  if (match.errno !== undefined) {
    if (match.errno === null) {
      if (ev.errno !== null) why.push(`errno: failed with ${ev.errnoName}, expected success`);
    } else if (typeof match.errno === 'number' ? ev.errno !== match.errno : ev.errnoName !== match.errno) {
      why.push(`errno: ${ev.errnoName ?? 'none (it succeeded)'}, expected ${match.errno}`);
    }
  }
  if (match.result !== undefined) {
    const r = ev.result;
    const good = r !== null && (typeof match.result === 'function' ? match.result(r) : r === match.result);
    if (!good) why.push(`result: ${ev.retText}, expected ${typeof match.result === 'function' ? '<predicate>' : match.result}`);
  }
  if (match.pid !== undefined && ev.pid !== match.pid) why.push(`pid: ${ev.pid}, expected ${match.pid}`);
  if (match.injected !== undefined && ev.injected !== match.injected) why.push(`injected: ${ev.injected}`);
  if (match.resumed !== undefined && ev.resumed !== match.resumed) why.push(`resumed: ${ev.resumed}`);
  if (match.line !== undefined && !(typeof match.line === 'string' ? ev.line === match.line : match.line.test(ev.line))) {
    why.push(`line does not match ${show(match.line)}`);
  }
  return why;
}

type TraceLike = readonly TraceEvent[] | { trace?: readonly TraceEvent[] | undefined };

function eventsOf(t: TraceLike): readonly TraceEvent[] {
  if (Array.isArray(t)) return t as readonly TraceEvent[];
  const tr = (t as { trace?: readonly TraceEvent[] }).trace;
  if (!tr) throw new Error('no trace: run the program with { trace: true }');
  return tr;
}

/** Every call of that name (NetBSD's, or the bare name: 'fstat' for __fstat50) that matches. */
export function findSyscalls(trace: TraceLike, name: string | RegExp, match: SyscallMatch = {}): SyscallTraceEvent[] {
  return eventsOf(trace).filter((e): e is SyscallTraceEvent => e.type === 'syscall' && nameMatches(e, name) && mismatches(e, match).length === 0);
}

function describe(name: string | RegExp, match: SyscallMatch): string {
  const parts: string[] = [];
  if (match.args) parts.push(`args ${Array.isArray(match.args) ? `[${match.args.map(show).join(', ')}]` : `{${Object.entries(match.args).map(([k, v]) => `${k}: ${show(v)}`).join(', ')}}`}`);
  if (match.out) parts.push(`out {${Object.entries(match.out).map(([k, v]) => `${k}: ${show(v)}`).join(', ')}}`);
  if (match.result !== undefined) parts.push(`result ${show(match.result)}`);
  if (match.errno !== undefined) parts.push(`errno ${match.errno}`);
  for (const k of ['pid', 'injected', 'resumed', 'line'] as const) if (match[k] !== undefined) parts.push(`${k} ${show(match[k])}`);
  return `${String(name)}${parts.length ? ` with ${parts.join(', ')}` : ''}`;
}

function report(trace: TraceLike, name: string | RegExp, match: SyscallMatch): string {
  const calls = eventsOf(trace).filter((e): e is SyscallTraceEvent => e.type === 'syscall' && nameMatches(e, name));
  if (calls.length === 0) {
    const names = [...new Set(eventsOf(trace).filter((e) => e.type === 'syscall').map((e) => (e as SyscallTraceEvent).name))];
    return `no ${String(name)} call in the trace (it has: ${names.join(', ') || 'no syscalls'})`;
  }
  const lines = calls.slice(0, 20).map((e) => `  ${e.line}\n${mismatches(e, match).map((w) => `      ✗ ${w}`).join('\n')}`);
  return `the trace has ${calls.length} ${String(name)} call(s), none matching:\n${lines.join('\n')}${calls.length > 20 ? '\n  ...' : ''}`;
}

/** The first matching call; throws (listing the near misses) when there is none. */
export function expectSyscall(trace: TraceLike, name: string | RegExp, match: SyscallMatch = {}): SyscallTraceEvent {
  const found = findSyscalls(trace, name, match);
  if (found.length === 0) throw new Error(`expected a call ${describe(name, match)}; ${report(trace, name, match)}`);
  return found[0]!;
}

/** Throws when a matching call is in the trace. */
export function expectNoSyscall(trace: TraceLike, name: string | RegExp, match: SyscallMatch = {}): void {
  const found = findSyscalls(trace, name, match);
  if (found.length > 0) throw new Error(`expected no call ${describe(name, match)}, found:\n${found.map((e) => `  ${e.line}`).join('\n')}`);
}

/** The calls happened in this order (other calls may come between them); returns them. */
export function expectSyscallSequence(trace: TraceLike, steps: ReadonlyArray<readonly [string | RegExp, SyscallMatch?]>): SyscallTraceEvent[] {
  const events = eventsOf(trace);
  const out: SyscallTraceEvent[] = [];
  let from = 0;
  for (const [name, match = {}] of steps) {
    const i = events.findIndex((e, k) => k >= from && e.type === 'syscall' && nameMatches(e, name) && mismatches(e, match).length === 0);
    if (i < 0) throw new Error(`expected a call ${describe(name, match)} after ${out.length ? out[out.length - 1]!.line : 'the start'}; ${report(events.slice(from), name, match)}`);
    out.push(events[i] as SyscallTraceEvent);
    from = i + 1;
  }
  return out;
}

/**
 * Custom matchers for `expect.extend(traceMatchers)`:
 * `expect(result.trace).toHaveSyscall('socketpair', { args: { type: /SOCK_CLOEXEC/ } })` and
 * `expect(result).not.toHaveSyscall('write')` (a run() result or an event list).
 */
export const traceMatchers = {
  toHaveSyscall(this: { isNot?: boolean } | void, received: TraceLike, name: string | RegExp, match: SyscallMatch = {}) {
    const pass = findSyscalls(received, name, match).length > 0;
    return {
      pass,
      message: () => (pass
        ? `expected no call ${describe(name, match)}, found:\n${findSyscalls(received, name, match).map((e) => `  ${e.line}`).join('\n')}`
        : `expected a call ${describe(name, match)}; ${report(received, name, match)}`),
    };
  },
};
