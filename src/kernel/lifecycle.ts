// Process life: fork (sys/kern/kern_fork.c fork1), execve (sys/kern/kern_exec.c execve1) and
// wait (sys/kern/kern_exit.c do_sys_waitid / wait4). exit1 lives in machine.ts beside the
// scheduler it hands the process back to.

import { freePosixTimers } from './itimer.js';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as U from '../unicorn/index.js';
import {
  E2BIG, EACCES, ECHILD, EINVAL, EISDIR, ENAMETOOLONG, ENOENT, ENOEXEC, ENOTDIR, FD_CLOEXEC, FD_CLOFORK,
  ARG_MAX, MAXPATHLEN, SA_NOCLDWAIT, SIGCHLD, SIG_IGN, SS_DISABLE, WCOREFLAG, WNOHANG, WSTOPPED_CODE, WUNTRACED,
  WALTSIG, WALLSIG, WCONTINUED, WEXITED, WNOWAIT, WTRAPPED, WNOZOMBIE, WCONTINUED_STATUS,
  P_ALL, P_PID, P_PGID, P_SID, P_UID, P_GID, CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED, SIGCONT,
} from './constants.js';
import { Errno } from './errno.js';
import { ExecFormatError, parseNetbsdElf } from '../loader/elf.js';
import { loadImage, type Machine } from './machine.js';
import type { Proc } from './proc.js';
import { defaultSigaction } from './sig.js';
import type { ExitStatus } from './signal.js';
import { Sleep } from './sleepq.js';
import { cwdOf, forkCwd, guestPathOf, resolveForExec, rootOf } from './vfs.js';
import { VnodeFile } from './vnode.js';
import { vnodeObject } from './vnpager.js';

/** The registers a fork copies (the whole user-visible CPU state of the LWP). */
const CPU_REGS = [
  U.UC_X86_REG_RAX, U.UC_X86_REG_RBX, U.UC_X86_REG_RCX, U.UC_X86_REG_RDX, U.UC_X86_REG_RSI, U.UC_X86_REG_RDI,
  U.UC_X86_REG_RBP, U.UC_X86_REG_RSP, U.UC_X86_REG_R8, U.UC_X86_REG_R9, U.UC_X86_REG_R10, U.UC_X86_REG_R11,
  U.UC_X86_REG_R12, U.UC_X86_REG_R13, U.UC_X86_REG_R14, U.UC_X86_REG_R15, U.UC_X86_REG_RIP, U.UC_X86_REG_EFLAGS,
  U.UC_X86_REG_FS_BASE, U.UC_X86_REG_GS_BASE, U.UC_X86_REG_MXCSR, U.UC_X86_REG_FPCW,
  ...Array.from({ length: 16 }, (_, i) => U.UC_X86_REG_XMM0 + i),
];

/**
 * fork1: a new process with the caller's address space as each mapping's inheritance says
 * (uvmspace_fork, VmSpace.forkInto: MAP_SHARED memory and what minherit made shared is shared,
 * the rest copied — copy-on-write while it is not writable; `shareVm`, vfork's FORK_SHAREVM,
 * maps all of the parent's memory itself), registers, TLS
 * pointer, limits, signal actions, mask and alternate stack (no pending signals), and
 * descriptor table — less the close-on-fork descriptors. The child returns rax = 0, rdx = 1
 * (libc's fork.S turns rdx into the 0 a child sees); the parent gets the child's pid.
 */
export function fork1(m: Machine, parent: Proc, shareVm = false): Proc {
  const child = m.newProc(parent.pid, { ...parent.cred, groups: parent.cred.groups && [...parent.cred.groups] }, parent.comm);
  child.sugid = parent.sugid; // fork1 keeps PK_SUGID
  child.nice = parent.nice; // and p_nice
  child.parent = parent;
  parent.children.add(child);
  child.pgid = parent.pgid;
  child.sid = parent.sid;
  child.limits = parent.limits.map((l) => ({ ...l }));
  if (shareVm) parent.vm.shareInto(child.vm); // __vfork14: FORK_SHAREVM
  else parent.vm.forkInto(child.vm);
  m.shm.fork(parent.vm, child.vm, shareVm); // uvmspace_fork → shmfork
  for (const reg of CPU_REGS) child.uc.reg_write(reg, parent.uc.reg_read(reg));
  child.lwpPrivate = parent.lwpPrivate;
  child.path = parent.path;
  forkCwd(parent, child); // cwdinfo: the current directory and umask are inherited
  child.stackBase = parent.stackBase;
  child.stackSize = parent.stackSize;
  inheritFilesAndSignals(parent, child);
  // The child's first run returns from fork: rax 0, rdx 1, carry clear.
  const u = child.cpu.u32;
  u[24] = 1;
  u[26] = 0;
  u[27] = 0;
  u[28] = 1;
  u[29] = 0;
  m.setRunnable(child.curlwp);
  m.procEvents.wakeup();
  return child;
}

