// Decide whether a file is a NetBSD/amd64 executable nbemu can run, the way NetBSD's exec does
// (sys/kern/exec_elf.c elf_check_header, exec_elf_makecmds, netbsd_elf_signature), and say in one
// line what is wrong when it is not. Parsing of the ELF and program headers is elfy's.

import { createRequire } from 'node:module';
import { PAGE_SIZE, VM_MAXUSER_ADDRESS } from '../kernel/constants.js';

const require = createRequire(import.meta.url);
// elfy's Parser: parseHeader and parsePrograms are used on their own so that a file without
// section headers (allowed for executables) is not refused by its section-name resolution.
const { Parser } = require('elfy') as { Parser: new () => ElfyParser };

interface ElfyParser {
  parseHeader(buf: Buffer): ElfyHeader;
  parsePrograms(buf: Buffer, header: ElfyHeader): ElfyProgram[];
}
interface ElfyHeader {
  class: string;
  endian: string;
  type: string | undefined;
  machine: string | undefined;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
}
interface ElfyProgram {
  type: string | undefined;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  align: number;
  flags: { r?: boolean; w?: boolean; x?: boolean };
}

/** A refusal: one line for stderr; the CLI exits 126 (as a shell does for "cannot execute"). */
export class ExecFormatError extends Error {}

export interface Segment {
  vaddr: number;
  offset: number;
  filesz: number;
  memsz: number;
  /** PROT_READ | PROT_WRITE | PROT_EXEC */
  prot: number;
}

export interface NetbsdElf {
  /** ET_EXEC, or ET_DYN (static PIE) placed at `bias` (exec_elf.c elf_placedynexec). */
  kind: 'exec' | 'pie';
  bias: number;
  entry: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  /** The address of the program headers in the image (PT_PHDR, or the first segment's file map). */
  phdrAddr: number;
  segments: Segment[];
  /** The __NetBSD_Version__ word of the ident note. */
  osversion: number;
}

const EM_X86_64 = 62;
const ELF_MAXPHNUM = 128; // exec_elf.c
const ELF_MAXNOTESIZE = 1024; // exec_elf.c netbsd_elf_signature
const PT_NOTE_NAME_NETBSD = 'NetBSD';
const ELF_NOTE_TYPE_NETBSD_TAG = 1;

const fail = (why: string): never => {
  throw new ExecFormatError(why);
};

const hex = (n: number): string => `0x${n.toString(16)}`;

export function parseNetbsdElf(buf: Buffer): NetbsdElf {
  if (buf.length < 4 || buf.readUInt32BE(0) !== 0x7f454c46) {
    if (buf.subarray(0, 2).toString() === '#!') fail('a script (#!), not an executable: run its interpreter instead');
    fail('not an ELF file');
  }
  if (buf.length < 64) fail('truncated ELF header');
  if (buf[4] !== 2) fail(buf[4] === 1 ? 'a 32-bit ELF (ELFCLASS32): nbemu runs NetBSD/amd64 (ELF64 x86_64) programs' : `bad ELF class ${buf[4]}`);
  if (buf[5] !== 1) fail('a big-endian ELF: nbemu runs NetBSD/amd64 (little-endian x86_64) programs');
  const parser = new Parser();
  let h: ElfyHeader;
  try {
    h = parser.parseHeader(buf);
  } catch (e) {
    return fail(`malformed ELF header (${(e as Error).message})`);
  }
  const machine = buf.readUInt16LE(18);
  if (machine !== EM_X86_64) fail(`an ELF for machine ${h.machine ?? machine}, not x86_64`);
  if (h.type !== 'exec' && h.type !== 'dyn') fail(`an ELF of type ${h.type ?? buf.readUInt16LE(16)}, not an executable`);
  if (h.phnum < 1 || h.phnum > ELF_MAXPHNUM) fail(`bad program header count ${h.phnum}`);
  if (h.phentsize !== 56) fail(`bad program header size ${h.phentsize}`);
  if (h.phoff + h.phnum * 56 > buf.length) fail('truncated file: the program headers lie outside it');
  let programs: ElfyProgram[];
  try {
    programs = parser.parsePrograms(buf, h);
  } catch (e) {
    return fail(`malformed program headers (${(e as Error).message})`);
  }

  // Every segment's bytes must be in the file (exec reads them: a short read fails the exec).
  for (const [i, p] of programs.entries()) {
    if ((p.type === 'load' || p.type === 'note' || p.type === 'interp') && p.offset + p.filesz > buf.length) {
      fail(`truncated file: segment ${i} (${p.type}, offset ${hex(p.offset)}, ${p.filesz} bytes) lies outside it`);
    }
  }
  // The NetBSD signature first (netbsd_elf_probe): without it this is someone else's binary.
  const osversion = netbsdIdent(buf, programs);
  if (osversion === undefined) fail(`not a NetBSD program: ${describeForeign(buf, programs)}`);
  if (programs.some((p) => p.type === 'interp')) fail('dynamic binaries are not supported yet (it has a PT_INTERP, so it needs ld.elf_so); build it with -static');

  const loads = programs.filter((p) => p.type === 'load');
  if (loads.length === 0) fail('no loadable segments');
  for (const [i, p] of loads.entries()) {
    if (p.filesz > p.memsz) fail(`segment ${i} has a file size larger than its memory size`);
    if (p.align > 1 && p.align % PAGE_SIZE === 0 && (p.vaddr - p.offset) % PAGE_SIZE !== 0) fail(`segment ${i} is not page-congruent with its file offset`);
  }
  const sorted = [...loads].sort((a, b) => a.vaddr - b.vaddr);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.vaddr + a.memsz > b.vaddr) fail(`segments at ${hex(a.vaddr)} and ${hex(b.vaddr)} overlap`);
  }

  // ET_DYN: elf_placedynexec + pax_aslr_exec_offset without ASLR → MAX(largest p_align, PAGE_SIZE).
  const kind = h.type === 'exec' ? 'exec' : 'pie';
  const bias = kind === 'pie' ? Math.max(PAGE_SIZE, ...loads.map((p) => p.align || 1)) : 0;
  const segments = loads.map((p) => ({
    vaddr: p.vaddr + bias,
    offset: p.offset,
    filesz: p.filesz,
    memsz: p.memsz,
    prot: (p.flags.r ? 1 : 0) | (p.flags.w ? 2 : 0) | (p.flags.x ? 4 : 0),
  }));
  for (const s of segments) {
    if (s.vaddr < PAGE_SIZE || s.vaddr + s.memsz > VM_MAXUSER_ADDRESS) fail(`segment at ${hex(s.vaddr)} lies outside the user address space`);
  }
  const entry = h.entry + bias;
  if (!segments.some((s) => s.prot & 4 && entry >= s.vaddr && entry < s.vaddr + s.filesz)) fail(`entry point ${hex(entry)} lies outside the program text`);

  const phdrSeg = programs.find((p) => p.type === 'phdr');
  const first = loads.find((p) => p.offset === 0);
  const phdrAddr = phdrSeg ? phdrSeg.vaddr + bias : first ? first.vaddr + bias + h.phoff : 0;
  return { kind, bias, entry, phoff: h.phoff, phentsize: h.phentsize, phnum: h.phnum, phdrAddr, segments, osversion: osversion! };
}

