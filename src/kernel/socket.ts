// Sockets of the local domain: struct socket and struct sockbuf (sys/sys/socketvar.h), the
// generic send/receive logic of sys/kern/uipc_socket.c (sosend, soreceive) and the PF_LOCAL
// protocol of sys/kern/uipc_usrreq.c (unp_connect2, unp_disconnect, uipc_send). Only what
// socketpair(2) needs lives here for now: connected pairs of every type.

import {
  EAGAIN, ECONNRESET, EDESTADDRREQ, EMSGSIZE, ENOBUFS, ENOTCONN, EPIPE, S_IFSOCK, SOCK_DGRAM,
  SOCK_SEQPACKET, SOCK_STREAM, UNPDG_RECVSPACE, UNPDG_SENDSPACE, UNPST_RECVSPACE, UNPST_SENDSPACE,
  FREAD, FWRITE, MSG_PEEK, EOPNOTSUPP, FIOASYNC, FIOGETOWN, FIONBIO, FIONREAD, FIONSPACE, FIONWRITE, FIOSETOWN,
  POLL_IN, POLL_OUT, SIOCATMARK, SIOCGPGRP, SIOCSPGRP, TIOCGPGRP, TIOCSPGRP, MCLBYTES, EISCONN, ECONNREFUSED, EPROTOTYPE, SHUT_RD, SHUT_WR, SHUT_RDWR, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM, SS_CANTRCVMORE, SS_CANTSENDMORE, SS_ISCONNECTED,
} from './constants.js';
import { Errno } from './errno.js';
import { File, emptyStat, type FileTable, type StatInfo } from './file.js';
import { Sleep, WaitQueue } from './sleepq.js';
import type { Uio } from './uio.js';
import { giveChunk, takeChunk } from './chunks.js';
import { pipePathconf } from './pathconf.js';
import { AsyncOwner, fgetown, fsetown, type IoctlCtx, type IoctlData } from './ioctl.js';


/**
 * Control data riding with a record (an MT_CONTROL mbuf): descriptors in flight (SCM_RIGHTS),
 * held by the buffer until received or discarded (uipc_usrreq.c unp_internalize/unp_dispose).
 */
export interface Control {
  rights: File[];
  /** The machine's file table, whose in-flight count these rights are part of. */
  files: FileTable;
}

interface Record {
  data: Uint8Array;
  /** bytes of data already consumed (stream buffers are read piecemeal) */
  off: number;
  control?: Control | undefined;
  /** A datagram's sender address (its sockaddr as bound), for recvfrom. */
  from?: Uint8Array | undefined;
  /** The sender's credentials, for LOCAL_CREDS receivers (SCM_CREDS). */
  creds?: PeerCred | undefined;
  /** The pooled buffer `data` lies in (chunks.ts), given back once the record is read. */
  chunk?: Uint8Array | undefined;
}

/** struct unpcbid / the fields of struct sockcred that identify a process (sys/sys/un.h, socket.h). */
export interface PeerCred {
  pid: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
}

/** unp_dispose: drop the references of descriptors that will never be received. */
export function disposeControl(c: Control | undefined): void {
  if (!c) return;
  c.files.inflight -= c.rights.length;
  for (const f of c.rights.splice(0)) f.release();
}

/** struct sockbuf: a queue of records (datagrams) or of byte chunks (a stream). */
export class SockBuf extends WaitQueue {
  cc = 0;
  readonly queue: Record[] = [];
  /** SB_ASYNC: who hears of wakeups as SIGIO (the socket's so_pgid), with which si_code and band. */
  owner: AsyncOwner | undefined;

  constructor(
    public hiwat: number,
    /** sb_lowat as soreserve sets it: 1 for receive, min(MCLBYTES, hiwat) for send. */
    public lowat: number,
    wmesg: string,
    private readonly sigCode = POLL_IN,
  ) {
    super(wmesg);
  }

  /** sowakeup: sleepers and pollers, then SIGIO when the buffer is in async mode (SB_ASYNC). */
  override wakeup(): void {
    super.wakeup();
    if (this.owner?.async) this.owner.notify(this.sigCode, this.sigCode === POLL_IN ? POLLIN | POLLRDNORM : POLLOUT | POLLWRNORM);
  }

