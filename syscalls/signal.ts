// Signal calls: __sigaction_sigtramp, __sigprocmask14, __sigpending14, __sigsuspend14,
// ____sigtimedwait50, __sigaltstack14, kill, getcontext, setcontext (sys/kern/sys_sig.c, kern_sig.c).

import {
  EAGAIN, ECANCELED, EINTR, EINVAL, EJUSTRETURN, EPERM, ESRCH, NSIG, SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK, SI_USER, SI_QUEUE,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { Sleep, WaitQueue } from '../src/kernel/sleepq.js';
import {
  CANTMASK, SIGACTION_SIZE, SIGSET_SIZE, STACK_T_SIZE,
  UCONTEXT_SIZE, encodeSigaction, encodeSigset, encodeSiginfo, getucontext, readSigset, setucontext, sigaction1,
  sigaltstack1, sigbit, type SigAction, type SigAltStack, type SigInfo,
} from '../src/kernel/sig.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';

function readSigaction(bytes: Uint8Array): SigAction {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, SIGACTION_SIZE);
  return {
    handler: Number(dv.getBigUint64(0, true)),
    mask: readSigset(bytes.subarray(8, 24)),
    flags: dv.getInt32(24, true),
    tramp: 0,
    vers: 0,
  };
}

interface SigwaitState {
  set: bigint;
  /** performance.now() ms when the wait ends; undefined: no timeout. */
  deadline: number | undefined;
  /** interruptSyscall's errno when a caught signal outside the set ends the wait. */
  interruptErrno: number;
  abandon: () => void;
  /** ERESTART (an SA_RESTART handler): the time left goes to *timeout; the call starts anew. */
  restart: () => void;
}

/**
 * sigtimedwait1 (sys/kern/kern_sig.c): the timeout is copied in and checked first (EFAULT,
 * EINVAL; all zero means do not block), then the set (EFAULT; SIGKILL and SIGSTOP are dropped
 * from it). A pending signal of the set, the process's first, then the LWP's, is taken at once;
 * otherwise the LWP waits in p_sigwaiters, where psignal hands it the next signal of the set,
 * blocked or not (sigunwait). The timeout ends it with EAGAIN; a caught signal outside the set
 * ends it with ECANCELED (cv_timedwait_sig's EINTR, which the kernel takes for _lwp_wakeup), or
 * with SA_RESTART restarts it; either way the time left is written to *timeout first. The
 * signal's siginfo goes to *info; the result is its number.
 */
function sigtimedwait(k: SysCtx, setp: number, infop: number, tsp: number): number {
  const p = k.proc;
  const l = p.curlwp;
  let st = p.restartState as SigwaitState | undefined;
  let got: SigInfo | undefined;
  if (st === undefined) {
    let deadline: number | undefined;
    let ts: [bigint, number] | undefined;
    if (tsp !== 0) {
      const b = p.vm.read(tsp, 16);
      const dv = new DataView(b.buffer, b.byteOffset, 16);
      ts = [dv.getBigInt64(0, true), Number(dv.getBigInt64(8, true))];
      if (ts[0] < 0n || ts[1] < 0 || ts[1] >= 1e9) throw new Errno(EINVAL); // itimespecfix
    }
    const set = readSigset(p.vm.read(setp, SIGSET_SIZE)) & ~CANTMASK;
    for (const pend of [p.sig.pending, l.sig.pending]) {
      // sigget: the lowest pending signal of the set
      const sig = [...pend.keys()].filter((s) => (set & sigbit(s)) !== 0n).sort((a, b) => a - b)[0];
      if (sig !== undefined) {
        got = pend.get(sig)!;
        pend.delete(sig);
        break;
      }
    }
    if (!got) {
      if (ts && ts[0] === 0n && ts[1] === 0) throw new Errno(EAGAIN); // do not block
      const start = performance.now();
      if (ts) deadline = start + Number(ts[0]) * 1000 + ts[1] / 1e6;
      const writeBack = (): void => {
        l.sigwaitSet = undefined;
        if (!ts || deadline === undefined) return;
        const left = Math.max(0, deadline - performance.now());
        try {
          p.vm.write(tsp, timespecBytes(left));
        } catch {
          // storets failed: NetBSD would return EFAULT
        }
      };
      const state: SigwaitState = {
        set,
        deadline,
        interruptErrno: ECANCELED,
        abandon: writeBack,
        restart: () => {
          writeBack();
          if (p.restartState === state) p.restartState = undefined; // re-read *timeout and the set
        },
      };
      p.restartState = st = state;
    }
  } else if (l.sigwaited) {
    got = l.sigwaited;
  } else if (st.deadline !== undefined && performance.now() >= st.deadline) {
    l.sigwaitSet = undefined;
    throw new Errno(EAGAIN); // cv_timedwait_sig's EWOULDBLOCK
  }
  if (!got) {
    l.sigwaited = undefined;
    l.sigwaitSet = st!.set;
    throw new Sleep([], st!.deadline);
  }
  l.sigwaited = undefined;
  l.sigwaitSet = undefined;
  if (infop !== 0) p.vm.write(infop, encodeSiginfo(got));
  return got.signo;
}

