// kqueue(2) and its knotes (sys/kern/kern_event.c 1.140, sys/sys/event.h 1.54, sys/sys/eventvar.h):
// a kqueue is an open file (DTYPE_KQUEUE) holding knotes, one per (filter, ident) registered on
// it. A knote that fires is activated and put on the kqueue's queue; kevent's scan takes queued
// knotes off, re-checks non-oneshot ones with the filter, copies their kevent out and then
// deletes (EV_ONESHOT), clears (EV_CLEAR), disables (EV_DISPATCH) or re-queues them.
//
// NetBSD calls knote() on an object's klist whenever the object changes (selnotify). Here every
// knote is a Sleeper on the wait queues of what it watches (a pipe end's queue, a socket buffer,
// the process's signal queue, the machine's process-event queue): a wakeup marks it "hinted" and
// wakes the kqueue's own queue, and the filter runs when the kqueue is next looked at (kevent,
// poll, fstat) — late enough that the object's state change is complete. Timers are evaluated
// against the clock at the same points, and a kevent that sleeps sets its deadline to the next
// timer expiry. Filters follow uipc_socket.c (filt_soread/filt_sowrite/filt_soempty),
// sys_pipe.c 1.165 (filt_piperead/filt_pipewrite), kern_sig.c (filt_signal) and kern_event.c.

import {
  EACCES, EBADF, EINVAL, ENAMETOOLONG, ENOENT, KFILTER_BYFILTER, KFILTER_BYNAME, KFILTER_MAXNAME, ENOMEM, ENOTTY, ENXIO, ESRCH, EVFILT_AIO, EVFILT_EMPTY, EVFILT_FS, EVFILT_PROC,
  EVFILT_READ, EVFILT_SIGNAL, EVFILT_SYSCOUNT, EVFILT_TIMER, EVFILT_USER, EVFILT_VNODE, EVFILT_WRITE, EV_ADD,
  EV_CLEAR, EV_DELETE, EV_DISABLE, EV_DISPATCH, EV_ENABLE, EV_EOF, EV_ONESHOT, FREAD, FWRITE, HZ, KQ_CALLOUTMAX,
  NOTE_ABSTIME, NOTE_CHILD, NOTE_EXEC, NOTE_EXIT, NOTE_FFAND, NOTE_FFCOPY, NOTE_FFCTRLMASK, NOTE_FFLAGSMASK,
  NOTE_FFNOP, NOTE_FFOR, NOTE_FORK, NOTE_LOWAT, NOTE_MSECONDS, NOTE_NSECONDS, NOTE_SECONDS, NOTE_TIMER_UNITMASK,
  NOTE_TRACK, NOTE_TRACKERR, NOTE_TRIGGER, NOTE_USECONDS, PIPE_BUF, PIPE_SIZE, POLLIN, POLLOUT, POLLRDNORM,
  POLLWRNORM, SS_CANTRCVMORE, SS_CANTSENDMORE, SS_ISCONNECTED, S_IFIFO,
} from './constants.js';
import { Errno } from './errno.js';
import type { IoctlCtx, IoctlData } from './ioctl.js';
import { File, emptyStat, type FileTable, type StatInfo } from './file.js';
import type { FileDesc } from './filedesc.js';
import { waitStatus } from './lifecycle.js';
import { PipeFile } from './pipe.js';
import type { Proc } from './proc.js';
import { WaitQueue, type Sleeper } from './sleepq.js';
import { SocketFile } from './socket.js';
import type { VmSpace } from './vmspace.js';

/** sys_kfilters[] of kern_event.c: the system filters by number, as KFILTER_BYFILTER names them. */
const SYS_KFILTERS = [
  'EVFILT_READ', 'EVFILT_WRITE', 'EVFILT_AIO', 'EVFILT_VNODE', 'EVFILT_PROC', 'EVFILT_SIGNAL',
  'EVFILT_TIMER', 'EVFILT_FS', 'EVFILT_USER', 'EVFILT_EMPTY',
];

/** struct kevent, with the 64-bit fields kept exact. */
export interface Kevent {
  ident: bigint;
  filter: number;
  flags: number;
  fflags: number;
  data: bigint;
  udata: bigint;
}

/** What a kqueue needs of the machine: the process table (EVFILT_PROC) and its event queue. */
export interface KqueueHost {
  readonly procs: ReadonlyMap<number, Proc>;
  readonly procEvents: WaitQueue;
  /** CLOCK_REALTIME, for NOTE_ABSTIME timers. */
  readonly timeofday: { nowNs(): bigint };
}