  get space(): number {
    return this.hiwat - this.cc;
  }

  append(data: Uint8Array, control?: Control, from?: Uint8Array, creds?: PeerCred): void {
    this.queue.push({ data, off: 0, control, from, creds });
    this.cc += data.length;
  }

  /** Stream data: the next n bytes of `uio` go straight into a pooled chunk. */
  appendFrom(uio: Uio, n: number, control?: Control, creds?: PeerCred): void {
    const chunk = takeChunk(n);
    try {
      uio.copyinTo(chunk, n);
    } catch (e) {
      giveChunk(chunk);
      throw e;
    }
    this.queue.push({ data: chunk.subarray(0, n), off: 0, control, creds, chunk });
    this.cc += n;
  }

  /** The first record was read to its end (sbdrop). */
  dropFirst(): void {
    const r = this.queue.shift()!;
    if (r.chunk) giveChunk(r.chunk);
  }

  /** sorflush: discard everything, releasing descriptors in flight. */
  flush(): void {
    for (const r of this.queue.splice(0)) {
      disposeControl(r.control);
      if (r.chunk) giveChunk(r.chunk);
    }
    this.cc = 0;
  }
}

/** What one soreceive returns besides the data. */
export interface Received {
  n: number;
  truncated: boolean;
  control?: Control | undefined;
  from?: Uint8Array | undefined;
  creds?: PeerCred | undefined;
}

/** The PF_LOCAL protocols (uipc_usrreq.c unixsw[]): stream, datagram and seqpacket. */
export const LOCAL_TYPES = new Set([SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET]);

let nextIno = 2; // unp_ino: a per-boot counter handed to sockets at their first stat (uipc_usrreq.c unp_stat)

export class Socket {
  state = 0;
  error = 0;
  /** SOL_SOCKET boolean options (SO_*) that are set. */
  options = 0;
  /** unp_conn: the socket this one sends to. */
  peer: Socket | undefined;
  /** unp_refs: datagram sockets connect()ed to this one, dropped with ECONNRESET when it closes. */
  readonly refs = new Set<Socket>();
  /** unp_addr: the path this socket is bound to (a filesystem name in the machine's namespace). */
  addr: string | undefined;
  /** The sockaddr_un as bind received it (sun_len = the length given): what getsockname returns. */
  addrBytes: Uint8Array | undefined;
  /** Listening (SO_ACCEPTCONN): the completed connections waiting for accept (so_q), and the backlog. */
  listening = false;
  backlog = 0;
  readonly acceptq: Socket[] = [];
  /** unp_connid: who is at the other end (LOCAL_PEEREID), set by connect and listen. */
  peereid: PeerCred | undefined;
  /** This socket's owner's credentials, handed to the other end at connect time. */
  cred: PeerCred | undefined;
  /** LOCAL_CREDS: every message received carries an SCM_CREDS control message. */
  localCreds = false;
  /** SO_SNDTIMEO / SO_RCVTIMEO in ms (0: wait for ever). */
  sndtimeo = 0;
  rcvtimeo = 0;
  /**
   * A blocking stream write asleep because the peer's buffer was full: the peer's reads move
   * the rest of it in as room appears (what a writer on another CPU would do at once), and wake
   * the writer only when all of it is in, instead of a wake-up and a re-run per buffer-full.
   */
  pendingWrite: Uio | undefined;
  /** Frees the bound name when the socket closes. */
  unname: (() => void) | undefined;
  /** SO_LINGER: l_onoff, l_linger. */
  linger: [number, number] = [0, 0];
  readonly rcv: SockBuf;
  readonly snd: SockBuf;
  /** so_pgid and SS_ASYNC: the SIGIO owner FIOSETOWN names and FIOASYNC turns on. */
  readonly owner = new AsyncOwner((f) => f instanceof SocketFile && f.so === this);
  private ino = 0;
  readonly created = Date.now();

