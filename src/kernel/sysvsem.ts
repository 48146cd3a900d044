// System V semaphores: the sets, each process's undo list, and the calls, after
// sys/kern/sysv_sem.c 1.94 (sys_semget, sys_semop, semctl1, semundo_adjust, semundo_clear,
// semexit) with ipcperm (sysv_ipc.ts). A semop that must wait sleeps on its set's queue and is
// run again from the start when woken, as NetBSD's loop does after cv_wait_sig.

import {
  E2BIG, EAGAIN, EEXIST, EFBIG, EIDRM, EINVAL, ENOENT, ENOSPC, ERANGE, GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_CREAT,
  IPC_EXCL, IPC_M, IPC_NOWAIT, IPC_PRIVATE, IPC_R, IPC_RMID, IPC_SET, IPC_STAT, IPC_W, SEMID_DS_SIZE, SEMMNI, SEMMNS, SEMMNU,
  SEMMSL, SEMOPM, SEMUME, SEMVMX, SEM_ALLOC, SEM_UNDO, SETALL, SETVAL,
} from './constants.js';
import { Errno } from './errno.js';
import type { Proc } from './proc.js';
import { Sleep, WaitQueue } from './sleepq.js';
import { IPCID_TO_IX, IPCID_TO_SEQ, IXSEQ_TO_IPCID, encodeIpcPerm, ipcperm, type IpcPerm } from './sysvipc.js';

/** struct __sem */
interface Sem {
  semval: number;
  sempid: number;
  semncnt: number;
  semzcnt: number;
}

/** struct semid_ds, with its semaphores (_sem_base) and its condition variable (semcv). */
interface SemSet {
  perm: IpcPerm;
  nsems: number;
  otime: number;
  ctime: number;
  sems: Sem[];
  readonly cv: WaitQueue;
}

/** struct sembuf: sem_num, sem_op, sem_flg. */
export interface SemBuf {
  num: number;
  op: number;
  flg: number;
}

/** struct sem_undo_entry: what exit adds back to one semaphore (un_id is the set's index). */
interface UndoEntry {
  ix: number;
  num: number;
  adjval: number;
}

/** A semop asleep: which count it raised, for the wake-up (or a signal) to lower again. */
interface SemWait {
  ix: number;
  seq: number;
  num: number;
  zero: boolean;
}

export class SemTable {
  readonly sets: SemSet[] = Array.from({ length: SEMMNI }, () => ({
    perm: { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0, seq: 0, key: 0n }, nsems: 0, otime: 0, ctime: 0, sems: [],
    cv: new WaitQueue('semwait'),
  }));
  /** semtot: semaphores in use, out of semmns. */
  private semtot = 0;
  /** semu_list: the undo vectors (semmnu of them at most), by process. */
  private readonly undo = new Map<Proc, UndoEntry[]>();

  constructor(private readonly now: () => number) {}

  private live(semid: number): SemSet | undefined {
    const ix = IPCID_TO_IX(semid);
    if (semid < 0 || ix >= SEMMNI) return undefined;
    const s = this.sets[ix]!;
    if (!(s.perm.mode & SEM_ALLOC) || s.perm.seq !== IPCID_TO_SEQ(semid)) return undefined;
    return s;
  }

