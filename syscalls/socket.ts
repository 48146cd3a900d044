// Socket calls on local sockets: socketpair, send and receive (with SCM_RIGHTS), names and options
// (sys/kern/uipc_syscalls.c 1.180, uipc_socket.c 1.246, uipc_usrreq.c 1.179).

import {
  AF_LOCAL, EINVAL, EISCONN, EMSGSIZE, ENOPROTOOPT, ENOTCONN, ENOTSOCK, EOPNOTSUPP, EPIPE, FD_CLOEXEC,
  IOV_MAX, MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_TRUNC, SCM_RIGHTS, SIGPIPE,
  SOCK_DGRAM, SS_ISCONNECTED, SO_ERROR, SO_RCVBUF, SO_SNDBUF, SO_TYPE, SOL_SOCKET,
  SO_DEBUG, SO_ACCEPTCONN, SO_REUSEADDR, SO_KEEPALIVE, SO_DONTROUTE, SO_BROADCAST, SO_USELOOPBACK,
  SO_OOBINLINE, SO_REUSEPORT, SO_NOSIGPIPE, SO_TIMESTAMP, SO_SNDLOWAT, SO_RCVLOWAT, FNOSIGPIPE,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { SocketFile, type Socket } from '../src/kernel/socket.js';
import { externalizeRights, internalizeRights, socketpair } from '../src/kernel/uipc.js';
import { Uio } from '../src/kernel/uio.js';
import type { Control } from '../src/kernel/socket.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';

const BOOLEAN_OPTIONS = [SO_DEBUG, SO_ACCEPTCONN, SO_REUSEADDR, SO_KEEPALIVE, SO_DONTROUTE, SO_BROADCAST, SO_USELOOPBACK, SO_OOBINLINE, SO_REUSEPORT, SO_NOSIGPIPE, SO_TIMESTAMP];

/** fd_getsock: EBADF for a closed descriptor, ENOTSOCK for another kind of file. */
function getsock(k: SysCtx, fd: number): { so: Socket; file: SocketFile } {
  const file = k.proc.fd.get(fd);
  if (!(file instanceof SocketFile)) throw new Errno(ENOTSOCK);
  return { so: file.so, file };
}

/** sogetopt1 for SOL_SOCKET: the int value of an option, or ENOPROTOOPT. */
function sogetopt(so: Socket, name: number): number {
  if (BOOLEAN_OPTIONS.includes(name)) return so.options & name ? 1 : 0;
  switch (name) {
    case SO_TYPE:
      return so.type;
    case SO_ERROR: {
      const e = so.error;
      so.error = 0;
      return e;
    }
    case SO_SNDBUF:
      return so.sndbufNow;
    case SO_RCVBUF:
      return so.rcv.hiwat;
    case SO_SNDLOWAT:
      return so.snd.lowat;
    case SO_RCVLOWAT:
      return so.rcv.lowat;
    default:
      throw new Errno(ENOPROTOOPT);
  }
}

/**
 * The unnamed local address (uipc_usrreq.c sun_noname): sun_len = offsetof(sun_path) = 2,
 * sun_family = AF_LOCAL. Socket pairs are never bound, so both ends report it.
 */
const SUN_NONAME = Uint8Array.of(2, AF_LOCAL);

/**
 * do_sys_getpeername / getsockname (uipc_syscalls.c): the socket first (EBADF, ENOTSOCK), then
 * ENOTCONN for an unconnected peer, then the caller's length (EFAULT), then min(len, sa_len)
 * bytes of the address and the length actually copied.
 */
function copyoutSockname(k: SysCtx, fd: number, asa: number, alen: number, peer: boolean): number {
  const { so } = getsock(k, fd);
  if (peer && !(so.state & SS_ISCONNECTED)) throw new Errno(ENOTCONN);
  if (asa === 0) return 0;
  const vm = k.proc.vm;
  const len = Math.min(vm.readU32(alen), SUN_NONAME.length);
  vm.write(asa, SUN_NONAME.subarray(0, len));
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, len, true);
  vm.write(alen, out);
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
  return {
    name: u64(0),
    namelen: dv.getUint32(8, true),
    iov: u64(16),
    iovlen: dv.getInt32(24, true),
    control: u64(32),
    controllen: dv.getUint32(40, true),
  };
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
 * the iovecs, the control data; sosend; EPIPE raises SIGPIPE unless the file has FNOSIGPIPE
 * or the call passed MSG_NOSIGNAL.
 */
function sendit(k: SysCtx, s: number, iovp: number, iovcnt: number, buf: Uio | undefined, flags: number, name: number, control: Uint8Array | undefined): number {
  const { so, file } = getsock(k, s);
  if (flags & MSG_OOB) throw new Errno(EOPNOTSUPP);
  if (!buf && (iovcnt >>> 0) > IOV_MAX) throw new Errno(EMSGSIZE);
  const uio = buf ?? Uio.fromIovecs(k.proc.vm, iovp, iovcnt, 'write');
  const fds = control ? parseRights(control) : [];
  if (name !== 0 && so.type === SOCK_DGRAM) throw new Errno(EISCONN); // socket pairs are connected
  const internalize = control ? (): Control => internalizeRights(k.proc, k.machine.files, fds) : undefined;
  try {
    return so.send(uio, file.nonblocking || (flags & MSG_DONTWAIT) !== 0, internalize);
  } catch (e) {
    if (e instanceof Errno && e.errno === EPIPE && !(file.flag & FNOSIGPIPE) && !(flags & MSG_NOSIGNAL)) k.proc.psignal(SIGPIPE);
    throw e;
  }
}

/** soreceive plus the copyout of control data: fds that do not fit are discarded (MSG_CTRUNC). */
function recvit(k: SysCtx, s: number, uio: Uio, flags: number, controlp: number, controllen: number): { n: number; flags: number; controllen: number; from: boolean } {
  const { so, file } = getsock(k, s);
  if (flags & MSG_OOB) throw new Errno(EOPNOTSUPP);
  const r = so.receive(uio, file.nonblocking || (flags & MSG_DONTWAIT) !== 0, flags);
  let outFlags = r.truncated ? MSG_TRUNC : 0;
  let written = 0;
  if (r.control && r.control.rights.length > 0) {
    const n = r.control.rights.length;
    const fit = controlp === 0 || controllen < CMSG_HDR ? 0 : Math.min(n, Math.floor((controllen - CMSG_HDR) / 4));
    if (fit < n) outFlags |= MSG_CTRUNC;
    const fds = externalizeRights(k.proc, r.control, fit, flags & MSG_CMSG_CLOEXEC ? FD_CLOEXEC : 0);
    if (controlp !== 0 && controllen >= CMSG_HDR) {
      const out = new Uint8Array(CMSG_HDR + 4 * fds.length);
      const dv = new DataView(out.buffer);
      dv.setUint32(0, CMSG_HDR + 4 * n, true); // cmsg_len describes the whole message
      dv.setInt32(4, SOL_SOCKET, true);
      dv.setInt32(8, SCM_RIGHTS, true);
      fds.forEach((fd, i) => dv.setInt32(CMSG_HDR + 4 * i, fd, true));
      k.proc.vm.write(controlp, out);
      written = out.length;
    }
  } else if (r.control) externalizeRights(k.proc, r.control, 0, 0);
  return { n: r.n, flags: outFlags, controllen: written, from: so.type === SOCK_DGRAM };
}

export const socketSyscalls: SyscallDescriptor[] = [
  {
    number: 28, name: 'sendmsg', class: 'socket', support: partial('connected local sockets; SCM_RIGHTS control messages (SCM_CREDS not yet)'),
    args: [{ name: 's', type: 'fd' }, { name: 'msg', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler(k, s, msgp, flags) {
      const m = readMsghdr(k, msgp);
      let control: Uint8Array | undefined;
      if (m.control !== 0 && m.controllen > 0) {
        if (m.controllen < CMSG_HDR) throw new Errno(EINVAL);
        control = Uint8Array.from(k.proc.vm.read(m.control, m.controllen));
      }
      return sendit(k, s, m.iov, m.iovlen, undefined, flags, m.name, control);
    },
  },
  {
    number: 133, name: 'sendto', class: 'socket', support: partial('connected local sockets'),
    args: [{ name: 's', type: 'fd' }, { name: 'buf', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'flags', type: 'int' }, { name: 'to', type: 'ptr' }, { name: 'tolen', type: 'uint' }],
    handler: (k, s, buf, len, flags, to) => sendit(k, s, 0, 1, Uio.single(k.proc.vm, buf, len, 'write'), flags, to, undefined),
  },
  {
    number: 27, name: 'recvmsg', class: 'socket', support: partial('MSG_WAITALL returns what is there rather than waiting for more'),
    args: [{ name: 's', type: 'fd' }, { name: 'msg', type: 'ptr' }, { name: 'flags', type: 'int' }],
    handler(k, s, msgp, flags) {
      const m = readMsghdr(k, msgp);
      getsock(k, s);
      if ((m.iovlen >>> 0) > IOV_MAX) throw new Errno(EMSGSIZE);
      const uio = Uio.fromIovecs(k.proc.vm, m.iov, m.iovlen, 'read');
      const r = recvit(k, s, uio, flags, m.control, m.controllen);
      // msg_namelen, msg_controllen and msg_flags go back to the caller's msghdr.
      const vm = k.proc.vm;
      const namelen = r.from && m.name !== 0 ? Math.min(m.namelen, SUN_NONAME.length) : 0;
      if (namelen > 0) vm.write(m.name, SUN_NONAME.subarray(0, namelen));
      const hdr = new Uint8Array(4);
      const dv = new DataView(hdr.buffer);
      dv.setUint32(0, namelen, true);
      vm.write(msgp + 8, hdr);
      dv.setUint32(0, r.controllen, true);
      vm.write(msgp + 40, hdr);
      dv.setInt32(0, r.flags, true);
      vm.write(msgp + 44, hdr);
      return r.n;
    },
  },
  {
    number: 29, name: 'recvfrom', class: 'socket', support: partial('MSG_WAITALL returns what is there rather than waiting for more'),
    args: [{ name: 's', type: 'fd' }, { name: 'buf', type: 'ptr' }, { name: 'len', type: 'size' }, { name: 'flags', type: 'int' }, { name: 'from', type: 'ptr' }, { name: 'fromlenaddr', type: 'ptr' }],
    handler(k, s, buf, len, flags, from, fromlenaddr) {
      const vm = k.proc.vm;
      const fromlen = from !== 0 ? vm.readU32(fromlenaddr) : 0; // copied in first
      const r = recvit(k, s, Uio.single(vm, buf, len, 'read'), flags, 0, 0);
      if (from !== 0) {
        const n = r.from ? Math.min(fromlen, SUN_NONAME.length) : 0;
        if (n > 0) vm.write(from, SUN_NONAME.subarray(0, n));
        const out = new Uint8Array(4);
        new DataView(out.buffer).setUint32(0, n, true);
        vm.write(fromlenaddr, out);
      }
      return r.n;
    },
  },
  {
    number: 31, name: 'getpeername', class: 'socket', support: partial('unnamed sockets only (bind arrives with filesystem sockets)'),
    args: [{ name: 'fdes', type: 'fd' }, { name: 'asa', type: 'ptr' }, { name: 'alen', type: 'ptr' }],
    handler: (k, fd, asa, alen) => copyoutSockname(k, fd, asa, alen, true),
  },
  {
    number: 32, name: 'getsockname', class: 'socket', support: partial('unnamed sockets only (bind arrives with filesystem sockets)'),
    args: [{ name: 'fdes', type: 'fd' }, { name: 'asa', type: 'ptr' }, { name: 'alen', type: 'ptr' }],
    handler: (k, fd, asa, alen) => copyoutSockname(k, fd, asa, alen, false),
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
    number: 118, name: 'getsockopt', class: 'socket',
    support: partial('SOL_SOCKET options with int values; SO_LINGER, SO_SNDTIMEO/SO_RCVTIMEO and LOCAL_* options answer ENOPROTOOPT'),
    args: [{ name: 's', type: 'fd' }, { name: 'level', type: 'int' }, { name: 'name', type: 'int' }, { name: 'val', type: 'ptr' }, { name: 'avalsize', type: 'ptr' }],
    handler(k, s, level, name, val, avalsize) {
      const vm = k.proc.vm;
      // sys_getsockopt: the length is copied in first (EFAULT beats EBADF), only when val != NULL.
      const valsize = val !== 0 ? vm.readU32(avalsize) : 0;
      const { so, file } = getsock(k, s);
      if (file.flag & FNOSIGPIPE) so.options |= SO_NOSIGPIPE;
      else so.options &= ~SO_NOSIGPIPE;
      if (level !== SOL_SOCKET) throw new Errno(ENOPROTOOPT); // uipc_ctloutput: no level-0 option readable here
      const value = sogetopt(so, name);
      if (valsize > 0) {
        const len = Math.min(valsize, 4);
        const out = new Uint8Array(4);
        new DataView(out.buffer).setInt32(0, value, true);
        vm.write(val, out.subarray(0, len));
        const lenOut = new Uint8Array(4);
        new DataView(lenOut.buffer).setUint32(0, len, true);
        vm.write(avalsize, lenOut);
      }
      return 0;
    },
  },
];