  constructor(readonly type: number) {
    // uipc_usrreq.c unp_attach → soreserve: stream-like protocols get PIPSIZ both ways,
    // datagrams a small send space (the largest datagram) and a larger receive space.
    const dgram = type === SOCK_DGRAM;
    const sndspace = dgram ? UNPDG_SENDSPACE : UNPST_SENDSPACE;
    this.snd = new SockBuf(sndspace, Math.min(MCLBYTES, sndspace), 'sbwait-snd', POLL_OUT);
    this.rcv = new SockBuf(dgram ? UNPDG_RECVSPACE : UNPST_RECVSPACE, 1, 'sbwait-rcv');
    this.snd.owner = this.owner;
    this.rcv.owner = this.owner;
  }

  /**
   * so_snd.sb_hiwat as getsockopt(SO_SNDBUF) sees it: for stream and seqpacket, uipc_send lowers
   * the sender's mark by the bytes queued at the peer, and unp_rcvd gives them back.
   */
  get sndbufNow(): number {
    return this.type !== SOCK_DGRAM && this.peer ? this.snd.hiwat - this.peer.rcv.cc : this.snd.hiwat;
  }

  /** PR_ATOMIC: each send is one record (datagram and seqpacket). */
  get atomic(): boolean {
    return this.type !== SOCK_STREAM;
  }

  /** PR_CONNREQUIRED: stream and seqpacket. */
  get connRequired(): boolean {
    return this.type !== SOCK_DGRAM;
  }

  /** unp_connect2 in both directions, as socketpair connects its two sockets (uipc_usrreq.c). */
  static connectPair(a: Socket, b: Socket): void {
    a.peer = b;
    b.peer = a;
    a.state |= SS_ISCONNECTED;
    b.state |= SS_ISCONNECTED;
  }

  /**
   * sosend for a connected local socket. Order of checks as in uipc_socket.c sosend:
   * can't-send-more (EPIPE), a pending so_error, not connected, record too large (EMSGSIZE),
   * then room in the buffer (EAGAIN or sleep); control data is internalized by the protocol
   * (uipc_send) only once the data can go.
   */
  send(uio: Uio, nonblock: boolean, internalize?: () => Control, to?: Socket, sender?: PeerCred): number {
    const resid = uio.resid;
    if (this.state & SS_CANTSENDMORE) throw new Errno(EPIPE);
    if (this.error) {
      const e = this.error;
      this.error = 0;
      throw new Errno(e);
    }
    const connected = (this.state & SS_ISCONNECTED) !== 0;
    if (!connected && (this.connRequired || !to)) throw new Errno(this.connRequired ? ENOTCONN : EDESTADDRREQ);
    if (this.atomic && resid > this.snd.hiwat) throw new Errno(EMSGSIZE);
    if (this.type === SOCK_DGRAM) {
      // uipc_send PRU_SEND for datagrams: with an address while connected EISCONN; the receiver
      // takes the record whole (sbappendaddr) or the send fails with ENOBUFS — it never blocks.
      if (to && connected) throw new Errno(EISCONN);
      const target = to ?? this.peer;
      if (!target) throw new Errno(ECONNREFUSED);
      if (resid > target.rcv.space) throw new Errno(ENOBUFS);
      const control = internalize?.();
      // unp_send: a LOCAL_CREDS receiver gets the sending process's credentials with every datagram.
      target.rcv.append(uio.copyin(resid), control, this.addrBytes, target.localCreds ? sender : undefined);
      target.rcv.wakeup(); // sorwakeup
      return resid;
    }
    const peer = this.peer;
    if (!peer) throw new Errno(ENOTCONN);
    // Stream and seqpacket: the data goes straight into the peer's receive buffer, and the
    // sender's space is what its send buffer allows less what the peer still holds.
    const space = this.snd.hiwat - peer.rcv.cc;
    if (this.atomic ? space < resid : space <= 0 && resid > 0) {
      if (nonblock) throw new Errno(EAGAIN);
      if (!this.atomic && !internalize && uio.pending) this.pendingWrite = uio;
      throw new Sleep(this.snd);
    }
    const n = Math.min(space, resid);
    uio.check(n);
    const control = internalize?.();
    // Stream and seqpacket pass credentials only once (UNP_WANTCRED is cleared).
    const creds = peer.localCreds ? sender : undefined;
    if (creds) peer.localCreds = false;
    if (this.atomic) peer.rcv.append(uio.copyin(n), control, undefined, creds);
    else peer.rcv.appendFrom(uio, n, control, creds);
    peer.rcv.wakeup(); // sorwakeup
    return n;
  }