  /**
   * sys_semget: the key is an int here. An existing key: ipcperm for semflg & 0700 (EACCES),
   * more semaphores asked than the set has → EINVAL, IPC_CREAT|IPC_EXCL → EEXIST (in that
   * order). A new set (IPC_PRIVATE or IPC_CREAT): nsems outside 1..semmsl → EINVAL, fewer than
   * that left of semmns → ENOSPC, no free identifier → ENOSPC; otherwise ENOENT.
   */
  get(p: Proc, key: number, nsems: number, semflg: number): number {
    key |= 0;
    if (key !== IPC_PRIVATE) {
      const ix = this.sets.findIndex((s) => s.perm.mode & SEM_ALLOC && s.perm.key === BigInt(key));
      if (ix >= 0) {
        const s = this.sets[ix]!;
        ipcperm(p.cred, s.perm, semflg & 0o700);
        if (nsems > 0 && s.nsems < nsems) throw new Errno(EINVAL);
        if (semflg & IPC_CREAT && semflg & IPC_EXCL) throw new Errno(EEXIST);
        return IXSEQ_TO_IPCID(ix, s.perm.seq);
      }
    }
    if (key !== IPC_PRIVATE && !(semflg & IPC_CREAT)) throw new Errno(ENOENT);
    if (nsems <= 0 || nsems > SEMMSL) throw new Errno(EINVAL);
    if (nsems > SEMMNS - this.semtot) throw new Errno(ENOSPC);
    const ix = this.sets.findIndex((s) => !(s.perm.mode & SEM_ALLOC));
    if (ix < 0) throw new Errno(ENOSPC);
    const s = this.sets[ix]!;
    s.perm = {
      uid: p.cred.euid, gid: p.cred.egid, cuid: p.cred.euid, cgid: p.cred.egid,
      mode: (semflg & 0o777) | SEM_ALLOC, seq: (s.perm.seq + 1) & 0x7fff, key: BigInt(key),
    };
    s.nsems = nsems;
    s.otime = 0;
    s.ctime = this.now();
    s.sems = Array.from({ length: nsems }, () => ({ semval: 0, sempid: 0, semncnt: 0, semzcnt: 0 }));
    this.semtot += nsems;
    return IXSEQ_TO_IPCID(ix, s.perm.seq);
  }

  /**
   * sys_semop: more than semopm operations → E2BIG (before the copy-in, which the caller
   * does); the set (EINVAL); ipcperm IPC_W (EACCES), even to wait for zero; a sem_num past the
   * set → EFBIG. The vector is applied whole or not at all: where an operation cannot go on,
   * what was done is rolled back, and the call fails with EAGAIN (IPC_NOWAIT) or sleeps with
   * that semaphore's semncnt or semzcnt raised; a signal ends the sleep with EINTR, the set's
   * removal with EIDRM. SEM_UNDO operations record their inverse for exit (semundo_adjust:
   * semmnu vectors → ENOSPC, semume entries each → EINVAL, and the whole call undone).
   */
  op(p: Proc, semid: number, sops: SemBuf[]): void {
    const waited = (p.restartState as { semWait?: SemWait } | undefined)?.semWait;
    if (waited) {
      // Woken (cv_wait_sig returned): the set must still be there, then the count goes down.
      p.restartState = undefined;
      if (!this.stopWaiting(waited)) throw new Errno(EIDRM);
    }
    const s = this.live(semid);
    if (!s) throw new Errno(EINVAL);
    ipcperm(p.cred, s.perm, IPC_W);
    if (sops.some((o) => o.num >= s.nsems)) throw new Errno(EFBIG);
    let doWakeup = false;
    let doUndos = false;
    let i = 0;
    for (; i < sops.length; i++) {
      const o = sops[i]!;
      const sem = s.sems[o.num]!;
      if (o.op < 0) {
        if (sem.semval + o.op < 0) break;
        sem.semval += o.op;
        if (sem.semval === 0 && sem.semzcnt > 0) doWakeup = true;
        if (o.flg & SEM_UNDO) doUndos = true;
      } else if (o.op === 0) {
        if (sem.semval > 0) break;
      } else {
        if (sem.semncnt > 0) doWakeup = true;
        sem.semval += o.op;
        if (o.flg & SEM_UNDO) doUndos = true;
      }
    }
    if (i < sops.length) {
      const blocked = sops[i]!;
      while (i-- > 0) s.sems[sops[i]!.num]!.semval -= sops[i]!.op;
      if (blocked.flg & IPC_NOWAIT) throw new Errno(EAGAIN);
      const sem = s.sems[blocked.num]!;
      const zero = blocked.op === 0;
      if (zero) sem.semzcnt++;
      else sem.semncnt++;
      const ix = IPCID_TO_IX(semid);
      const wait: SemWait = { ix, seq: s.perm.seq, num: blocked.num, zero };
      // EINTR (or the process's end) instead of a wake-up: the count goes down all the same
      p.restartState = { semWait: wait, abandon: () => this.stopWaiting(wait) };
      throw new Sleep(s.cv, undefined, 'eintr');
    }
    if (doUndos) {
      const ix = IPCID_TO_IX(semid);
      const undone: SemBuf[] = [];
      for (const o of sops) {
        if (!(o.flg & SEM_UNDO) || o.op === 0) continue;
        try {
          this.adjust(p, ix, o.num, -o.op);
          undone.push(o);
        } catch (e) {
          for (const u of undone.reverse()) this.adjust(p, ix, u.num, u.op);
          for (const x of sops) s.sems[x.num]!.semval -= x.op;
          throw e;
        }
      }
    }
    for (const o of sops) s.sems[o.num]!.sempid = p.pid;
    s.otime = this.now();
    if (doWakeup) s.cv.wakeup();
  }

