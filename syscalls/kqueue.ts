// kqueue (344), kqueue1 (455) and __kevent50 (435): sys/kern/kern_event.c 1.140 kqueue1, kevent1,
// kqueue_scan. The changelist is applied first; a change that fails (or carries EV_RECEIPT) is
// reported as an EV_ERROR event while there is room, else the call fails with its errno. Then
// the queue is scanned, sleeping until an event, the timeout or a signal (EINTR, never a restart).

import {
  EBADF, EINVAL, EV_ERROR, EV_RECEIPT, EV_SYSFLAGS, FD_CLOEXEC, FD_CLOFORK, FNONBLOCK, FNOSIGPIPE, KEVENT_SIZE,
  O_CLOEXEC, O_CLOFORK, O_NONBLOCK, O_NOSIGPIPE,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { Kqueue, type Kevent } from '../src/kernel/kqueue.js';
import type { Proc } from '../src/kernel/proc.js';
import { Sleep } from '../src/kernel/sleepq.js';
import { full, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';

/** kqueue1: a new kqueue file on the lowest free descriptor. */
function kqueue1(k: SysCtx, flags: number): number {
  const p = k.proc;
  // NetBSD 11 kqueue1 takes the descriptor flags of the CLOFORK family; anything else is EINVAL.
  if (flags & ~(O_CLOEXEC | O_CLOFORK | O_NONBLOCK | O_NOSIGPIPE)) throw new Errno(EINVAL);
  const fd = p.fd.allocForNewFile();
  const fflag = (flags & O_NONBLOCK ? FNONBLOCK : 0) | (flags & O_NOSIGPIPE ? FNOSIGPIPE : 0);
  p.fd.affix(fd, new Kqueue(k.machine.files, k.machine, p, fflag), (flags & O_CLOEXEC ? FD_CLOEXEC : 0) | (flags & O_CLOFORK ? FD_CLOFORK : 0));
  return fd;
}

function readKevent(p: Proc, addr: number): Kevent {
  const b = p.vm.read(addr, KEVENT_SIZE);
  const dv = new DataView(b.buffer, b.byteOffset, KEVENT_SIZE);
  return {
    ident: dv.getBigUint64(0, true),
    filter: dv.getUint32(8, true),
    flags: dv.getUint32(12, true),
    fflags: dv.getUint32(16, true),
    data: dv.getBigInt64(24, true),
    udata: dv.getBigUint64(32, true),
  };
}

function encodeKevents(evs: Kevent[]): Uint8Array {
  const b = new Uint8Array(evs.length * KEVENT_SIZE);
  const dv = new DataView(b.buffer);
  evs.forEach((ev, i) => {
    const o = i * KEVENT_SIZE;
    dv.setBigUint64(o, BigInt.asUintN(64, ev.ident), true);
    dv.setUint32(o + 8, ev.filter >>> 0, true);
    dv.setUint32(o + 12, ev.flags >>> 0, true);
    dv.setUint32(o + 16, ev.fflags >>> 0, true);
    dv.setBigInt64(o + 24, BigInt.asIntN(64, ev.data), true);
    dv.setBigUint64(o + 32, BigInt.asUintN(64, ev.udata), true);
  });
  return b;
}

/** What a sleeping kevent keeps across its re-executions: its changes are applied only once. */
interface KeventState {
  /** performance.now() time the wait ends; undefined: for ever. */
  deadline: number | undefined;
}

/** kevent1 + kqueue_scan. */
function kevent1(k: SysCtx, fd: number, changelist: number, nchanges: number, eventlist: number, nevents: number, timeout: number): number {
  const p = k.proc;
  const fp = p.fd.get(fd);
  if (!(fp instanceof Kqueue)) throw new Errno(EBADF);
  const kq = fp;
  let st = p.restartState as KeventState | undefined;
  if (!st) {
    let ts: { sec: bigint; nsec: bigint } | undefined;
    if (timeout !== 0) {
      const b = p.vm.read(timeout, 16); // EFAULT before any change is applied
      const dv = new DataView(b.buffer, b.byteOffset, 16);
      ts = { sec: dv.getBigInt64(0, true), nsec: dv.getBigInt64(8, true) };
    }
    let nerrors = 0;
    for (let i = 0; i < nchanges; i++) {
      const kev = readKevent(p, changelist + i * KEVENT_SIZE);
      kev.flags &= ~EV_SYSFLAGS;
      let error = 0;
      try {
        kq.register(p, kev);
      } catch (e) {
        if (!(e instanceof Errno)) throw e;
        error = e.errno;
      }
      if (!error && !(kev.flags & EV_RECEIPT)) continue;
      if (nevents === 0) {
        if (error) throw new Errno(error);
        return 0;
      }
      kev.flags = EV_ERROR;
      kev.data = BigInt(error);
      p.vm.write(eventlist + nerrors * KEVENT_SIZE, encodeKevents([kev]));
      nevents--;
      nerrors++;
    }
    if (nerrors) return nerrors;
    if (nevents === 0) return 0;
    // inittimeleft / itimespecfix: a malformed timeout is EINVAL; a zero one polls.
    let deadline: number | undefined;
    if (ts) {
      if (ts.sec < 0n || ts.nsec < 0n || ts.nsec >= 1_000_000_000n) throw new Errno(EINVAL);
      deadline = performance.now() + Number(ts.sec) * 1000 + Number(ts.nsec) / 1e6;
    }
    st = { deadline };
    p.restartState = st;
  }
  kq.caller = p;
  kq.pump();
  const evs = kq.collect(nevents);
  if (evs.length === 0) {
    // Nothing (left) to report: wait, unless the timeout has passed (or was zero).
    const now = performance.now();
    if (st.deadline !== undefined && now >= st.deadline) return 0;
    const timer = kq.nextTimer();
    const wake = timer === undefined ? st.deadline : st.deadline === undefined ? timer : Math.min(timer, st.deadline);
    throw new Sleep([kq.waitq], wake, 'eintr');
  }
  p.vm.write(eventlist, encodeKevents(evs));
  return evs.length;
}

export const kqueueSyscalls: SyscallDescriptor[] = [
  {
    number: 344, name: 'kqueue', class: 'file', support: full, args: [],
    handler: (k) => kqueue1(k, 0),
  },
  {
    number: 455, name: 'kqueue1', class: 'file', support: full,
    args: [{ name: 'flags', type: 'int' }],
    handler: (k, flags) => kqueue1(k, flags),
  },
  {
    number: 435, name: '__kevent50', class: 'file', support: full,
    args: [
      { name: 'fd', type: 'fd' }, { name: 'changelist', type: 'ptr' }, { name: 'nchanges', type: 'size' },
      { name: 'eventlist', type: 'ptr' }, { name: 'nevents', type: 'size' }, { name: 'timeout', type: 'ptr' },
    ],
    handler: (k, fd, changelist, nchanges, eventlist, nevents, timeout) => kevent1(k, fd, changelist, nchanges, eventlist, nevents, timeout),
  },
];