  /**
   * unp_rcvd after a stream read made room: a writer asleep on the full buffer has the next part
   * of its write moved in now (its progress advances; it stays asleep until all is in), or is
   * woken to go on by itself.
   */
  private refillFromWriter(): void {
    const writer = this.peer;
    if (!writer) return;
    const w = writer.pendingWrite;
    if (w && w.pending?.sleeping() && !(writer.state & SS_CANTSENDMORE)) {
      const n = Math.min(writer.snd.hiwat - this.rcv.cc, w.resid);
      try {
        if (n > 0) {
          this.rcv.appendFrom(w, n);
          w.pending.progress.done += n;
          this.rcv.wakeup(); // other readers and pollers of this socket
        }
        if (w.resid > 0) return; // the writer sleeps on; the next read takes this part
      } catch {
        // The writer's buffer faults: let it run again and meet the error itself.
      }
    }
    writer.pendingWrite = undefined;
    writer.snd.wakeup();
  }

  /** soconnect for a datagram socket: this socket sends to `to` until it is disconnected. */
  connectDgram(to: Socket): void {
    if (this.peer && this.peer !== to) this.peer.refs.delete(this);
    this.peer = to;
    to.refs.add(this);
    this.state |= SS_ISCONNECTED;
  }

  /**
   * unp_connect for stream and seqpacket: a listener that is not full takes a new socket into
   * its accept queue (sonewconn), connected to this one at once; otherwise ECONNREFUSED.
   */
  connectStream(listener: Socket, cred: PeerCred): Socket {
    if (!listener.listening || listener.type !== this.type) throw new Errno(listener.type !== this.type ? EPROTOTYPE : ECONNREFUSED);
    if (listener.acceptq.length >= Math.floor((listener.backlog * 3) / 2) + 1) throw new Errno(ECONNREFUSED);
    const server = new Socket(this.type);
    server.addr = listener.addr;
    server.addrBytes = listener.addrBytes;
    server.localCreds = listener.localCreds;
    server.cred = listener.cred;
    server.peereid = cred; // the accepted end knows who connected
    this.peereid = listener.cred; // the connecting end gets the identity the listener recorded at listen()
    this.cred = cred;
    Socket.connectPair(this, server);
    listener.acceptq.push(server);
    listener.rcv.wakeup(); // sorwakeup on the listener: accept and poll see it
    return server;
  }

  /** soshutdown: SHUT_RD stops receiving (data discarded); SHUT_WR stops sending, and a connected peer sees end-of-file. */
  shutdown(how: number): void {
    if (how === SHUT_RD || how === SHUT_RDWR) {
      this.state |= SS_CANTRCVMORE;
      this.rcv.flush();
      this.rcv.wakeup();
    }
    if (how === SHUT_WR || how === SHUT_RDWR) {
      this.state |= SS_CANTSENDMORE;
      this.snd.wakeup();
      const peer = this.peer;
      if (peer && this.type !== SOCK_DGRAM) {
        peer.state |= SS_CANTRCVMORE; // unp_shutdown → socantrcvmore(peer)
        peer.rcv.wakeup();
      }
    }
  }