  /** A semop's sleep is over: its semncnt or semzcnt goes down; false if the set went meanwhile. */
  private stopWaiting(w: SemWait): boolean {
    const s = this.sets[w.ix]!;
    if (!(s.perm.mode & SEM_ALLOC) || s.perm.seq !== w.seq) return false;
    const sem = s.sems[w.num]!;
    if (w.zero) sem.semzcnt--;
    else sem.semncnt--;
    return true;
  }

  /** semundo_adjust: the process's vector (semu_alloc: ENOSPC past semmnu), its entry for the semaphore. */
  private adjust(p: Proc, ix: number, num: number, adjval: number): void {
    let list = this.undo.get(p);
    if (!list) {
      if (this.undo.size >= SEMMNU) {
        // semu_alloc frees the vectors with no entries left before giving up
        for (const [q, l] of this.undo) if (l.length === 0) this.undo.delete(q);
        if (this.undo.size >= SEMMNU) throw new Errno(ENOSPC);
      }
      list = [];
      this.undo.set(p, list);
    }
    const e = list.find((x) => x.ix === ix && x.num === num);
    if (e) {
      e.adjval += adjval;
      if (e.adjval === 0) list.splice(list.indexOf(e), 1);
      return;
    }
    if (list.length === SEMUME) throw new Errno(EINVAL);
    list.push({ ix, num, adjval });
  }

