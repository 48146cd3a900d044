// Process identity and limits: exit, getpid, getppid, the uid/gid calls, issetugid,
// getrlimit, setrlimit, __getlogin, __setlogin (sys/kern/kern_exit.c, kern_prot.c, kern_resource.c).

import * as os from 'node:os';
import {
  EACCES, EINVAL, EJUSTRETURN, EPERM, ESRCH, ID_E_EQ_E, ID_E_EQ_R, ID_E_EQ_S, ID_R_EQ_E, ID_R_EQ_R, ID_R_EQ_S,
  ID_S_EQ_E, ID_S_EQ_R, ID_S_EQ_S, NGROUPS_MAX, RLIMIT_NOFILE, RLIM_NLIMITS,
  SIGCHLD,
  ENAMETOOLONG, MAXLOGNAME,
} from '../src/kernel/constants.js';
import { execLoadFd, execRun, execve1, fork1, wait1, waitid1 } from '../src/kernel/lifecycle.js';
import type { Proc } from '../src/kernel/proc.js';
import { encodeSiginfo } from '../src/kernel/sig.js';
import { Sleep } from '../src/kernel/sleepq.js';
import { Errno } from '../src/kernel/errno.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';

const SETID = partial('the guest\'s credentials change; files are still reached as the host user nbemu runs as');

const ID_ALL = ID_R_EQ_R | ID_R_EQ_E | ID_E_EQ_R | ID_E_EQ_E | ID_E_EQ_S | ID_S_EQ_R | ID_S_EQ_E | ID_S_EQ_S;

/**
 * do_setresuid / do_setresgid (sys/kern/kern_prot.c 1.119): -1 leaves an id; a new id must equal
 * one of the current ones the flags allow, else the caller needs KAUTH_PROCESS_SETID (the
 * superuser: euid 0), EPERM otherwise; nothing changing returns at once; a change sets PK_SUGID.
 */
function setresid(p: Proc, ids: [number, number, number], cur: [number, number, number], flags: number): [number, number, number] | undefined {
  const ok = (v: number, eqR: number, eqE: number, eqS: number): boolean =>
    v === -1 || (!!(flags & eqR) && v === cur[0]) || (!!(flags & eqE) && v === cur[1]) || (!!(flags & eqS) && v === cur[2]);
  const [r, e, sv] = ids.map((v) => (v | 0) === -1 ? -1 : v >>> 0) as [number, number, number];
  if (!ok(r, ID_R_EQ_R, ID_R_EQ_E, ID_R_EQ_S) || !ok(e, ID_E_EQ_R, ID_E_EQ_E, ID_E_EQ_S) || !ok(sv, ID_S_EQ_R, ID_S_EQ_E, ID_S_EQ_S)) {
    if (p.cred.euid !== 0) throw new Errno(EPERM);
  }
  if ((r === -1 || r === cur[0]) && (e === -1 || e === cur[1]) && (sv === -1 || sv === cur[2])) return undefined;
  p.sugid = true;
  return [r === -1 ? cur[0] : r, e === -1 ? cur[1] : e, sv === -1 ? cur[2] : sv];
}

export function doSetresuid(p: Proc, r: number, e: number, sv: number, flags: number): number {
  const c = p.cred;
  const n = setresid(p, [r, e, sv], [c.uid, c.euid, c.svuid ?? c.euid], flags);
  if (n) [c.uid, c.euid, c.svuid] = n;
  return 0;
}

export function doSetresgid(p: Proc, r: number, e: number, sv: number, flags: number): number {
  const c = p.cred;
  const n = setresid(p, [r, e, sv], [c.gid, c.egid, c.svgid ?? c.egid], flags);
  if (n) [c.gid, c.egid, c.svgid] = n;
  return 0;
}

/**
 * sys_setpgid → proc_enterpgrp (kern_prot.c, kern_proc.c): the caller or one of its children,
 * not after the child's exec, in the caller's session, not a session leader, into an existing
 * group of the session (or a new one named by the process's own id).
 */
