// LWPs and the thread pointer: _lwp_create, _lwp_exit, _lwp_self, _lwp_wait, _lwp_suspend,
// _lwp_continue, _lwp_wakeup, _lwp_kill, _lwp_detach, ___lwp_park60, _lwp_unpark,
// _lwp_unpark_all, _lwp_setname, _lwp_getname, _lwp_ctl, _lwp_setprivate, _lwp_getprivate and
// the x86 sysarch calls (sys/kern/sys_lwp.c, kern_lwp.c, sys/arch/x86/x86/sys_machdep.c).

import { UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE } from '../src/unicorn/index.js';
import {
  EALREADY, EBUSY, EDEADLK, EINVAL, EJUSTRETURN, ENAMETOOLONG, ESRCH, ETIMEDOUT, LWP_DETACHED, LWPCTL_FEATURE_CURCPU, LWPCTL_FEATURE_PCTR,
  LWP_SUSPENDED, LWP_UNPARK_MAX, MAXCOMLEN, NSIG, PAGE_SIZE, SI_LWP, TIMER_ABSTIME, VM_MAXUSER_ADDRESS,
  X86_GET_FSBASE, X86_GET_GSBASE, X86_SET_FSBASE, X86_SET_GSBASE, CLOCK_REALTIME, ENODEV, SS_DISABLE, _UC_SIGMASK,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import type { Lwp } from '../src/kernel/lwp.js';
import type { Proc } from '../src/kernel/proc.js';
import { CANTMASK, UCONTEXT_SIZE, loadMcontext, readSigset, validateMcontext } from '../src/kernel/sig.js';
import { Sleep, WaitQueue } from '../src/kernel/sleepq.js';
import { monotonicNs, realtimeNs } from '../src/kernel/itimer.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';

/** lwp_find: an LWP of the calling process by id (0: the caller), or ESRCH. */
function findLwp(p: Proc, lid: number): Lwp {
  const l = lid === 0 ? p.curlwp : p.lwps.get(lid);
  if (!l || l.state === 'zombie') throw new Errno(ESRCH);
  return l;
}

/**
 * lwp_unpark: an LWP asleep in _lwp_park (l_syncobj == &lwp_park_syncobj) wakes and returns 0;
 * one that is not parked gets LW_UNPARKED, so its next park returns EALREADY at once.
 * nbemu may wake a parked LWP for a signal that another LWP then takes; until it runs its
 * park again it is runnable, yet to the guest it is still in the same park, so an unpark then
 * must end that park too (else the unpark is lost and the LWP parks again: a hang).
 */
function unpark(p: Proc, lid: number): void {
  const t = p.lwps.get(lid);
  if (!t || t.state === 'zombie') throw new Errno(ESRCH);
  if (t.parked && t.restartPending) {
    t.parkWoken = true;
    t.wake();
  } else t.unparked = true;
}

/** The guest's clock in ms (the same clocks clock_gettime reads), for _lwp_park's absolute deadlines. */
function clockMs(k: SysCtx, clock: number): number {
  return Number(clock === CLOCK_REALTIME ? realtimeNs(k.machine) : monotonicNs()) / 1e6;
}

const PARKQ = new WeakMap<Lwp, WaitQueue>();
/** sys____lwp_park60's work; the handler copies the remaining time out. */
function park(k: SysCtx, clock: number, flags: number, ts: number, unparkLid: number): number {
  // sys____lwp_park60: copy in the timeout, unpark `unpark` first, then park the caller:
  // an unpark that already came returns EALREADY; a wake-up by _lwp_unpark 0; the timeout
  // ETIMEDOUT; a signal EINTR (never restarted).
  const p = k.proc;
  const l = p.curlwp;
  let st = p.restartState as { deadline: number | undefined } | undefined;
  if (!st) {
    let deadline: number | undefined;
    if (ts !== 0) {
      const b = p.vm.read(ts, 16);
      const dv = new DataView(b.buffer, b.byteOffset, 16);
      const sec = Number(dv.getBigInt64(0, true));
      const nsec = Number(dv.getBigInt64(8, true));
      if (nsec < 0 || nsec >= 1e9) throw new Errno(EINVAL);
      const ms = sec * 1000 + nsec / 1e6;
      deadline = flags & TIMER_ABSTIME ? performance.now() + (ms - clockMs(k, clock)) : performance.now() + ms;
    }
    if (unparkLid !== 0) unpark(p, unparkLid);
    if (l.unparked) {
      l.unparked = false;
      throw new Errno(EALREADY);
    }
    st = { deadline };
    p.restartState = st;
    l.parkWoken = false;
  } else {
    if (l.parkWoken) {
      l.parkWoken = false;
      l.parked = false;
      return 0;
    }
    if (p.timedOut || (st.deadline !== undefined && performance.now() >= st.deadline)) {
      l.parked = false;
      throw new Errno(ETIMEDOUT);
    }
  }
  if (st.deadline !== undefined && st.deadline <= performance.now()) throw new Errno(ETIMEDOUT);
  l.parked = true;
  let q = PARKQ.get(l);
  if (!q) PARKQ.set(l, (q = new WaitQueue('parked')));
  throw new Sleep(q, st.deadline, 'eintr');
}


/**
 * lwp_exit for the calling LWP: the last one ends the process (exit status 0); an undetached
 * one waits as a zombie for _lwp_wait, a detached one is gone at once.
 */
function lwpExit(k: SysCtx): never {
  const p = k.proc;
  const l = p.curlwp;
  const live = [...p.lwps.values()].filter((x) => x.state !== 'zombie');
  if (live.length <= 1) {
    k.machine.exitProc(p, { kind: 'exited', code: 0 });
    throw new Errno(EJUSTRETURN);
  }
  l.state = 'zombie';
  k.machine.removeTimer(l);
  if (l.detached) p.lwps.delete(l.lid);
  else p.deadLwps.push(l.lid);
  p.lwpq.wakeup();
  throw new Errno(EJUSTRETURN);
}

export const lwpSyscalls: SyscallDescriptor[] = [
  {
    number: 309, name: '_lwp_create', class: 'lwp', support: full,
    args: [{ name: 'ucp', type: 'ptr' }, { name: 'flags', type: 'size' }, { name: 'new_lwp', type: 'ptr' }],
    handler(k, ucp, flags, newLwp) {
      // sys__lwp_create: copy in the ucontext, check it, create the LWP with the context's
      // registers and TLS and the creator's mask and alternate stack, copy out its id, start it.
      const p = k.proc;
      const uc = p.vm.read(ucp, UCONTEXT_SIZE).slice();
      validateMcontext(uc);
      const creator = p.uc.context_save();
      const l = p.newLwp(k.machine.allocId());
      try {
        // Without _UC_TLSBASE the new LWP keeps the creator's FS base (cpu_lwp_fork copies
        // pcb_fs) while its l_private stays NULL.
        const tls = loadMcontext(p, uc);
        l.private = tls ?? 0;
        l.ctx = p.uc.context_save();
      } finally {
        p.uc.context_restore(creator);
        creator.free();
      }
      // do_lwp_create: the mask from uc_sigmask with _UC_SIGMASK, else the creator's; the
      // alternate stack starts disabled (SS_INIT).
      const ucFlags = new DataView(uc.buffer, uc.byteOffset, 4).getUint32(0, true);
      l.sig.mask = ucFlags & _UC_SIGMASK ? readSigset(uc.subarray(16, 32)) & ~CANTMASK : p.sig.mask;
      l.sig.altstack = { sp: 0, size: 0, flags: SS_DISABLE };
      l.detached = (flags & LWP_DETACHED) !== 0;
      l.suspended = (flags & LWP_SUSPENDED) !== 0;
      try {
        if (newLwp !== 0) p.vm.writeI32(newLwp, l.lid);
      } catch (e) {
        p.lwps.delete(l.lid);
        throw e;
      }
      if (!l.suspended) k.machine.setRunnable(l);
      return 0;
    },
  },
  { number: 310, name: '_lwp_exit', class: 'lwp', support: full, args: [], handler: (k) => lwpExit(k) },
  { number: 311, name: '_lwp_self', class: 'lwp', support: full, args: [], handler: (k) => k.proc.curlwp.lid },
  {
    number: 312, name: '_lwp_wait', class: 'lwp', support: full,
    args: [{ name: 'wait_for', type: 'int' }, { name: 'departed', type: 'ptr' }],
    handler(k, waitFor, departed) {
      // lwp_wait: a given LWP (EDEADLK for the caller itself, ESRCH if none, EINVAL if detached)
      // or any undetached one; sleeps until it exits and reports its id.
      const p = k.proc;
      const l = p.curlwp;
      if (waitFor === l.lid) throw new Errno(EDEADLK);
      if (waitFor !== 0) {
        const t = p.lwps.get(waitFor);
        if (!t) throw new Errno(ESRCH);
        if (t.detached) throw new Errno(EINVAL);
      }
      const i = p.deadLwps.findIndex((lid) => waitFor === 0 || lid === waitFor);
      if (i >= 0) {
        const lid = p.deadLwps.splice(i, 1)[0]!;
        p.lwps.delete(lid);
        if (departed !== 0) p.vm.writeI32(departed, lid);
        return 0;
      }
      const others = [...p.lwps.values()].filter((x) => x !== l && !x.detached && x.state !== 'zombie');
      if (others.length === 0) throw new Errno(ESRCH); // lwp_wait: no candidate at all
      throw new Sleep(p.lwpq, undefined, 'eintr');
    },
  },
  {
    number: 313, name: '_lwp_suspend', class: 'lwp', support: full, args: [{ name: 'target', type: 'int' }],
    handler(k, target) {
      const p = k.proc;
      const t = findLwp(p, target);
      const others = [...p.lwps.values()].filter((x) => x !== t && x.state !== 'zombie' && !x.suspended);
      if (t === p.curlwp && others.length === 0) throw new Errno(EDEADLK); // nobody left to continue it
      t.suspended = true;
      if (t === p.curlwp) t.state = 'runnable'; // it stops when this call returns
      return 0;
    },
  },
  {
    number: 314, name: '_lwp_continue', class: 'lwp', support: full, args: [{ name: 'target', type: 'int' }],
    handler(k, target) {
      const t = findLwp(k.proc, target);
      if (t.suspended) {
        t.suspended = false;
        if (t.state === 'runnable') k.machine.setRunnable(t);
      }
      return 0;
    },
  },
  {
    number: 315, name: '_lwp_wakeup', class: 'lwp', support: full, args: [{ name: 'target', type: 'int' }],
    handler(k, target) {
      // lwp_wakeup: the LWP gets LW_CANCELLED|LW_UNPARKED (its next park returns at once); one
      // not asleep is ENODEV, one in an uninterruptible sleep EBUSY; an interrupted call gets EINTR.
      // An LWP nbemu woke to re-run its call (restartPending) is, to the guest, still asleep in
      // it: it is cancelled too (see unpark above).
      const t = findLwp(k.proc, target);
      t.unparked = true;
      if (t.state !== 'sleeping' && !(t.restartPending && t.state === 'runnable')) throw new Errno(ENODEV);
      if (t.restartMode === 'nointr') throw new Errno(EBUSY);
      t.cancelled = true;
      t.wake();
      return 0;
    },
  },
  {
    number: 318, name: '_lwp_kill', class: 'lwp', support: full,
    args: [{ name: 'target', type: 'int' }, { name: 'signo', type: 'int' }],
    handler(k, target, signo) {
      const p = k.proc;
      if (signo < 0 || signo >= NSIG) throw new Errno(EINVAL);
      const t = findLwp(p, target);
      if (signo !== 0) p.lwpSignal(t, signo, { code: SI_LWP, pid: p.pid, uid: p.cred.uid });
      return 0;
    },
  },
  {
    number: 319, name: '_lwp_detach', class: 'lwp', support: full, args: [{ name: 'target', type: 'int' }],
    handler(k, target) {
      const p = k.proc;
      const t = target === 0 ? p.curlwp : p.lwps.get(target);
      if (!t) throw new Errno(ESRCH);
      if (t.detached) throw new Errno(EINVAL);
      t.detached = true;
      const i = p.deadLwps.indexOf(t.lid);
      if (i >= 0) {
        p.deadLwps.splice(i, 1);
        p.lwps.delete(t.lid);
      }
      return 0;
    },
  },
  {
    number: 478, name: '___lwp_park60', class: 'lwp', support: full,
    args: [{ name: 'clock_id', type: 'int' }, { name: 'flags', type: 'int' }, { name: 'ts', type: 'ptr' }, { name: 'unpark', type: 'int' }, { name: 'hint', type: 'ptr' }, { name: 'unparkhint', type: 'ptr' }],
    handler(k, clock, flags, ts, unparkLid) {
      let sleeping = false;
      try {
        return park(k, clock, flags, ts, unparkLid);
      } catch (e) {
        sleeping = e instanceof Sleep;
        throw e;
      } finally {
        // When the call ends, the remaining time goes back into a relative timeout (zero once it passed).
        const st = k.proc.restartState as { deadline: number | undefined } | undefined;
        if (!sleeping && ts !== 0 && !(flags & TIMER_ABSTIME) && st?.deadline !== undefined) {
          const left = Math.max(0, st.deadline - performance.now());
          const b = new Uint8Array(16);
          const dv = new DataView(b.buffer);
          dv.setBigInt64(0, BigInt(Math.floor(left / 1000)), true);
          dv.setBigInt64(8, BigInt(Math.round((left % 1000) * 1e6)), true);
          try {
            k.proc.vm.write(ts, b);
          } catch {
            // (void)copyout
          }
        }
      }
    },
  },

  {
    number: 321, name: '_lwp_unpark', class: 'lwp', support: full,
    args: [{ name: 'target', type: 'int' }, { name: 'hint', type: 'ptr' }],
    handler(k, target) {
      unpark(k.proc, target);
      return 0;
    },
  },
  {
    number: 322, name: '_lwp_unpark_all', class: 'lwp', support: full,
    args: [{ name: 'targets', type: 'ptr' }, { name: 'ntargets', type: 'size' }, { name: 'hint', type: 'ptr' }],
    handler(k, targets, ntargets) {
      // NULL targets asks for the most one call takes; more than that is EINVAL; unknown ids are skipped.
      // NULL asks for the most one call takes; 0 targets or more than that is EINVAL; every
      // target is unparked, and ESRCH reports any that was not found.
      if (targets === 0) return LWP_UNPARK_MAX;
      if (ntargets === 0 || ntargets > LWP_UNPARK_MAX) throw new Errno(EINVAL);
      const b = k.proc.vm.read(targets, ntargets * 4);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      let missing = false;
      for (let i = 0; i < ntargets; i++) {
        try {
          unpark(k.proc, dv.getInt32(i * 4, true));
        } catch {
          missing = true;
        }
      }
      if (missing) throw new Errno(ESRCH);
      return 0;
    },
  },
  {
    number: 323, name: '_lwp_setname', class: 'lwp', support: full,
    args: [{ name: 'target', type: 'int' }, { name: 'name', type: 'ptr' }],
    handler(k, target, name) {
      const t = findLwp(k.proc, target);
      let s: string;
      try {
        s = k.proc.vm.readString(name, MAXCOMLEN, ENAMETOOLONG);
      } catch (e) {
        if (!(e instanceof Errno) || e.errno !== ENAMETOOLONG) throw e;
        s = Buffer.from(k.proc.vm.read(name, MAXCOMLEN - 1)).toString('utf8'); // cut to MAXCOMLEN - 1
      }
      t.name = s;
      return 0;
    },
  },
  {
    number: 324, name: '_lwp_getname', class: 'lwp', support: full,
    args: [{ name: 'target', type: 'int' }, { name: 'name', type: 'ptr' }, { name: 'len', type: 'size' }],
    handler(k, target, name, len) {
      // copyoutstr into min(len, MAXCOMLEN) bytes: ENAMETOOLONG when the name and its NUL do not fit.
      const t = findLwp(k.proc, target);
      const bytes = Buffer.from(`${t.name}\0`);
      const room = Math.min(len, MAXCOMLEN);
      k.proc.vm.write(name, bytes.subarray(0, Math.min(room, bytes.length)));
      if (bytes.length > room) throw new Errno(ENAMETOOLONG);
      return 0;
    },
  },
  {
    number: 325, name: '_lwp_ctl', class: 'lwp', support: partial('lc_curcpu is always 0 and lc_pctr never advances'),
    args: [{ name: 'features', type: 'int' }, { name: 'address', type: 'ptr' }],
    handler(k, features, address) {
      // lwp_ctl_alloc: a struct lwpctl {int lc_curcpu; int lc_pctr;} in a page shared with the kernel.
      const p = k.proc;
      const l = p.curlwp;
      if (features & ~(LWPCTL_FEATURE_CURCPU | LWPCTL_FEATURE_PCTR)) throw new Errno(ENODEV);
      if (l.lwpctl === 0) {
        const page = p.vm.findSpace(PAGE_SIZE, 0);
        p.vm.map(page, PAGE_SIZE, 1 | 2, 'lwpctl');
        l.lwpctl = page;
      }
      p.vm.writeU64(address, l.lwpctl);
      return 0;
    },
  },
  {
    number: 317, name: '_lwp_setprivate', class: 'lwp', support: full,
    args: [{ name: 'ptr', type: 'ptr' }],
    handler(k, ptr) {
      // lwp_setprivate → cpu_lwp_setprivate → x86_set_sdbase: FS base = ptr for 64-bit processes.
      if (ptr >= VM_MAXUSER_ADDRESS) throw new Errno(EINVAL);
      k.proc.lwpPrivate = ptr;
      k.proc.uc.reg_write(UC_X86_REG_FS_BASE, ptr);
      return 0;
    },
  },
  { number: 316, name: '_lwp_getprivate', class: 'lwp', support: full, args: [], handler: (k) => k.proc.lwpPrivate },
  {
    number: 165, name: 'sysarch', class: 'lwp',
    support: partial('X86_{GET,SET}_{FS,GS}BASE only; LDT, I/O permission, MTRR and PMC operations answer EINVAL'),
    args: [{ name: 'op', type: 'int' }, { name: 'parms', type: 'ptr' }],
    handler(k, op, parms) {
      const vm = k.proc.vm;
      switch (op) {
        case X86_SET_FSBASE:
        case X86_SET_GSBASE: {
          const base = vm.readU64(parms); // copyin of the void * (EFAULT)
          if (base >= VM_MAXUSER_ADDRESS) throw new Errno(EINVAL);
          k.proc.uc.reg_write(op === X86_SET_FSBASE ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE, base);
          return 0;
        }
        case X86_GET_FSBASE:
        case X86_GET_GSBASE:
          vm.writeU64(parms, k.proc.uc.reg_read(op === X86_GET_FSBASE ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE));
          return 0;
        default:
          throw new Errno(EINVAL);
      }
    },
  },
];