// kn_status bits (sys/sys/event.h)
const KN_ACTIVE = 0x01;
const KN_QUEUED = 0x02;
const KN_DISABLED = 0x04;
const KN_DETACHED = 0x08;

const INT_MAX = 0x7fffffff;
/** The callout tick in ms. */
const TICK_MS = 1000 / HZ;
/** FILT_TIMER_NOSCHED: a timer that does not repeat. */
const NOSCHED = -1;

/** Machine-wide count of timer knotes (kq_ncallouts), for KQ_CALLOUTMAX. */
let kqNcallouts = 0;

/** struct filterops, plus `hint`: what knote(list, hint) would have done since the last look. */
interface FilterOps {
  isfd: boolean;
  /** f_attach: throws Errno on failure. */
  attach(kn: Knote): void;
  detach(kn: Knote): void;
  /** f_event with hint 0: is the event still (or now) true? May update data, fflags, flags. */
  event(kn: Knote): boolean;
  /**
   * The knote() calls the watched object would have made since the last look; true when the
   * knote should be activated. Runs for hinted knotes, and always for those with `always`.
   */
  hint?(kn: Knote): boolean;
  always?: boolean;
  /** f_touch (EVENT_REGISTER and EVENT_PROCESS) for the filters that have one. */
  touchRegister?(kn: Knote, kev: Kevent): void;
  touchProcess?(kn: Knote): Kevent;
}

export class Knote implements Sleeper {
  /** kn_kevent: what a retrieval copies out (ident, filter, flags, fflags, data, udata). */
  ev: Kevent;
  status = 0;
  sfflags: number;
  sdata: bigint;
  /** A watched object woke its queue since the filter last ran (a pending knote() call). */
  hinted = false;
  /** The queues this knote listens on (its klists). */
  queues: WaitQueue[] = [];
  /** FILTEROP_ISFD: the open file, and the descriptor table it was found in. */
  fp: File | undefined;
  fdp: FileDesc | undefined;
  /** EVFILT_PROC and EVFILT_SIGNAL: the process watched. */
  proc: Proc | undefined;
  /** EVFILT_PROC: the address space last seen (a new one means an exec) and children seen. */
  vm: VmSpace | undefined;
  children: Set<number> | undefined;
  /** EVFILT_SIGNAL: the process's count of this signal already accounted for. */
  sigSeen = 0;
  /** EVFILT_TIMER: next expiry (performance.now() ms, Infinity when stopped) and period in ms. */
  timerNext = Infinity;
  timerPeriod = NOSCHED;
  timerCounted = false;
  /** EVFILT_USER: kn_hookid, the triggered state. */
  hookid = 0;

  constructor(
    readonly kq: Kqueue,
    readonly ops: FilterOps,
    kev: Kevent,
  ) {
    this.sfflags = kev.fflags;
    this.sdata = kev.data;
    this.ev = { ...kev, fflags: 0, data: 0n };
  }

  get filter(): number {
    return this.ev.filter;
  }

  get ident(): bigint {
    return this.ev.ident;
  }

  /** Sleeper.wake: the watched object changed (selnotify → knote()). */
  wake(): void {
    if (this.hinted) return;
    this.hinted = true;
    this.kq.notify();
  }

  listen(...queues: WaitQueue[]): void {
    for (const q of queues) {
      q.add(this);
      this.queues.push(q);
    }
  }

  unlisten(): void {
    for (const q of this.queues) q.remove(this);
    this.queues = [];
  }
}

// ---- Filters --------------------------------------------------------------------------------

/** filt_soread / filt_sowrite / filt_soempty (sys/kern/uipc_socket.c). */
function socketOps(which: number): FilterOps {
  return {
    isfd: true,
    attach(kn) {
      const f = kn.fp as SocketFile;
      kn.listen(...(which === EVFILT_READ && f.so.listening ? f.pollQueues() : [which === EVFILT_READ ? f.so.rcv : f.so.snd]));
    },
    detach: (kn) => kn.unlisten(),
    event(kn) {
      const so = (kn.fp as SocketFile).so;
      if (which === EVFILT_READ && so.listening) {
        // filt_solisten: kn_data = so_qlen, the completed connections waiting for accept.
        kn.ev.data = BigInt(so.acceptq.length);
        return so.acceptq.length > 0;
      }
      if (which === EVFILT_EMPTY) {
        kn.ev.data = BigInt(so.snd.cc);
        return so.snd.cc === 0;
      }
      if (which === EVFILT_READ) {
        kn.ev.data = BigInt(so.rcv.cc);
        if (so.state & SS_CANTRCVMORE) {
          kn.ev.flags |= EV_EOF;
          kn.ev.fflags = so.error;
          return true;
        }
        if (so.error) return true;
        if (kn.sfflags & NOTE_LOWAT) return kn.ev.data >= kn.sdata;
        return so.rcv.cc >= so.rcv.lowat;
      }
      // sbspace(&so->so_snd): a stream sender's mark is lowered by what the peer holds (uipc_send).
      const space = so.sndbufNow - so.snd.cc;
      kn.ev.data = BigInt(space);
      if (so.state & SS_CANTSENDMORE) {
        kn.ev.flags |= EV_EOF;
        kn.ev.fflags = so.error;
        return true;
      }
      if (so.error) return true;
      if (!(so.state & SS_ISCONNECTED) && so.connRequired) return false;
      if (kn.sfflags & NOTE_LOWAT) return kn.ev.data >= kn.sdata;
      return space >= so.snd.lowat;
    },
  };
}

