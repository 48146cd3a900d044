// Signals: actions (sys/kern/sys_sig.c sigaction1), masks, the alternate stack, posting and
// delivery (sys/kern/kern_sig.c issignal/postsig/trapsignal), and NetBSD's amd64 signal frame
// and context switch (sys/arch/amd64/amd64/machdep.c sendsig_siginfo, cpu_getmcontext,
// cpu_setmcontext). Layouts: ../shared/netbsd/process-abi.md §4.

import * as U from '../unicorn/index.js';
import {
  EINVAL, ENOMEM, NSIG, SA_RESTART, SIGCONT, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, VM_MAXUSER_ADDRESS,
  PSL_CLEARSIG, PSL_I, PSL_USER, USER_CS, USER_DS,
  SIG_DFL, SIG_IGN, SA_ONSTACK, SA_NODEFER, SA_ALLBITS, SS_ONSTACK, SS_DISABLE, SS_ALLBITS, MINSIGSTKSZ, _UC_SIGMASK, _UC_STACK, _UC_CPU, _UC_FPU, _UC_SETSTACK, _UC_CLRSTACK, _UC_TLSBASE,
} from './constants.js';
import { Errno } from './errno.js';
import { defaultAction } from './signal.js';
import type { Proc } from './proc.js';
import type { LwpSig } from './lwp.js';

export const SIGSET_SIZE = 16;
export const SIGACTION_SIZE = 32;
export const STACK_T_SIZE = 24;
export const SIGINFO_SIZE = 128;
export const UCONTEXT_SIZE = 784;
const MCONTEXT_OFFSET = 56;
const FPREGS_OFFSET = MCONTEXT_OFFSET + 216; // __fpregs: 512-byte FXSAVE image
const SIGFRAME_SIZE = 8 + SIGINFO_SIZE + UCONTEXT_SIZE; // struct sigframe_siginfo


/** sigset_t as a bigint: signal n is bit n-1 (the 128-bit __bits[4] holds it the same way). */
export type SigSet = bigint;
export const sigbit = (sig: number): bigint => 1n << BigInt(sig - 1);
/** sigcantmask: SIGKILL and SIGSTOP can never be blocked. */
export const CANTMASK = sigbit(SIGKILL) | sigbit(SIGSTOP);

export interface SigAction {
  handler: number;
  mask: SigSet;
  flags: number;
  tramp: number;
  vers: number;
}

export interface SigInfo {
  signo: number;
  code: number;
  errno?: number;
  pid?: number;
  uid?: number;
  addr?: number;
  trap?: number;
  /** SIGCHLD's si_status. */
  status?: number;
  /** si_value of a timer's signal (a union sigval at offset 24 of _rt: sival_int or sival_ptr). */
  sigval?: bigint;
  /** SIGIO's si_band (the POLL* bits) and si_fd (_poll in sys/sys/siginfo.h). */
  band?: number;
  fd?: number;
}

export interface SigAltStack {
  sp: number;
  size: number;
  flags: number;
}

/** All 128 bits of a sigset_t are kept, as NetBSD copies them (sigprocmask1 removes only sigcantmask). */
export function readSigset(bytes: Uint8Array): SigSet {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 16);
  let set = 0n;
  for (let w = 3; w >= 0; w--) set = (set << 32n) | BigInt(dv.getUint32(w * 4, true));
  return set;
}

export function encodeSigset(set: SigSet): Uint8Array {
  const b = new Uint8Array(SIGSET_SIZE);
  const dv = new DataView(b.buffer);
  for (let w = 0; w < 4; w++) dv.setUint32(w * 4, Number((set >> BigInt(32 * w)) & 0xffffffffn), true);
  return b;
}

/** execsigs (kern_sig.c): the action every signal has after exec: SIG_DFL, empty mask, SA_RESTART. */
export const defaultSigaction = (): SigAction => ({ handler: SIG_DFL, mask: 0n, flags: SA_RESTART, tramp: 0, vers: 0 });

export function encodeSigaction(sa: SigAction): Uint8Array {
  const b = new Uint8Array(SIGACTION_SIZE);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(sa.handler), true);
  b.set(encodeSigset(sa.mask), 8);
  dv.setInt32(24, sa.flags, true);
  return b;
}

