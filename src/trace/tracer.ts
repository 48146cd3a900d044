// The tracer: one KernelHooks implementation that runs the test author's hooks, fault injection,
// and the trace (strace-style text lines, JSON lines, and TraceEvent objects), in that order. At
// entry the user's hook may change arguments or decide the call, then the injection rules may
// decide it, then the in-arguments are decoded (as the kernel will see them); at exit the user's
// hook may change the result, then the out-arguments are decoded and the event is written.

import type { EntryDecision, KernelHooks, SyscallEvent } from '../kernel/hooks.js';
import type { Machine } from '../kernel/machine.js';
import type { Proc } from '../kernel/proc.js';
import type { SigInfo } from '../kernel/sig.js';
import type { ExitStatus } from '../kernel/signal.js';
import type { ArgSpec, SyscallClass } from '../kernel/syscall.js';
import { EINTR, signalName } from '../kernel/constants.js';
import { NETBSD_SYSCALLS } from '../../syscalls/index.js';
import { TRAP_RAX, TRAP_RESULT_FLAGS, TRAP_RESULT_RAX, TRAP_RSP } from '../unicorn/index.js';
import { decodeArg, enterArg, hex, isOutArg, retText, traceSpecs, type DecodeCtx, type TraceArg } from './decode.js';
import { ALL, parseSyscallSet, type SyscallSet } from './filter.js';
import { applyRule, compileRule, type CompiledRule, type InjectRule } from './inject.js';
import { errnoText, siCodeText } from './names.js';
import { SyscallCall, toErrno, type SyscallHooks } from './call.js';

export type { TraceArg } from './decode.js';

/** One syscall, from entry to exit (a call that slept and was re-executed is one event). */
export interface SyscallTraceEvent {
  type: 'syscall';
  /** Machine-wide sequence number of the (first) entry. */
  seq: number;
  pid: number;
  lwp: number;
  name: string;
  number: number;
  /** The descriptor's class; null for numbers nbemu does not implement. */
  class: SyscallClass | null;
  args: TraceArg[];
  /** What the program got back on success (rax), else null. */
  result: number | null;
  /** The second return register (rdx) on success. */
  rdx: number;
  errno: number | null;
  errnoName: string | null;
  /** The return as the text line shows it (`0`, `0x7f7ff7ff0000`, `-1 EFAULT (Bad address)`, `?`). */
  retText: string;
  /** Wall-clock times in ms since the Unix epoch (fractional); end null if the call never returned. */
  start: number;
  end: number | null;
  duration: number | null;
  /** The result was decided by fault injection or an entry hook, not by the kernel. */
  injected: boolean;
  /** The call slept and was re-executed before it returned. */
  resumed: boolean;
  /** How many times it slept. */
  sleeps: number;
  /** False when the process ended inside the call (exit, or killed while asleep). */
  complete: boolean;
  /** The strace-style line (without --trace-time decorations). */
  line: string;
}

export interface SignalTraceEvent {
  type: 'signal';
  pid: number;
  /** The LWP the signal was delivered to. */
  lwp: number;
  signo: number;
  signal: string;
  code: number;
  codeName: string;
  /** What happened: delivered to a handler, or the default action taken. */
  action: 'handler' | 'terminate' | 'core' | 'ignore' | 'stop' | 'continue';
  /** The siginfo fields that were set (si_pid, si_uid, si_addr, si_errno, trap). */
  info: Record<string, number | string>;
  time: number;
  line: string;
}

export interface ExitTraceEvent {
  type: 'exit';
  pid: number;
  /** 'exited' (exit status in code) or 'killed' (by signal). */
  how: 'exited' | 'killed';
  code: number | null;
  signal: string | null;
  signo: number | null;
  core: boolean;
  time: number;
  line: string;
}

export type TraceEvent = SyscallTraceEvent | SignalTraceEvent | ExitTraceEvent;

