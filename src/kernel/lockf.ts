// Advisory locks on files (sys/kern/vfs_lockf.c 1.73: lf_advlock and its helpers), for both
// kinds a vnode carries on one list: POSIX record locks (fcntl F_SETLK/F_SETLKW/F_GETLK, owned
// by the process) and flock(2) locks (and open's O_SHLOCK/O_EXLOCK, owned by the open file).
// The list walks below are a line-for-line port of NetBSD's, so locks split, merge, upgrade and
// downgrade as they do there, and F_GETLK reports the same first blocking lock. Locks are
// shared among nbemu's processes, keyed by the host file (dev:ino), not with host processes.
//
// Two differences of mechanism, neither visible to a program: a request that must wait sleeps
// on one queue per file (not one per blocking lock), so a change to any lock of the file wakes
// every waiter there and each looks again, as after any wake-up in lf_setlock's loop; and a
// waiting request is not kept on the list while it sleeps (the call is re-executed from the
// start when woken), so its lockf is counted against the per-user limit only while the call runs.

import {
  EAGAIN, EDEADLK, EINVAL, ENOMEM, F_FLOCK, F_GETLK, F_POSIX, F_RDLCK, F_SETLK, F_UNLCK, F_WAIT, F_WRLCK, SEEK_CUR, SEEK_END, SEEK_SET,
} from './constants.js';
import { Errno } from './errno.js';
import type { Lwp } from './lwp.js';
import type { Proc } from './proc.js';
import { Sleep, WaitQueue } from './sleepq.js';

/** struct lockf. `end` is -1n for "to the end of the file"; offsets are off_t, so bigint. */
interface Lockf {
  flags: number; // F_POSIX, F_FLOCK, F_WAIT
  type: number; // F_RDLCK, F_WRLCK, F_UNLCK
  start: bigint;
  end: bigint;
  /** lf_id: the process (F_POSIX) or the open file (F_FLOCK) holding it. */
  id: object;
  /** The owning process's pid, for F_GETLK's l_pid (F_POSIX locks). */
  pid: number;
  head: LockHead;
  next: Lockf | null;
  uid: number;
}

/** Something with an lf_next: a lock, or the list head (struct lockf ** in NetBSD). */
interface Link {
  next: Lockf | null;
}

/** A vnode's lock list (ip->i_lockf), and the queue its waiting requests sleep on. */
interface LockHead extends Link {
  readonly key: string;
  readonly waiters: WaitQueue;
}

/** struct flock as fcntl passes it (sys/sys/fcntl.h). */
export interface FlockArg {
  start: bigint;
  len: bigint;
  pid: number;
  type: number;
  whence: number;
}

const SELF = 0x1;
const OTHERS = 0x2;
/** MAXDEPTH: how long a chain of waiting processes deadlock detection follows. */
const MAXLOCKDEPTH = 50;
/** maxlocksperuid: lockf structures a non-root user may have. */
const MAXLOCKSPERUID = 1024;
/** The wmesg of a request waiting for a lock ("lockf"), which deadlock detection looks for. */
const LOCKSTR = 'lockf';

const heads = new Map<string, LockHead>();
/** uidinfo's ui_lockcnt. */
const lockcnt = new Map<number, number>();
/** For deadlock detection: the lock a sleeping LWP's request is blocked on (its wchan's lf_next). */
const blockedOn = new WeakMap<Lwp, Lockf>();

function headFor(key: string): LockHead {
  let h = heads.get(key);
  if (!h) {
    h = { key, next: null, waiters: new WaitQueue(LOCKSTR) };
    heads.set(key, h);
  }
  return h;
}

/** Forget a list that has no locks and nobody waiting (the map holds only live ones). */
function tidy(h: LockHead): void {
  if (h.next === null && h.waiters.empty) heads.delete(h.key);
}

/** lf_alloc: 0 always allocates, 1 fails past the limit, 2 past twice the limit (root: never). */
function lfAlloc(uid: number, allowfail: number, head: LockHead): Lockf | null {
  const lcnt = (lockcnt.get(uid) ?? 0) + 1;
  if (uid !== 0 && allowfail && lcnt > (allowfail === 1 ? MAXLOCKSPERUID : MAXLOCKSPERUID * 2)) return null;
  lockcnt.set(uid, lcnt);
  return { flags: 0, type: 0, start: 0n, end: 0n, id: head, pid: 0, head, next: null, uid };
}

