// posix_spawn(2) (sys/kern/kern_exec.c 1.518 sys_posix_spawn, do_posix_spawn, spawn_return):
// a new process that runs a program, without the copy of the caller fork makes. Errors are the
// call's value; the call itself always succeeds.
//
// NetBSD starts the child's LWP in spawn_return, which applies the attributes, then the file
// actions, then execs; the parent waits for that only with POSIX_SPAWN_RETURNERROR or
// POSIX_SPAWN_SETPGROUP (else it is released as soon as the child exists), and a child that
// fails exits with status 127. nbemu's kernel runs one call at a time, so the child's part runs
// here, to completion, inside the parent's call — the same results in the same order.

import {
  AT_FDCWD, EBADF, EINVAL, ENAMETOOLONG, EPERM, FAE_CHDIR, FAE_CLOSE, FAE_DUP2, FAE_FCHDIR, FAE_OPEN, ID_E_EQ_R, ID_E_EQ_S,
  FNONBLOCK, MAXPATHLEN, NSIG, O_NONBLOCK, POSIX_SPAWN_RESETIDS, POSIX_SPAWN_RETURNERROR, POSIX_SPAWN_SETPGROUP, POSIX_SPAWN_SETSCHEDPARAM,
  POSIX_SPAWN_SETSCHEDULER, POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_SETSIGMASK, PRI_NONE, RLIMIT_NOFILE, SCHED_FIFO,
  SCHED_NONE, SCHED_OTHER, SCHED_PRI_MAX, SCHED_PRI_MIN, SCHED_RR, SIG_DFL, SPAWNATTR_SIZE, SPAWN_FAE_SIZE,
  SPAWN_FILE_ACTIONS_SIZE,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { Sleep } from '../src/kernel/sleepq.js';
import { execLoad, execRun, spawnProc, type ExecPackage } from '../src/kernel/lifecycle.js';
import type { Proc } from '../src/kernel/proc.js';
import { CANTMASK, readSigset, sigaction1, type SigSet } from '../src/kernel/sig.js';
import { partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';
import { dodup } from './fd.js';
import { chdirPath, fchdirFd, openPath } from './file.js';
import { doSetresgid, doSetresuid, setpgid1 } from './process.js';

/** One posix_spawn_file_actions_entry, its path (FAE_OPEN, FAE_CHDIR) copied in. */
interface FileAction {
  action: number;
  fildes: number;
  path: string;
  oflag: number;
  mode: number;
  newfildes: number;
}

/** struct posix_spawnattr. */
interface SpawnAttr {
  flags: number;
  pgroup: number;
  priority: number;
  policy: number;
  sigdefault: SigSet;
  sigmask: SigSet;
}

/**
 * posix_spawn_fa_alloc: the header (EFAULT); no entries is no actions; more than `lim` entries
 * EINVAL; the entries (EFAULT); each path of FAE_OPEN and FAE_CHDIR with copyinstr (EFAULT,
 * ENAMETOOLONG past MAXPATHLEN).
 */
function copyinFileActions(p: Proc, ufa: number, lim: number): FileAction[] {
  const hdr = p.vm.read(ufa, SPAWN_FILE_ACTIONS_SIZE);
  const h = new DataView(hdr.buffer, hdr.byteOffset, SPAWN_FILE_ACTIONS_SIZE);
  const len = h.getUint32(4, true);
  if (len === 0) return [];
  if (len > lim) throw new Errno(EINVAL);
  const faep = Number(h.getBigUint64(8, true));
  const b = p.vm.read(faep, len * SPAWN_FAE_SIZE);
  const d = new DataView(b.buffer, b.byteOffset, b.length);
  const out: FileAction[] = [];
  for (let i = 0; i < len; i++) {
    const o = i * SPAWN_FAE_SIZE;
    const action = d.getInt32(o, true);
    const a: FileAction = {
      action, fildes: d.getInt32(o + 4, true), path: '', oflag: d.getInt32(o + 16, true), mode: d.getUint32(o + 20, true),
      newfildes: d.getInt32(o + 8, true),
    };
    if (action === FAE_OPEN || action === FAE_CHDIR) a.path = p.vm.readString(Number(d.getBigUint64(o + 8, true)), MAXPATHLEN, ENAMETOOLONG);
    out.push(a);
  }
  return out;
}

function copyinAttr(p: Proc, attrp: number): SpawnAttr {
  const b = p.vm.read(attrp, SPAWNATTR_SIZE);
  const d = new DataView(b.buffer, b.byteOffset, SPAWNATTR_SIZE);
  return {
    flags: d.getInt16(0, true), pgroup: d.getInt32(4, true), priority: d.getInt32(8, true), policy: d.getInt32(12, true),
    sigdefault: readSigset(b.subarray(16, 32)), sigmask: readSigset(b.subarray(32, 48)),
  };
}

/**
 * do_sched_setparam (sys/kern/sys_sched.c) for the one LWP of a process, as far as nbemu has
 * scheduling classes: every LWP is SCHED_OTHER, which takes no priority (EINVAL); a bad class
 * or priority is EINVAL; moving to SCHED_FIFO or SCHED_RR needs the superuser
 * (KAUTH_PROCESS_SCHEDULER_SETPARAM: EPERM) and then changes nothing — nbemu's scheduler has
 * no real-time classes.
 */
function schedSetparam(p: Proc, policy: number, pri: number): void {
  if (pri === PRI_NONE && policy === SCHED_NONE) return;
  if (policy !== SCHED_NONE && (policy < SCHED_OTHER || policy > SCHED_RR)) throw new Errno(EINVAL);
  if (pri !== PRI_NONE && (pri < SCHED_PRI_MIN || pri > SCHED_PRI_MAX)) throw new Errno(EINVAL);
  const lpolicy = policy === SCHED_NONE ? SCHED_OTHER : policy;
  if (lpolicy === SCHED_OTHER && pri !== PRI_NONE) throw new Errno(EINVAL);
  if ((lpolicy === SCHED_FIFO || lpolicy === SCHED_RR) && p.cred.euid !== 0) throw new Errno(EPERM);
}

/** handle_posix_spawn_attrs, in its order, for the child `k.proc`; `parent` is the caller. */
function spawnAttrs(k: SysCtx, parent: SysCtx, sa: SpawnAttr): void {
  const p = k.proc;
  if (sa.flags & POSIX_SPAWN_SETPGROUP) setpgid1(parent, p.pid, sa.pgroup === 0 ? p.pid : sa.pgroup); // proc_enterpgrp(parent, …)
  if (sa.flags & POSIX_SPAWN_SETSCHEDULER) schedSetparam(p, sa.policy, sa.priority);
  // NetBSD applies SETSCHEDPARAM alone to the parent (do_sched_setparam(parent->p_pid, …)).
  else if (sa.flags & POSIX_SPAWN_SETSCHEDPARAM) schedSetparam(parent.proc, SCHED_NONE, sa.priority);
  if (sa.flags & POSIX_SPAWN_RESETIDS) {
    doSetresgid(p, -1, p.cred.gid, -1, ID_E_EQ_R | ID_E_EQ_S);
    doSetresuid(p, -1, p.cred.uid, -1, ID_E_EQ_R | ID_E_EQ_S);
  }
  if (sa.flags & POSIX_SPAWN_SETSIGMASK) p.sig.mask = sa.sigmask & ~CANTMASK; // sigprocmask1(SIG_SETMASK)
  if (sa.flags & POSIX_SPAWN_SETSIGDEF) {
    for (let sig = 1; sig <= NSIG; sig++) {
      if (!(sa.sigdefault & (1n << BigInt(sig - 1)))) continue;
      try {
        sigaction1(p.sig, sig, { handler: SIG_DFL, mask: 0n, flags: 0, tramp: 0, vers: 0 }, 0, 0);
      } catch {
        // sigaction1's refusals (SIGKILL, SIGSTOP, NSIG itself) are ignored here, as in NetBSD
      }
    }
  }
}

/**
 * fd_open (do_open from the child's current directory). An open that would sleep — a FIFO with
 * no peer yet, O_EXLOCK on a locked file — cannot wait inside the parent's call: it is made as
 * with O_NONBLOCK (a FIFO's read end opens at once, its write end fails ENXIO, the lock EAGAIN),
 * and the descriptor is left blocking as asked.
 */
function openNoWait(k: SysCtx, a: FileAction): number {
  try {
    return openPath(k, AT_FDCWD, a.path, a.oflag, a.mode);
  } catch (e) {
    if (!(e instanceof Sleep)) throw e;
  }
  const fd = openPath(k, AT_FDCWD, a.path, a.oflag | O_NONBLOCK, a.mode);
  if (!(a.oflag & O_NONBLOCK)) k.proc.fd.get(fd).flag &= ~FNONBLOCK;
  return fd;
}

/** handle_posix_spawn_file_actions: each in turn, the first error ends them. */
function spawnFileActions(k: SysCtx, actions: FileAction[]): void {
  const p = k.proc;
  for (const a of actions) {
    switch (a.action) {
      case FAE_OPEN: {
        if (p.fd.isOpen(a.fildes)) p.fd.close(a.fildes);
        const fd = openNoWait(k, a);
        if (fd !== a.fildes) {
          try {
            dodup(k, fd, a.fildes, 0, false);
          } finally {
            if (p.fd.isOpen(fd)) p.fd.close(fd);
          }
        }
        break;
      }
      case FAE_DUP2:
        dodup(k, a.fildes, a.newfildes, 0, false);
        break;
      case FAE_CLOSE:
        if (!p.fd.isOpen(a.fildes)) throw new Errno(EBADF);
        p.fd.close(a.fildes);
        break;
      case FAE_CHDIR:
        chdirPath(k, a.path);
        break;
      case FAE_FCHDIR:
        fchdirFd(k, a.fildes);
        break;
      default:
        break; // an unknown action does nothing (the switch has no default)
    }
  }
}

/** The calls' context for the child: handlers that take a SysCtx act on `proc`. */
function ctxFor(k: SysCtx, proc: Proc): SysCtx {
  return { machine: k.machine, proc, rdx: 0, stackArg: () => 0n };
}

/**
 * sys_posix_spawn → do_posix_spawn → spawn_return. The result is the call's value: 0 with the
 * child's pid at `pidp`, or an error. Errors before the child exists (copyin of the file
 * actions and attributes, execve_loadvm of the program and its arguments) leave nothing behind.
 * Errors of the child's own part (attributes, file actions) end the child with status 127, and
 * reach the caller only with POSIX_SPAWN_RETURNERROR or POSIX_SPAWN_SETPGROUP (then the pid is not
 * copied out).
 */
function posixSpawn(k: SysCtx, pidp: number, path: number, fa: number, attrp: number, argv: number, envp: number): number {
  const parent = k.proc;
  const m = k.machine;
  let actions: FileAction[] = [];
  let sa: SpawnAttr | undefined;
  let pkg: ExecPackage;
  try {
    // check_posix_spawn's maxproc and RLIMIT_NPROC limits: nbemu enforces none (nor does its fork).
    if (fa !== 0) actions = copyinFileActions(parent, fa, 2 * Math.min(Number(parent.limits[RLIMIT_NOFILE]!.cur), m.files.maxfiles));
    if (attrp !== 0) sa = copyinAttr(parent, attrp);
    pkg = execLoad(parent, path, argv, envp);
  } catch (e) {
    if (e instanceof Errno) return e.errno;
    throw e;
  }
  const child = spawnProc(m, parent);
  const waits = sa !== undefined && (sa.flags & (POSIX_SPAWN_RETURNERROR | POSIX_SPAWN_SETPGROUP)) !== 0;
  const ck = ctxFor(k, child);
  try {
    if (sa) spawnAttrs(ck, k, sa);
    spawnFileActions(ck, actions);
    execRun(m, child, pkg);
  } catch (e) {
    m.exit1(child, { kind: 'exited', code: 127 }); // spawn_return: exit1(l, 127, 0)
    if (!(e instanceof Errno)) throw e; // an internal error: the child is not left half made
    if (waits) return e.errno;
  }
  if (!child.exited) m.setRunnable(child.curlwp);
  if (pidp !== 0) {
    try {
      parent.vm.writeI32(pidp, child.pid);
    } catch (e) {
      if (e instanceof Errno) return e.errno; // the child runs all the same
      throw e;
    }
  }
  return 0;
}

export const spawnSyscalls: SyscallDescriptor[] = [
  {
    number: 474, name: 'posix_spawn', class: 'process',
    support: partial('no process limits (maxproc, RLIMIT_NPROC), as for fork; SCHED_FIFO/SCHED_RR attributes are checked but change no scheduling; a file action\'s open never waits (a FIFO with no peer: read ends open at once, write ends fail ENXIO)'),
    args: [
      { name: 'pid', type: 'ptr' }, { name: 'path', type: 'ptr' }, { name: 'file_actions', type: 'ptr' },
      { name: 'attrp', type: 'ptr' }, { name: 'argv', type: 'ptr' }, { name: 'envp', type: 'ptr' },
    ],
    handler: (k, pid, path, fa, attrp, argv, envp) => posixSpawn(k, pid, path, fa, attrp, argv, envp),
  },
];
