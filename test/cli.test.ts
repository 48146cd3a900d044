// The nbemu command as a user meets it: arguments, environment, exit statuses, messages.
import { describe, expect, it } from 'vitest';
import { fixture, nbemu } from './helpers.js';

describe('nbemu <binary> [args...]', () => {
  it('runs a program with the host streams and passes its argv', () => {
    const r = nbemu([fixture('hello'), 'one', '-E', '--two']);
    expect(r.stdout).toBe(`hello, netbsd\nargv[0]=${fixture('hello')}\nargv[1]=one\nargv[2]=-E\nargv[3]=--two\n`);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it("exits with the program's status", () => {
    expect(nbemu([fixture('hello'), 'seven']).status).toBe(7);
  });

  it('inherits the environment, with -E to set and -U to remove', () => {
    expect(nbemu([fixture('hello')], { env: { NBEMU_GREETING: 'from host' } }).stdout).toContain('NBEMU_GREETING=from host\n');
    expect(nbemu(['-E', 'NBEMU_GREETING=set', fixture('hello')]).stdout).toContain('NBEMU_GREETING=set\n');
    expect(nbemu(['-U', 'NBEMU_GREETING', fixture('hello')], { env: { NBEMU_GREETING: 'x' } }).stdout).not.toContain('NBEMU_GREETING');
  });

  it('reports a guest killed by a signal as 128+signo with one line naming it', () => {
    const r = nbemu([fixture('sigpipe')]);
    expect(r.status).toBe(128 + 13);
    expect(r.signal).toBe('SIGPIPE');
    expect(r.stderr.trimEnd().split('\n').filter((l) => l.includes('killed'))).toEqual([
      `nbemu: ${fixture('sigpipe')}: killed by signal 13 (SIGPIPE)`,
    ]);
  });

  it('prints --version and --help', () => {
    const v = nbemu(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout).toMatch(/^nbemu \d+\.\d+\.\d+ /);
    const h = nbemu(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/usage: nbemu \[options\] <binary> \[args\.\.\.\]/);
    expect(h.stdout).toMatch(/-E NAME=VALUE/);
  });

  it('refuses bad usage with status 2', () => {
    expect(nbemu([]).status).toBe(2);
    expect(nbemu(['--bogus', fixture('hello')]).status).toBe(2);
    expect(nbemu(['-E', 'novalue', fixture('hello')]).status).toBe(2);
    expect(nbemu(['--maxfiles', 'many', fixture('hello')]).status).toBe(2);
  });
});