  /**
   * soreceive: stream bytes coalesce up to the next record that carries control data; a record
   * read short loses the rest of the record (MSG_TRUNC). The control data of the first record
   * read is handed to the caller (who externalizes it), unless MSG_PEEK.
   */
  receive(uio: Uio, nonblock: boolean, flags = 0): Received {
    const rcv = this.rcv;
    if (rcv.queue.length === 0) {
      if (this.error) {
        const e = this.error;
        if (!(flags & MSG_PEEK)) this.error = 0;
        throw new Errno(e);
      }
      if (this.state & SS_CANTRCVMORE) return { n: 0, truncated: false };
      if (this.connRequired && !(this.state & SS_ISCONNECTED)) throw new Errno(ENOTCONN);
      if (uio.resid === 0) return { n: 0, truncated: false };
      if (nonblock) throw new Errno(EAGAIN);
      throw new Sleep(rcv);
    }
    const peek = (flags & MSG_PEEK) !== 0;
    const first = rcv.queue[0]!;
    const control = peek ? undefined : first.control;
    if (this.atomic) {
      const n = Math.min(uio.resid, first.data.length);
      try {
        uio.copyout(first.data.subarray(0, n));
      } catch (e) {
        // soreceive: a datagram whose address was already taken off is dropped when uiomove
        // fails (sbdroprecord); stream and seqpacket data stays.
        if (!peek && this.type === SOCK_DGRAM) {
          rcv.queue.shift();
          rcv.cc -= first.data.length;
          disposeControl(first.control);
        }
        throw e;
      }
      if (!peek) {
        rcv.queue.shift();
        rcv.cc -= first.data.length;
        this.peer?.snd.wakeup(); // unp_rcvd: the sender has room again
      }
      return { n, truncated: n < first.data.length, control, from: first.from, creds: first.creds };
    }
    let n = 0;
    let avail = 0;
    for (let i = 0; i < rcv.queue.length && (i === 0 || !rcv.queue[i]!.control); i++) avail += rcv.queue[i]!.data.length - rcv.queue[i]!.off;
    uio.check(Math.min(uio.resid, avail));
    if (!peek) first.control = undefined;
    for (let i = 0; i < rcv.queue.length && uio.resid > 0; ) {
      const rec = rcv.queue[i]!;
      if (rec.control && (n > 0 || i > 0)) break; // the next message with control starts a new read
      const take = Math.min(uio.resid, rec.data.length - rec.off);
      uio.copyout(rec.data.subarray(rec.off, rec.off + take));
      n += take;
      if (peek) {
        i++;
        continue;
      }
      rec.off += take;
      rcv.cc -= take;
      if (rec.off === rec.data.length) rcv.dropFirst();
    }
    if (!peek && n > 0) this.refillFromWriter(); // unp_rcvd

    return { n, truncated: false, control, creds: first.creds };
  }

  /**
   * soclose → unp_detach → unp_disconnect: a connected stream or seqpacket peer becomes
   * disconnected (soisdisconnected: it can neither receive more nor send: reads drain then see
   * end-of-file, writes get EPIPE). A datagram peer that was connected to us is dropped with
   * ECONNRESET (unp_drop) and then has no destination. Our own buffered data is discarded.
   */
  close(): void {
    this.owner.async = false; // nobody holds this socket any more: no SIGIO for its own end
    const peer = this.peer;
    this.peer = undefined;
    this.state &= ~SS_ISCONNECTED;
    this.rcv.flush();
    this.unname?.();
    // Connections nobody accepted are aborted; datagram senders aimed at us are dropped (unp_drop).
    for (const c of this.acceptq.splice(0)) c.close();
    for (const r of this.refs) {
      r.error = ECONNRESET;
      r.peer = undefined;
      r.state &= ~SS_ISCONNECTED;
      r.rcv.wakeup();
    }
    this.refs.clear();
    if (peer && this.type === SOCK_DGRAM) peer.refs.delete(this);
    this.rcv.wakeup();
    this.snd.wakeup();
    if (!peer || peer.peer !== this) return;
    peer.peer = undefined;
    peer.rcv.wakeup();
    peer.snd.wakeup();
    if (this.type === SOCK_DGRAM) {
      peer.error = ECONNRESET;
      peer.state &= ~SS_ISCONNECTED;
    } else {
      peer.state = (peer.state & ~SS_ISCONNECTED) | SS_CANTRCVMORE | SS_CANTSENDMORE;
    }
  }

  /** soreadable (sys/sys/socketvar.h): data at the low-water mark, end of input, or an error. */
  get readable(): boolean {
    if (this.listening) return this.acceptq.length > 0;
    return (this.rcv.queue.length > 0 && (this.atomic || this.rcv.cc >= this.rcv.lowat)) || (this.state & SS_CANTRCVMORE) !== 0 || this.error !== 0;
  }

  /** sowritable: send space at the low-water mark while connected, or no more sending, or an error. */
  get writable(): boolean {
    const space = this.peer ? (this.type === SOCK_DGRAM ? this.snd.hiwat : this.snd.hiwat - this.peer.rcv.cc) : this.snd.hiwat;
    return (space >= this.snd.lowat && ((this.state & SS_ISCONNECTED) !== 0 || !this.connRequired)) || (this.state & SS_CANTSENDMORE) !== 0 || this.error !== 0;
  }