/** A struct timespec of `ms` milliseconds. */
function timespecBytes(ms: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  const ns = Math.round(ms * 1e6);
  dv.setBigInt64(0, BigInt(Math.floor(ns / 1e9)), true);
  dv.setBigInt64(8, BigInt(ns % 1e9), true);
  return b;
}

function encodeStack(st: SigAltStack): Uint8Array {
  const b = new Uint8Array(STACK_T_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(st.sp), true);
  dv.setBigUint64(8, BigInt(st.size), true);
  dv.setInt32(16, st.flags, true);
  return b;
}

/** The wait channel of sigsuspend: only a signal ends it. */
const SIGSUSPEND = new WaitQueue('pause');

/** sizeof(struct _ksiginfo) (sys/sys/siginfo.h): 16 bytes, then the _reason union (80). */
const KSIGINFO_SIZE = 96;

/**
 * kill1 (sys/kern/sys_sig.c): a signal number outside 0..NSIG-1 is EINVAL; towards another
 * process the siginfo must be the caller's own (its pid and effective uid, SI_USER or SI_QUEUE:
 * EPERM otherwise). pid > 0 is one process (a zombie: success, as IEEE Std 1003.1 asks; none:
 * ESRCH), 0 the caller's group, -1 every process the caller may signal but init and itself, < -1
 * the group -pid (killpg1). The caller may signal a process when it is root or a real or
 * effective uid matches (EPERM when none may be). Signal 0 only checks.
 */
function kill1(k: SysCtx, pid: number, si: SigInfo): number {
  const p = k.proc;
  if (si.signo < 0 || si.signo >= NSIG) throw new Errno(EINVAL);
  if (pid !== p.pid) {
    if (si.pid !== p.pid || si.uid !== p.cred.euid) throw new Errno(EPERM);
    if (si.code !== SI_USER && si.code !== SI_QUEUE) throw new Errno(EPERM);
  }
  const all = [...k.machine.procs.values()].filter((q) => !q.exited);
  if (pid > 0 && all.every((q) => q.pid !== pid)) {
    if (k.machine.procs.has(pid)) return 0; // a zombie
    throw new Errno(ESRCH);
  }
  const targets = pid > 0 ? all.filter((q) => q.pid === pid)
    : pid === 0 ? all.filter((q) => q.pgid === p.pgid)
    : pid === -1 ? all.filter((q) => q !== p)
    : all.filter((q) => q.pgid === -pid);
  if (targets.length === 0) throw new Errno(ESRCH);
  const allowed = targets.filter((q) => p.cred.euid === 0 || p.cred.uid === q.cred.uid || p.cred.euid === q.cred.uid);
  if (allowed.length === 0) throw new Errno(EPERM);
  if (si.signo === 0) return 0;
  for (const q of allowed) q.psignal(si.signo, { ...si });
  return 0;
}

