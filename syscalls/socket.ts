// Socket calls on local sockets: socket, socketpair, bind, listen, connect, accept, paccept,
// shutdown, send and receive (with SCM_RIGHTS and SCM_CREDS), names and options
// (sys/kern/uipc_syscalls.c 1.180, uipc_socket.c 1.246, uipc_usrreq.c 1.179).

import {
  EAGAIN, EINVAL, EISCONN, EPROTOTYPE, EMSGSIZE, ENOPROTOOPT, ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPIPE, EDOM, ENOBUFS, EWOULDBLOCK,
  FD_CLOEXEC, FNONBLOCK, FNOSIGPIPE, IOV_MAX, LOCAL_CREDS, LOCAL_PEEREID, LOCAL_CONNWAIT,
  MMSGHDR_SIZE, MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL, MSG_WAITFORONE,
  SCM_CREDS, SCM_RIGHTS, SHUT_RD, SHUT_RDWR, SIGPIPE, SOCK_CLOEXEC, SOCK_CLOFORK, SOCK_DGRAM, SOCK_NONBLOCK,
  SOCK_NOSIGPIPE, SOL_LOCAL, SOL_SOCKET, SOMAXCONN, SO_ACCEPTCONN, SO_BROADCAST, SO_DEBUG, SO_DONTROUTE,
  SO_ERROR, SO_KEEPALIVE, SO_LINGER, SO_NOSIGPIPE, SO_OOBINLINE, SO_RCVBUF, SO_RCVLOWAT, SO_RCVTIMEO,
  SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUF, SO_SNDLOWAT, SO_SNDTIMEO, SO_TIMESTAMP, SO_TYPE, SO_USELOOPBACK,
  SS_ISCONNECTED, SS_CANTRCVMORE, ECONNREFUSED, EINPROGRESS, IPPROTO_IP, IP_MULTICAST_LOOP, IP_MULTICAST_TTL,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { SIGSET_SIZE, readSigset, sigsuspendSetup, sigsuspendTeardown } from '../src/kernel/sig.js';
import { Sleep } from '../src/kernel/sleepq.js';
import { SocketFile, type Control, type PeerCred, type Socket } from '../src/kernel/socket.js';
import { InetSocket, parseSockaddrIn, type InetSockaddr } from '../src/kernel/inet.js';
import {
  bindLocal, credOf, creationFlags, externalizeRights, internalizeRights, lookupLocal, readSockaddrUn,
  sockaddrUn, socketpair, socreate,
} from '../src/kernel/uipc.js';
import { Uio } from '../src/kernel/uio.js';
import { realtimeNs } from '../src/kernel/itimer.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';
import type { Proc } from '../src/kernel/proc.js';

const BOOLEAN_OPTIONS = [SO_DEBUG, SO_ACCEPTCONN, SO_REUSEADDR, SO_KEEPALIVE, SO_DONTROUTE, SO_BROADCAST, SO_USELOOPBACK, SO_OOBINLINE, SO_REUSEPORT, SO_NOSIGPIPE, SO_TIMESTAMP];

/** fd_getsock: EBADF for a closed descriptor, ENOTSOCK for another kind of file. */
function getsock(k: SysCtx, fd: number): { so: Socket; file: SocketFile } {
  const file = k.proc.fd.get(fd);
  if (!(file instanceof SocketFile)) throw new Errno(ENOTSOCK);
  return { so: file.so, file };
}

const u32 = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

/** struct timeval (16 bytes) from milliseconds, and back (EDOM past what ticks can hold). */
function encodeTimeval(ms: number): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  const sec = Math.floor(ms / 1000);
  dv.setBigInt64(0, BigInt(sec), true);
  dv.setInt32(8, Math.round((ms - sec * 1000) * 1000), true);
  return b;
}

function decodeTimeval(b: Uint8Array): number {
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  const sec = Number(dv.getBigInt64(0, true));
  const usec = dv.getInt32(8, true);
  if (sec < 0 || usec < 0 || usec >= 1_000_000) throw new Errno(EDOM);
  if (sec > 0x7fffffff / 100) throw new Errno(EDOM); // does not fit in an int of ticks (hz 100)
  return sec * 1000 + usec / 1000;
}