function lfFree(lock: Lockf): void {
  const n = (lockcnt.get(lock.uid) ?? 1) - 1;
  if (n) lockcnt.set(lock.uid, n);
  else lockcnt.delete(lock.uid);
}

/** A walk's position: prev is the link that points at overlap. */
interface Cursor {
  prev: Link;
  overlap: Lockf | null;
}

/**
 * lf_findoverlap: the first lock from `lf` on (of the same owner, SELF, or another, OTHERS) that
 * overlaps `lock`, and how: 0 none, 1 the same range, 2 it contains lock, 3 lock contains it,
 * 4 it starts before lock, 5 it ends after lock.
 */
function findOverlap(lf: Lockf | null, lock: Lockf, type: number, c: Cursor): number {
  c.overlap = lf;
  if (lf === null) return 0;
  const { start, end } = lock;
  while (lf !== null) {
    if ((type === SELF && lf.id !== lock.id) || (type === OTHERS && lf.id === lock.id)) {
      c.prev = lf;
      c.overlap = lf = lf.next;
      continue;
    }
    if ((lf.end !== -1n && start > lf.end) || (end !== -1n && lf.start > end)) {
      // Case 0: no overlap. A lock of our own starting past our end ends the search.
      if (type & SELF && end !== -1n && lf.start > end) return 0;
      c.prev = lf;
      c.overlap = lf = lf.next;
      continue;
    }
    if (lf.start === start && lf.end === end) return 1;
    if (lf.start <= start && end !== -1n && (lf.end >= end || lf.end === -1n)) return 2;
    if (start <= lf.start && (end === -1n || (lf.end !== -1n && end >= lf.end))) return 3;
    if (lf.start < start && (lf.end >= start || lf.end === -1n)) return 4;
    if (lf.start > start && end !== -1n && (lf.end > end || lf.end === -1n)) return 5;
    throw new Error('lf_findoverlap: default');
  }
  return 0;
}

/** lf_split: cut lock2's range out of lock1, into two or three locks. */
function split(lock1: Lockf, lock2: Lockf, spare: { lock: Lockf | null }): void {
  if (lock1.start === lock2.start) {
    lock1.start = lock2.end + 1n;
    lock2.next = lock1;
    return;
  }
  if (lock1.end === lock2.end) {
    lock1.end = lock2.start - 1n;
    lock2.next = lock1.next;
    lock1.next = lock2;
    return;
  }
  const s = spare.lock!;
  spare.lock = null;
  Object.assign(s, lock1);
  s.start = lock2.end + 1n;
  lock1.end = lock2.start - 1n;
  s.next = lock1.next;
  lock2.next = s;
  lock1.next = lock2;
}

/** lf_wakelock: the requests blocked on this lock look again. */
function wakelock(lock: Lockf): void {
  lock.head.waiters.wakeup();
}

/** lf_clearlock: remove the owner's locks in the range, shrinking or splitting what overlaps. */
function clearlock(unlock: Lockf, spare: { lock: Lockf | null }): void {
  const head = unlock.head;
  let lf = head.next;
  if (lf === null) return;
  const c: Cursor = { prev: head, overlap: null };
  let ovcase: number;
  while ((ovcase = findOverlap(lf, unlock, SELF, c)) !== 0) {
    const overlap = c.overlap!;
    wakelock(overlap);
    switch (ovcase) {
      case 1: // overlap == lock
        c.prev.next = overlap.next;
        lfFree(overlap);
        break;
      case 2: // overlap contains lock: split it
        if (overlap.start === unlock.start) {
          overlap.start = unlock.end + 1n;
          break;
        }
        split(overlap, unlock, spare);
        overlap.next = unlock.next;
        break;
      case 3: // lock contains overlap
        c.prev.next = overlap.next;
        lf = overlap.next;
        lfFree(overlap);
        continue;
      case 4: // overlap starts before lock
        overlap.end = unlock.start - 1n;
        c.prev = overlap;
        lf = overlap.next;
        continue;
      case 5: // overlap ends after lock
        overlap.start = unlock.end + 1n;
        break;
    }
    break;
  }
}

