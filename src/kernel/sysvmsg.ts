// System V message queues, after sys/kern/sysv_msg.c 1.69 (sys_msgget, msgsnd1, msgrcv1,
// msgctl1) with ipcperm (sysvipc.ts). Messages take msgssz-byte segments from a pool of msgseg
// and a header from msgtql; a send that finds no room sleeps on the queue, holding it
// (MSG_LOCKED) so that later senders wait behind it; a receive that finds nothing sleeps too.
// Both are run again from the start when woken, as NetBSD's loops are.

import {
  E2BIG, EAGAIN, EEXIST, EIDRM, EINVAL, ENOENT, ENOMSG, ENOSPC, EPERM, IPC_CREAT, IPC_EXCL, IPC_M, IPC_NOWAIT, IPC_PRIVATE,
  IPC_R, IPC_RMID, IPC_SET, IPC_STAT, IPC_W, MSGMNB, MSGMNI, MSGSEG, MSGSSZ, MSGTQL, MSG_LOCKED, MSG_NOERROR, MSQID_DS_SIZE,
} from './constants.js';
import { Errno } from './errno.js';
import type { Proc } from './proc.js';
import { Sleep, WaitQueue } from './sleepq.js';
import { IPCID_TO_IX, IPCID_TO_SEQ, IXSEQ_TO_IPCID, encodeIpcPerm, ipcperm, type IpcPerm } from './sysvipc.js';

interface Msg {
  type: bigint;
  data: Uint8Array;
}

/** struct msqid_ds (msg_qbytes 0: the slot is free) and its condition variable. */
interface MsgQueue {
  perm: IpcPerm;
  msgs: Msg[];
  cbytes: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
  stime: number;
  rtime: number;
  ctime: number;
  readonly cv: WaitQueue;
}

/** How a sleeping call left the queue: a sender that took MSG_LOCKED gives it back when woken. */
interface MsgWait {
  ix: number;
  ownLock: boolean;
}

export class MsgTable {
  readonly queues: MsgQueue[] = Array.from({ length: MSGMNI }, () => ({
    perm: { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0, seq: 0, key: 0n }, msgs: [], cbytes: 0, qbytes: 0,
    lspid: 0, lrpid: 0, stime: 0, rtime: 0, ctime: 0, cv: new WaitQueue('msgwait'),
  }));
  /** nfree_msgmaps and the free headers (free_msghdrs) of the whole machine. */
  private freeSegs = MSGSEG;
  private freeHdrs = MSGTQL;

  constructor(private readonly now: () => number) {}

  private segsOf(n: number): number {
    return Math.ceil(n / MSGSSZ);
  }

  /** The queue of a msqid: in range, allocated (msg_qbytes ≠ 0), the same sequence; else EINVAL. */
  private queue(msqid: number): MsgQueue {
    const ix = IPCID_TO_IX(msqid);
    if (msqid < 0 || ix >= MSGMNI) throw new Errno(EINVAL);
    const q = this.queues[ix]!;
    if (q.qbytes === 0 || q.perm.seq !== IPCID_TO_SEQ(msqid)) throw new Errno(EINVAL);
    return q;
  }

  /** msg_freehdr */
  private free(m: Msg): void {
    this.freeSegs += this.segsOf(m.data.length);
    this.freeHdrs++;
  }

  /** A woken sleeper: give back the lock it took, and see whether its queue is still there. */
  private resume(p: Proc): MsgWait | undefined {
    const w = (p.restartState as { msgWait?: MsgWait } | undefined)?.msgWait;
    if (!w) return undefined;
    p.restartState = undefined;
    if (w.ownLock) this.queues[w.ix]!.perm.mode &= ~MSG_LOCKED;
    return w;
  }

  private sleep(p: Proc, q: MsgQueue, ix: number, ownLock: boolean): never {
    const w: MsgWait = { ix, ownLock };
    p.restartState = { msgWait: w, abandon: () => w.ownLock && (this.queues[w.ix]!.perm.mode &= ~MSG_LOCKED) };
    throw new Sleep(q.cv, undefined, 'eintr'); // cv_wait_sig: a signal is EINTR, never a restart
  }