export function encodeSiginfo(si: SigInfo): Uint8Array {
  const b = new Uint8Array(SIGINFO_SIZE);
  const dv = new DataView(b.buffer);
  dv.setInt32(0, si.signo, true);
  dv.setInt32(4, si.code, true);
  dv.setInt32(8, si.errno ?? 0, true);
  if (si.addr !== undefined) {
    dv.setBigUint64(16, BigInt(si.addr), true);
    dv.setInt32(24, si.trap ?? 0, true);
  } else if (si.pid !== undefined) {
    dv.setInt32(16, si.pid, true);
    dv.setUint32(20, si.uid ?? 0, true);
    // _child: si_status (the exit code, or the signal that ended or stopped the child), times.
    if (si.status !== undefined) dv.setInt32(24, si.status, true);
    if (si.sigval !== undefined) dv.setBigUint64(24, BigInt.asUintN(64, si.sigval), true);
  } else if (si.band !== undefined) {
    dv.setBigInt64(16, BigInt(si.band), true);
    dv.setInt32(24, si.fd ?? -1, true);
  }
  return b;
}

/** Per-process signal state (struct sigacts) and the LWP's mask and alternate stack. */
export class SigState {
  readonly actions: SigAction[] = Array.from({ length: NSIG }, defaultSigaction);
  /** Pending process signals with their siginfo, lowest number delivered first (firstsig). */
  readonly pending = new Map<number, SigInfo>();
  /** The current LWP's own signal state (its mask, alternate stack, LWP-directed signals). */
  lwp: LwpSig = { mask: 0n, altstack: { sp: 0, size: 0, flags: SS_DISABLE }, oldmask: undefined, pending: new Map() };

  get mask(): SigSet {
    return this.lwp.mask;
  }
  set mask(v: SigSet) {
    this.lwp.mask = v;
  }
  get altstack(): SigAltStack {
    return this.lwp.altstack;
  }
  set altstack(v: SigAltStack) {
    this.lwp.altstack = v;
  }
  /** l_sigoldmask: the mask sigsuspend replaced, restored through the frame of the signal that woke it. */
  get oldmask(): SigSet | undefined {
    return this.lwp.oldmask;
  }
  set oldmask(v: SigSet | undefined) {
    this.lwp.oldmask = v;
  }

  /** Would a signal now be ignored outright (SIG_IGN, or SIG_DFL whose default is to ignore)? */
  ignored(sig: number): boolean {
    const h = this.actions[sig]!.handler;
    return h === SIG_IGN || (h === SIG_DFL && defaultAction(sig) === 'ignore' && sig !== SIGCONT);
  }

  /** kpsignal2: an ignored signal is discarded at once; SIGCONT and the stop signals cancel each other. */
  post(si: SigInfo): void {
    const sig = si.signo;
    if (sig === SIGCONT) for (const s of [SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]) this.pending.delete(s);
    if ([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU].includes(sig)) this.pending.delete(SIGCONT);
    if (this.ignored(sig) && sig !== SIGKILL) return;
    if (!this.pending.has(sig)) this.pending.set(sig, si);
  }

  /** The lowest pending signal (the process's or the current LWP's own) not blocked by the mask, or 0. */
  deliverable(): number {
    let best = 0;
    for (const set of [this.pending, this.lwp.pending]) {
      for (const sig of set.keys()) {
        if ((this.mask & sigbit(sig)) === 0n && (best === 0 || sig < best)) best = sig;
      }
    }
    return best;
  }

  /** Take a pending signal off (the LWP's own first) and return its siginfo. */
  take(sig: number): SigInfo | undefined {
    const own = this.lwp.pending.get(sig);
    if (own) {
      this.lwp.pending.delete(sig);
      return own;
    }
    const info = this.pending.get(sig);
    this.pending.delete(sig);
    return info;
  }

  /** Running on the alternate stack: l_sigstk.ss_flags & SS_ONSTACK, set by sendsig, cleared by setcontext. */
  get onAltStack(): boolean {
    return (this.altstack.flags & SS_ONSTACK) !== 0;
  }
}

/**
 * sigaction1 (sys/kern/sys_sig.c): signal range, then the trampoline version for a caught
 * signal, then the old action is reported, then SIGKILL/SIGSTOP can't be changed, unknown flags
 * are EINVAL, and the mask gets the signal itself unless SA_NODEFER.
 */