/** lf_getblock: the first lock of another owner that overlaps and conflicts (either is a write lock). */
function getblock(lock: Lockf): Lockf | null {
  const c: Cursor = { prev: lock.head, overlap: null };
  let lf = lock.head.next;
  while (findOverlap(lf, lock, OTHERS, c) !== 0) {
    const overlap = c.overlap!;
    if (lock.type === F_WRLCK || overlap.type === F_WRLCK) return overlap;
    lf = overlap.next;
  }
  return null;
}

/**
 * The deadlock check of lf_setlock (POSIX locks only): follow the chain from the holder of the
 * blocking lock — while it is a single-LWP process asleep on a lock request, to the holder of the
 * lock that request waits for — and see whether it comes back to the caller.
 */
function wouldDeadlock(block: Lockf, curproc: Proc): boolean {
  let p = block.id as Proc;
  let i = 0;
  while (i++ < MAXLOCKDEPTH) {
    const lwps = [...p.lwps.values()].filter((l) => l.state !== 'zombie');
    if (lwps.length > 1) break;
    const wlwp = lwps[0];
    if (!wlwp || wlwp.state !== 'sleeping' || wlwp.sleepingOn?.wmesg !== LOCKSTR) break;
    const waitblock = blockedOn.get(wlwp);
    if (!waitblock || !(waitblock.flags & F_POSIX)) break;
    p = waitblock.id as Proc;
    if (p === curproc) return true;
  }
  // Still following a chain after maxlockdepth steps: assume a cycle, to be safe.
  return i >= MAXLOCKDEPTH;
}

/** lf_setlock: take the lock, waiting (F_WAIT) for conflicting locks of others to go. */
function setlock(lock: Lockf, spare: { lock: Lockf | null }, curproc: Proc): void {
  let block: Lockf | null;
  while ((block = getblock(lock)) !== null) {
    if (!(lock.flags & F_WAIT)) {
      lfFree(lock);
      throw new Errno(EAGAIN);
    }
    if (lock.flags & F_POSIX && block.flags & F_POSIX && wouldDeadlock(block, curproc)) {
      lfFree(lock);
      throw new Errno(EDEADLK);
    }
    // flock: give up our shared lock before waiting for an exclusive one (not atomic).
    if (lock.flags & F_FLOCK && lock.type === F_WRLCK) {
      lock.type = F_UNLCK;
      clearlock(lock, { lock: null });
      lock.type = F_WRLCK;
    }
    // cv_wait_sig: the call sleeps and runs again from the start when woken; a signal ends it
    // with EINTR, or restarts it under SA_RESTART (ERESTART).
    lfFree(lock);
    blockedOn.set(curproc.curlwp, block);
    throw new Sleep(lock.head.waiters);
  }
  // No blocks: add the lock, upgrading or downgrading the owner's overlapping locks.
  const head = lock.head;
  const c: Cursor = { prev: head, overlap: null };
  let cur: Lockf | null = head.next;
  let needtolink = true;
  for (;;) {
    const ovcase = findOverlap(cur, lock, SELF, c);
    const overlap = c.overlap;
    if (ovcase) cur = overlap!.next;
    switch (ovcase) {
      case 0: // no overlap
        if (needtolink) {
          c.prev.next = lock;
          lock.next = overlap;
        }
        break;
      case 1: // overlap == lock: a downgrade may let others in
        if (lock.type === F_RDLCK && overlap!.type === F_WRLCK) wakelock(overlap!);
        overlap!.type = lock.type;
        lfFree(lock);
        lock = overlap!;
        break;
      case 2: // overlap contains lock
        if (overlap!.type === lock.type) {
          lfFree(lock);
          lock = overlap!;
          break;
        }
        if (overlap!.start === lock.start) {
          c.prev.next = lock;
          lock.next = overlap;
          overlap!.start = lock.end + 1n;
        } else split(overlap!, lock, spare);
        wakelock(overlap!);
        break;
      case 3: // lock contains overlap: a downgrade may let others in (its waiters move to lock in NetBSD; here they wait on the file)
        if (lock.type === F_RDLCK && overlap!.type === F_WRLCK) wakelock(overlap!);
        if (needtolink) {
          c.prev.next = lock;
          lock.next = overlap!.next;
          c.prev = lock;
          needtolink = false;
        } else c.prev.next = overlap!.next;
        lfFree(overlap!);
        continue;
      case 4: // overlap starts before lock
        lock.next = overlap!.next;
        overlap!.next = lock;
        overlap!.end = lock.start - 1n;
        c.prev = lock;
        wakelock(overlap!);
        needtolink = false;
        continue;
      case 5: // overlap ends after lock
        if (needtolink) {
          c.prev.next = lock;
          lock.next = overlap;
        }
        overlap!.start = lock.end + 1n;
        wakelock(overlap!);
        break;
    }
    break;
  }
}

