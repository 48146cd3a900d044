// The loader refuses what NetBSD's exec would refuse, with one line on stderr and status 126,
// and never lets a malformed file hurt the host.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecFormatError, parseNetbsdElf } from '../src/loader/elf.js';
import { fixture, nbemu } from './helpers.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nbemu-elf-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const hello = fs.readFileSync(fixture('hello'));

function variant(name: string, edit: (b: Buffer) => Buffer | void): string {
  const b = Buffer.from(hello);
  const out = edit(b) ?? b;
  const file = path.join(tmp, name);
  fs.writeFileSync(file, out, { mode: 0o755 });
  return file;
}

/** Program header i of the hello fixture: its offset in the file. */
const ph = (b: Buffer, i: number): number => Number(b.readBigUInt64LE(32)) + i * 56;
const loads = (b: Buffer): number[] => {
  const out: number[] = [];
  for (let i = 0; i < b.readUInt16LE(56); i++) if (b.readUInt32LE(ph(b, i)) === 1) out.push(i);
  return out;
};

function expectRefusal(file: string, why: RegExp): void {
  const r = nbemu([file]);
  expect(r.status, r.stderr).toBe(126);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^nbemu: .*: cannot execute: /);
  expect(lines[0]).toMatch(why);
  expect(r.stdout).toBe('');
}

describe('the loader refuses what it cannot run', () => {
  it('an empty file and a text file are not ELF', () => {
    expectRefusal(variant('empty', () => Buffer.alloc(0)), /not an ELF file/);
    expectRefusal(variant('text', () => Buffer.from('hello world\n')), /not an ELF file/);
  });
  it('a script', () => expectRefusal(variant('script', () => Buffer.from('#!/bin/sh\necho hi\n')), /script/));
  it('a truncated header', () => expectRefusal(variant('short', (b) => b.subarray(0, 40)), /truncated ELF header/));
  it('a 32-bit ELF', () => expectRefusal(variant('elf32', (b) => void (b[4] = 1)), /32-bit/));
  it('a big-endian ELF', () => expectRefusal(variant('msb', (b) => void (b[5] = 2)), /big-endian/));
  it('another machine', () => expectRefusal(variant('i386', (b) => void b.writeUInt16LE(3, 18)), /machine .*not x86_64/));
  it('a relocatable object', () => expectRefusal(variant('rel', (b) => void b.writeUInt16LE(1, 16)), /type rel, not an executable/));
  it('a Linux binary, saying so', () => expectRefusal(fixture('hello.linux'), /not a NetBSD program: .*Linux/));
  it('a binary without the NetBSD ident note', () => {
    const file = variant('nonote', (b) => {
      const at = b.indexOf('NetBSD\0');
      b.write('XetBSD', at);
    });
    expectRefusal(file, /not a NetBSD program: .*no \.note\.netbsd\.ident/);
  });
  it('a dynamically linked NetBSD binary', () => expectRefusal(fixture('dyn_stub'), /dynamic binaries are not supported yet/));
  it('a truncated file', () => expectRefusal(variant('cut', (b) => b.subarray(0, Math.min(b.length - 1, ph(b, 0) + 56 * b.readUInt16LE(56) + 8))), /truncated file|outside/));
  it('a segment that lies outside the file', () => {
    const file = variant('bigseg', (b) => {
      const i = loads(b)[0]!;
      b.writeBigUInt64LE(BigInt(b.length * 4), ph(b, i) + 32); // p_filesz
      b.writeBigUInt64LE(BigInt(b.length * 4), ph(b, i) + 40); // p_memsz
    });
    expectRefusal(file, /truncated file: segment/);
  });
  it('overlapping segments', () => {
    const file = variant('overlap', (b) => {
      const [a, c] = loads(b);
      b.writeBigUInt64LE(b.readBigUInt64LE(ph(b, a!) + 16), ph(b, c!) + 16); // same p_vaddr
    });
    expectRefusal(file, /overlap/);
  });
  it('an entry point outside the text', () => expectRefusal(variant('entry', (b) => void b.writeBigUInt64LE(0x10n, 24)), /entry point 0x10 lies outside the program text/));
  it('no program headers', () => expectRefusal(variant('nophdr', (b) => void b.writeUInt16LE(0, 56)), /program header count/));
  it('a missing file and a directory', () => {
    const r = nbemu([path.join(tmp, 'nope')]);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/No such file or directory/);
    expect(nbemu([tmp]).status).toBe(126);
  });
});

describe('the ELF check never throws anything but a refusal', () => {
  it('survives 3000 random corruptions of the headers', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const headerEnd = ph(hello, hello.readUInt16LE(56));
    for (let i = 0; i < 3000; i++) {
      const b = Buffer.from(hello);
      for (let j = 0; j <= rand(4); j++) b[rand(headerEnd)] = rand(256);
      const cut = rand(4) === 0 ? b.subarray(0, rand(b.length)) : b;
      try {
        parseNetbsdElf(cut);
      } catch (e) {
        expect(e).toBeInstanceOf(ExecFormatError);
      }
    }
  });
});

describe('the loader runs what NetBSD would run', () => {
  it('a static PIE is placed and runs', () => {
    const r = nbemu([fixture('pie_hello')]);
    expect(r.stdout).toBe('hello from a static PIE\n');
    expect(r.status).toBe(0);
  });
});