/**
 * filt_piperead / filt_pipewrite (sys/kern/sys_pipe.c 1.182). pipe_kqfilter there attaches a
 * filter on the wrong end of a pipe (EVFILT_READ on the write end, EVFILT_WRITE on the read
 * end) without an error, as pipe_wrongendfiltops, which is never ready — the Go runtime asks
 * for both filters on every descriptor and falls back to blocking I/O if either fails. Nor is
 * an EVFILT_WRITE refused once the reader has gone: it is ready at once, with EV_EOF. (1.165,
 * from a rework later backed out, answered EINVAL for the wrong end and EBADF without a reader.)
 */
function pipeOps(which: number): FilterOps {
  return {
    isfd: true,
    attach(kn) {
      kn.listen(...(kn.fp as PipeFile).pollQueues());
    },
    detach: (kn) => kn.unlisten(),
    event(kn) {
      const p = (kn.fp as PipeFile).pipe;
      if (which === EVFILT_READ) {
        kn.ev.data = BigInt(p.cc);
        if (p.writers === 0) {
          kn.ev.flags |= EV_EOF;
          return true;
        }
        return p.cc > 0;
      }
      if (p.readers === 0) {
        kn.ev.data = 0n;
        kn.ev.flags |= EV_EOF;
        return true;
      }
      kn.ev.data = BigInt(PIPE_SIZE - p.cc);
      return PIPE_SIZE - p.cc >= PIPE_BUF;
    },
  };
}

/** pipe_wrongendfiltops: filt_pipenodetach, filt_pipewrongend ("Never ready!"). */
const pipeWrongEndOps: FilterOps = {
  isfd: true,
  attach() {},
  detach() {},
  event: () => false,
};

/** kqueue_kqfilter + filt_kqueue: a kqueue is readable while events are pending on it. */
const kqreadOps: FilterOps = {
  isfd: true,
  attach(kn) {
    kn.listen((kn.fp as Kqueue).waitq);
  },
  detach: (kn) => kn.unlisten(),
  event(kn) {
    const inner = kn.fp as Kqueue;
    inner.pump();
    kn.ev.data = BigInt(inner.count);
    return inner.count > 0;
  },
};

/**
 * Any other file (the host's standard streams): readiness as its poll answers it, no byte
 * count (filt_seltrue's behaviour for devices that cannot say more).
 */
function genericOps(which: number): FilterOps {
  const events = which === EVFILT_READ ? POLLIN | POLLRDNORM : POLLOUT | POLLWRNORM;
  return {
    isfd: true,
    attach(kn) {
      kn.listen(...kn.fp!.pollQueues());
    },
    detach: (kn) => kn.unlisten(),
    event(kn) {
      kn.ev.data = 0n;
      return kn.fp!.poll(events) !== 0;
    },
  };
}

/** file_filtops.f_attach = filt_fileattach → fo_kqfilter: pick the file's own filter. */
const fileFiltops: FilterOps = {
  isfd: true,
  attach() {
    throw new Error('file_filtops is replaced at attach');
  },
  detach() {},
  event: () => false,
};

function fileKqfilter(fp: File, filter: number): FilterOps {
  if (fp instanceof SocketFile) {
    if (filter === EVFILT_READ || filter === EVFILT_WRITE || filter === EVFILT_EMPTY) return socketOps(filter);
    throw new Errno(EINVAL);
  }
  if (fp instanceof PipeFile) {
    if (filter === EVFILT_READ) return fp.flag & FREAD ? pipeOps(filter) : pipeWrongEndOps;
    if (filter === EVFILT_WRITE) return fp.flag & FWRITE ? pipeOps(filter) : pipeWrongEndOps;
    throw new Errno(EINVAL);
  }
  if (fp instanceof Kqueue) {
    if (filter === EVFILT_READ) return kqreadOps;
    throw new Errno(EINVAL);
  }
  if (filter === EVFILT_READ || filter === EVFILT_WRITE) return genericOps(filter);
  throw new Errno(EINVAL);
}