export interface TracerOptions {
  /** Which syscalls to record: a set as for --trace (`socketpair,read`, `socket`, `!write`), or a predicate. Signals and exits are always recorded. */
  filter?: string | readonly string[] | ((name: string, cls: SyscallClass | undefined) => boolean);
  /** Buffer bytes shown in the text (strace -s; default 32). */
  strsize?: number;
  /** Text lines get a wall-clock timestamp and the call's duration (strace -tt -T). */
  time?: boolean;
  /** Where strace-style lines go (one call per line, no newline). */
  text?: (line: string) => void;
  /** Where JSON lines go (one object per event, no newline). */
  json?: (line: string) => void;
  /** Called with each finished event. */
  onEvent?: (ev: TraceEvent) => void;
  /** Keep the events in tracer.events (default: true when no text/json/onEvent sink is given). */
  collect?: boolean;
  /** Fault injection rules (`socketpair:error=ENFILE:when=2`, or objects). */
  inject?: ReadonlyArray<string | InjectRule>;
  /** The test author's entry and exit hooks (they run before injection and tracing). */
  hooks?: SyscallHooks;
}

interface Pending {
  ev: SyscallEvent;
  /** Decoded arguments; undefined for an out-argument until the call returns. */
  args: Array<TraceArg | undefined>;
  specs: readonly ArgSpec[];
  /** The raw words: the six registers, then any arguments read from the user stack. */
  raw: bigint[];
  /** The stack arguments' values (after the handler's six). */
  stackArgs: number[];
  /** What each out-argument kept from entry. */
  kept: unknown[];
  cls: SyscallClass | undefined;
  start: number;
  sleeps: number;
  resumed: boolean;
  injected: boolean;
  shown: boolean;
  /** The `<unfinished ...>` line was written. */
  unfinished: boolean;
}

/** `[pid 2]`; a process's other LWPs (their ids come from the pid space) as `[pid 2 lwp 5]`. */
const pidTag = (pid: number, lwp = pid): string => (lwp === pid ? `[pid ${pid}] ` : `[pid ${pid} lwp ${lwp}] `);
const wall = (t: number): number => performance.timeOrigin + t;