/** lf_getlock: the first lock that would block this one, or l_type = F_UNLCK. */
function getlock(lock: Lockf, fl: FlockArg): void {
  const block = getblock(lock);
  if (block) {
    fl.type = block.type;
    fl.whence = SEEK_SET;
    fl.start = block.start;
    fl.len = block.end === -1n ? 0n : block.end - block.start + 1n;
    fl.pid = block.flags & F_POSIX ? block.pid : -1;
  } else fl.type = F_UNLCK;
}

/** The caller of an advisory-lock operation. */
export interface LockCaller {
  /** The calling process: needed to wait (and to detect a deadlock); absent for the unlocks of a close. */
  proc?: Proc;
  /** curproc's pid, recorded in a POSIX lock for F_GETLK. */
  pid: number;
  /** kauth_cred_geteuid: whose per-user lock count it is. */
  uid: number;
}

/**
 * lf_advlock: do `op` (F_SETLK, F_UNLCK or F_GETLK) for owner `id` (the process for F_POSIX,
 * the open file for F_FLOCK) on the file `key`, whose size SEEK_END counts from. `flags` is
 * F_POSIX or F_FLOCK, with F_WAIT to sleep on a conflict. F_GETLK fills `fl` in. Throws the
 * errno (EINVAL, ENOMEM, EAGAIN, EDEADLK), or Sleep to wait.
 */
export function lfAdvlock(key: string, id: object, op: number, fl: FlockArg, flags: number, size: number, caller: LockCaller): void {
  let start: bigint;
  switch (fl.whence) {
    case SEEK_SET:
    case SEEK_CUR: // the caller has added the file offset (vn_advlock)
      start = fl.start;
      break;
    case SEEK_END:
      start = BigInt.asIntN(64, BigInt(size) + fl.start);
      break;
    default:
      throw new Errno(EINVAL);
  }
  let end: bigint;
  if (fl.len === 0n) end = -1n;
  else if (fl.len > 0n) end = BigInt.asIntN(64, start + fl.len - 1n);
  else {
    // lockf() allows negative lengths: the range ends just before start.
    end = start - 1n;
    start = BigInt.asIntN(64, start + fl.len);
  }
  if (start < 0n) throw new Errno(EINVAL);
  const head = headFor(key);
  try {
    const spare: { lock: Lockf | null } = { lock: null };
    if ((op === F_SETLK || op === F_UNLCK) && !(flags & F_FLOCK)) spare.lock = lfAlloc(caller.uid, 0, head); // a byte range may need one more
    else if (op !== F_SETLK && op !== F_UNLCK && op !== F_GETLK) throw new Errno(EINVAL);
    const allowfail = op === F_SETLK ? 1 : op === F_UNLCK && !(start === 0n || end === -1n) ? 2 : 0;
    let lock = lfAlloc(caller.uid, allowfail, head);
    try {
      if (lock === null) throw new Errno(ENOMEM);
      // The common case of unlocking (or asking) when the file has no locks.
      if (head.next === null && op !== F_SETLK) {
        fl.type = F_UNLCK;
        return;
      }
      Object.assign(lock, { start, end, type: fl.type, next: null, flags, id, pid: caller.pid });
      if (op === F_SETLK) {
        const l = lock;
        lock = null; // lf_setlock frees it
        setlock(l, spare, caller.proc!);
      } else if (op === F_UNLCK) clearlock(lock, spare);
      else getlock(lock, fl);
    } finally {
      if (lock) lfFree(lock);
      if (spare.lock) lfFree(spare.lock);
    }
  } finally {
    tidy(head);
  }
}

/** Would a new owner's lock of this type (F_RDLCK, F_WRLCK) on the whole file have to wait? */
export function wouldBlock(key: string, type: number): boolean {
  const head = heads.get(key);
  if (!head) return false;
  const probe: Lockf = { flags: F_FLOCK, type, start: 0n, end: -1n, id: {}, pid: 0, head, next: null, uid: 0 };
  return getblock(probe) !== null;
}