export function setpgid1(k: SysCtx, pid: number, pgid: number): number {
  const p = k.proc;
  if (pgid < 0) throw new Errno(EINVAL);
  const target = pid === 0 || pid === p.pid ? p : k.machine.procs.get(pid);
  if (!target || target.exited || (target !== p && target.parent !== p)) throw new Errno(ESRCH);
  if (target !== p && target.execed) throw new Errno(EACCES);
  if (target.sid !== p.sid || target.sid === target.pid) throw new Errno(EPERM);
  const group = pgid === 0 ? target.pid : pgid;
  if (group !== target.pid && ![...k.machine.procs.values()].some((q) => !q.exited && q.pgid === group && q.sid === p.sid)) throw new Errno(EPERM);
  target.pgid = group;
  return 0;
}

export const processSyscalls: SyscallDescriptor[] = [
  {
    number: 1, name: 'exit', class: 'process', support: full,
    args: [{ name: 'rval', type: 'int' }],
    handler(k, rval) {
      // sys_exit → exit1 with W_EXITCODE(rval, 0): the parent sees the low 8 bits.
      k.machine.exitProc(k.proc, { kind: 'exited', code: rval & 0xff });
      throw new Errno(EJUSTRETURN);
    },
  },
  {
    number: 20, name: 'getpid', class: 'process', support: full, args: [],
    handler(k) {
      k.rdx = k.proc.ppid; // getpid_with_ppid
      return k.proc.pid;
    },
  },
  { number: 39, name: 'getppid', class: 'process', support: full, args: [], handler: (k) => k.proc.ppid },
  {
    number: 24, name: 'getuid', class: 'process', support: full, args: [],
    handler(k) {
      k.rdx = k.proc.cred.euid; // getuid_with_euid
      return k.proc.cred.uid;
    },
  },
  { number: 25, name: 'geteuid', class: 'process', support: full, args: [], handler: (k) => k.proc.cred.euid },
  {
    number: 47, name: 'getgid', class: 'process', support: full, args: [],
    handler(k) {
      k.rdx = k.proc.cred.egid; // getgid_with_egid
      return k.proc.cred.gid;
    },
  },
  { number: 43, name: 'getegid', class: 'process', support: full, args: [], handler: (k) => k.proc.cred.egid },
  // sys_issetugid: PK_SUGID, set when the credentials change (nbemu runs no set-id programs).
  { number: 305, name: 'issetugid', class: 'process', support: full, args: [], handler: (k) => (k.proc.sugid ? 1 : 0) },
  {
    number: 23, name: 'setuid', class: 'process', support: SETID,
    args: [{ name: 'uid', type: 'uint' }],
    handler: (k, uid) => doSetresuid(k.proc, uid, uid, uid, ID_R_EQ_R | ID_E_EQ_R | ID_S_EQ_R),
  },
  {
    number: 183, name: 'seteuid', class: 'process', support: SETID,
    args: [{ name: 'euid', type: 'uint' }],
    handler: (k, euid) => doSetresuid(k.proc, -1, euid, -1, ID_E_EQ_R | ID_E_EQ_S),
  },
  {
    number: 126, name: 'setreuid', class: 'process', support: SETID,
    args: [{ name: 'ruid', type: 'uint' }, { name: 'euid', type: 'uint' }],
    handler(k, ruidArg, euidArg) {
      // sys_setreuid: -1 keeps an id; the saved uid becomes the new euid if the real uid changes.
      const c = k.proc.cred;
      const ruid = (ruidArg | 0) === -1 ? c.uid : ruidArg;
      const euid = (euidArg | 0) === -1 ? c.euid : euidArg;
      const svuid = ruid === c.uid ? -1 : euid;
      return doSetresuid(k.proc, ruid, euid, svuid, ID_ALL);
    },
  },
  {
    number: 181, name: 'setgid', class: 'process', support: SETID,
    args: [{ name: 'gid', type: 'uint' }],
    handler: (k, gid) => doSetresgid(k.proc, gid, gid, gid, ID_R_EQ_R | ID_E_EQ_R | ID_S_EQ_R),
  },
  {
    number: 182, name: 'setegid', class: 'process', support: SETID,
    args: [{ name: 'egid', type: 'uint' }],
    handler: (k, egid) => doSetresgid(k.proc, -1, egid, -1, ID_E_EQ_R | ID_E_EQ_S),
  },
  {
    number: 127, name: 'setregid', class: 'process', support: SETID,
    args: [{ name: 'rgid', type: 'uint' }, { name: 'egid', type: 'uint' }],
    handler(k, rgidArg, egidArg) {
      const c = k.proc.cred;
      const rgid = (rgidArg | 0) === -1 ? c.gid : rgidArg;
      const egid = (egidArg | 0) === -1 ? c.egid : egidArg;
      const svgid = rgid === c.gid ? -1 : egid;
      return doSetresgid(k.proc, rgid, egid, svgid, ID_ALL);
    },
  },
  {
    number: 80, name: 'setgroups', class: 'process', support: SETID,
    args: [{ name: 'gidsetsize', type: 'int' }, { name: 'gidset', type: 'ptr' }],
    handler(k, gidsetsize, gidset) {
      // sys_setgroups: kauth_cred_setgroups first (more than NGROUPS_MAX, a negative size
      // included, EINVAL; the copyin EFAULT), then kauth_proc_setgroups's KAUTH_PROCESS_SETID.
      const p = k.proc;
      const len = gidsetsize >>> 0;
      if (len > NGROUPS_MAX) throw new Errno(EINVAL);
      const b = len ? p.vm.read(gidset, 4 * len) : new Uint8Array(0);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const groups = Array.from({ length: len }, (_, i) => dv.getUint32(4 * i, true));
      if (p.cred.euid !== 0) throw new Errno(EPERM);
      p.cred.groups = groups;
      p.sugid = true;
      return 0;
    },
  },
  {
    number: 194, name: 'getrlimit', class: 'process', support: full,
    args: [{ name: 'which', type: 'int' }, { name: 'rlp', type: 'ptr' }],
    handler(k, which, rlp) {
      if (which >>> 0 >= RLIM_NLIMITS) throw new Errno(EINVAL);
      const lim = k.proc.limits[which]!;
      const out = new Uint8Array(16);
      const dv = new DataView(out.buffer);
      dv.setBigUint64(0, lim.cur, true);
      dv.setBigUint64(8, lim.max, true);
      k.proc.vm.write(rlp, out);
      return 0;
    },
  },
  {
    number: 195, name: 'setrlimit', class: 'process', support: full,
    args: [{ name: 'which', type: 'int' }, { name: 'rlp', type: 'ptr' }],
    handler(k, which, rlp) {
      // sys_setrlimit copies in first (EFAULT), then dosetrlimit checks (kern_resource.c).
      const raw = k.proc.vm.read(rlp, 16);
      const dv = new DataView(raw.buffer, raw.byteOffset, 16);
      let cur = dv.getBigUint64(0, true);
      let max = dv.getBigUint64(8, true);
      if (which >>> 0 >= RLIM_NLIMITS) throw new Errno(EINVAL);
      if (cur > max) throw new Errno(EINVAL);
      const lim = k.proc.limits[which]!;
      if (cur === lim.cur && max === lim.max) return 0;
      if (max > lim.max && k.proc.cred.euid !== 0) throw new Errno(EPERM);
      if (which === RLIMIT_NOFILE) {
        const maxfiles = BigInt(k.machine.files.maxfiles);
        if (cur > maxfiles) cur = maxfiles;
        if (max > maxfiles) max = maxfiles;
      }
      lim.cur = cur;
      lim.max = max;
      return 0;
    },
  },
];