/**
 * proc_filtops (kern_event.c filt_procattach, knote_proc_fork, knote_proc_exec,
 * knote_proc_exit). Fork and exec are seen as a new child in the process's child set and a new
 * address space; exit as the exit status being set.
 */
const procOps: FilterOps = {
  isfd: false,
  always: true,
  attach(kn) {
    const pid = kn.ident <= BigInt(INT_MAX) ? Number(kn.ident) : -1;
    const p = kn.kq.host.procs.get(pid);
    if (!p || p.exited) throw new Errno(ESRCH); // proc_find: live processes only
    if (p.cred.uid !== kn.kq.caller.cred.uid && kn.kq.caller.cred.euid !== 0) throw new Errno(EACCES);
    kn.proc = p;
    kn.vm = p.vm;
    kn.children = new Set([...p.children].map((c) => c.pid));
    kn.ev.flags |= EV_CLEAR; // automatically set
    kn.sfflags &= ~NOTE_CHILD; // NOTE_CHILD is only ever generated internally
    kn.listen(kn.kq.host.procEvents);
  },
  detach(kn) {
    kn.status |= KN_DETACHED;
    kn.unlisten();
  },
  event: (kn) => kn.ev.fflags !== 0,
  hint(kn) {
    if (kn.status & KN_DETACHED) return false;
    const p = kn.proc!;
    let fire = false;
    if (p.vm !== kn.vm) {
      kn.vm = p.vm; // knote_proc_exec
      kn.ev.fflags |= kn.sfflags & NOTE_EXEC;
      fire ||= kn.ev.fflags !== 0;
    }
    for (const c of p.children) {
      if (kn.children!.has(c.pid)) continue;
      kn.children!.add(c.pid); // knote_proc_fork
      kn.ev.fflags |= kn.sfflags & NOTE_FORK;
      if (kn.sfflags & NOTE_TRACK && !kn.kq.trackChild(kn, p, c)) kn.ev.fflags |= NOTE_TRACKERR;
      fire ||= kn.ev.fflags !== 0;
    }
    if (p.exitStatus) {
      // knote_proc_exit: always activated, detached, deleted once read.
      kn.ev.data = BigInt(waitStatus(p.exitStatus));
      kn.ev.flags |= EV_EOF | EV_ONESHOT;
      kn.ev.fflags |= kn.sfflags & NOTE_EXIT;
      kn.status |= KN_DETACHED;
      kn.unlisten();
      return true;
    }
    return fire;
  },
};

/** sig_filtops (kern_sig.c filt_sigattach / filt_signal): counts every posting, even ignored ones. */
const sigOps: FilterOps = {
  isfd: false,
  always: true,
  attach(kn) {
    const p = kn.kq.caller;
    kn.proc = p;
    kn.ev.flags |= EV_CLEAR; // automatically set
    kn.sigSeen = kn.ident <= 1024n ? (p.sigCounts.get(Number(kn.ident)) ?? 0) : 0;
    kn.listen(p.sigq);
  },
  detach: (kn) => kn.unlisten(),
  event: (kn) => kn.ev.data !== 0n,
  hint(kn) {
    if (kn.ident > 1024n) return false;
    const n = kn.proc!.sigCounts.get(Number(kn.ident)) ?? 0;
    if (n > kn.sigSeen) {
      kn.ev.data += BigInt(n - kn.sigSeen);
      kn.sigSeen = n;
    }
    return kn.ev.data !== 0n;
  },
};

/**
 * filt_timercompute: the first expiry and the period, in callout ticks of 1/hz s, from data in
 * the unit fflags names. Relative timers get EV_CLEAR; EV_ONESHOT and absolute ones do not repeat.
 */
