// Hostile system calls never hurt the host: fixtures/src/syscall_fuzz makes thousands of calls
// with random numbers and arguments (wild pointers, structures running off a buffer, huge and
// negative sizes, made-up descriptors) inside an empty --root. Whatever the kernel answers is
// the program's business; nbemu must not fail: no internal error (a handler throwing something
// that is not an errno), no exception out of run(), no host descriptor left open, no hang.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../src/index.js';
import { fixture } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'nbemu-fuzz-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hostFds = (): number => readdirSync('/proc/self/fd').length;
const SEEDS = Array.from({ length: 12 }, (_, i) => i + 1);

describe('hostile system calls', () => {
  it.each(SEEDS)('seed %i: 4000 random calls end in an exit or a reported deadlock, with no internal error', async (seed) => {
    const diag: string[] = [];
    const before = process.platform === 'linux' ? hostFds() : 0;
    const r = await run(fixture('syscall_fuzz'), {
      argv: ['syscall_fuzz', String(seed), '4000'], root, stdout: 'pipe', stderr: 'pipe', stdin: '',
      diagnostics: (line) => diag.push(line),
    });
    expect(diag.filter((l) => !/is not implemented: it fails with ENOSYS$/.test(l))).toEqual([]);
    expect(['exited', 'deadlock']).toContain(r.outcome.kind);
    if (r.outcome.kind === 'exited') {
      expect(r.exitCode).toBe(0);
      expect(r.stdout!.toString('latin1')).toMatch(/done \d+ of 4000\n$/);
    }
    if (process.platform === 'linux') expect(hostFds()).toBe(before);
  }, 60_000);

  it.each(SEEDS.slice(0, 6))('seed %i with forks: children fuzz too, and are killed, waited for and orphaned at random', async (seed) => {
    const diag: string[] = [];
    const before = process.platform === 'linux' ? hostFds() : 0;
    const r = await run(fixture('syscall_fuzz'), {
      argv: ['syscall_fuzz', String(seed), '4000', 'fork'], root, stdout: 'pipe', stderr: 'pipe', stdin: '',
      diagnostics: (line) => diag.push(line),
    });
    expect(diag.filter((l) => !/is not implemented: it fails with ENOSYS$/.test(l))).toEqual([]);
    expect(['exited', 'deadlock']).toContain(r.outcome.kind);
    if (process.platform === 'linux') expect(hostFds()).toBe(before);
  }, 60_000);
});