/** sogetopt1 for SOL_SOCKET, and uipc_ctloutput for level 0: the option's bytes, or ENOPROTOOPT. */
function sogetopt(so: Socket, level: number, name: number): Uint8Array {
  if (level === SOL_LOCAL) {
    if (name === LOCAL_CREDS) return u32(so.localCreds ? 1 : 0);
    if (name === LOCAL_PEEREID) {
      // struct unpcbid {pid, uid, gid}: known once connected through a name (not for socketpair).
      const id = so.peereid;
      if (!id || !(so.state & SS_ISCONNECTED)) throw new Errno(EINVAL);
      const b = new Uint8Array(12);
      const dv = new DataView(b.buffer);
      dv.setInt32(0, id.pid, true);
      dv.setUint32(4, id.euid, true);
      dv.setUint32(8, id.egid, true);
      return b;
    }
    throw new Errno(ENOPROTOOPT);
  }
  if (level !== SOL_SOCKET) throw new Errno(ENOPROTOOPT);
  if (BOOLEAN_OPTIONS.includes(name)) return u32(name === SO_ACCEPTCONN ? (so.listening ? 1 : 0) : so.options & name ? 1 : 0);
  switch (name) {
    case SO_TYPE:
      return u32(so.type);
    case SO_ERROR: {
      const e = so.error;
      so.error = 0;
      return u32(e);
    }
    case SO_SNDBUF:
      return u32(so.sndbufNow);
    case SO_RCVBUF:
      return u32(so.rcv.hiwat);
    case SO_SNDLOWAT:
      return u32(so.snd.lowat);
    case SO_RCVLOWAT:
      return u32(so.rcv.lowat);
    case SO_SNDTIMEO:
      return encodeTimeval(so.sndtimeo);
    case SO_RCVTIMEO:
      return encodeTimeval(so.rcvtimeo);
    case SO_LINGER: {
      const b = new Uint8Array(8);
      const dv = new DataView(b.buffer);
      dv.setInt32(0, so.linger[0], true);
      dv.setInt32(4, so.linger[1], true);
      return b;
    }
    default:
      throw new Errno(ENOPROTOOPT);
  }
}

/** sosetopt1 (uipc_socket.c) and uipc_ctloutput: EINVAL for a value of the wrong size or range. */
function sosetopt(so: Socket, file: SocketFile, level: number, name: number, val: Uint8Array): void {
  const int = (): number => {
    if (val.length !== 4) throw new Errno(EINVAL);
    return new DataView(val.buffer, val.byteOffset, 4).getInt32(0, true);
  };
  if (level === SOL_LOCAL) {
    if (name === LOCAL_CREDS) so.localCreds = int() !== 0;
    else if (name === LOCAL_CONNWAIT) int();
    else throw new Errno(ENOPROTOOPT);
    return;
  }
  if (level !== SOL_SOCKET) throw new Errno(ENOPROTOOPT);
  if (BOOLEAN_OPTIONS.includes(name) && name !== SO_ACCEPTCONN) {
    so.options = int() ? so.options | name : so.options & ~name;
    if (name === SO_NOSIGPIPE) file.flag = so.options & SO_NOSIGPIPE ? file.flag | FNOSIGPIPE : file.flag & ~FNOSIGPIPE;
    return;
  }
  switch (name) {
    case SO_SNDBUF:
    case SO_RCVBUF:
    case SO_SNDLOWAT:
    case SO_RCVLOWAT: {
      const v = int();
      if (v < 1) throw new Errno(EINVAL);
      const sb = name === SO_SNDBUF || name === SO_SNDLOWAT ? so.snd : so.rcv;
      if (name === SO_SNDBUF || name === SO_RCVBUF) {
        if (v > 256 * 1024 * 8) throw new Errno(ENOBUFS); // sbreserve: beyond sb_max
        sb.hiwat = v;
        sb.lowat = Math.min(sb.lowat, v);
      } else sb.lowat = Math.min(v, sb.hiwat); // the low-water mark is clamped to the high one
      return;
    }
    case SO_SNDTIMEO:
    case SO_RCVTIMEO: {
      if (val.length !== 16) throw new Errno(EINVAL);
      const ms = decodeTimeval(val);
      if (name === SO_SNDTIMEO) so.sndtimeo = ms;
      else so.rcvtimeo = ms;
      return;
    }
    case SO_LINGER: {
      if (val.length !== 8) throw new Errno(EINVAL);
      const dv = new DataView(val.buffer, val.byteOffset, 8);
      const onoff = dv.getInt32(0, true);
      const linger = dv.getInt32(4, true);
      if (linger < 0 || linger > 0xffff) throw new Errno(EDOM);
      so.linger = [onoff, linger];
      so.options = onoff ? so.options | SO_LINGER : so.options & ~SO_LINGER;
      return;
    }
    default:
      throw new Errno(ENOPROTOOPT);
  }
}

/**
 * An IP, IPv6 or TCP option's value: an int; the IPv4 multicast TTL and loop options also take
 * a single byte (ip_setmoptions). Another size is EINVAL.
 */
function inetOptionValue(level: number, name: number, val: Uint8Array): number {
  if (val.length === 1 && level === IPPROTO_IP && (name === IP_MULTICAST_TTL || name === IP_MULTICAST_LOOP)) return val[0]!;
  if (val.length !== 4) throw new Errno(EINVAL);
  return new DataView(val.buffer, val.byteOffset, 4).getInt32(0, true);
}

/**
 * A send or receive that would sleep with SO_SNDTIMEO / SO_RCVTIMEO set sleeps only until the
 * timeout; then it returns what it has moved, or EWOULDBLOCK (sbwait's EWOULDBLOCK).
 */