/**
 * What fork1 and do_posix_spawn both give a child: the descriptor table (fd_copy: kqueues are not
 * inherited, their knotes belong to the parent; close-on-fork descriptors are left out), the
 * signal actions, and the calling LWP's mask and alternate stack; no pending signals.
 */
function inheritFilesAndSignals(parent: Proc, child: Proc): void {
  for (const [fd, slot] of parent.fd.entries()) if (slot.file.type !== 'kqueue') child.fd.affix(fd, slot.file, slot.flags);
  child.fd.closeFlagged(FD_CLOFORK);
  const s = child.sig;
  parent.sig.actions.forEach((a, i) => (s.actions[i] = { ...a }));
  s.mask = parent.sig.mask;
  s.altstack = { ...parent.sig.altstack };
}

/**
 * do_posix_spawn's new process (sys/kern/kern_exec.c 1.518), before its LWP runs: the parent's
 * credentials (PK_SUGID kept), nice value, limits, process group and session, a copy of its
 * current directory, root and umask (cwdinit), descriptors and signal state as fork1 gives
 * them — but an empty address space: the child's image is the program it will exec. It is not
 * runnable yet; the caller carries out the attributes, the file actions and the exec for it
 * (spawn_return), or ends it.
 */
export function spawnProc(m: Machine, parent: Proc): Proc {
  const child = m.newProc(parent.pid, { ...parent.cred, groups: parent.cred.groups && [...parent.cred.groups] }, parent.comm);
  child.sugid = parent.sugid;
  child.nice = parent.nice;
  child.parent = parent;
  parent.children.add(child);
  child.pgid = parent.pgid;
  child.sid = parent.sid;
  child.limits = parent.limits.map((l) => ({ ...l }));
  child.path = parent.path;
  forkCwd(parent, child);
  inheritFilesAndSignals(parent, child);
  m.procEvents.wakeup();
  return child;
}

/** Read a NUL-terminated array of string pointers (execve's argv and envp). */
function copyinStrings(p: Proc, addr: number, budget: { left: number }): string[] {
  const out: string[] = [];
  if (addr === 0) return out;
  for (let i = 0; ; i++) {
    const ptr = p.vm.readU64(addr + i * 8);
    if (ptr === 0) return out;
    const s = p.vm.readString(ptr, ARG_MAX + 1, E2BIG);
    budget.left -= Buffer.byteLength(s) + 1;
    if (budget.left < 0) throw new Errno(E2BIG);
    out.push(s);
  }
}

/** namei's answer for a host path, as NetBSD errno values. */
function hostErrno(e: unknown): number {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return ENOENT;
    case 'ENOTDIR':
      return ENOTDIR;
    case 'EACCES':
    case 'EPERM':
      return EACCES;
    case 'ENAMETOOLONG':
      return ENAMETOOLONG;
    default:
      return ENOENT;
  }
}

/** What execve_loadvm prepares: the program and its arguments, before anything is given up. */
export interface ExecPackage {
  /** The path as the call named it (p_comm comes from it). */
  file: string;
  /** p_path: absolute, as the guest sees it. */
  guestPath: string;
  image: Buffer;
  elf: ReturnType<typeof parseNetbsdElf>;
  argv: string[];
  envp: string[];
}

/**
 * execve_loadvm (sys/kern/kern_exec.c 1.518): the path is copied in (EFAULT, ENAMETOOLONG),
 * check_exec finds and checks the program through the process's root and current directory
 * (ENOENT, ENOTDIR, ELOOP, EACCES for a directory, a special file or no execute permission,
 * ENOEXEC for a format nbemu cannot run), and only then copyinargs takes the arguments and the
 * environment (EINVAL for a null argv, EFAULT, E2BIG). Nothing in the process changes.
 */
export function execLoad(p: Proc, pathp: number, argvp: number, envpp: number): ExecPackage {
  const file = p.vm.readString(pathp, MAXPATHLEN, ENAMETOOLONG);
  if (file === '') throw new Errno(ENOENT);
  const hostFile = resolveForExec(p, file);
  const guestPath = path.posix.resolve(cwdOf(p).cwd, file);
  return checkExec(p, file, hostFile, guestPath, argvp, envpp);
}

/**
 * execve_loadvm for fexecve (ep_xfd): check_exec takes the descriptor's vnode (fd_getvnode:
 * EBADF, EINVAL for a file that is no vnode) and its name (exec_resolvename), then checks it as
 * execve does: a directory, device or terminal is not a regular file (EACCES). p_comm and
 * p_path come from that name.
 */
