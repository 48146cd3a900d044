// The README's table of supported system calls is generated from the syscall table; this suite
// fails when they drift apart, and checks the table itself against NetBSD's numbering.
import * as fs from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractSyscallTable, renderSyscallTable, TABLE_BEGIN, TABLE_END } from '../src/docs/syscall-table.js';
import { ALL_SYSCALLS, NETBSD_SYSCALLS } from '../syscalls/index.js';
import { root } from './helpers.js';

describe('README.md', () => {
  it('lists exactly the implemented system calls', () => {
    const readme = fs.readFileSync(resolve(root, 'README.md'), 'utf8');
    const table = extractSyscallTable(readme);
    expect(table, `README.md lacks the ${TABLE_BEGIN} … ${TABLE_END} markers`).not.toBeNull();
    expect(table, 'README.md: the syscall table is out of date; run `npm run docs` and commit README.md').toBe(
      renderSyscallTable(ALL_SYSCALLS),
    );
  });
});

/**
 * NetBSD's name for a number (SYS_<name> in sys/sys/syscall.h). netbsd-syscalls.ts keeps the Go
 * toolchain's name, which drops the version of a versioned entry: `int|sys|50|fstat(...)` is
 * "fstat" there but __fstat50 in NetBSD (syscalls.master: "__" + name + version).
 */
function netbsdName(number: number): string | undefined {
  const known = NETBSD_SYSCALLS.get(number);
  if (!known) return undefined;
  const m = /^[^|]*\|[^|]*\|(\d+)\|(\w+)\(/.exec(known.proto);
  return m ? `__${m[2]}${m[1]}` : known.name;
}

describe('the syscall table', () => {
  it('names every call as NetBSD does (syscalls/netbsd-syscalls.ts)', () => {
    const wrong = ALL_SYSCALLS.filter((d) => netbsdName(d.number) !== d.name).map(
      (d) => `${d.number} ${d.name}: NetBSD has ${netbsdName(d.number) ?? 'no call'} there`,
    );
    expect(wrong).toEqual([]);
  });

  it('has each number once', () => {
    const seen = new Map<number, string>();
    const dups: string[] = [];
    for (const d of ALL_SYSCALLS) {
      const other = seen.get(d.number);
      if (other !== undefined) dups.push(`${d.number}: ${other} and ${d.name}`);
      seen.set(d.number, d.name);
    }
    expect(dups).toEqual([]);
  });
});