function withTimeout<T>(p: Proc, timeoutMs: number, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof Sleep) || timeoutMs === 0) throw e;
    const st = (p.restartState ??= {}) as { deadline?: number };
    st.deadline ??= performance.now() + timeoutMs;
    if (p.timedOut && performance.now() >= st.deadline) throw new Errno(EWOULDBLOCK);
    throw new Sleep(e.queues, st.deadline, e.mode);
  }
}

/** sockargs_sb for an inet socket's name: over 255 bytes or 2 at most is EINVAL, then the copyin (EFAULT). */
function readInetName(p: Proc, name: number, namelen: number): InetSockaddr {
  if (namelen > 255 || namelen <= 2) throw new Errno(EINVAL);
  return parseSockaddrIn(p.vm.read(name, namelen).slice());
}

/** A socket's own address (getsockname) or its peer's. */
function nameOf(so: Socket, peer: boolean): Uint8Array {
  if (so instanceof InetSocket) return peer ? so.peername() : so.sockname();
  return sockaddrUn(peer ? so.peer?.addrBytes : so.addrBytes);
}

/** Copy a sockaddr out to (asa, alen): min(len, sa_len) bytes, then the length copied. */
function copyoutAddr(k: SysCtx, addr: Uint8Array, asa: number, alen: number): void {
  if (asa === 0) return;
  const vm = k.proc.vm;
  const len = Math.min(vm.readU32(alen), addr.length);
  vm.write(asa, addr.subarray(0, len));
  vm.write(alen, u32(len));
}

/**
 * do_sys_getpeername / getsockname (uipc_syscalls.c): the socket first (EBADF, ENOTSOCK), then
 * ENOTCONN for an unconnected peer, then the caller's length (EFAULT), then the address.
 */
function copyoutSockname(k: SysCtx, fd: number, asa: number, alen: number, peer: boolean): number {
  const { so } = getsock(k, fd);
  if (peer && !(so.state & SS_ISCONNECTED)) throw new Errno(ENOTCONN);
  copyoutAddr(k, nameOf(so, peer), asa, alen);
  return 0;
}

/** struct msghdr (sys/sys/socket.h), 48 bytes on LP64. */
interface MsgHdr {
  name: number;
  namelen: number;
  iov: number;
  iovlen: number;
  control: number;
  controllen: number;
}

function readMsghdr(k: SysCtx, addr: number): MsgHdr {
  const b = k.proc.vm.read(addr, 48);
  const dv = new DataView(b.buffer, b.byteOffset, 48);
  const u64 = (o: number): number => dv.getUint32(o, true) + dv.getUint32(o + 4, true) * 0x1_0000_0000;
  return { name: u64(0), namelen: dv.getUint32(8, true), iov: u64(16), iovlen: dv.getInt32(24, true), control: u64(32), controllen: dv.getUint32(40, true) };
}

const CMSG_HDR = 16; // CMSG_ALIGN(sizeof(struct cmsghdr)) with ALIGNBYTES 7
const cmsgAlign = (n: number): number => (n + 7) & ~7;

/** The SCM_RIGHTS descriptors of a control buffer (sockargs + unp_internalize's checks: EINVAL). */
function parseRights(bytes: Uint8Array): number[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fds: number[] = [];
  for (let off = 0; off + CMSG_HDR <= bytes.length; ) {
    const len = dv.getUint32(off, true);
    const level = dv.getInt32(off + 4, true);
    const type = dv.getInt32(off + 8, true);
    if (len < CMSG_HDR || off + len > bytes.length || level !== SOL_SOCKET || type !== SCM_RIGHTS) throw new Errno(EINVAL);
    for (let i = off + CMSG_HDR; i + 4 <= off + len; i += 4) fds.push(dv.getInt32(i, true));
    off += cmsgAlign(len);
  }
  return fds;
}

/**
 * do_sys_sendmsg_so (uipc_syscalls.c): the socket, the iovec count (EMSGSIZE past IOV_MAX),
 * the iovecs, the destination and control data; sosend, looping while blocking until all is
 * sent; EPIPE raises SIGPIPE unless the file has FNOSIGPIPE or the call passed MSG_NOSIGNAL.
 */