// ---- Processes: fork, vfork, wait4, execve, process groups and sessions --------------------------

function findProc(k: SysCtx, pid: number): Proc {
  const p = pid === 0 ? k.proc : k.machine.procs.get(pid);
  if (!p || p.exited) throw new Errno(ESRCH);
  return p;
}

/** struct rusage (sys/sys/resource.h), 144 bytes: user and system time of a process. */
/** The caller's session's s_login (the first session's: the host user nbemu runs as). */
function sessionLogin(k: SysCtx): string {
  const logins = k.machine.logins;
  const known = logins.get(k.proc.sid);
  if (known !== undefined) return known;
  let login = '';
  try {
    login = os.userInfo().username;
  } catch {
    // no passwd entry for the host user: an empty login, as a session never given one
  }
  logins.set(k.proc.sid, login);
  return login;
}

function encodeRusage(cpuMs: number): Uint8Array {
  const b = new Uint8Array(144);
  const dv = new DataView(b.buffer);
  const sec = Math.floor(cpuMs / 1000);
  dv.setBigInt64(0, BigInt(sec), true);
  dv.setInt32(8, Math.floor((cpuMs - sec * 1000) * 1000), true);
  return b;
}

/**
 * sys_vfork / sys___vfork14: fork1 with FORK_PPWAIT — the parent sleeps (signals do not wake
 * it) until the child execs or exits, then returns the child's pid. The old vfork (66) copies
 * the address space; __vfork14 (282, libc's vfork) shares it.
 */
