// Shared helpers for the suites: run the nbemu CLI on a fixture the way a user would, and read
// what the program saw.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface RunResult {
  status: number | null;
  /** The guest's fatal signal as nbemu reported it on stderr (e.g. 'SIGPIPE'), else null. */
  signal: string | null;
  stdout: string;
  stderr: string;
}

export function fixture(name: string): string {
  return resolve(root, 'fixtures', 'bin', name);
}

/** Run `node bin/nbemu.js ...args` to its end (spawnSync: the test fails on a hang, not the run). */
export function nbemu(
  args: string[],
  opts: { input?: string; env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
): RunResult {
  const r = spawnSync(process.execPath, [resolve(root, 'bin', 'nbemu.js'), ...args], {
    cwd: opts.cwd ?? root,
    input: opts.input ?? '',
    env: { ...process.env, ...(opts.env ?? {}) },
    timeout: opts.timeoutMs ?? 60_000,
    encoding: 'utf8',
  });
  if (r.error) throw r.error;
  if (r.signal) throw new Error(`nbemu itself died of ${r.signal}\n${r.stderr}`);
  const m = /killed by signal \d+ \((SIG[A-Z0-9+]+)\)/.exec(r.stderr ?? '');
  return { status: r.status, signal: m ? m[1]! : null, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** The program's TAP-ish output passed: status 0, some 'ok' lines, no 'not ok'. */
export function expectTapPass(r: RunResult): void {
  const lines = r.stdout.split('\n');
  const msg = `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
  expect(lines.filter((l) => l.startsWith('not ok')), msg).toEqual([]);
  expect(lines.filter((l) => l.startsWith('ok')).length, msg).toBeGreaterThan(0);
  expect(r.status, msg).toBe(0);
}

export interface SpawnResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The command could not be started, or it ran past its time limit (then it was killed). */
  error?: Error;
}

/**
 * spawnSync's result, without blocking the test worker's event loop: a run of a minute or more
 * (a Go toolchain build, a long Go test binary under nbemu) would otherwise starve vitest's
 * worker RPC, which then fails the whole run with "Timeout calling onTaskUpdate".
 */
export function spawnAsync(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<SpawnResult> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let error: Error | undefined;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          error = new Error(`${cmd} ${args.join(' ')}: still running after ${opts.timeoutMs} ms; killed`);
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      error ??= e;
    });
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      done({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), error });
    });
    child.stdin.end(opts.input ?? '');
  });
}