  /**
   * sys_msgget (the key an int): an existing key: IPC_CREAT|IPC_EXCL → EEXIST, then ipcperm
   * for msgflg & 0700 (EACCES); IPC_PRIVATE or IPC_CREAT: a free, unlocked slot or ENOSPC, with
   * msg_qbytes = msgmnb; otherwise ENOENT.
   */
  get(p: Proc, key: number, msgflg: number): number {
    key |= 0;
    if (key !== IPC_PRIVATE) {
      const ix = this.queues.findIndex((q) => q.qbytes !== 0 && q.perm.key === BigInt(key));
      if (ix >= 0) {
        const q = this.queues[ix]!;
        if (msgflg & IPC_CREAT && msgflg & IPC_EXCL) throw new Errno(EEXIST);
        ipcperm(p.cred, q.perm, msgflg & 0o700);
        return IXSEQ_TO_IPCID(ix, q.perm.seq);
      }
    }
    if (key !== IPC_PRIVATE && !(msgflg & IPC_CREAT)) throw new Errno(ENOENT);
    const ix = this.queues.findIndex((q) => q.qbytes === 0 && !(q.perm.mode & MSG_LOCKED));
    if (ix < 0) throw new Errno(ENOSPC);
    const q = this.queues[ix]!;
    q.perm = { uid: p.cred.euid, gid: p.cred.egid, cuid: p.cred.euid, cgid: p.cred.egid, mode: msgflg & 0o777, seq: (q.perm.seq + 1) & 0xffff, key: BigInt(key) };
    q.msgs = [];
    q.cbytes = 0;
    q.qbytes = MSGMNB;
    q.lspid = q.lrpid = 0;
    q.stime = q.rtime = 0;
    q.ctime = this.now();
    return IXSEQ_TO_IPCID(ix, q.perm.seq);
  }

  /**
   * msgsnd1: a negative size → EINVAL; the queue (EINVAL); ipcperm IPC_W (EACCES); then, each
   * time round: past msg_qbytes → EINVAL; no room (the queue held by a waiting sender, its
   * bytes, the segments or headers used up) → EAGAIN with IPC_NOWAIT, else sleep (EINTR; the
   * queue gone → EIDRM). With room, `fetch` copies in the type (EFAULT) — below 1 → EINVAL —
   * and the body; the message goes at the tail and the queue's sleepers are woken.
   */
  send(p: Proc, msqid: number, msgsz: number, msgflg: number, fetch: (n: number) => { type: bigint; data: Uint8Array }): void {
    if (msgsz < 0) throw new Errno(EINVAL);
    const woken = this.resume(p);
    const ix = IPCID_TO_IX(msqid);
    if (woken && (this.queues[woken.ix]!.qbytes === 0)) throw new Errno(EIDRM);
    const q = this.queue(msqid);
    ipcperm(p.cred, q.perm, IPC_W);
    if (msgsz > q.qbytes) throw new Errno(EINVAL);
    const segs = this.segsOf(msgsz);
    if (q.perm.mode & MSG_LOCKED || msgsz + q.cbytes > q.qbytes || segs > this.freeSegs || this.freeHdrs === 0) {
      if (msgflg & IPC_NOWAIT) throw new Errno(EAGAIN);
      const own = !(q.perm.mode & MSG_LOCKED);
      if (own) q.perm.mode |= MSG_LOCKED;
      this.sleep(p, q, ix, own);
    }
    let m: { type: bigint; data: Uint8Array };
    try {
      m = fetch(msgsz); // the type, then the body: EFAULT leaves nothing queued
    } catch (e) {
      q.cv.wakeup();
      throw e;
    }
    if (m.type < 1n) {
      q.cv.wakeup();
      throw new Errno(EINVAL);
    }
    this.freeSegs -= segs;
    this.freeHdrs--;
    q.msgs.push(m);
    q.cbytes += msgsz;
    q.lspid = p.pid;
    q.stime = this.now();
    q.cv.wakeup();
  }