function timerCompute(host: KqueueHost, kev: Kevent): { delayMs: number; periodMs: number } {
  if (kev.fflags & ~(NOTE_TIMER_UNITMASK | NOTE_ABSTIME)) throw new Errno(EINVAL);
  const d = kev.data;
  let ns: bigint;
  switch (kev.fflags & NOTE_TIMER_UNITMASK) {
    case NOTE_SECONDS:
      ns = d * 1_000_000_000n;
      break;
    case NOTE_MSECONDS:
      ns = d * 1_000_000n;
      break;
    case NOTE_USECONDS:
      ns = d * 1000n;
      break;
    case NOTE_NSECONDS:
      ns = d;
      break;
    default:
      throw new Errno(EINVAL);
  }
  if (kev.fflags & NOTE_ABSTIME) {
    const nowNs = host.timeofday.nowNs(); // getnanotime
    kev.data = BigInt(NOSCHED);
    if (ns <= nowNs) return { delayMs: 0, periodMs: NOSCHED }; // past the deadline: fires at once
    ns -= nowNs;
  } else {
    kev.flags |= EV_CLEAR;
  }
  const tickNs = BigInt(TICK_MS * 1_000_000);
  let ticks = ns <= 0n ? 0n : (ns + tickNs - 1n) / tickNs; // tstohz rounds up
  if (ticks === 0n) {
    if (kev.data === 0n) throw new Errno(EINVAL);
    ticks = 1n;
  } else if (ticks > BigInt(INT_MAX)) throw new Errno(EINVAL);
  const ms = Number(ticks) * TICK_MS;
  const periodMs = kev.flags & EV_ONESHOT || kev.fflags & NOTE_ABSTIME ? NOSCHED : ms;
  if (periodMs !== NOSCHED) kev.data = ticks;
  else kev.data = BigInt(NOSCHED);
  return { delayMs: ms, periodMs };
}

function timerStart(kn: Knote, t: { delayMs: number; periodMs: number }): void {
  kn.timerPeriod = t.periodMs;
  if (t.delayMs === 0) {
    kn.timerNext = Infinity;
    kn.ev.data = 1n; // filt_timerstart with FILT_TIMER_NOSCHED: already expired
  } else kn.timerNext = performance.now() + t.delayMs;
}

/** timer_filtops: filt_timerattach, filt_timerexpire, filt_timertouch, filt_timer. */
const timerOps: FilterOps = {
  isfd: false,
  always: true,
  attach(kn) {
    const kev: Kevent = { ...kn.ev, fflags: kn.sfflags, data: kn.sdata };
    const t = timerCompute(kn.kq.host, kev);
    if (kqNcallouts + 1 >= KQ_CALLOUTMAX) throw new Errno(ENOMEM);
    kqNcallouts++;
    kn.timerCounted = true;
    kn.sdata = kev.data;
    kn.ev.flags = kev.flags;
    timerStart(kn, t);
  },
  detach(kn) {
    kn.timerNext = Infinity;
    if (kn.timerCounted) kqNcallouts--;
    kn.timerCounted = false;
  },
  event: (kn) => kn.ev.data !== 0n,
  /** filt_timerexpire for every expiry that has passed. */
  hint(kn) {
    const now = performance.now();
    if (now < kn.timerNext) return false;
    let n = 1;
    if (kn.timerPeriod === NOSCHED) kn.timerNext = Infinity;
    else {
      const extra = Math.floor((now - kn.timerNext) / kn.timerPeriod);
      n += extra;
      kn.timerNext += (extra + 1) * kn.timerPeriod;
    }
    kn.ev.data += BigInt(n);
    return true;
  },
  touchRegister(kn, kev) {
    if (!(kev.flags & EV_ADD)) return;
    kn.timerNext = Infinity; // callout_halt
    kn.kq.deactivate(kn);
    kn.ev.data = 0n;
    const t = timerCompute(kn.kq.host, kev);
    kn.sdata = kev.data;
    kn.ev.flags = kev.flags;
    kn.sfflags = kev.fflags;
    timerStart(kn, t);
  },
  touchProcess: (kn) => ({ ...kn.ev }),
};

/** user_filtops: filt_userattach, filt_user, filt_usertouch. */
const userOps: FilterOps = {
  isfd: false,
  attach(kn) {
    // kern_event.c 1.140 tests kn_fflags, which kqueue_register has just zeroed: EV_ADD with
    // NOTE_TRIGGER does not trigger a new knote.
    kn.hookid = kn.ev.fflags & NOTE_TRIGGER ? 1 : 0;
  },
  detach() {},
  event: (kn) => kn.hookid !== 0,
  touchRegister(kn, kev) {
    if (kev.fflags & NOTE_TRIGGER) kn.hookid = 1;
    const ffctrl = (kev.fflags & NOTE_FFCTRLMASK) >>> 0;
    kev.fflags &= NOTE_FFLAGSMASK;
    switch (ffctrl) {
      case NOTE_FFNOP:
        break;
      case NOTE_FFAND:
        kn.sfflags &= kev.fflags;
        break;
      case NOTE_FFOR:
        kn.sfflags |= kev.fflags;
        break;
      case NOTE_FFCOPY:
        kn.sfflags = kev.fflags;
        break;
    }
    kn.sdata = kev.data;
    if (kev.flags & EV_CLEAR) {
      kn.hookid = 0;
      kn.ev.data = 0n;
      kn.ev.fflags = 0;
    }
  },
  touchProcess(kn) {
    const kev = { ...kn.ev, fflags: kn.sfflags >>> 0, data: kn.sdata };
    if (kn.ev.flags & EV_CLEAR) {
      kn.hookid = 0;
      kn.ev.data = 0n;
      kn.ev.fflags = 0;
    }
    return kev;
  },
};