/** strace -tt: HH:MM:SS.uuuuuu (local time). */
export function clockText(ms: number): string {
  const d = new Date(Math.floor(ms));
  const us = Math.floor((ms % 1000) * 1000);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${String(us).padStart(6, '0')}`;
}

/**
 * Syscall arguments past the sixth, from the user stack at entry: rsp+8 on (rsp+16 on for the
 * indirect syscall and __syscall, whose first argument is the number), as syscall.c reads them.
 */
function stackWords(p: Proc, n: number): bigint[] {
  const u = p.cpu.u32;
  const rsp = u[TRAP_RSP * 2]! + u[TRAP_RSP * 2 + 1]! * 0x1_0000_0000;
  const code = u[TRAP_RAX * 2]! & 511;
  const base = rsp + (code === 0 || code === 198 ? 16 : 8);
  return Array.from({ length: n }, (_, i) => {
    try {
      return p.vm.readBigU64(base + 8 * i);
    } catch {
      return 0n;
    }
  });
}

/** Argument specs for a number nbemu lacks: NetBSD's prototype names, shown raw. */
function nosysSpecs(number: number): ArgSpec[] {
  const proto = NETBSD_SYSCALLS.get(number)?.proto;
  const m = proto ? /\((.*)\)/.exec(proto) : null;
  const params = m && m[1]!.trim() !== 'void' ? m[1]!.split(',').filter((p) => !p.includes('...')) : [];
  const names = params.map((p, i) => /([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?\s*$/.exec(p.trim())?.[1] ?? `a${i}`);
  return names.slice(0, 6).map((name) => ({ name, type: 'ptr' }));
}

export class Tracer {
  readonly events: TraceEvent[] = [];
  readonly hooks: KernelHooks;
  private readonly set: SyscallSet | undefined;
  private readonly pred: ((name: string, cls: SyscallClass | undefined) => boolean) | undefined;
  private readonly strsize: number;
  private readonly rules: CompiledRule[];
  private readonly collect: boolean;
  /** The call each LWP is in (by LWP id, unique machine-wide), and the calls asleep. */
  private readonly current = new Map<number, Pending>();
  private readonly asleep = new Map<number, Pending>();
  private readonly procs = new Map<number, Proc>();

  constructor(private readonly o: TracerOptions = {}) {
    if (typeof o.filter === 'function') this.pred = o.filter;
    else if (o.filter !== undefined) this.set = parseSyscallSet(o.filter);
    this.strsize = o.strsize ?? 32;
    this.rules = (o.inject ?? []).map(compileRule);
    this.collect = o.collect ?? !(o.text || o.json || o.onEvent);
    const self = this;
    this.hooks = {
      syscallEntry: (ev, p) => self.entry(ev, p),
      syscallExit: (ev, p) => self.exit(ev, p),
      syscallSleep: (ev, p) => self.sleep(ev, p),
      signal: (p, info, action) => self.signal(p, info, action),
      exit: (p, status) => self.procExit(p, status),
    };
  }

  /** Install on a machine (replacing its hooks). */
  attach(machine: Machine): this {
    machine.hooks = this.hooks;
    return this;
  }

  /** The syscall events only. */
  get syscalls(): SyscallTraceEvent[] {
    return this.events.filter((e): e is SyscallTraceEvent => e.type === 'syscall');
  }

  private wanted(name: string, cls: SyscallClass | undefined): boolean {
    if (this.pred) return this.pred(name, cls);
    return (this.set ?? ALL).has(name, cls);
  }

  private ctx(p: Proc | undefined, ev: SyscallEvent, specs: readonly ArgSpec[], stackArgs: number[], exit: boolean): DecodeCtx {
    const args = stackArgs.length ? [...ev.args, ...stackArgs] : ev.args;
    return {
      mem: p?.vm, args, specs, result: exit ? ev.result : undefined, errno: exit ? ev.errno : undefined, rdx: ev.rdx, strsize: this.strsize,
    };
  }

  /** The out-arguments, decoded now that the call is over. */
  private decodeRest(pend: Pending, c: DecodeCtx): TraceArg[] {
    return pend.args.map((a, i) => a ?? decodeArg(pend.ev.name, i, pend.raw[i] ?? 0n, c, pend.kept[i]));
  }

  private entry(ev: SyscallEvent, p: Proc): EntryDecision {
    this.procs.set(p.pid, p);
    let decision: EntryDecision;
    const user = this.o.hooks?.onEntry;
    if (user) {
      const d = user(new SyscallCall(ev, p));
      if (d) decision = 'errno' in d ? { errno: toErrno(d.errno) } : d;
    }
    const cls = ev.descriptor?.class;
    if (!decision && !ev.resumed) {
      for (const r of this.rules) {
        decision = applyRule(r, ev.pid, ev.name, cls);
        if (decision) break;
      }
    }
    // The re-execution of a call that slept continues the same event.
    const prev = ev.resumed ? this.asleep.get(ev.lwp) : undefined;
    if (prev && prev.ev.name === ev.name) {
      this.asleep.delete(ev.lwp);
      prev.ev = ev;
      prev.resumed = true;
      if (decision) prev.injected = true;
      this.current.set(ev.lwp, prev);
      return decision;
    }
    if (!this.wanted(ev.name, cls)) return decision;
    const specs = ev.descriptor ? traceSpecs(ev.name, ev.descriptor.args) : nosysSpecs(ev.number);
    const stackRaw = specs.length > 6 ? stackWords(p, specs.length - 6) : [];
    const stackArgs = stackRaw.map((w, i) => (specs[6 + i]!.type === 'long' ? Number(BigInt.asIntN(64, w)) : Number(w)));
    const raw = stackRaw.length ? [...ev.raw, ...stackRaw] : ev.raw;
    const c = this.ctx(p, ev, specs, stackArgs, false);
    const args = specs.map((s, i) => (ev.descriptor && isOutArg(ev.name, s, c) ? undefined : decodeArg(ev.name, i, raw[i] ?? 0n, c)));
    const kept = args.map((a, i) => (a === undefined ? enterArg(ev.name, i, c) : undefined));
    this.current.set(ev.lwp, {
      ev, args, specs, raw, stackArgs, kept, cls, start: ev.start, sleeps: 0, resumed: ev.resumed, injected: decision !== undefined,
      shown: true, unfinished: false,
    });
    return decision;
  }

  private sleep(ev: SyscallEvent, p: Proc): void {
    const pend = this.current.get(ev.lwp);
    if (!pend || pend.ev !== ev) return;
    this.current.delete(ev.lwp);
    pend.sleeps++;
    this.asleep.set(ev.lwp, pend);
    if (!pend.unfinished && this.o.text) {
      pend.unfinished = true;
      const shown: string[] = [];
      for (const a of pend.args) {
        if (a === undefined) break; // stop at the first out-argument
        if (!a.hidden) shown.push(a.text);
      }
      const sep = shown.length ? ', ' : '';
      this.o.text(`${pidTag(ev.pid, ev.lwp)}${this.timePrefix(pend.start)}${ev.name}(${shown.join(', ')}${sep}<unfinished ...>`);
    }
  }

  private exit(ev: SyscallEvent, p: Proc): void {
    const user = this.o.hooks?.onExit;
    if (user) user(new SyscallCall(ev, p));
    const pend = this.current.get(ev.lwp);
    if (!pend || pend.ev !== ev) return;
    this.current.delete(ev.lwp);
    if (ev.injected) pend.injected = true;
    const c = this.ctx(p, ev, pend.specs, pend.stackArgs, true);
    pend.args = this.decodeRest(pend, c);
    this.finish(pend, c, true);
  }

  /** Build, record and write the event. */
  private finish(pend: Pending, c: DecodeCtx, complete: boolean): void {
    const ev = pend.ev;
    let ret: string;
    if (!complete || ev.justReturn) ret = '?'; // never returned, or left the registers as they were set
    else if (ev.errno !== undefined) {
      const e = errnoText(ev.errno);
      ret = `-1 ${e.name} (${e.message})`;
    } else ret = retText(ev.name, c, ev.result ?? 0);
    if (complete && pend.injected) ret += ' (INJECTED)';
    const args = pend.args.map((a, i) => a ?? { name: pend.specs[i]!.name, type: pend.specs[i]!.type, raw: hex(pend.raw[i] ?? 0n), text: '?', out: true });
    const shownArgs = args.filter((a) => !a.hidden).map((a) => a.text).join(', ');
    const line = `${pidTag(ev.pid, ev.lwp)}${ev.name}(${shownArgs}) = ${ret}`;
    const end = complete ? wall(ev.end || performance.now()) : null;
    const start = wall(pend.start);
    const te: SyscallTraceEvent = {
      type: 'syscall', seq: ev.seq, pid: ev.pid, lwp: ev.lwp, name: ev.name, number: ev.number, class: pend.cls ?? null, args,
      result: complete && ev.errno === undefined && !ev.justReturn ? (ev.result ?? 0) : null,
      rdx: ev.rdx,
      errno: complete ? (ev.errno ?? null) : null,
      errnoName: complete && ev.errno !== undefined ? errnoText(ev.errno).name : null,
      retText: ret, start, end, duration: end === null ? null : end - start,
      injected: pend.injected, resumed: pend.resumed, sleeps: pend.sleeps, complete, line,
    };
    if (this.o.text) {
      const dur = this.o.time && te.duration !== null ? ` <${(te.duration / 1000).toFixed(6)}>` : '';
      if (pend.unfinished) {
        // strace: `<... read resumed>` then the arguments from the first out-argument on.
        const firstOut = pend.args.findIndex((a) => a?.out);
        const rest = firstOut < 0 ? '' : args.slice(firstOut).filter((a) => !a.hidden).map((a) => a.text).join(', ');
        const time = this.o.time ? `${clockText(end ?? wall(performance.now()))} ` : '';
        this.o.text(`${pidTag(ev.pid, ev.lwp)}${time}<... ${ev.name} resumed>${rest}) = ${ret}${dur}`);
      } else this.o.text(`${pidTag(ev.pid, ev.lwp)}${this.timePrefix(pend.start)}${ev.name}(${shownArgs}) = ${ret}${dur}`);
    }
    this.record(te);
  }

  private timePrefix(t: number): string {
    return this.o.time ? `${clockText(wall(t))} ` : '';
  }

  private record(te: TraceEvent): void {
    if (this.collect) this.events.push(te);
    this.o.json?.(JSON.stringify(te));
    this.o.onEvent?.(te);
  }

  /** The calls a process's LWPs will never return from (exit, or killed while asleep): `= ?`. */
  private flush(pid: number): void {
    const p = this.procs.get(pid);
    for (const map of [this.current, this.asleep]) {
      for (const [lwp, pend] of [...map]) {
        if (pend.ev.pid !== pid) continue;
        map.delete(lwp);
        const c = this.ctx(p, pend.ev, pend.specs, pend.stackArgs, false);
        pend.args = this.decodeRest(pend, c);
        this.finish(pend, c, false);
      }
    }
  }

  private signal(p: Proc, info: SigInfo, action: SignalTraceEvent['action']): void {
    // A handler interrupting a sleeping call that will not restart: the call ended as the
    // kernel's interruptSyscall left it in the trap record — EINTR, or a value with the carry
    // clear (a transfer that had moved data; clock_nanosleep, whose error is its value).
    const lwp = p.curlwp.lid;
    const pend = this.asleep.get(lwp);
    if (pend && action === 'handler' && !p.restartPending) {
      this.asleep.delete(lwp);
      const u = p.cpu.u32;
      const flags = u[TRAP_RESULT_FLAGS * 2]!;
      const rax = u[TRAP_RESULT_RAX * 2]! + u[TRAP_RESULT_RAX * 2 + 1]! * 0x1_0000_0000;
      const carry = (flags & 1) === 0 || (flags & 2) !== 0;
      pend.ev.errno = carry ? rax || EINTR : undefined;
      pend.ev.result = carry ? undefined : rax;
      pend.ev.end = performance.now();
      const c = this.ctx(p, pend.ev, pend.specs, pend.stackArgs, true);
      pend.args = this.decodeRest(pend, c);
      this.finish(pend, c, true);
    }
    const name = signalName(info.signo);
    const codeName = siCodeText(info.signo, info.code);
    const fields: Record<string, number | string> = {};
    const parts = [`si_signo=${name}`, `si_code=${codeName}`];
    if (info.errno) {
      fields.si_errno = info.errno;
      parts.push(`si_errno=${errnoText(info.errno).name}`);
    }
    if (info.pid !== undefined) {
      fields.si_pid = info.pid;
      parts.push(`si_pid=${info.pid}`);
    }
    if (info.uid !== undefined) {
      fields.si_uid = info.uid;
      parts.push(`si_uid=${info.uid}`);
    }
    if (info.addr !== undefined) {
      fields.si_addr = hex(info.addr);
      parts.push(`si_addr=${hex(info.addr)}`);
    }
    if (info.trap !== undefined) fields.si_trap = info.trap;
    if (info.band !== undefined) {
      fields.si_band = info.band;
      fields.si_fd = info.fd ?? -1;
      parts.push(`si_band=${hex(info.band)}`, `si_fd=${info.fd ?? -1}`);
    }
    const line = `${pidTag(p.pid, lwp)}--- ${name} {${parts.join(', ')}} ---`;
    const time = wall(performance.now());
    this.o.text?.(this.o.time ? `${pidTag(p.pid, lwp)}${clockText(time)} --- ${name} {${parts.join(', ')}} ---` : line);
    this.record({ type: 'signal', pid: p.pid, lwp, signo: info.signo, signal: name, code: info.code, codeName, action, info: fields, time, line });
  }

  private procExit(p: Proc, status: ExitStatus): void {
    this.flush(p.pid);
    const time = wall(performance.now());
    const what = status.kind === 'exited'
      ? `exited with ${status.code}`
      : `killed by ${signalName(status.signal)}${status.core ? ' (core dumped)' : ''}`;
    const line = `${pidTag(p.pid)}+++ ${what} +++`;
    this.o.text?.(this.o.time ? `${pidTag(p.pid)}${clockText(time)} +++ ${what} +++` : line);
    this.record({
      type: 'exit', pid: p.pid, how: status.kind === 'exited' ? 'exited' : 'killed',
      code: status.kind === 'exited' ? status.code : null,
      signal: status.kind === 'signaled' ? signalName(status.signal) : null,
      signo: status.kind === 'signaled' ? status.signal : null,
      core: status.kind === 'signaled' && status.core, time, line,
    });
    this.procs.delete(p.pid);
  }
}

/** A tracer: pass `tracer.hooks` to createMachine({ hooks }) or call tracer.attach(machine). */
export function createTracer(options: TracerOptions = {}): Tracer {
  return new Tracer(options);
}

/** The strace-style text of a collected trace, one line per event. */
export function formatTrace(events: readonly TraceEvent[]): string {
  return events.map((e) => `${e.line}\n`).join('');
}