function vfork(k: SysCtx, share: boolean): number {
  const p = k.proc;
  const st = p.restartState as { child: Proc } | undefined;
  const child = st?.child ?? fork1(k.machine, p, share);
  if (!st) child.vforkParent = p;
  if (child.vforkParent === p) {
    p.restartState = { child };
    throw new Sleep(p.vforkq, undefined, 'nointr');
  }
  k.rdx = 0;
  return child.pid;
}

export const lifecycleSyscalls: SyscallDescriptor[] = [
  {
    number: 2, name: 'fork', class: 'process', support: full, args: [],
    handler(k) {
      const child = fork1(k.machine, k.proc);
      k.rdx = 0;
      return child.pid;
    },
  },
  {
    number: 66, name: 'vfork', class: 'process', support: full, args: [],
    handler: (k) => vfork(k, false),
  },
  {
    number: 282, name: '__vfork14', class: 'process',
    support: partial("the child shares the parent's memory, but mappings it adds, removes or reprotects are its own"),
    args: [],
    handler: (k) => vfork(k, true),
  },
  {
    number: 449, name: '__wait450', class: 'process', support: partial('rusage reports user time only'),
    args: [{ name: 'pid', type: 'int' }, { name: 'status', type: 'ptr' }, { name: 'options', type: 'int' }, { name: 'rusage', type: 'ptr' }],
    handler(k, pid, status, options, rusage) {
      const r = wait1(k.machine, k.proc, pid, options);
      if (r.pid === 0) return 0;
      if (status !== 0) k.proc.vm.writeI32(status, r.status);
      if (rusage !== 0) k.proc.vm.write(rusage, encodeRusage(r.child?.cpuMs ?? 0));
      return r.pid;
    },
  },
  {
    number: 481, name: 'wait6', class: 'process', support: partial('wrusage reports the child\'s user time only'),
    args: [
      { name: 'idtype', type: 'int' }, { name: 'id', type: 'int' }, { name: 'status', type: 'ptr' },
      { name: 'options', type: 'int' }, { name: 'wru', type: 'ptr' }, { name: 'info', type: 'ptr' },
    ],
    handler(k, idtype, id, status, options, wru, info) {
      // sys_wait6: do_sys_waitid, then status, wrusage and siginfo are copied out (each only if
      // asked for and nothing failed before); the result is the pid (0 with WNOHANG, none ready).
      const r = waitid1(k.machine, k.proc, idtype, id, options);
      if (status !== 0) k.proc.vm.writeI32(status, r.status);
      if (wru !== 0) {
        const b = new Uint8Array(2 * 144); // struct wrusage: wru_self, wru_children
        if (r.child) b.set(encodeRusage(r.child.cpuMs), 0);
        k.proc.vm.write(wru, b);
      }
      if (info !== 0) {
        const c = r.child;
        k.proc.vm.write(info, encodeSiginfo(r.info && c
          ? { signo: SIGCHLD, code: r.info.code, pid: c.pid, uid: c.cred.uid, status: r.info.status }
          : { signo: 0, code: 0, pid: 0, uid: 0 }));
      }
      return r.pid;
    },
  },
  {
    number: 59, name: 'execve', class: 'process', support: partial('static NetBSD ELF programs; #! scripts and dynamic binaries fail with ENOEXEC'),
    args: [{ name: 'path', type: 'ptr' }, { name: 'argp', type: 'ptr' }, { name: 'envp', type: 'ptr' }],
    handler(k, path, argp, envp) {
      execve1(k.machine, k.proc, path, argp, envp);
      throw new Errno(EJUSTRETURN); // the registers are the new image's
    },
  },
  {
    number: 465, name: 'fexecve', class: 'process', support: partial('static NetBSD ELF programs, as execve'),
    args: [{ name: 'fd', type: 'fd' }, { name: 'argp', type: 'ptr' }, { name: 'envp', type: 'ptr' }],
    handler(k, fd, argp, envp) {
      // sys_fexecve → execve1 with no path and the descriptor (kern_exec.c 1.518).
      execRun(k.machine, k.proc, execLoadFd(k.proc, fd, argp, envp));
      throw new Errno(EJUSTRETURN);
    },
  },
  { number: 81, name: 'getpgrp', class: 'process', support: full, args: [], handler: (k) => k.proc.pgid },
  {
    number: 207, name: 'getpgid', class: 'process', support: full, args: [{ name: 'pid', type: 'int' }],
    handler: (k, pid) => findProc(k, pid).pgid,
  },
  {
    number: 286, name: 'getsid', class: 'process', support: full, args: [{ name: 'pid', type: 'int' }],
    handler: (k, pid) => findProc(k, pid).sid,
  },
  {
    number: 49, name: '__getlogin', class: 'process', support: full,
    args: [{ name: 'namebuf', type: 'ptr' }, { name: 'namelen', type: 'size' }],
    handler(k, namebuf, namelen) {
      // sys___getlogin: min(namelen, MAXLOGNAME) bytes of s_login (NUL-padded) are copied out.
      const login = Buffer.alloc(MAXLOGNAME);
      login.write(sessionLogin(k).slice(0, MAXLOGNAME), 'latin1');
      k.proc.vm.write(namebuf, login.subarray(0, Math.min(namelen, MAXLOGNAME)));
      return 0;
    },
  },
  {
    number: 50, name: '__setlogin', class: 'process', support: full,
    args: [{ name: 'namebuf', type: 'ptr' }],
    handler(k, namebuf) {
      // sys___setlogin: KAUTH_PROCESS_SETID (the superuser: EPERM), then copyinstr of at most
      // MAXLOGNAME bytes with the NUL (a longer name is EINVAL, not ENAMETOOLONG), then s_login.
      if (k.proc.cred.euid !== 0) throw new Errno(EPERM);
      let name: string;
      try {
        name = k.proc.vm.readString(namebuf, MAXLOGNAME + 1, ENAMETOOLONG);
      } catch (e) {
        throw e instanceof Errno && e.errno === ENAMETOOLONG ? new Errno(EINVAL) : e;
      }
      k.machine.logins.set(k.proc.sid, name);
      return 0;
    },
  },
  {
    number: 147, name: 'setsid', class: 'process', support: full, args: [],
    handler(k) {
      // sys_setsid → proc_enterpgrp: not for a group leader, nor if a group of that id exists.
      const p = k.proc;
      if (p.pgid === p.pid || [...k.machine.procs.values()].some((q) => !q.exited && q.pgid === p.pid)) throw new Errno(EPERM);
      const login = sessionLogin(k);
      p.sid = p.pid;
      p.pgid = p.pid;
      k.machine.logins.set(p.sid, login); // proc_enterpgrp copies s_login into the new session
      return p.sid;
    },
  },
  {
    number: 82, name: 'setpgid', class: 'process', support: full,
    args: [{ name: 'pid', type: 'int' }, { name: 'pgid', type: 'int' }],
    handler: (k, pid, pgid) => setpgid1(k, pid, pgid),
  },
  {
    number: 350, name: 'sched_yield', class: 'process', support: full, args: [],
    handler(k) {
      k.machine.yieldProc(k.proc);
      return 0;
    },
  },
];