interface Note {
  name: string;
  type: number;
  desc: Buffer;
}

function* notes(buf: Buffer, programs: ElfyProgram[]): Generator<Note> {
  for (const p of programs) {
    if (p.type !== 'note' || p.filesz > ELF_MAXNOTESIZE || p.offset + p.filesz > buf.length) continue;
    const data = buf.subarray(p.offset, p.offset + p.filesz);
    let off = 0;
    while (off + 12 <= data.length) {
      const namesz = data.readUInt32LE(off);
      const descsz = data.readUInt32LE(off + 4);
      const type = data.readUInt32LE(off + 8);
      const nameOff = off + 12;
      const descOff = nameOff + Math.ceil(namesz / 4) * 4;
      const next = descOff + Math.ceil(descsz / 4) * 4;
      if (next > data.length) break;
      const name = data.subarray(nameOff, nameOff + namesz).toString('latin1').replace(/\0+$/, '');
      yield { name, type, desc: data.subarray(descOff, descOff + descsz) };
      off = next;
    }
  }
}

/** netbsd_elf_note: the ident note, namesz 7 ("NetBSD\0"), descsz 4, type 1 → its version word. */
function netbsdIdent(buf: Buffer, programs: ElfyProgram[]): number | undefined {
  for (const n of notes(buf, programs)) {
    if (n.name === PT_NOTE_NAME_NETBSD && n.type === ELF_NOTE_TYPE_NETBSD_TAG && n.desc.length === 4) return n.desc.readUInt32LE(0);
  }
  return undefined;
}

/** Say what a foreign binary looks like, for the refusal message. */
function describeForeign(buf: Buffer, programs: ElfyProgram[]): string {
  const abiTag = ['Linux', 'GNU Hurd', 'Solaris', 'FreeBSD'];
  for (const n of notes(buf, programs)) {
    if (n.name === 'GNU' && n.type === 1 && n.desc.length >= 4) return `it looks like a ${abiTag[n.desc.readUInt32LE(0)] ?? 'GNU'} binary (GNU ABI tag note)`;
    if (n.name === 'FreeBSD' || n.name === 'OpenBSD') return `it looks like a ${n.name} binary (${n.name} ident note)`;
  }
  const interp = programs.find((p) => p.type === 'interp');
  if (interp) {
    const path = buf.subarray(interp.offset, interp.offset + interp.filesz).toString('latin1').replace(/\0.*$/s, '');
    if (/ld-linux|ld-musl/.test(path)) return `it looks like a Linux binary (interpreter ${path})`;
  }
  const osabi = buf[7];
  if (osabi === 3) return 'it looks like a Linux binary (ELF OS ABI is Linux)';
  if (osabi === 9) return 'it looks like a FreeBSD binary (ELF OS ABI is FreeBSD)';
  if (osabi === 12) return 'it looks like an OpenBSD binary (ELF OS ABI is OpenBSD)';
  return 'it has no .note.netbsd.ident note (a Linux or other System V binary?)';
}