export function execLoadFd(p: Proc, fd: number, argvp: number, envpp: number): ExecPackage {
  const fp = p.fd.get(fd);
  if (fp.type !== 'vnode') throw new Errno(EINVAL);
  if (!(fp instanceof VnodeFile) || fp.isDir) throw new Errno(EACCES);
  const guestPath = guestPathOf(rootOf(p), fp.hostPath) ?? fp.guestPath;
  return checkExec(p, guestPath, fp.hostPath, guestPath, argvp, envpp);
}

/** check_exec on the host file, then copyinargs. */
function checkExec(p: Proc, file: string, hostFile: string, guestPath: string, argvp: number, envpp: number): ExecPackage {
  let image: Buffer;
  try {
    const st = fs.statSync(hostFile);
    if (st.isDirectory()) throw new Errno(EACCES);
    if (!st.isFile() || (st.mode & 0o111) === 0) throw new Errno(EACCES);
    const id = fs.statSync(hostFile, { bigint: true }); // the vnode's key, as VnodeFile.lockKey has it
    vnodeObject(`${id.dev}:${id.ino}`)?.writebackQuietly(0, Infinity); // exec reads through the page cache
    image = fs.readFileSync(hostFile);
  } catch (e) {
    if (e instanceof Errno) throw e;
    throw new Errno((e as NodeJS.ErrnoException).code === 'EISDIR' ? EISDIR : hostErrno(e));
  }
  let elf;
  try {
    elf = parseNetbsdElf(image);
  } catch (e) {
    if (e instanceof ExecFormatError) throw new Errno(ENOEXEC);
    throw e;
  }
  if (argvp === 0) throw new Errno(EINVAL); // copyinargs: "null args"
  const budget = { left: ARG_MAX };
  const argv = copyinStrings(p, argvp, budget);
  const envp = copyinStrings(p, envpp, budget);
  return { file, guestPath, image, elf, argv, envp };
}

/**
 * execve_runproc: past the point of no return, the prepared program replaces the image. The
 * other LWPs go, the close-on-exec descriptors are closed, caught signals reset to the default
 * (ignored ones stay ignored), the alternate stack disabled, and a vfork parent released.
 */
export function execRun(m: Machine, p: Proc, pkg: ExecPackage): void {
  releaseVforkParent(p);
  m.killOtherLwps(p);
  p.curlwp.ctx = undefined; // a context of the old engine
  p.newImage();
  loadImage(p, pkg.elf, pkg.image, { argv: pkg.argv, envp: pkg.envp, execname: pkg.guestPath, uid: p.cred.euid, gid: p.cred.egid });
  // credexec for a program without set-id bits (nbemu runs none): PK_SUGID goes once the real
  // and effective ids agree, and the saved ids become the effective ones.
  if (p.cred.euid === p.cred.uid && p.cred.egid === p.cred.gid) p.sugid = false;
  p.cred.svuid = p.cred.euid;
  p.cred.svgid = p.cred.egid;
  p.comm = path.basename(pkg.file).slice(0, 16);
  p.fd.closeFlagged(FD_CLOEXEC);
  freePosixTimers(m, p); // ptimers_free(p, TIMERS_POSIX): the BSD timers stay
  const s = p.sig;
  s.actions.forEach((a, i) => {
    const ignored = a.handler === SIG_IGN;
    s.actions[i] = defaultSigaction();
    if (ignored) s.actions[i]!.handler = SIG_IGN;
  });
  s.altstack = { sp: 0, size: 0, flags: SS_DISABLE };
  s.oldmask = undefined;
  p.restartState = undefined;
  p.execed = true;
  m.procEvents.wakeup();
}

/** execve1: execve_loadvm, then execve_runproc. */
export function execve1(m: Machine, p: Proc, pathp: number, argvp: number, envpp: number): void {
  execRun(m, p, execLoad(p, pathp, argvp, envpp));
}

/**
 * A vfork child gives its parent back: the parent, asleep since the vfork, continues (before the
 * child's image goes at exec, or the child ends). With __vfork14 the child ran on the parent's
 * own memory, so the parent sees what it wrote.
 */
export function releaseVforkParent(child: Proc): void {
  const parent = child.vforkParent;
  if (!parent) return;
  child.vforkParent = undefined;
  parent.vforkq.wakeup();
}

/** The wait status word of sys/sys/wait.h. */
export function waitStatus(st: ExitStatus): number {
  return st.kind === 'exited' ? (st.code & 0xff) << 8 : st.signal | (st.core ? WCOREFLAG : 0);
}

const WAIT_OPTIONS = WNOHANG | WUNTRACED | WALTSIG | WALLSIG | WCONTINUED | WEXITED | WNOWAIT | WTRAPPED | WNOZOMBIE;