export const signalSyscalls: SyscallDescriptor[] = [
  {
    number: 340, name: '__sigaction_sigtramp', class: 'signal', support: full,
    args: [{ name: 'signum', type: 'int' }, { name: 'nsa', type: 'ptr' }, { name: 'osa', type: 'ptr' }, { name: 'tramp', type: 'ptr' }, { name: 'vers', type: 'int' }],
    handler(k, signum, nsa, osa, tramp, vers) {
      const vm = k.proc.vm;
      const n = nsa !== 0 ? readSigaction(vm.read(nsa, SIGACTION_SIZE)) : undefined; // copyin first
      const old = sigaction1(k.proc.sig, signum, n, tramp, vers);
      if (osa !== 0) vm.write(osa, encodeSigaction(old));
      return 0;
    },
  },
  {
    number: 293, name: '__sigprocmask14', class: 'signal', support: full,
    args: [{ name: 'how', type: 'int' }, { name: 'set', type: 'ptr' }, { name: 'oset', type: 'ptr' }],
    handler(k, how, set, oset) {
      const s = k.proc.sig;
      const vm = k.proc.vm;
      const nss = set !== 0 ? readSigset(vm.read(set, SIGSET_SIZE)) : undefined;
      const old = s.mask;
      if (nss !== undefined) {
        // sigprocmask1: SIGKILL and SIGSTOP are silently left out of any mask.
        if (how === SIG_BLOCK) s.mask |= nss & ~CANTMASK;
        else if (how === SIG_UNBLOCK) s.mask &= ~nss;
        else if (how === SIG_SETMASK) s.mask = nss & ~CANTMASK;
        else throw new Errno(EINVAL);
      }
      if (oset !== 0) vm.write(oset, encodeSigset(old));
      return 0;
    },
  },
  {
    number: 292, name: '__sigpending14', class: 'signal', support: full,
    args: [{ name: 'set', type: 'ptr' }],
    handler(k, set) {
      let bits = 0n;
      // sigpending1: the process's pending signals and the calling LWP's own.
      for (const sig of [...k.proc.sig.pending.keys(), ...k.proc.sig.lwp.pending.keys()]) bits |= 1n << BigInt(sig - 1);
      k.proc.vm.write(set, encodeSigset(bits));
      return 0;
    },
  },
  {
    number: 294, name: '__sigsuspend14', class: 'signal', support: full,
    args: [{ name: 'set', type: 'ptr' }],
    handler(k, set) {
      const s = k.proc.sig;
      const mask = readSigset(k.proc.vm.read(set, SIGSET_SIZE)) & ~CANTMASK;
      // sigsuspend1: the old mask is kept in l_sigoldmask and the new one stays installed while
      // the process sleeps, so exactly the signals it unblocks wake it; the frame of the signal
      // that does restores the old mask, and the call always ends with EINTR.
      s.oldmask ??= s.mask;
      s.mask = mask;
      if (s.deliverable() === 0) throw new Sleep(SIGSUSPEND, undefined, 'eintr');
      throw new Errno(EINTR);
    },
  },
  {
    number: 431, name: '____sigtimedwait50', class: 'signal',
    support: partial('the whole siginfo_t is written (NetBSD leaves its padding)'),
    args: [{ name: 'set', type: 'ptr' }, { name: 'info', type: 'ptr' }, { name: 'timeout', type: 'ptr' }],
    handler: (k, set, info, timeout) => sigtimedwait(k, set, info, timeout),
  },
  {
    number: 281, name: '__sigaltstack14', class: 'signal', support: full,
    args: [{ name: 'nss', type: 'ptr' }, { name: 'oss', type: 'ptr' }],
    handler(k, nssp, ossp) {
      const vm = k.proc.vm;
      let nss: SigAltStack | undefined;
      if (nssp !== 0) {
        const b = vm.read(nssp, STACK_T_SIZE);
        const dv = new DataView(b.buffer, b.byteOffset, STACK_T_SIZE);
        nss = { sp: Number(dv.getBigUint64(0, true)), size: Number(dv.getBigUint64(8, true)), flags: dv.getInt32(16, true) };
      }
      const old = sigaltstack1(k.proc.sig, nss);
      if (ossp !== 0) vm.write(ossp, encodeStack(old));
      return 0;
    },
  },
  {
    number: 37, name: 'kill', class: 'signal', support: full,
    args: [{ name: 'pid', type: 'int' }, { name: 'signum', type: 'int' }],
    // sys_kill: a siginfo of SI_USER from the caller's pid and effective uid (kauth_cred_geteuid,
    // as killpg and _lwp_kill fill it), then kill1.
    handler: (k, pid, signum) => kill1(k, pid, { signo: signum, code: SI_USER, pid: k.proc.pid, uid: k.proc.cred.euid }),
  },
  {
    number: 245, name: 'sigqueueinfo', class: 'signal', support: full,
    args: [{ name: 'pid', type: 'int' }, { name: 'info', type: 'ptr' }],
    handler(k, pid, info) {
      // sys_sigqueueinfo: the caller's siginfo (_ksiginfo: signo, code, errno, then _rt's pid,
      // uid and value; 96 bytes, the union's largest member being _syscall's 80) copied in, then
      // kill1 — which lets a process claim any of it only towards itself.
      const b = k.proc.vm.read(info, KSIGINFO_SIZE);
      const d = new DataView(b.buffer, b.byteOffset, KSIGINFO_SIZE);
      return kill1(k, pid, {
        signo: d.getInt32(0, true), code: d.getInt32(4, true), errno: d.getInt32(8, true),
        pid: d.getInt32(16, true), uid: d.getUint32(20, true), sigval: d.getBigUint64(24, true),
      });
    },
  },
  {
    number: 307, name: 'getcontext', class: 'signal', support: full,
    args: [{ name: 'ucp', type: 'ptr' }],
    handler(k, ucp) {
      k.proc.vm.write(ucp, getucontext(k.proc));
      return 0;
    },
  },
  {
    number: 308, name: 'setcontext', class: 'signal', support: full,
    args: [{ name: 'ucp', type: 'ptr' }],
    handler(k, ucp) {
      setucontext(k.proc, k.proc.vm.read(ucp, UCONTEXT_SIZE));
      throw new Errno(EJUSTRETURN); // the registers are the context's now
    },
  },
];