  /** semundo_clear: every process's adjustments for one semaphore of the set, or all of it (-1). */
  private clearUndo(ix: number, num: number): void {
    for (const list of this.undo.values()) {
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.ix === ix && (num === -1 || list[i]!.num === num)) list.splice(i, 1);
    }
  }

  /**
   * semctl1 (after sys_____semctl50 copied in what the command needs): the set (EINVAL), then
   * per command: IPC_RMID and IPC_SET need IPC_M (EPERM); IPC_STAT, GETNCNT, GETPID, GETVAL,
   * GETALL and GETZCNT IPC_R; SETVAL and SETALL IPC_W (EACCES); a semnum outside the set →
   * EINVAL; a value past semvmx → ERANGE; another command → EINVAL. Returns the call's value.
   * `io` reads and writes the caller's memory for IPC_SET/IPC_STAT, GETALL and SETALL.
   */
  ctl(p: Proc, semid: number, semnum: number, cmd: number, io: SemctlIo): number {
    const s = this.live(semid);
    if (!s) throw new Errno(EINVAL);
    const ix = IPCID_TO_IX(semid);
    const inRange = (): Sem => {
      if (semnum < 0 || semnum >= s.nsems) throw new Errno(EINVAL);
      return s.sems[semnum]!;
    };
    switch (cmd) {
      case IPC_RMID:
        ipcperm(p.cred, s.perm, IPC_M);
        this.semtot -= s.nsems;
        s.perm = { ...s.perm, cuid: p.cred.euid, uid: p.cred.euid, mode: 0 };
        s.sems = [];
        this.clearUndo(ix, -1);
        s.cv.wakeup(); // the sleepers find it gone: EIDRM
        return 0;
      case IPC_SET: {
        ipcperm(p.cred, s.perm, IPC_M);
        const b = io.setBuf!;
        const dv = new DataView(b.buffer, b.byteOffset, SEMID_DS_SIZE);
        s.perm.uid = dv.getUint32(0, true);
        s.perm.gid = dv.getUint32(4, true);
        s.perm.mode = (s.perm.mode & ~0o777) | (dv.getUint32(16, true) & 0o777);
        s.ctime = this.now();
        return 0;
      }
      case IPC_STAT: {
        ipcperm(p.cred, s.perm, IPC_R);
        const b = new Uint8Array(SEMID_DS_SIZE);
        b.set(encodeIpcPerm(s.perm));
        const dv = new DataView(b.buffer);
        dv.setUint16(32, s.nsems, true);
        dv.setBigInt64(40, BigInt(s.otime), true);
        dv.setBigInt64(48, BigInt(s.ctime), true);
        io.stat = b;
        return 0;
      }
      case GETNCNT:
        ipcperm(p.cred, s.perm, IPC_R);
        return inRange().semncnt;
      case GETPID:
        ipcperm(p.cred, s.perm, IPC_R);
        return inRange().sempid;
      case GETVAL:
        ipcperm(p.cred, s.perm, IPC_R);
        return inRange().semval;
      case GETZCNT:
        ipcperm(p.cred, s.perm, IPC_R);
        return inRange().semzcnt;
      case GETALL:
        ipcperm(p.cred, s.perm, IPC_R);
        for (let i = 0; i < s.nsems; i++) io.putU16!(i, s.sems[i]!.semval); // copyout each: EFAULT midway
        return 0;
      case SETVAL: {
        ipcperm(p.cred, s.perm, IPC_W);
        const sem = inRange();
        if (io.val! >>> 0 > SEMVMX) throw new Errno(ERANGE);
        sem.semval = io.val!;
        this.clearUndo(ix, semnum);
        s.cv.wakeup();
        return 0;
      }
      case SETALL: {
        ipcperm(p.cred, s.perm, IPC_W);
        try {
          for (let i = 0; i < s.nsems; i++) {
            const v = io.getU16!(i); // copyin each: EFAULT midway keeps what was set
            if (v > SEMVMX) throw new Errno(ERANGE);
            s.sems[i]!.semval = v;
          }
        } finally {
          this.clearUndo(ix, -1);
          s.cv.wakeup();
        }
        return 0;
      }
      default:
        throw new Errno(EINVAL);
    }
  }

  /**
   * semexit: at the process's exit its adjustments are applied (one that would go below zero
   * leaves zero) and the sets' sleepers woken; its vector goes.
   */
  exit(p: Proc): void {
    const list = this.undo.get(p);
    if (!list) return;
    this.undo.delete(p);
    for (const e of list) {
      const s = this.sets[e.ix]!;
      if (!(s.perm.mode & SEM_ALLOC) || e.num >= s.nsems) continue;
      const sem = s.sems[e.num]!;
      if (e.adjval < 0 && sem.semval < -e.adjval) sem.semval = 0;
      else sem.semval += e.adjval;
      s.cv.wakeup();
    }
  }
}

/** What semctl1 reads and writes through sys_____semctl50's union __semun. */
export interface SemctlIo {
  val?: number;
  setBuf?: Uint8Array;
  stat?: Uint8Array;
  getU16?: (i: number) => number;
  putU16?: (i: number, v: number) => void;
}

/** sys_semop's first check, before the copy-in. */
export function checkNsops(nsops: number): void {
  if (nsops > SEMOPM) throw new Errno(E2BIG);
}