/**
 * do_sys_wait: the first child matching `pid` (-1 any, 0 the caller's group, < -1 the group
 * -pid) that has exited — or stopped, with WUNTRACED. ECHILD when no child matches, 0 with
 * WNOHANG when none is ready, else the caller sleeps until a child changes state. A collected
 * zombie leaves the process table even if the status cannot be copied out.
 */
export function wait1(m: Machine, p: Proc, pid: number, options: number): WaitResult {
  if (options & ~WAIT_OPTIONS) throw new Errno(EINVAL);
  // do_sys_wait: wait4's pid as an idtype, and WEXITED | WTRAPPED always.
  const [idtype, id] = pid === -1 ? [P_ALL, 0] : pid === 0 ? [P_PGID, p.pgid] : pid < 0 ? [P_PGID, -pid] : [P_PID, pid];
  return findWaitable(m, p, idtype, id, options | WEXITED | WTRAPPED);
}

/** What a wait found: the child, its wait status word, and the siginfo wait6 reports. */
export interface WaitResult {
  pid: number;
  status: number;
  child?: Proc;
  info?: { code: number; status: number };
}

/**
 * do_sys_waitid / find_stopped_child for wait6: the options (EINVAL for unknown bits, and for
 * none of WEXITED, WUNTRACED, WCONTINUED, WTRAPPED), id 0 with P_PID or P_PGID meaning the
 * caller's group (WAIT_MYPGRP); an exited child is reported only with WEXITED.
 */
export function waitid1(m: Machine, p: Proc, idtype: number, id: number, options: number): WaitResult {
  if (options & ~WAIT_OPTIONS) throw new Errno(EINVAL);
  if (!(options & (WEXITED | WUNTRACED | WCONTINUED | WTRAPPED))) throw new Errno(EINVAL);
  if (id === 0 && (idtype === P_PID || idtype === P_PGID)) [idtype, id] = [P_PGID, p.pgid];
  return findWaitable(m, p, idtype, id, options);
}

/** match_process's selection of children by idtype (EINVAL for an idtype wait cannot use). */
function matchesId(c: Proc, idtype: number, id: number): boolean {
  switch (idtype) {
    case P_ALL: return true;
    case P_PID: return c.pid === id;
    case P_PGID: return c.pgid === id;
    case P_SID: return c.sid === id;
    case P_UID: return c.cred.euid >>> 0 === id >>> 0;
    case P_GID: return c.cred.egid >>> 0 === id >>> 0;
    default: throw new Errno(EINVAL);
  }
}

/**
 * find_stopped_child: the first matching child that has exited (WEXITED), stopped (WUNTRACED)
 * or continued (WCONTINUED); WNOWAIT leaves it as it is. ECHILD when no child matches, 0 with
 * WNOHANG when none is ready, else the caller sleeps until a child changes state. A collected
 * zombie leaves the process table even if the status cannot be copied out.
 */
function findWaitable(m: Machine, p: Proc, idtype: number, id: number, options: number): WaitResult {
  const matches = [...p.children].filter((c) => matchesId(c, idtype, id));
  if (matches.length === 0) throw new Errno(ECHILD);
  for (const c of matches) {
    if (c.exitStatus && options & WEXITED) {
      if (!(options & WNOWAIT)) m.reap(c);
      const st = c.exitStatus;
      const code = st.kind === 'exited' ? CLD_EXITED : st.core ? CLD_DUMPED : CLD_KILLED;
      return { pid: c.pid, status: waitStatus(st), child: c, info: { code, status: st.kind === 'exited' ? st.code : st.signal } };
    }
    if (options & WUNTRACED && c.state === 'stopped' && !c.stopReported) {
      if (!(options & WNOWAIT)) c.stopReported = true;
      return { pid: c.pid, status: (c.stopSignal << 8) | WSTOPPED_CODE, child: c, info: { code: CLD_STOPPED, status: c.stopSignal } };
    }
    if (options & WCONTINUED && c.continued) {
      if (!(options & WNOWAIT)) c.continued = false;
      return { pid: c.pid, status: WCONTINUED_STATUS, child: c, info: { code: CLD_CONTINUED, status: SIGCONT } };
    }
  }
  if (options & WNOHANG) return { pid: 0, status: 0 };
  throw new Sleep(p.childq);
}

/** Children of a parent that ignores SIGCHLD (or set SA_NOCLDWAIT) are not kept as zombies. */
export function parentDiscardsZombies(parent: Proc): boolean {
  const a = parent.sig.actions[SIGCHLD]!;
  return a.handler === SIG_IGN || (a.flags & SA_NOCLDWAIT) !== 0;
}