  /**
   * msgrcv1: a negative size → EINVAL; the queue (EINVAL); ipcperm IPC_R (EACCES); the first
   * message (msgtyp 0), the first of that type (> 0), or the first whose type is at most
   * -msgtyp (< 0); one longer than msgsz without MSG_NOERROR → E2BIG; none: ENOMSG with
   * IPC_NOWAIT, else sleep (EINTR, EIDRM). The message is taken off before `put` copies out the
   * type and at most msgsz bytes (an EFAULT there loses it, as on NetBSD). Returns the length.
   */
  receive(p: Proc, msqid: number, msgsz: number, msgtyp: bigint, msgflg: number, put: (m: Msg, n: number) => void): number {
    if (msgsz < 0) throw new Errno(EINVAL);
    const woken = this.resume(p);
    const ix = IPCID_TO_IX(msqid);
    if (woken) {
      const w = this.queues[woken.ix]!;
      if (w.qbytes === 0 || w.perm.seq !== IPCID_TO_SEQ(msqid)) throw new Errno(EIDRM);
    }
    const q = this.queue(msqid);
    ipcperm(p.cred, q.perm, IPC_R);
    const at = q.msgs.findIndex((m) => msgtyp === 0n || m.type === msgtyp || m.type <= -msgtyp);
    if (at < 0) {
      if (msgflg & IPC_NOWAIT) throw new Errno(ENOMSG);
      this.sleep(p, q, ix, false);
    }
    const m = q.msgs[at]!;
    if (msgsz < m.data.length && !(msgflg & MSG_NOERROR)) throw new Errno(E2BIG);
    q.msgs.splice(at, 1);
    q.cbytes -= m.data.length;
    q.lrpid = p.pid;
    q.rtime = this.now();
    const n = Math.min(msgsz, m.data.length);
    this.free(m);
    q.cv.wakeup();
    put(m, n);
    return n;
  }

  /**
   * msgctl1: the queue (EINVAL), then IPC_RMID (IPC_M: its messages go, its sleepers wake to
   * EIDRM), IPC_SET (IPC_M; raising msg_qbytes needs privilege: EPERM; past msgmnb it is cut to
   * msgmnb, 0 is EINVAL; uid, gid, mode & 0777, qbytes, ctime), IPC_STAT (IPC_R: the msqid_ds as
   * it is), another → EINVAL.
   */
  ctl(p: Proc, msqid: number, cmd: number, set?: Uint8Array): Uint8Array | undefined {
    const q = this.queue(msqid);
    switch (cmd) {
      case IPC_RMID:
        ipcperm(p.cred, q.perm, IPC_M);
        for (const m of q.msgs) this.free(m);
        q.msgs = [];
        q.cbytes = 0;
        q.qbytes = 0;
        q.cv.wakeup();
        return undefined;
      case IPC_SET: {
        ipcperm(p.cred, q.perm, IPC_M);
        const dv = new DataView(set!.buffer, set!.byteOffset, MSQID_DS_SIZE);
        let qbytes = Number(dv.getBigUint64(40, true));
        if (qbytes > q.qbytes && p.cred.euid !== 0) throw new Errno(EPERM); // KAUTH_REQ_SYSTEM_SYSVIPC_MSGQ_OVERSIZE
        if (qbytes > MSGMNB) qbytes = MSGMNB;
        if (qbytes === 0) throw new Errno(EINVAL);
        q.perm.uid = dv.getUint32(0, true);
        q.perm.gid = dv.getUint32(4, true);
        q.perm.mode = (q.perm.mode & ~0o777) | (dv.getUint32(16, true) & 0o777);
        q.qbytes = qbytes;
        q.ctime = this.now();
        return undefined;
      }
      case IPC_STAT: {
        ipcperm(p.cred, q.perm, IPC_R);
        const b = new Uint8Array(MSQID_DS_SIZE);
        b.set(encodeIpcPerm(q.perm));
        const dv = new DataView(b.buffer);
        dv.setUint32(16, q.perm.mode, true); // a memcpy of the whole msqid_ds: the kernel's bits too
        dv.setBigUint64(32, BigInt(q.msgs.length), true);
        dv.setBigUint64(40, BigInt(q.qbytes), true);
        dv.setInt32(48, q.lspid, true);
        dv.setInt32(52, q.lrpid, true);
        dv.setBigInt64(56, BigInt(q.stime), true);
        dv.setBigInt64(64, BigInt(q.rtime), true);
        dv.setBigInt64(72, BigInt(q.ctime), true);
        dv.setBigUint64(96, BigInt(q.cbytes), true);
        return b;
      }
      default:
        throw new Errno(EINVAL);
    }
  }
}