/** fs_filtops (vfs_syscalls.c): mount-table changes, which never happen here. */
const fsOps: FilterOps = {
  isfd: false,
  attach() {},
  detach() {},
  event: (kn) => kn.ev.fflags !== 0,
};

/** sys_kfilters[] in filter-number order; undefined: not implemented (EVFILT_AIO). */
const FILTERS: (FilterOps | undefined)[] = [];
FILTERS[EVFILT_READ] = fileFiltops;
FILTERS[EVFILT_WRITE] = fileFiltops;
FILTERS[EVFILT_AIO] = undefined;
FILTERS[EVFILT_VNODE] = fileFiltops;
FILTERS[EVFILT_PROC] = procOps;
FILTERS[EVFILT_SIGNAL] = sigOps;
FILTERS[EVFILT_TIMER] = timerOps;
FILTERS[EVFILT_FS] = fsOps;
FILTERS[EVFILT_USER] = userOps;
FILTERS[EVFILT_EMPTY] = fileFiltops;

// ---- The kqueue -----------------------------------------------------------------------------

/** struct kqueue as an open file (kqueueops). */
export class Kqueue extends File {
  /** Every knote registered here (the fd lists and fd_knhash of kern_event.c, for this kq). */
  private readonly knotes: Knote[] = [];
  /** kq_head: activated knotes waiting to be collected, in activation order. */
  private readonly queue: Knote[] = [];
  /** kq_cv / kq_sel: kevent sleepers, pollers, and knotes watching this kqueue. */
  readonly waitq = new WaitQueue('kqueue');
  /** The process making the current call (curlwp), for filters that attach to it. */
  caller: Proc;
  private pumping = false;

  constructor(
    table: FileTable,
    readonly host: KqueueHost,
    /** kq_fdp's process: the one that created the kqueue. */
    readonly owner: Proc,
    flag: number,
  ) {
    super('kqueue', FREAD | FWRITE | flag, table);
    this.caller = owner;
  }

  /** KQ_COUNT: knotes on the queue. */
  get count(): number {
    return this.queue.length;
  }

  /** selnotify on kq_sel / cv_broadcast on kq_cv. */
  notify(): void {
    this.waitq.wakeup();
  }

  /**
   * kqueue_register: apply one change. `kev` is updated the way NetBSD updates it (a new knote's
   * fflags and data are zeroed, touch filters rewrite it) since EV_RECEIPT reports it back.
   */
  register(p: Proc, kev: Kevent): void {
    this.caller = p;
    const base = kev.filter < EVFILT_SYSCOUNT ? FILTERS[kev.filter] : undefined;
    if (!base) throw new Errno(EINVAL); // filter not found nor implemented
    let fp: File | undefined;
    if (base.isfd) {
      if (kev.ident > BigInt(INT_MAX) || !p.fd.isOpen(Number(kev.ident))) throw new Errno(EBADF);
      fp = p.fd.get(Number(kev.ident));
      this.dropStale();
    }
    let kn = this.knotes.find((k) => k.filter === kev.filter && k.ident === kev.ident);
    if (!kn) {
      if (!(kev.flags & EV_ADD)) throw new Errno(ENOENT);
      const ops = base === fileFiltops ? fileKqfilter(fp!, kev.filter) : base;
      kn = new Knote(this, ops, kev);
      kev.fflags = 0;
      kev.data = 0n;
      kn.fp = fp;
      kn.fdp = fp ? p.fd : undefined;
      ops.attach(kn); // an error leaves nothing behind
      this.knotes.push(kn);
    } else if (kev.flags & EV_DELETE) {
      this.detach(kn);
      return;
    } else {
      // The user may change some filter values after the initial EV_ADD, without resetting a
      // filter that has already been triggered.
      kn.ev.udata = kev.udata;
      if (kn.ops.touchRegister) kn.ops.touchRegister(kn, kev);
      else {
        kn.sfflags = kev.fflags;
        kn.sdata = kev.data;
      }
    }
    // done_ev_add
    if (kn.ops.event(kn)) this.activate(kn);
    if (kev.flags & EV_DISABLE) kn.status |= KN_DISABLED;
    if (kev.flags & EV_ENABLE) this.enqueue(kn);
  }

