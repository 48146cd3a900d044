// Which syscalls a trace shows or an injection rule hits: strace's `-e trace=` sets. A set is a
// comma-separated list of syscall names (NetBSD's, or without the version decoration: `fstat`
// for `__fstat50`, `sigaction` for `__sigaction_sigtramp`), classes (`file`, `socket`,
// `process`, `signal`, `memory`, `lwp`, `time`, `sysctl`, `misc`, also written `%file`), `all`
// and `none`; an item starting with `!` is removed from the set. With no positive item the set
// starts as everything.

import type { SyscallClass, SyscallDescriptor } from '../kernel/syscall.js';
import { ALL_SYSCALLS, NETBSD_SYSCALLS } from '../../syscalls/index.js';

export const SYSCALL_CLASSES: readonly SyscallClass[] = ['file', 'socket', 'process', 'signal', 'memory', 'lwp', 'time', 'sysctl', 'misc'];

/** Names a user may write for a NetBSD syscall name. */
export function aliases(name: string): string[] {
  const out = [name];
  const bare = name.replace(/^_+/, '').replace(/\d+$/, '');
  if (bare !== name) out.push(bare);
  if (name === '__sigaction_sigtramp') out.push('sigaction');
  if (name === '__sysctl') out.push('sysctl');
  return out;
}

export interface SyscallSet {
  /** Does the set hold this call (by name and class; class undefined for unimplemented numbers)? */
  has(name: string, cls: SyscallClass | undefined): boolean;
  readonly source: string;
}

function knownNames(extra: readonly SyscallDescriptor[]): Set<string> {
  const s = new Set<string>();
  for (const d of [...ALL_SYSCALLS, ...extra]) for (const a of aliases(d.name)) s.add(a);
  for (const { name } of NETBSD_SYSCALLS.values()) for (const a of aliases(name)) s.add(a);
  return s;
}

/** Parse a set (`socketpair,read`, `socket,!sendmsg`, `!write`); throws on an unknown name. */
export function parseSyscallSet(spec: string | readonly string[], extra: readonly SyscallDescriptor[] = []): SyscallSet {
  const items = (typeof spec === 'string' ? spec.split(',') : spec.flatMap((s) => s.split(','))).map((s) => s.trim()).filter((s) => s !== '');
  const known = knownNames(extra);
  const include = new Set<string>();
  const exclude = new Set<string>();
  let base: boolean | undefined; // `all` / `none` given explicitly
  for (const raw of items) {
    const neg = raw.startsWith('!');
    const item = (neg ? raw.slice(1) : raw).replace(/^%/, '');
    if (item === 'all' || item === 'none') {
      base = (item === 'all') !== neg;
      continue;
    }
    if (!(SYSCALL_CLASSES as readonly string[]).includes(item) && !known.has(item)) {
      throw new Error(`unknown syscall or class '${item}' (classes: ${SYSCALL_CLASSES.join(', ')})`);
    }
    (neg ? exclude : include).add(item);
  }
  const all = base ?? include.size === 0;
  const matches = (set: Set<string>, name: string, cls: SyscallClass | undefined): boolean =>
    (cls !== undefined && set.has(cls)) || aliases(name).some((a) => set.has(a));
  return {
    source: items.join(','),
    has(name, cls) {
      if (matches(exclude, name, cls)) return false;
      return all || matches(include, name, cls);
    },
  };
}

/** The set of everything. */
export const ALL: SyscallSet = { source: 'all', has: () => true };
