// The library API: import { run } from 'nbemu'.
import { describe, expect, it } from 'vitest';
import { ExecFormatError, run } from '../src/index.js';
import { fixture } from './helpers.js';

describe('run()', () => {
  it('resolves to the exit status, with argv, env and captured output', async () => {
    const r = await run(fixture('hello'), {
      argv: ['hello', 'seven'],
      env: { NBEMU_GREETING: 'api' },
      stdout: 'pipe',
      stderr: 'pipe',
    });
    expect(r.exitCode).toBe(7);
    expect(r.signal).toBeNull();
    expect(r.stdout.toString()).toBe('hello, netbsd\nargv[0]=hello\nargv[1]=seven\nNBEMU_GREETING=api\n');
  });

  it('resolves to the signal that ended the program', async () => {
    const r = await run(fixture('sigpipe'), { stdout: 'pipe', stderr: 'pipe' });
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGPIPE');
    expect(r.outcome).toEqual({ kind: 'signaled', signal: 13, core: false });
  });

  it('rejects a file that is not a NetBSD program', async () => {
    await expect(run(fixture('hello.linux'))).rejects.toBeInstanceOf(ExecFormatError);
  });

  it('gives the program a closed descriptor where asked', async () => {
    const r = await run(fixture('hello'), { stdout: 'closed', stderr: 'pipe' });
    expect(r.exitCode).not.toBeNull(); // the program's write fails with EBADF; nbemu itself is fine
  });
});

describe('--root and the program path', () => {
  it('names the first program by its path inside the root (AT_SUN_EXECNAME, /proc/curproc/exe)', async () => {
    const { mkdtempSync, mkdirSync, copyFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = mkdtempSync(join(tmpdir(), 'nbemu-api-root-'));
    try {
      mkdirSync(join(root, 'bin'));
      copyFileSync(fixture('fs_procfs'), join(root, 'bin', 'fs_procfs'));
      const r = await run(join(root, 'bin', 'fs_procfs'), { argv: ['/bin/fs_procfs'], root, stdout: 'pipe' });
      const out = r.stdout!.toString();
      expect(out).toMatch(/^ok 3 - readlink \/proc\/curproc\/exe is this program \(\/bin\/fs_procfs\)$/m);
      expect(r.exitCode, out).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
