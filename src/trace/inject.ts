// Fault injection in strace's spirit: `SET:error=ENFILE[:when=N|N+|N+STEP][:retval=V]`.
// SET is a syscall set as for --trace (`socketpair`, `socketpair,read`, `socket`, `!write`).
// Invocations are counted per rule, per syscall name and per process, from 1; a call re-executed
// after it slept (resumed) is the same invocation and is neither counted nor injected again.

import { errnoByName } from './names.js';
import { parseSyscallSet, type SyscallSet } from './filter.js';
import type { SyscallClass } from '../kernel/syscall.js';

export interface InjectRule {
  /** Which calls: a syscall set (see --trace), e.g. 'socketpair' or 'read,write'. */
  syscalls: string;
  /** Fail with this errno (a name such as 'ENFILE', or the number)... */
  error?: string | number;
  /** ...or succeed with this value without running the call. */
  retval?: number;
  /** The first invocation to hit (1-based; default 1). */
  first?: number;
  /** Then every `step`-th after it; 0 = only `first` (default 1: every one). */
  step?: number;
}

export interface CompiledRule {
  set: SyscallSet;
  errno?: number;
  retval?: number;
  first: number;
  step: number;
  counts: Map<string, number>;
  source: string;
}

/** Parse `--inject` text into a rule. Throws with a message naming what is wrong. */
export function parseInject(spec: string): InjectRule {
  const [set, ...parts] = spec.split(':');
  if (!set) throw new Error(`--inject '${spec}': no syscall given`);
  const rule: InjectRule = { syscalls: set };
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const val = eq < 0 ? '' : part.slice(eq + 1);
    if (key === 'error') rule.error = val;
    else if (key === 'retval') {
      if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(val)) throw new Error(`--inject '${spec}': retval wants a number, not '${val}'`);
      rule.retval = Number(val);
    } else if (key === 'when') {
      const m = /^(\d+)(?:(\+)(\d+)?)?$/.exec(val);
      if (!m || Number(m[1]) < 1) throw new Error(`--inject '${spec}': when wants N, N+ or N+STEP (N >= 1), not '${val}'`);
      rule.first = Number(m[1]);
      rule.step = m[2] ? (m[3] !== undefined ? Number(m[3]) : 1) : 0;
      if (m[3] !== undefined && rule.step < 1) throw new Error(`--inject '${spec}': STEP must be at least 1`);
    } else throw new Error(`--inject '${spec}': unknown part '${key}' (error=, retval=, when=)`);
  }
  return rule;
}

export function compileRule(r: InjectRule | string): CompiledRule {
  const rule = typeof r === 'string' ? parseInject(r) : r;
  const source = typeof r === 'string' ? r : JSON.stringify(r);
  if ((rule.error === undefined) === (rule.retval === undefined)) throw new Error(`inject '${source}': give exactly one of error= and retval=`);
  let errno: number | undefined;
  if (rule.error !== undefined) {
    errno = typeof rule.error === 'number' ? rule.error : errnoByName(rule.error);
    if (errno === undefined || errno <= 0) throw new Error(`inject '${source}': unknown errno '${rule.error}'`);
  }
  return {
    set: parseSyscallSet(rule.syscalls),
    ...(errno !== undefined ? { errno } : {}),
    ...(rule.retval !== undefined ? { retval: rule.retval } : {}),
    first: rule.first ?? 1,
    step: rule.step ?? 1,
    counts: new Map(),
    source,
  };
}

/** Count this invocation against the rule; the decision if it is hit. */
export function applyRule(r: CompiledRule, pid: number, name: string, cls: SyscallClass | undefined): { errno: number } | { retval: number } | undefined {
  if (!r.set.has(name, cls)) return undefined;
  const key = `${pid}:${name}`;
  const n = (r.counts.get(key) ?? 0) + 1;
  r.counts.set(key, n);
  const hit = n === r.first || (n > r.first && r.step > 0 && (n - r.first) % r.step === 0);
  if (!hit) return undefined;
  return r.errno !== undefined ? { errno: r.errno } : { retval: r.retval! };
}
