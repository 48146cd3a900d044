// Readiness: poll, pollts, __select50, __pselect50 (sys/kern/sys_select.c pollcommon,
// selcommon, selscan, pollscan). A call with nothing ready sleeps on every file's queues (and
// its timeout) and scans again when woken; a signal ends it with EINTR, never restarts it.

import {
  EBADF, EINTR, EINVAL, POLLERR, POLLHUP, POLLNVAL, POLLRDBAND, POLLRDNORM, POLLWRNORM, RLIMIT_NOFILE,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import type { Proc } from '../src/kernel/proc.js';
import { SIGSET_SIZE, readSigset, sigsuspendSetup, sigsuspendTeardown } from '../src/kernel/sig.js';
import { Sleep, type WaitQueue } from '../src/kernel/sleepq.js';
import { full, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';

interface PollState {
  /** performance.now() time the call gives up, or undefined to wait for ever. */
  deadline: number | undefined;
}

/** The deadline of this call, fixed at its first execution and kept across re-executions. */
function deadlineOf(p: Proc, timeoutMs: number | undefined): number | undefined {
  const st = p.restartState as PollState | undefined;
  if (st) return st.deadline;
  const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
  p.restartState = { deadline } satisfies PollState;
  return deadline;
}

/** Nothing ready: sleep on the files' queues until one changes or the deadline passes. */
function waitForEvents(p: Proc, queues: WaitQueue[], deadline: number | undefined): void {
  if (deadline !== undefined && (p.timedOut || performance.now() >= deadline)) return;
  throw new Sleep(queues, deadline, 'eintr');
}

/** A struct timespec as milliseconds, EINVAL when it is malformed (ts2timo/itimespecfix). */
function readTimespec(p: Proc, addr: number): number | undefined {
  if (addr === 0) return undefined;
  const b = p.vm.read(addr, 16);
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  const sec = dv.getBigInt64(0, true);
  const nsec = dv.getBigInt64(8, true);
  if (sec < 0n || nsec < 0n || nsec >= 1_000_000_000n) throw new Errno(EINVAL);
  return Number(sec) * 1000 + Number(nsec) / 1e6;
}

/** A struct timeval (tv_usec an int at offset 8) as milliseconds. */
function readTimeval(p: Proc, addr: number): number | undefined {
  if (addr === 0) return undefined;
  const b = p.vm.read(addr, 16);
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  const sec = dv.getBigInt64(0, true);
  const usec = dv.getInt32(8, true);
  if (sec < 0n || usec < 0 || usec >= 1_000_000) throw new Errno(EINVAL);
  return Number(sec) * 1000 + usec / 1000;
}

/** The signal mask of pollts/pselect, in force while the call waits (sigsuspendsetup). */
function applyMask(p: Proc, maskp: number): void {
  if (maskp !== 0) sigsuspendSetup(p, readSigset(p.vm.read(maskp, SIGSET_SIZE)));
}

/** sigsuspendteardown when the call had a mask. */
function restoreMask(p: Proc, maskp: number): void {
  if (maskp !== 0) sigsuspendTeardown(p);
}

/** sigsuspendsetup: a signal the temporary mask lets in that is already pending ends the wait at once. */
function pendingInterrupts(p: Proc, maskp: number): boolean {
  return maskp !== 0 && p.sig.deliverable() !== 0;
}

/** pollcommon + pollscan. */
function pollcommon(k: SysCtx, fdsp: number, nfds: number, timeout: () => number | undefined, maskp: number): number {
  const p = k.proc;
  if (nfds > Number(p.limits[RLIMIT_NOFILE]!.max) + 1000) throw new Errno(EINVAL);
  const raw = Uint8Array.from(p.vm.read(fdsp, nfds * 8));
  const dv = new DataView(raw.buffer);
  const timeoutMs = timeout(); // after the copyin: a bad array is EFAULT before a bad timeout
  applyMask(p, maskp);
  const deadline = deadlineOf(p, timeoutMs);
  const queues: WaitQueue[] = [];
  let ready = 0;
  for (let i = 0; i < nfds; i++) {
    const fd = dv.getInt32(i * 8, true);
    const events = dv.getInt16(i * 8 + 4, true);
    let revents = 0;
    if (fd >= 0) {
      if (!p.fd.isOpen(fd)) revents = POLLNVAL;
      else {
        const fp = p.fd.get(fd);
        revents = fp.poll(events | POLLHUP | POLLERR) & (events | POLLHUP | POLLERR | POLLNVAL);
        queues.push(...fp.pollQueues());
      }
    }
    dv.setInt16(i * 8 + 6, revents, true);
    if (revents) ready++;
  }
  if (ready === 0 && pendingInterrupts(p, maskp)) throw new Errno(EINTR);
  if (ready === 0 && timeoutMs !== 0) waitForEvents(p, queues, deadline);
  restoreMask(p, maskp);
  p.vm.write(fdsp, raw);
  return ready;
}

/** selscan's events for the read, write and exception sets (sys_select.c sel_flag). */
const SEL_FLAG = [POLLRDNORM | POLLHUP | POLLERR, POLLWRNORM | POLLHUP | POLLERR, POLLRDBAND];

/** selcommon + selscan: fd_sets of ceil(nd / 32) words, EBADF for a closed descriptor in a set. */
function selcommon(k: SysCtx, nd: number, sets: number[], timeout: () => number | undefined, maskp: number): number {
  const p = k.proc;
  if (nd < 0) throw new Errno(EINVAL);
  nd = Math.min(nd, p.fd.tableSize); // selcommon clamps nd to dt_nfiles
  const words = Math.ceil(nd / 32);
  const inSets = sets.map((addr) => (addr !== 0 && words > 0 ? Uint32Array.from(new Uint32Array(Uint8Array.from(p.vm.read(addr, words * 4)).buffer)) : undefined));
  const timeoutMs = timeout();
  applyMask(p, maskp);
  const deadline = deadlineOf(p, timeoutMs);
  const out = inSets.map((s) => (s ? new Uint32Array(s.length) : undefined));
  const queues: WaitQueue[] = [];
  let ready = 0;
  for (let which = 0; which < 3; which++) {
    const set = inSets[which];
    if (!set) continue;
    for (let fd = 0; fd < nd; fd++) {
      if (!(set[fd >> 5]! & (1 << (fd & 31)))) continue;
      if (!p.fd.isOpen(fd)) throw new Errno(EBADF);
      const fp = p.fd.get(fd);
      if (fp.poll(SEL_FLAG[which]!)) {
        out[which]![fd >> 5]! |= 1 << (fd & 31);
        ready++;
      }
      queues.push(...fp.pollQueues());
    }
  }
  if (ready === 0 && pendingInterrupts(p, maskp)) throw new Errno(EINTR);
  if (ready === 0 && timeoutMs !== 0) waitForEvents(p, queues, deadline);
  restoreMask(p, maskp);
  out.forEach((s, i) => {
    if (s) p.vm.write(sets[i]!, new Uint8Array(s.buffer));
  });
  return ready;
}

export const eventSyscalls: SyscallDescriptor[] = [
  {
    number: 209, name: 'poll', class: 'file', support: full,
    args: [{ name: 'fds', type: 'ptr' }, { name: 'nfds', type: 'uint' }, { name: 'timeout', type: 'int' }],
    handler: (k, fds, nfds, timeout) =>
      pollcommon(k, fds, nfds, () => {
        // sys_poll: INFTIM (-1) waits for ever; any other negative timeout makes a malformed timespec.
        if (timeout === -1) return undefined;
        if (timeout < 0) throw new Errno(EINVAL);
        return timeout;
      }, 0),
  },
  {
    number: 437, name: '__pollts50', class: 'file', support: full,
    args: [{ name: 'fds', type: 'ptr' }, { name: 'nfds', type: 'uint' }, { name: 'ts', type: 'ptr' }, { name: 'mask', type: 'ptr' }],
    handler: (k, fds, nfds, ts, mask) => pollcommon(k, fds, nfds, () => readTimespec(k.proc, ts), mask),
  },
  {
    number: 417, name: '__select50', class: 'file', support: full,
    args: [{ name: 'nd', type: 'int' }, { name: 'in', type: 'ptr' }, { name: 'ou', type: 'ptr' }, { name: 'ex', type: 'ptr' }, { name: 'tv', type: 'ptr' }],
    handler: (k, nd, inp, ou, ex, tv) => selcommon(k, nd, [inp, ou, ex], () => readTimeval(k.proc, tv), 0),
  },
  {
    number: 436, name: '__pselect50', class: 'file', support: full,
    args: [{ name: 'nd', type: 'int' }, { name: 'in', type: 'ptr' }, { name: 'ou', type: 'ptr' }, { name: 'ex', type: 'ptr' }, { name: 'ts', type: 'ptr' }, { name: 'mask', type: 'ptr' }],
    handler: (k, nd, inp, ou, ex, ts, mask) => selcommon(k, nd, [inp, ou, ex], () => readTimespec(k.proc, ts), mask),
  },
];