function sendit(k: SysCtx, s: number, iovp: number, iovcnt: number, buf: Uio | undefined, flags: number, name: number, namelen: number, controlp = 0, controllen = 0): number {
  const p = k.proc;
  const { so, file } = getsock(k, s);
  if (flags & MSG_OOB) throw new Errno(EOPNOTSUPP);
  if (!buf && (iovcnt >>> 0) > IOV_MAX) throw new Errno(EMSGSIZE);
  const uio = buf ?? Uio.fromIovecs(p.vm, iovp, iovcnt, 'write');
  // A control buffer, when there is one, must hold at least a cmsghdr (do_sys_sendmsg_so).
  let control: Uint8Array | undefined;
  if (controlp !== 0) {
    if (controllen < CMSG_HDR) throw new Errno(EINVAL);
    control = p.vm.read(controlp, controllen).slice();
  }
  const inet = so instanceof InetSocket ? so : undefined;
  // TCP's tcp_send takes no address; UDP checks its own (udp_output), a local socket's is looked up.
  const toAddr = inet && name !== 0 && !inet.tcp ? readInetName(p, name, namelen) : undefined;
  const to = !inet && name !== 0 ? lookupLocal(p, k.machine.localNames, readSockaddrUn(p, name, namelen).path) : undefined;
  const fds = control ? parseRights(control) : [];
  let internalize = control ? (): Control => internalizeRights(p, k.machine.files, fds) : undefined;
  const nonblock = file.nonblocking || (flags & MSG_DONTWAIT) !== 0;
  const st = (p.restartState as { done: number; deadline?: number } | undefined) ?? { done: 0 };
  uio.skip(st.done);
  try {
    do {
      st.done += withTimeout(p, so.sndtimeo, () => (inet ? inet.send(uio, nonblock, internalize, undefined, credOf(p), toAddr) : so.send(uio, nonblock, internalize, to, credOf(p))));
      internalize = undefined; // the control data goes with the first part only
    } while (uio.resid > 0 && !nonblock && so.type !== SOCK_DGRAM);
    return st.done;
  } catch (e) {
    if (e instanceof Sleep) {
      p.restartState = { ...(p.restartState as object), done: st.done };
      throw e;
    }
    if (st.done > 0 && e instanceof Errno && (e.errno === EAGAIN || e.errno === EWOULDBLOCK)) return st.done;
    if (e instanceof Errno && e.errno === EPIPE && !(file.flag & FNOSIGPIPE) && !(flags & MSG_NOSIGNAL)) p.psignal(SIGPIPE);
    throw e;
  }
}

/** struct sockcred for SCM_CREDS (sys/sys/socket.h): pid, uid, euid, gid, egid, ngroups, groups[1]. */
function encodeSockcred(c: PeerCred): Uint8Array {
  const b = new Uint8Array(28);
  const dv = new DataView(b.buffer);
  [c.pid, c.uid, c.euid, c.gid, c.egid, 1, c.egid].forEach((v, i) => dv.setInt32(i * 4, v, true));
  return b;
}

/**
 * soreceive plus the copyout of control data: SCM_CREDS first (LOCAL_CREDS), then
 * SCM_RIGHTS, whose descriptors that do not fit are discarded (MSG_CTRUNC). MSG_WAITALL keeps
 * a stream read going until the buffer is full, end of file or an error.
 */
function recvit(k: SysCtx, s: number, uio: Uio, flags: number, controlp: number, controllen: number): { n: number; flags: number; controllen: number; from: Uint8Array | undefined } {
  const p = k.proc;
  const { so, file } = getsock(k, s);
  if (flags & MSG_OOB) throw new Errno(EOPNOTSUPP);
  const nonblock = file.nonblocking || (flags & MSG_DONTWAIT) !== 0;
  const st = (p.restartState as { done: number } | undefined) ?? { done: 0 };
  uio.skip(st.done);
  let r;
  try {
    r = withTimeout(p, so.rcvtimeo, () => so.receive(uio, nonblock, flags));
    st.done += r.n;
    const waitall = flags & MSG_WAITALL && !(flags & MSG_PEEK) && !so.atomic && !nonblock;
    if (waitall && uio.resid > 0 && r.n > 0 && !(so.state & SS_CANTRCVMORE) && !r.control) {
      p.restartState = st;
      throw new Sleep(so.rcv); // wait for the rest; what came so far stays delivered
    }
  } catch (e) {
    if (e instanceof Sleep && st.done > 0) p.restartState = { ...(p.restartState as object), done: st.done };
    else if (st.done > 0 && e instanceof Errno) return { n: st.done, flags: 0, controllen: 0, from: undefined };
    throw e;
  }
  let outFlags = r.truncated ? MSG_TRUNC : 0;
  const cmsgs: Uint8Array[] = [];
  let room = controlp === 0 ? 0 : controllen;
  const header = (len: number, type: number): Uint8Array => {
    const b = new Uint8Array(CMSG_HDR);
    const dv = new DataView(b.buffer);
    dv.setUint32(0, len, true);
    dv.setInt32(4, SOL_SOCKET, true);
    dv.setInt32(8, type, true);
    return b;
  };
  if (r.creds) {
    const body = encodeSockcred(r.creds);
    const whole = Uint8Array.from([...header(CMSG_HDR + body.length, SCM_CREDS), ...body]);
    if (room < whole.length) outFlags |= MSG_CTRUNC;
    const part = whole.subarray(0, Math.max(0, Math.min(room, whole.length)));
    cmsgs.push(part);
    room -= cmsgAlign(part.length);
  }
  if (r.control && r.control.rights.length > 0) {
    // copyout_msg_control: an SCM_RIGHTS message is never cut ("Do not truncate me"): without
    // room for all of it (CMSG_SPACE) the flag is MSG_CTRUNC and every descriptor it carried is closed.
    const n = r.control.rights.length;
    const space = CMSG_HDR + cmsgAlign(4 * n);
    if (room < space) {
      outFlags |= MSG_CTRUNC;
      externalizeRights(p, r.control, 0, 0);
    } else {
      const fds = externalizeRights(p, r.control, n, flags & MSG_CMSG_CLOEXEC ? FD_CLOEXEC : 0);
      const out = new Uint8Array(space);
      out.set(header(CMSG_HDR + 4 * n, SCM_RIGHTS)); // cmsg_len = CMSG_LEN; the message takes CMSG_SPACE
      const dv = new DataView(out.buffer);
      fds.forEach((fd, i) => dv.setInt32(CMSG_HDR + 4 * i, fd, true));
      cmsgs.push(out);
    }
  } else if (r.control) externalizeRights(p, r.control, 0, 0);
  let written = 0;
  for (const c of cmsgs) {
    if (c.length === 0) continue;
    p.vm.write(controlp + written, c);
    written += cmsgAlign(c.length);
  }
  const from = so.type !== SOCK_DGRAM ? undefined : so instanceof InetSocket ? r.from : sockaddrUn(r.from);
  written = Math.min(written, controllen);
  return { n: st.done, flags: outFlags, controllen: written, from };
}

