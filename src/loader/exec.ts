// Build a process image the way NetBSD's execve does for a native static ELF64 binary:
// segments mapped with their protections and bss zero-filled (sys/kern/exec_elf.c
// elf_load_psection), the stack region (sys/kern/exec_subr.c exec_setup_stack), and the initial
// stack with argc, argv, envp, the auxiliary vector and ps_strings (sys/kern/kern_exec.c
// copyargs, exec_elf.c elf_copyargs). See ../shared/netbsd/process-abi.md §1–2.

import {
  AT_BASE, AT_EGID, AT_ENTRY, AT_EUID, AT_FLAGS, AT_NULL, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM,
  AT_RGID, AT_RUID, AT_STACKBASE, AT_SUN_EXECNAME, DFLSSIZ, MAXPATHLEN, PAGE_SIZE, USRSTACK,
} from '../kernel/constants.js';
import { roundPage, truncPage, type VmSpace } from '../kernel/vmspace.js';
import type { NetbsdElf } from './elf.js';

export interface ExecArgs {
  argv: string[];
  envp: string[];
  /** The absolute path of the program, for AT_SUN_EXECNAME. */
  execname: string;
  uid: number;
  gid: number;
}

export interface ExecImage {
  entry: number;
  rsp: number;
  /** p_psstrp: the address of struct ps_strings, handed to the program in rbx. */
  psStrings: number;
  stackBase: number;
}

/** sizeof(struct ps_strings) on LP64 (sys/sys/exec.h). */
const PS_STRINGS_SIZE = 32;
/** ELF64_AUXSIZE: ELF_AUX_ENTRIES (15) * sizeof(Aux64Info) + MAXPATHLEN + ALIGN(1) (exec_elf.c). */
const ELF64_AUXSIZE = 15 * 16 + MAXPATHLEN + 8;

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/**
 * Map the PT_LOAD segments. Segments never overlap byte-wise (the ELF check refused that), but
 * two may share a page; such pages are mapped once with the union of the protections.
 */
export function mapSegments(vm: VmSpace, elf: NetbsdElf, file: Buffer): void {
  const pages: { start: number; end: number; prot: number }[] = [];
  for (const s of [...elf.segments].sort((a, b) => a.vaddr - b.vaddr)) {
    const start = truncPage(s.vaddr);
    const end = roundPage(s.vaddr + s.memsz);
    const last = pages[pages.length - 1];
    if (last && start < last.end) {
      last.end = Math.max(last.end, end);
      last.prot |= s.prot;
    } else pages.push({ start, end, prot: s.prot });
  }
  for (const p of pages) vm.map(p.start, p.end - p.start, p.prot, 'text/data');
  // Copy the file part of each segment; the rest of the pages (bss) is already zero.
  for (const s of elf.segments) vm.poke(s.vaddr, file.subarray(s.offset, s.offset + s.filesz));
}

/** The main stack: [USRSTACK - DFLSSIZ, USRSTACK) read/write; the rest of MAXSSIZ is left unmapped. */
export function setupStack(vm: VmSpace, elf: NetbsdElf, args: ExecArgs): ExecImage {
  const stackBase = USRSTACK;
  vm.map(stackBase - DFLSSIZ, DFLSSIZ, 1 | 2, 'stack');

  const strings = [...args.argv, ...args.envp].map((s) => Buffer.from(`${s}\0`, 'utf8'));
  const strBytes = align8(strings.reduce((n, b) => n + b.length, 0));
  const argc = args.argv.length;
  const envc = args.envp.length;
  // kern_exec.c: argslen = pointer slots + strings + the ELF aux reserve; the stack used is
  // STACK_LEN_ALIGN(argslen + gaplen + szsigcode + sizeof(struct ps_strings), 15).
  const argslen = (1 + argc + 1 + envc + 1) * 8 + strBytes + ELF64_AUXSIZE;
  const len = Math.ceil((argslen + PS_STRINGS_SIZE) / 16) * 16;
  const rsp = stackBase - len;
  const psStrings = stackBase - PS_STRINGS_SIZE;

  const image = new Uint8Array(len);
  const dv = new DataView(image.buffer);
  const put64 = (at: number, v: number): void => {
    dv.setUint32(at - rsp, v >>> 0, true);
    dv.setUint32(at - rsp + 4, Math.floor(v / 0x1_0000_0000), true);
  };

  // Layout from rsp up: argc, argv[], NULL, envp[], NULL, auxv, execname; then the strings.
  const argvAt = rsp + 8;
  const envpAt = argvAt + (argc + 1) * 8;
  const auxvAt = envpAt + (envc + 1) * 8;
  const stringsAt = rsp + (1 + argc + 1 + envc + 1) * 8 + ELF64_AUXSIZE;
  put64(rsp, argc);
  let at = stringsAt;
  const ptrs: number[] = [];
  for (const s of strings) {
    ptrs.push(at);
    image.set(s, at - rsp);
    at += s.length;
  }
  ptrs.slice(0, argc).forEach((p, i) => put64(argvAt + i * 8, p));
  ptrs.slice(argc).forEach((p, i) => put64(envpAt + i * 8, p));

  // elf_copyargs: the auxiliary vector, in the kernel's order, then AT_SUN_EXECNAME's string.
  const auxv: [number, number][] = [
    [AT_PHDR, elf.phdrAddr],
    [AT_PHENT, elf.phentsize],
    [AT_PHNUM, elf.phnum],
    [AT_PAGESZ, PAGE_SIZE],
    [AT_BASE, 0],
    [AT_FLAGS, 0],
    [AT_ENTRY, elf.entry],
    [AT_EUID, args.uid],
    [AT_RUID, args.uid],
    [AT_EGID, args.gid],
    [AT_RGID, args.gid],
    [AT_STACKBASE, stackBase],
  ];
  const execnameAt = auxvAt + (auxv.length + 2) * 16;
  auxv.push([AT_SUN_EXECNAME, execnameAt], [AT_NULL, 0]);
  auxv.forEach(([type, value], i) => {
    put64(auxvAt + i * 16, type);
    put64(auxvAt + i * 16 + 8, value);
  });
  const execname = Buffer.from(args.execname, 'utf8').subarray(0, MAXPATHLEN - 1);
  image.set(execname, execnameAt - rsp);

  // struct ps_strings at the top of the stack.
  put64(psStrings, argvAt);
  dv.setInt32(psStrings + 8 - rsp, argc, true);
  put64(psStrings + 16, envpAt);
  dv.setInt32(psStrings + 24 - rsp, envc, true);

  vm.write(rsp, image);
  return { entry: elf.entry, rsp, psStrings, stackBase };
}
