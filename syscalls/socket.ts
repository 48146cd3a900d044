// Socket calls: socketpair and getsockopt (sys/kern/uipc_syscalls.c 1.180, uipc_socket.c 1.246).

import {
  AF_LOCAL, ENOPROTOOPT, ENOTCONN, ENOTSOCK, SO_ERROR, SO_RCVBUF, SO_SNDBUF, SO_TYPE, SOL_SOCKET,
  SO_DEBUG, SO_ACCEPTCONN, SO_REUSEADDR, SO_KEEPALIVE, SO_DONTROUTE, SO_BROADCAST, SO_USELOOPBACK,
  SO_OOBINLINE, SO_REUSEPORT, SO_NOSIGPIPE, SO_TIMESTAMP, SO_SNDLOWAT, SO_RCVLOWAT, FNOSIGPIPE,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { SS_ISCONNECTED, SocketFile, type Socket } from '../src/kernel/socket.js';
import { socketpair } from '../src/kernel/uipc.js';
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

export const socketSyscalls: SyscallDescriptor[] = [
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