/**
 * do_sys_accept (sys/kern/uipc_syscalls.c): unknown paccept flags are EINVAL; the socket is
 * looked up (EBADF, ENOTSOCK) and a descriptor must be free (fd_allocfile: EMFILE, ENFILE)
 * before the socket's state is looked at; paccept's signal mask (copied in first, by
 * sys_paccept) is in force from then on while the call waits (sigsuspendsetup/teardown); not
 * listening is EINVAL; nothing queued on a non-blocking socket is EWOULDBLOCK. accept gives the
 * new socket the listener's FNONBLOCK and FNOSIGPIPE, paccept its own flags.
 */
function doAccept(k: SysCtx, s: number, name: number, anamelen: number, flags: number | undefined, maskp = 0): number {
  const p = k.proc;
  const mask = maskp !== 0 ? readSigset(p.vm.read(maskp, SIGSET_SIZE)) : undefined;
  if (flags !== undefined && flags & ~(SOCK_CLOEXEC | SOCK_CLOFORK | SOCK_NONBLOCK | SOCK_NOSIGPIPE)) throw new Errno(EINVAL);
  const { so, file } = getsock(k, s);
  p.fd.allocForNewFile();
  if (mask !== undefined) sigsuspendSetup(p, mask);
  let fd: number;
  try {
    if (!so.listening) throw new Errno(EINVAL);
    if (so.acceptq.length === 0) {
      if (file.nonblocking) throw new Errno(EWOULDBLOCK);
      throw new Sleep(so.rcv); // the mask stays in force while the call sleeps
    }
    fd = p.fd.allocForNewFile();
    const conn = so.acceptq.shift()!;
    const cf = creationFlags(flags ?? 0);
    const inherited = flags === undefined ? file.flag & (FNONBLOCK | FNOSIGPIPE) : cf.fflag;
    p.fd.affix(fd, new SocketFile(k.machine.files, conn, inherited), cf.fdflags);
    if (name !== 0) copyoutAddr(k, nameOf(conn, true), name, anamelen);
  } catch (e) {
    if (mask !== undefined && !(e instanceof Sleep)) sigsuspendTeardown(p);
    throw e;
  }
  if (mask !== undefined) sigsuspendTeardown(p);
  return fd;
}

/**
 * do_sys_connect for an inet socket: the name (sockargs), then soconnect (a listener is
 * EOPNOTSUPP; a connected TCP socket EISCONN, a connected UDP one is disconnected first) and
 * the protocol. A non-blocking TCP connect returns EINPROGRESS, as the handshake has not run
 * when tcp_connect returns even on loopback; its outcome is SO_ERROR (ECONNREFUSED) and the
 * socket's readiness. A blocking one returns the outcome, taking so_error with it.
 */
function connectInet(k: SysCtx, so: InetSocket, file: SocketFile, name: number, namelen: number): number {
  const p = k.proc;
  const sa = readInetName(p, name, namelen);
  if (so.listening) throw new Errno(EOPNOTSUPP);
  if (!so.tcp) {
    so.connectUdp(sa, p.cred.euid);
    return 0;
  }
  try {
    so.connectTcp(sa, credOf(p), p.cred.euid);
  } catch (e) {
    if (!(e instanceof Errno) || e.errno !== ECONNREFUSED) throw e;
    if (file.nonblocking) throw new Errno(EINPROGRESS); // the refusal is so_error, for later
    so.error = 0;
    throw e;
  }
  if (file.nonblocking) throw new Errno(EINPROGRESS);
  return 0;
}