  /**
   * NOTE_TRACK (knote_proc_fork_track): a oneshot NOTE_CHILD event for the new process, with
   * the parent's pid as data, and a knote that goes on tracking the child.
   */
  trackChild(okn: Knote, parent: Proc, child: Proc): boolean {
    if (this.closedFlag) return true;
    if (child.cred.uid !== this.owner.cred.uid && this.owner.cred.euid !== 0) return false;
    const ident = BigInt(child.pid);
    const track = new Knote(this, procOps, { ...okn.ev, ident, fflags: okn.sfflags, data: BigInt(parent.pid), flags: okn.ev.flags | EV_ADD | EV_ENABLE | EV_CLEAR });
    track.proc = child;
    track.vm = child.vm;
    track.children = new Set([...child.children].map((c) => c.pid));
    track.listen(this.host.procEvents);
    const note = new Knote(this, procOps, { ...track.ev, fflags: 0, data: 0n });
    note.ev = { ...track.ev, flags: track.ev.flags | EV_ONESHOT, fflags: NOTE_CHILD, data: BigInt(parent.pid) };
    note.sfflags = 0;
    note.status = KN_DETACHED;
    this.knotes.push(track, note);
    this.activate(note);
    return true;
  }

  private closedFlag = false;

  /** knote_activate: mark active, and queue it unless it is queued or disabled. */
  activate(kn: Knote): void {
    kn.status |= KN_ACTIVE;
    if (!(kn.status & (KN_QUEUED | KN_DISABLED))) {
      kn.status |= KN_QUEUED;
      this.queue.push(kn);
      this.notify();
    }
  }

  /** knote_enqueue (EV_ENABLE): enabled again, and queued if it is active. */
  private enqueue(kn: Knote): void {
    kn.status &= ~KN_DISABLED;
    if ((kn.status & (KN_ACTIVE | KN_QUEUED)) === KN_ACTIVE) {
      kn.status |= KN_QUEUED;
      this.queue.push(kn);
      this.notify();
    }
  }

  /** knote_deactivate_locked. */
  deactivate(kn: Knote): void {
    if (kn.status & KN_QUEUED) this.dequeue(kn);
    kn.status &= ~KN_ACTIVE;
  }