export function sigaction1(s: SigState, sig: number, nsa: SigAction | undefined, tramp: number, vers: number): SigAction {
  if (sig <= 0 || sig >= NSIG) throw new Errno(EINVAL);
  if (nsa && nsa.handler !== SIG_DFL && nsa.handler !== SIG_IGN) {
    // Versions 0 and 1 need the compat modules (kernel sigcode, sigcontext); 2 and 3 a trampoline.
    if ((vers !== 2 && vers !== 3) || tramp === 0) throw new Errno(EINVAL);
  }
  const old = { ...s.actions[sig]! };
  if (nsa) {
    if (sig === SIGKILL || sig === SIGSTOP) throw new Errno(EINVAL);
    if (nsa.flags & ~SA_ALLBITS) throw new Errno(EINVAL);
    let mask = nsa.mask & ~CANTMASK;
    mask = nsa.flags & SA_NODEFER ? mask & ~sigbit(sig) : mask | sigbit(sig);
    s.actions[sig] = { handler: nsa.handler, mask, flags: nsa.flags, tramp, vers };
    // Setting SIG_IGN, or SIG_DFL for a signal whose default is to ignore, discards it if pending.
    if (s.ignored(sig)) s.pending.delete(sig);
  }
  return old;
}

/** sigaltstack1 (sys_sig.c). */
export function sigaltstack1(s: SigState, nss: SigAltStack | undefined): SigAltStack {
  const onstack = s.onAltStack;
  const old = { ...s.altstack };
  if (nss) {
    if (nss.flags & ~SS_ALLBITS) throw new Errno(EINVAL);
    if (nss.flags & SS_DISABLE) {
      if (onstack) throw new Errno(EINVAL);
    } else if (nss.size < MINSIGSTKSZ) throw new Errno(ENOMEM);
    s.altstack = { ...nss, flags: nss.flags & SS_DISABLE };
  }
  return old;
}

/**
 * sigsuspendsetup (sys/kern/kern_sig.c): a temporary signal mask for the time a call waits
 * (sigsuspend, pollts, pselect, paccept); the caller's mask is kept in l_sigoldmask (once: a
 * call re-executed after a sleep keeps the first one).
 */
export function sigsuspendSetup(p: Proc, mask: SigSet): void {
  p.sig.oldmask ??= p.sig.mask;
  p.sig.mask = mask & ~CANTMASK;
}

/**
 * sigsuspendteardown: the caller's mask comes back — unless a signal the temporary mask lets in
 * is pending; then the temporary mask stays until that signal is delivered on the way out, and
 * its frame restores the caller's mask (uc_sigmask = l_sigoldmask).
 */
export function sigsuspendTeardown(p: Proc): void {
  if (p.sig.oldmask === undefined) return;
  if (p.sig.deliverable() !== 0) return;
  p.sig.mask = p.sig.oldmask;
  p.sig.oldmask = undefined;
}

// ---- Contexts -------------------------------------------------------------------------------

/** __gregs order (sys/arch/amd64/include/frame_regs.h); undefined = a selector or trap field. */
const GREGS: (number | undefined)[] = [
  U.UC_X86_REG_RDI, U.UC_X86_REG_RSI, U.UC_X86_REG_RDX, U.UC_X86_REG_RCX, U.UC_X86_REG_R8, U.UC_X86_REG_R9,
  U.UC_X86_REG_R10, U.UC_X86_REG_R11, U.UC_X86_REG_R12, U.UC_X86_REG_R13, U.UC_X86_REG_R14, U.UC_X86_REG_R15,
  U.UC_X86_REG_RBP, U.UC_X86_REG_RBX, U.UC_X86_REG_RAX,
  undefined, undefined, undefined, undefined, undefined, undefined, // GS FS ES DS TRAPNO ERR
  U.UC_X86_REG_RIP, undefined, U.UC_X86_REG_EFLAGS, U.UC_X86_REG_RSP, undefined, // RIP CS RFLAGS RSP SS
];
const REG_RAX = 14;
const REG_GS = 15;
const REG_FS = 16;
const REG_ES = 17;
const REG_DS = 18;
const REG_TRAPNO = 19;
const REG_RIP = 21;
const REG_CS = 22;
const REG_RFLAGS = 23;
const REG_SS = 25;