/** sys_recvmsg's work for the msghdr at `msgp`: the received length and flags. */
function recvmsg1(k: SysCtx, s: number, msgp: number, flags: number): { n: number; flags: number } {
  const m = readMsghdr(k, msgp);
  getsock(k, s);
  if ((m.iovlen >>> 0) > IOV_MAX) throw new Errno(EMSGSIZE);
  const uio = Uio.fromIovecs(k.proc.vm, m.iov, m.iovlen, 'read');
  const r = recvit(k, s, uio, flags, m.control, m.controllen);
  let namelen = 0;
  if (r.from && m.name !== 0) {
    namelen = Math.min(m.namelen, r.from.length);
    k.proc.vm.write(m.name, r.from.subarray(0, namelen));
  }
  setMsgOut(k, msgp, namelen, r.controllen, r.flags);
  return { n: r.n, flags: r.flags };
}

/** A sendmmsg/recvmmsg in progress: the datagrams done (interruptSyscall's count) and the current one's own state. */
interface MmsgState {
  done: number;
  inner: unknown;
  deadline?: number;
}

/**
 * The loop of sys_sendmmsg / sys_recvmmsg (uipc_syscalls.c): each mmsghdr in turn (at most 1024)
 * through sendmsg's or recvmsg's work, its msg_len written back, stopping at the first error.
 * The count done is the result when it is not 0 (the error is then dropped, as so_error keeps it
 * on NetBSD); a sleep keeps the count, so the call goes on where it was.
 */
function mmsgLoop(k: SysCtx, mmsg: number, vlen: number, one: (hdr: number, i: number) => number | undefined, stopAfter: (st: MmsgState) => boolean = () => false): number {
  const p = k.proc;
  const st = (p.restartState as MmsgState | undefined) ?? { done: 0, inner: undefined };
  const n = Math.min(vlen >>> 0, 1024);
  try {
    while (st.done < n) {
      const hdr = mmsg + st.done * MMSGHDR_SIZE;
      k.proc.vm.read(hdr, MMSGHDR_SIZE); // copyin of the mmsghdr (EFAULT)
      p.restartState = st.inner;
      const len = one(hdr, st.done);
      st.inner = undefined;
      if (len === undefined) break;
      k.proc.vm.write(hdr + 48, u32(len)); // copyout of msg_len
      st.done++;
      if (stopAfter(st)) break;
    }
  } catch (e) {
    if (e instanceof Sleep) {
      st.inner = p.restartState;
      p.restartState = st;
      throw e;
    }
    p.restartState = undefined;
    if (st.done > 0 && e instanceof Errno) return st.done;
    throw e;
  }
  p.restartState = undefined;
  return st.done;
}

function setMsgOut(k: SysCtx, msgp: number, namelen: number, controllen: number, flags: number): void {
  const vm = k.proc.vm;
  vm.write(msgp + 8, u32(namelen));
  vm.write(msgp + 40, u32(controllen));
  vm.write(msgp + 44, u32(flags));
}