  private dequeue(kn: Knote): void {
    kn.status &= ~KN_QUEUED;
    const i = this.queue.indexOf(kn);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** knote_detach: off the watched object, the kqueue and its queue. */
  private detach(kn: Knote): void {
    kn.ops.detach(kn);
    const i = this.knotes.indexOf(kn);
    if (i >= 0) this.knotes.splice(i, 1);
    if (kn.status & KN_QUEUED) this.dequeue(kn);
  }

  /**
   * knote_fdclose, done late: a knote whose descriptor was closed (or now names another file)
   * is removed without being reported.
   */
  private dropStale(): void {
    for (const kn of [...this.knotes]) {
      if (!kn.ops.isfd) continue;
      const fdp = kn.fdp!;
      const fd = Number(kn.ident);
      if (!fdp.isOpen(fd) || fdp.get(fd) !== kn.fp) this.detach(kn);
    }
  }

  /**
   * Deliver what happened since the last look: the knote() calls of watched objects that woke
   * their queues, signals posted, process events, timer expiries.
   */
  pump(): void {
    if (this.pumping || this.closedFlag) return;
    this.pumping = true;
    try {
      this.dropStale();
      for (const kn of [...this.knotes]) {
        if (!(kn.hinted || kn.ops.always)) continue;
        kn.hinted = false;
        if (kn.status & KN_DETACHED && kn.ops === procOps) continue;
        const fire = kn.ops.hint ? kn.ops.hint(kn) : kn.ops.event(kn);
        if (fire) this.activate(kn);
      }
    } finally {
      this.pumping = false;
    }
  }

  /** The next timer expiry that would activate a knote (a kevent sleep's deadline), if any. */
  nextTimer(): number | undefined {
    let next: number | undefined;
    for (const kn of this.knotes) {
      if (kn.ops !== timerOps || kn.status & KN_DISABLED || kn.timerNext === Infinity) continue;
      if (next === undefined || kn.timerNext < next) next = kn.timerNext;
    }
    return next;
  }

  /**
   * The collecting half of kqueue_scan: up to `max` events from the knotes queued now (a marker
   * stops the walk at the knotes re-queued during it).
   */
  collect(max: number): Kevent[] {
    const out: Kevent[] = [];
    let left = this.queue.length; // the marker
    while (left-- > 0 && out.length < max) {
      const kn = this.queue.shift()!;
      kn.status &= ~KN_QUEUED;
      if (kn.status & KN_DISABLED) continue; // don't want disabled events
      if (!(kn.ev.flags & EV_ONESHOT) && !kn.ops.event(kn)) {
        kn.status &= ~KN_ACTIVE; // not triggered again: stays off the queue
        continue;
      }
      out.push(kn.ops.touchProcess ? kn.ops.touchProcess(kn) : { ...kn.ev });
      if (kn.ev.flags & EV_ONESHOT) {
        this.detach(kn);
      } else if (kn.ev.flags & EV_CLEAR) {
        kn.ev.data = 0n;
        kn.ev.fflags = 0;
        kn.status &= ~KN_ACTIVE;
      } else if (kn.ev.flags & EV_DISPATCH) {
        kn.status |= KN_DISABLED;
        kn.status &= ~KN_ACTIVE;
      } else {
        kn.status |= KN_QUEUED; // add event back on list
        this.queue.push(kn);
      }
    }
    return out;
  }

  override read(): number {
    throw new Errno(ENXIO);
  }

  override write(): number {
    throw new Errno(ENXIO);
  }

  /**
   * kqueue_ioctl (kern_event.c): KFILTER_BYFILTER copies out a filter's name (copyoutstr into
   * km->name, km->len bytes: ENAMETOOLONG if it does not fit), KFILTER_BYNAME looks a name up
   * (copyinstr of at most KFILTER_MAXNAME bytes); ENOENT for a filter not in sys_kfilters[].
   * Everything else is ENOTTY, FIONBIO included (sys_ioctl has set FNONBLOCK by then, and
   * leaves it set).
   */
  override ioctl(cmd: number, data: IoctlData, k: IoctlCtx): void {
    const d = data.view;
    const vm = k.proc.vm;
    if (cmd === KFILTER_BYFILTER) {
      const filter = d.getUint32(16, true);
      const name = SYS_KFILTERS[filter];
      if (name === undefined) throw new Errno(ENOENT);
      const len = Number(d.getBigUint64(8, true));
      const bytes = Buffer.from(`${name}\0`, 'latin1');
      const addr = Number(d.getBigUint64(0, true));
      if (len < bytes.length) {
        if (len > 0) vm.write(addr, bytes.subarray(0, len));
        throw new Errno(ENAMETOOLONG);
      }
      vm.write(addr, bytes);
      return;
    }
    if (cmd === KFILTER_BYNAME) {
      const name = vm.readString(Number(d.getBigUint64(0, true)), KFILTER_MAXNAME, ENAMETOOLONG);
      const filter = SYS_KFILTERS.indexOf(name);
      if (filter < 0) throw new Errno(ENOENT);
      d.setUint32(16, filter, true);
      return;
    }
    throw new Errno(ENOTTY);
  }

  /** kqueue_fcntl: ENOTTY for F_GETPATH too. */
  override getPath(): string {
    throw new Errno(ENOTTY);
  }

  /** kqueue_fcntl answers ENOTTY to everything, so F_SETFL on a kqueue fails (sys_fcntl). */
  override fcntlSetfl(): void {
    throw new Errno(ENOTTY);
  }

  /** kqueue_poll: readable while events are pending. */
  override poll(events: number): number {
    if (!(events & (POLLIN | POLLRDNORM))) return 0;
    this.pump();
    return this.count ? events & (POLLIN | POLLRDNORM) : 0;
  }

  override pollQueues(): WaitQueue[] {
    return [this.waitq];
  }

  /** kqueue_stat: zeroed, st_size the pending count, a FIFO owned by the opener. */
  stat(): StatInfo {
    this.pump();
    return {
      ...emptyStat(S_IFIFO | 0o600),
      nlink: 0,
      size: this.count,
      blksize: 40, // sizeof(struct kevent)
      blocks: 1,
      uid: this.owner.cred.euid,
      gid: this.owner.cred.egid,
      atimeMs: 0,
      mtimeMs: 0,
      ctimeMs: 0,
      birthtimeMs: 0,
    };
  }

  /** kqueue_close: every knote of this kqueue is detached. */
  protected close(): void {
    this.closedFlag = true;
    for (const kn of [...this.knotes]) this.detach(kn);
    this.queue.length = 0;
    this.waitq.wakeup();
  }
}