/** cpu_getmcontext: the registers, TLS base and FXSAVE image into a 728-byte mcontext at `off`. */
function getmcontext(p: Proc, b: Uint8Array, off: number, trapno = 0): void {
  const dv = new DataView(b.buffer, b.byteOffset);
  GREGS.forEach((reg, i) => {
    if (reg !== undefined) dv.setBigUint64(off + i * 8, p.uc.reg_read(reg), true);
  });
  dv.setBigUint64(off + REG_GS * 8, 0n, true);
  dv.setBigUint64(off + REG_FS * 8, 0n, true);
  dv.setBigUint64(off + REG_ES * 8, BigInt(USER_DS), true);
  dv.setBigUint64(off + REG_DS * 8, BigInt(USER_DS), true);
  dv.setBigUint64(off + REG_TRAPNO * 8, BigInt(trapno), true);
  dv.setBigUint64(off + REG_CS * 8, BigInt(USER_CS), true);
  dv.setBigUint64(off + REG_SS * 8, BigInt(USER_DS), true);
  dv.setBigUint64(off + 208, BigInt(p.lwpPrivate), true); // _mc_tlsbase
  // FXSAVE image: FCW @0, FSW @2, MXCSR @24, MXCSR_MASK @28, XMM0-15 @160.
  const fx = off + 216;
  dv.setUint16(fx, Number(p.uc.reg_read(U.UC_X86_REG_FPCW)), true);
  dv.setUint16(fx + 2, Number(p.uc.reg_read(U.UC_X86_REG_FPSW)), true);
  dv.setUint32(fx + 24, Number(p.uc.reg_read(U.UC_X86_REG_MXCSR)), true);
  dv.setUint32(fx + 28, 0xffff, true);
  for (let i = 0; i < 16; i++) {
    const x = p.uc.reg_read(U.UC_X86_REG_XMM0 + i);
    dv.setBigUint64(fx + 160 + i * 16, x & 0xffffffffffffffffn, true);
    dv.setBigUint64(fx + 160 + i * 16 + 8, (x >> 64n) & 0xffffffffffffffffn, true);
  }
}

/**
 * getucontext (kern_sig.c): flags, the LWP mask, the stack, and the machine context. The result
 * registers are those the call will return with (rax 0, carry clear), so a context resumed by
 * setcontext returns 0 from getcontext, as POSIX says it must.
 */
export function getucontext(p: Proc): Uint8Array {
  const b = new Uint8Array(UCONTEXT_SIZE);
  const dv = new DataView(b.buffer);
  getmcontext(p, b, MCONTEXT_OFFSET);
  dv.setBigUint64(MCONTEXT_OFFSET + REG_RAX * 8, 0n, true);
  const fl = dv.getBigUint64(MCONTEXT_OFFSET + REG_RFLAGS * 8, true);
  dv.setBigUint64(MCONTEXT_OFFSET + REG_RFLAGS * 8, fl & ~1n, true);
  dv.setUint32(0, _UC_SIGMASK | _UC_STACK | _UC_CPU | _UC_TLSBASE | _UC_FPU, true);
  b.set(encodeSigset(p.sig.mask), 16);
  if (p.sig.onAltStack) {
    const a = p.sig.altstack;
    dv.setBigUint64(32, BigInt(a.sp), true);
    dv.setBigUint64(40, BigInt(a.size), true);
    dv.setInt32(48, SS_ONSTACK, true);
  } else {
    dv.setBigUint64(32, BigInt(p.stackBase), true); // ss_sp = p_stackbase, as getucontext reports
    dv.setBigUint64(40, BigInt(p.stackSize), true);
  }
  return b;
}

/**
 * setucontext + cpu_setmcontext: _UC_CPU is required; the mask, registers (user flags only,
 * standard selectors), FPU state and TLS base are loaded as the flags say.
 */
export function setucontext(p: Proc, b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const flags = dv.getUint32(0, true);
  validateMcontext(b);
  if (flags & _UC_SIGMASK) p.sig.mask = readSigset(b.subarray(16, 32)) & ~CANTMASK;
  const tls = loadMcontext(p, b);
  if (tls !== undefined) p.lwpPrivate = tls;
  if (flags & _UC_SETSTACK) p.sig.altstack.flags |= SS_ONSTACK;
  if (flags & _UC_CLRSTACK) p.sig.altstack.flags &= ~SS_ONSTACK;
}

/** cpu_mcontext_validate's checks that matter here: _UC_CPU set and a user RIP (EINVAL). */
export function validateMcontext(b: Uint8Array): void {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (!(dv.getUint32(0, true) & _UC_CPU)) throw new Errno(EINVAL);
  const rip = dv.getBigUint64(MCONTEXT_OFFSET + REG_RIP * 8, true);
  if (rip >= BigInt(VM_MAXUSER_ADDRESS)) throw new Errno(EINVAL);
}

