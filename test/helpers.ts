// TEMPORARY stand-in for the lead's test/helpers.ts (written by the fixtures work so the
// fixture suites can run); the lead's version replaces this file. Same signatures.
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface RunResult {
  status: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export function fixture(name: string): string {
  return resolve(root, 'fixtures', 'bin', name);
}

const SIGNALS: Record<number, string> = { 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 12: 'SIGSYS', 13: 'SIGPIPE', 15: 'SIGTERM' };

export function nbemu(
  args: string[],
  opts: { input?: string; env?: Record<string, string>; timeoutMs?: number } = {},
): RunResult {
  const r = spawnSync(process.execPath, [resolve(root, 'bin', 'nbemu.js'), ...args], {
    cwd: root,
    input: opts.input ?? '',
    env: { ...process.env, ...(opts.env ?? {}) },
    timeout: opts.timeoutMs ?? 60_000,
    encoding: 'utf8',
  });
  const status = r.status;
  let signal: string | null = null;
  if (status !== null && status > 128 && status < 128 + 65) {
    signal = SIGNALS[status - 128] ?? `SIG${status - 128}`;
  }
  return { status, signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function expectTapPass(r: RunResult): void {
  const lines = r.stdout.split('\n');
  const bad = lines.filter((l) => l.startsWith('not ok'));
  const good = lines.filter((l) => l.startsWith('ok'));
  const msg = `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  expect(bad, msg).toEqual([]);
  expect(good.length, msg).toBeGreaterThan(0);
  expect(r.status, msg).toBe(0);
}