export const socketSyscalls: SyscallDescriptor[] = [
  {
    number: 394, name: '__socket30', class: 'socket', support: partial('PF_LOCAL, and TCP and UDP over a loopback network inside the machine (127.0.0.1 and ::1 only); no raw or routing sockets'),
    args: [{ name: 'domain', type: 'int' }, { name: 'type', type: 'int' }, { name: 'protocol', type: 'int' }],
    handler: (k, domain, type, protocol) => socreate(k.proc, k.machine.files, k.machine.inet, domain, type, protocol),
  },
  {
    number: 135, name: 'socketpair', class: 'socket', support: full,
    args: [{ name: 'domain', type: 'int' }, { name: 'type', type: 'int' }, { name: 'protocol', type: 'int' }, { name: 'rsv', type: 'ptr' }],
    handler(k, domain, type, protocol, rsv) {
      const { sv, abort } = socketpair(k.proc, k.machine.files, domain, type, protocol);
      const out = new Uint8Array(8);
      const dv = new DataView(out.buffer);
      dv.setInt32(0, sv[0], true);
      dv.setInt32(4, sv[1], true);
      try {
        k.proc.vm.write(rsv, out);
      } catch (e) {
        abort(); // fd_abort both: nothing is left allocated after EFAULT
        throw e;
      }
      return 0;
    },
  },
  {
    number: 104, name: 'bind', class: 'socket', support: partial('a local name is a socket file on the host (or an empty regular file where the host path is too long for the host\'s sun_path), an inet one a port of the machine\'s loopback network; only nbemu\'s processes can connect to either'),
    args: [{ name: 's', type: 'fd' }, { name: 'name', type: 'ptr' }, { name: 'namelen', type: 'uint' }],
    handler(k, s, name, namelen) {
      const { so } = getsock(k, s);
      if (so instanceof InetSocket) so.bind(readInetName(k.proc, name, namelen), k.proc.cred.euid);
      else bindLocal(k.proc, k.machine.localNames, so, readSockaddrUn(k.proc, name, namelen));
      return 0;
    },
  },
  {
    number: 106, name: 'listen', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'backlog', type: 'int' }],
    handler(k, s, backlog) {
      // solisten → uipc_listen: datagram sockets can't listen; an unbound socket is EINVAL.
      const { so } = getsock(k, s);
      if (so instanceof InetSocket) {
        // solisten: a connected socket first (EINVAL), then the protocol: udp has no listen.
        if (so.state & SS_ISCONNECTED) throw new Errno(EINVAL);
        if (so.type === SOCK_DGRAM) throw new Errno(EOPNOTSUPP);
        so.listen(backlog, SOMAXCONN, k.proc.cred.euid);
        so.cred = credOf(k.proc);
        return 0;
      }
      if (so.type === SOCK_DGRAM) throw new Errno(EOPNOTSUPP);
      if (so.addr === undefined || (so.state & SS_ISCONNECTED)) throw new Errno(EINVAL);
      so.listening = true;
      so.backlog = backlog < 0 || backlog > SOMAXCONN ? SOMAXCONN : backlog;
      so.cred = credOf(k.proc); // unp_connid: who listens
      return 0;
    },
  },
  {
    number: 98, name: 'connect', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'name', type: 'ptr' }, { name: 'namelen', type: 'uint' }],
    handler(k, s, name, namelen) {
      const { so, file } = getsock(k, s);
      if (so instanceof InetSocket) return connectInet(k, so, file, name, namelen);
      if (so.listening) throw new Errno(EOPNOTSUPP);
      const { path } = readSockaddrUn(k.proc, name, namelen);
      if (so.type !== SOCK_DGRAM && so.state & SS_ISCONNECTED) throw new Errno(EISCONN);
      const target = lookupLocal(k.proc, k.machine.localNames, path);
      if (so.type === SOCK_DGRAM) {
        if (target.type !== SOCK_DGRAM) throw new Errno(EPROTOTYPE);
        so.connectDgram(target);
      } else so.connectStream(target, credOf(k.proc));
      return 0;
    },
  },
  {
    number: 30, name: 'accept', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'name', type: 'ptr' }, { name: 'anamelen', type: 'ptr' }],
    handler: (k, s, name, anamelen) => doAccept(k, s, name, anamelen, undefined),
  },
  {
    number: 456, name: 'paccept', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'name', type: 'ptr' }, { name: 'anamelen', type: 'ptr' }, { name: 'mask', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler: (k, s, name, anamelen, mask, flags) => doAccept(k, s, name, anamelen, flags, mask),
  },
  {
    number: 134, name: 'shutdown', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'how', type: 'int' }],
    handler(k, s, how) {
      const { so } = getsock(k, s);
      if (how < SHUT_RD || how > SHUT_RDWR) throw new Errno(EINVAL);
      if (!(so.state & SS_ISCONNECTED)) throw new Errno(ENOTCONN);
      so.shutdown(how);
      return 0;
    },
  },
  {
    number: 28, name: 'sendmsg', class: 'socket', support: partial('SCM_RIGHTS control messages; SCM_CREDS is received (LOCAL_CREDS), not sent'),
    args: [{ name: 's', type: 'fd' }, { name: 'msg', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler(k, s, msgp, flags) {
      const m = readMsghdr(k, msgp);
      return sendit(k, s, m.iov, m.iovlen, undefined, flags, m.name, m.namelen, m.control, m.controllen);
    },
  },
  {
    number: 133, name: 'sendto', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'buf', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'flags', type: 'int' }, { name: 'to', type: 'ptr' }, { name: 'tolen', type: 'uint' }],
    handler: (k, s, buf, len, flags, to, tolen) => sendit(k, s, 0, 1, Uio.single(k.proc.vm, buf, len, 'write'), flags, to, tolen),
  },
  {
    number: 27, name: 'recvmsg', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'msg', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler: (k, s, msgp, flags) => recvmsg1(k, s, msgp, flags).n,
  },
  {
    number: 476, name: 'sendmmsg', class: 'socket', support: partial('as sendmsg; an error after some datagrams were sent is not kept in so_error for the next call'),
    args: [{ name: 's', type: 'fd' }, { name: 'mmsg', type: 'ptr' }, { name: 'vlen', type: 'uint' }, { name: 'flags', type: 'uint' }],
    handler(k, s, mmsg, vlen, flags) {
      // sys_sendmmsg: the socket first (EBADF, ENOTSOCK), then each datagram as sendmsg sends it.
      getsock(k, s);
      return mmsgLoop(k, mmsg, vlen, (hdr) => {
        const m = readMsghdr(k, hdr);
        return sendit(k, s, m.iov, m.iovlen, undefined, flags, m.name, m.namelen, m.control, m.controllen);
      });
    },
  },
  {
    number: 475, name: 'recvmmsg', class: 'socket', support: partial('as recvmsg; an error after some datagrams were received is not kept in so_error for the next call'),
    args: [{ name: 's', type: 'fd' }, { name: 'mmsg', type: 'ptr' }, { name: 'vlen', type: 'uint' }, { name: 'flags', type: 'uint' }, { name: 'timeout', type: 'ptr' }],
    handler(k, s, mmsg, vlen, flags, timeout) {
      // sys_recvmmsg: the timeout copied in and made absolute (it is only looked at after each
      // datagram: a wait for the next is not cut short, as NetBSD's recvmmsg(2) BUGS says), the
      // socket, then each datagram as recvmsg takes it; EAGAIN after the first is the end;
      // MSG_WAITFORONE turns MSG_DONTWAIT on after the first (MSG_OOB data, which ends the loop
      // on NetBSD, never comes from a local socket).
      const p = k.proc;
      const resumed = p.restartState as MmsgState | undefined;
      const nowMs = (): number => Number(realtimeNs(k.machine) / 1_000_000n);
      let deadline = resumed?.deadline;
      if (timeout !== 0 && !resumed) {
        const b = p.vm.read(timeout, 16);
        const d = new DataView(b.buffer, b.byteOffset, 16);
        deadline = nowMs() + Number(d.getBigInt64(0, true)) * 1000 + Number(d.getBigInt64(8, true)) / 1e6;
      }
      getsock(k, s);
      if (!resumed) p.restartState = { done: 0, inner: undefined, deadline };
      return mmsgLoop(k, mmsg, vlen, (hdr, i) => {
        const f = (i > 0 && flags & MSG_WAITFORONE ? flags | MSG_DONTWAIT : flags) & ~MSG_WAITFORONE;
        try {
          return recvmsg1(k, s, hdr, f).n; // local sockets carry no MSG_OOB data to end the call
        } catch (e) {
          if (i > 0 && e instanceof Errno && (e.errno === EAGAIN || e.errno === EWOULDBLOCK)) return undefined;
          throw e;
        }
      }, (st) => st.deadline !== undefined && nowMs() - st.deadline >= 1000); // timespecsub(now, ts): now.tv_sec > 0
    },
  },
  {
    number: 29, name: 'recvfrom', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'buf', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'flags', type: 'int' }, { name: 'from', type: 'ptr' }, { name: 'fromlenaddr', type: 'ptr' }],
    handler(k, s, buf, len, flags, from, fromlenaddr) {
      const vm = k.proc.vm;
      if (from !== 0) vm.readU32(fromlenaddr); // copied in first (EFAULT)
      const r = recvit(k, s, Uio.single(vm, buf, len, 'read'), flags, 0, 0);
      if (from !== 0) {
        if (r.from) copyoutAddr(k, r.from, from, fromlenaddr);
        else vm.write(fromlenaddr, u32(0));
      }
      return r.n;
    },
  },
  {
    number: 31, name: 'getpeername', class: 'socket', support: full,
    args: [{ name: 'fdes', type: 'fd' }, { name: 'asa', type: 'ptr' }, { name: 'alen', type: 'ptr' }],
    handler: (k, fd, asa, alen) => copyoutSockname(k, fd, asa, alen, true),
  },
  {
    number: 32, name: 'getsockname', class: 'socket', support: full,
    args: [{ name: 'fdes', type: 'fd' }, { name: 'asa', type: 'ptr' }, { name: 'alen', type: 'ptr' }],
    handler: (k, fd, asa, alen) => copyoutSockname(k, fd, asa, alen, false),
  },
  {
    number: 118, name: 'getsockopt', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'level', type: 'int' }, { name: 'name', type: 'int' }, { name: 'val', type: 'ptr' }, { name: 'avalsize', type: 'ptr' }],
    handler(k, s, level, name, val, avalsize) {
      const vm = k.proc.vm;
      // sys_getsockopt: the length is copied in first (EFAULT beats EBADF), only when val != NULL;
      // the value is cut to the caller's length, never refused for being short.
      const valsize = val !== 0 ? vm.readU32(avalsize) : 0;
      const { so, file } = getsock(k, s);
      so.options = file.flag & FNOSIGPIPE ? so.options | SO_NOSIGPIPE : so.options & ~SO_NOSIGPIPE;
      const value = so instanceof InetSocket && level !== SOL_SOCKET ? u32(so.getopt(level, name)) : sogetopt(so, level, name);
      if (valsize > 0) {
        const len = Math.min(valsize, value.length);
        vm.write(val, value.subarray(0, len));
        vm.write(avalsize, u32(len));
      }
      return 0;
    },
  },
  {
    number: 105, name: 'setsockopt', class: 'socket', support: full,
    args: [{ name: 's', type: 'fd' }, { name: 'level', type: 'int' }, { name: 'name', type: 'int' }, { name: 'val', type: 'ptr' }, { name: 'valsize', type: 'uint' }],
    handler(k, s, level, name, val, valsize) {
      // sys_setsockopt: a length without a value, or over MCLBYTES, is EINVAL; then the socket; then copyin.
      if (valsize > 0 && val === 0) throw new Errno(EINVAL);
      if (valsize > 2048) throw new Errno(EINVAL);
      const { so, file } = getsock(k, s);
      const bytes = Uint8Array.from(valsize > 0 ? k.proc.vm.read(val, valsize) : new Uint8Array(0));
      if (so instanceof InetSocket && level !== SOL_SOCKET) so.setopt(level, name, inetOptionValue(level, name, bytes));
      else sosetopt(so, file, level, name, bytes);
      return 0;
    },
  },
];