  /** sopoll (sys/kern/uipc_socket.c). */
  poll(events: number): number {
    let revents = 0;
    if (events & (POLLIN | POLLRDNORM) && this.readable) revents |= events & (POLLIN | POLLRDNORM);
    if (events & (POLLOUT | POLLWRNORM) && this.writable) revents |= events & (POLLOUT | POLLWRNORM);
    return revents;
  }

  /**
   * soo_stat (sys/kern/sys_socket.c 1.73) zeroes the stat and sets st_mode = S_IFSOCK with no
   * permission bits; unp_stat (uipc_usrreq.c 1.179) adds st_blksize (send high-water mark, plus
   * what a connected stream peer holds), st_dev = NODEV, an inode number from a counter, and the
   * creation time as atime, mtime and ctime. uid, gid, nlink and size stay 0.
   */
  stat(): StatInfo {
    if (this.ino === 0) this.ino = nextIno++;
    // The stream send mark shrinks by what the peer holds and unp_stat adds that back: hiwat.
    const blksize = this.snd.hiwat;
    return {
      ...emptyStat(S_IFSOCK),
      nlink: 0,
      dev: -1, // NODEV
      ino: this.ino,
      blksize,
      atimeMs: this.created,
      mtimeMs: this.created,
      ctimeMs: this.created,
      birthtimeMs: 0,
    };
  }
}

/** A socket as an open file: soo_read, soo_write, soo_stat, soo_close (sys/kern/sys_socket.c). */
export class SocketFile extends File {
  constructor(
    table: FileTable,
    readonly so: Socket,
    flag: number,
  ) {
    super('socket', FREAD | FWRITE | flag, table);
  }

  override read(uio: Uio, nonblock: boolean): number {
    return this.so.receive(uio, nonblock).n;
  }

  override write(uio: Uio, nonblock: boolean): number {
    return this.so.send(uio, nonblock, undefined, undefined, uio.sender);
  }

  stat(): StatInfo {
    return this.so.stat();
  }

  /** soo_fpathconf: _PC_PIPE_BUF only. */
  override fpathconf(name: number): number {
    return pipePathconf(name);
  }

  /**
   * soo_ioctl (sys/kern/sys_socket.c): FIONBIO (SS_NBIO follows f_flag), FIOASYNC (SB_ASYNC on
   * both buffers), FIONREAD (so_rcv.sb_cc), FIONWRITE (so_snd.sb_cc: 0 for local sockets, whose
   * data goes straight to the peer), FIONSPACE (sbspace of the send buffer, with the stream
   * mark lowered by what the peer holds), the owner (SIOC/FIO/TIOC S/GPGRP), SIOCATMARK (never:
   * local sockets have no out-of-band data). Interface ioctls ('i') meet ifioctl, which without
   * networking is EOPNOTSUPP, and the rest uipc_usrreq.c's pr_ioctl: EOPNOTSUPP.
   */
  override ioctl(cmd: number, data: IoctlData, k: IoctlCtx): void {
    const so = this.so;
    switch (cmd) {
      case FIONBIO:
        return;
      case FIOASYNC:
        so.owner.setAsync(k, data.int !== 0);
        return;
      case FIONREAD:
        data.int = so.rcv.cc;
        return;
      case FIONWRITE:
        data.int = so.snd.cc;
        return;
      case FIONSPACE:
        data.int = Math.max(0, so.sndbufNow - so.snd.cc);
        return;
      case SIOCSPGRP: case FIOSETOWN: case TIOCSPGRP:
        so.owner.set(k, fsetown(k, cmd, data));
        return;
      case SIOCGPGRP: case FIOGETOWN: case TIOCGPGRP:
        fgetown(so.owner.pgid, cmd, data);
        return;
      case SIOCATMARK:
        data.int = 0;
        return;
      default:
        throw new Errno(EOPNOTSUPP);
    }
  }

  override poll(events: number): number {
    return this.so.poll(events);
  }

  override pollQueues(): WaitQueue[] {
    return [this.so.rcv, this.so.snd];
  }

  protected close(): void {
    this.so.close();
  }
}