/**
 * cpu_setmcontext: the engine's registers from a ucontext's mcontext (user flags only), its
 * FPU state with _UC_FPU, and FS base with _UC_TLSBASE — whose value is returned, for the caller
 * to record as the LWP's l_private.
 */
export function loadMcontext(p: Proc, b: Uint8Array): number | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const flags = dv.getUint32(0, true);
  const m = MCONTEXT_OFFSET;
  GREGS.forEach((reg, i) => {
    if (reg === undefined || i === REG_RFLAGS) return;
    p.uc.reg_write(reg, dv.getBigUint64(m + i * 8, true));
  });
  const cur = p.uc.reg_read(U.UC_X86_REG_EFLAGS);
  const fl = dv.getBigUint64(m + REG_RFLAGS * 8, true);
  p.uc.reg_write(U.UC_X86_REG_EFLAGS, (cur & ~BigInt(PSL_USER)) | (fl & BigInt(PSL_USER)) | BigInt(PSL_I));
  if (flags & _UC_FPU) {
    const fx = FPREGS_OFFSET;
    p.uc.reg_write(U.UC_X86_REG_FPCW, dv.getUint16(fx, true));
    p.uc.reg_write(U.UC_X86_REG_MXCSR, dv.getUint32(fx + 24, true) & 0xffff);
    for (let i = 0; i < 16; i++) {
      const lo = dv.getBigUint64(fx + 160 + i * 16, true);
      const hi = dv.getBigUint64(fx + 160 + i * 16 + 8, true);
      p.uc.reg_write(U.UC_X86_REG_XMM0 + i, lo | (hi << 64n));
    }
  }
  if (!(flags & _UC_TLSBASE)) return undefined;
  const tls = Number(dv.getBigUint64(m + 208, true));
  p.uc.reg_write(U.UC_X86_REG_FS_BASE, tls);
  return tls;
}

/**
 * sendsig_siginfo (sys/arch/amd64/amd64/machdep.c): build struct sigframe_siginfo on the
 * alternate stack (if enabled, not in use and SA_ONSTACK) or below the red zone, and enter the
 * handler with rdi = signo, rsi = &siginfo, rdx = r15 = &ucontext, returning to the trampoline.
 * Returns false if the frame could not be written (the caller then kills with SIGILL).
 */
export function sendsig(p: Proc, si: SigInfo, action: SigAction, returnMask: SigSet, trapno = 0): boolean {
  const rsp = Number(p.uc.reg_read(U.UC_X86_REG_RSP));
  const s = p.sig;
  const onstackNow = s.onAltStack;
  const useAlt = (action.flags & SA_ONSTACK) !== 0 && (s.altstack.flags & SS_DISABLE) === 0 && !onstackNow;
  let sp = useAlt ? s.altstack.sp + s.altstack.size : rsp - 128;
  sp -= SIGFRAME_SIZE;
  const fp = sp - (sp % 16) - 8;

  const frame = new Uint8Array(SIGFRAME_SIZE);
  const dv = new DataView(frame.buffer);
  dv.setBigUint64(0, BigInt(action.tramp), true);
  frame.set(encodeSiginfo(si), 8);
  const uc = 8 + SIGINFO_SIZE;
  dv.setUint32(uc, _UC_SIGMASK | (onstackNow ? _UC_SETSTACK : _UC_CLRSTACK) | _UC_CPU | _UC_TLSBASE | _UC_FPU, true);
  frame.set(encodeSigset(returnMask), uc + 16);
  getmcontext(p, frame, uc + MCONTEXT_OFFSET, trapno);
  try {
    p.vm.write(fp, frame);
  } catch {
    return false;
  }
  const w = (reg: number, v: number | bigint): void => p.uc.reg_write(reg, v);
  w(U.UC_X86_REG_RIP, action.handler);
  w(U.UC_X86_REG_RSP, fp);
  w(U.UC_X86_REG_RDI, si.signo);
  w(U.UC_X86_REG_RSI, fp + 8);
  w(U.UC_X86_REG_RDX, fp + uc);
  w(U.UC_X86_REG_R15, fp + uc);
  w(U.UC_X86_REG_EFLAGS, p.uc.reg_read(U.UC_X86_REG_EFLAGS) & ~BigInt(PSL_CLEARSIG));
  w(U.UC_X86_REG_MXCSR, 0x1f80); // fpu_save_area_reset: a clean FPU for the handler
  w(U.UC_X86_REG_FPCW, 0x37f);
  if (useAlt) s.altstack.flags |= SS_ONSTACK;
  return true;
}
