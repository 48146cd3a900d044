// Socket creation for socketpair(2): socreate's protocol lookup (sys/kern/uipc_socket.c socreate,
// sys/kern/uipc_domain.c pffindtype/pffindproto) and sys_socketpair's order of work
// (sys/kern/uipc_syscalls.c 1.180 makesocket, sys_socketpair). See docs/netbsd-semantics.md §2.

import {
  ACCESSPERMS, EACCES, AF_INET, AF_INET6, AF_LOCAL, AF_ROUTE, EADDRINUSE, EEXIST, ENOTSOCK, EAFNOSUPPORT, ECONNREFUSED, EINVAL, ENOENT, SUN_PATH_OFFSET, EAGAIN, EMFILE, EMSGSIZE, EOPNOTSUPP, EPROTONOSUPPORT, EPROTOTYPE, UNP_RIGHTS_RATIO,
  FD_CLOEXEC, FD_CLOFORK, FNONBLOCK, FNOSIGPIPE, SOCK_CLOEXEC, SOCK_CLOFORK, SOCK_DGRAM,
  SOCK_FLAGS_MASK, SOCK_NONBLOCK, SOCK_NOSIGPIPE, SOCK_RAW, SOCK_STREAM,
} from './constants.js';
import { Errno } from './errno.js';
import type { Proc } from './proc.js';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as nodePath from 'node:path';
import { cwdOf, host, hostErrno, namei } from './vfs.js';
import { LOCAL_TYPES, Socket, SocketFile, type Control, type PeerCred } from './socket.js';
import type { FileTable } from './file.js';
import { InetSocket, type InetTables } from './inet.js';

/** A protosw entry: (type, protocol) and whether its pr_connect2 can join two sockets. */
interface Protosw {
  type: number;
  protocol: number;
  connect2: boolean;
}

/**
 * The configured domains of a GENERIC kernel and their protocol switches, reduced to what
 * socket creation needs. Only PF_LOCAL's protocols implement connect2; TCP, UDP and raw IP
 * answer EOPNOTSUPP there (netinet/tcp_usrreq.c, udp_usrreq.c, raw_ip.c *_connect2).
 */
const DOMAINS = new Map<number, Protosw[]>([
  [AF_LOCAL, [...LOCAL_TYPES].map((type) => ({ type, protocol: 0, connect2: true }))],
  [AF_INET, [
    { type: SOCK_STREAM, protocol: 6, connect2: false },
    { type: SOCK_DGRAM, protocol: 17, connect2: false },
    { type: SOCK_RAW, protocol: 0, connect2: false },
    { type: SOCK_RAW, protocol: 1, connect2: false },
  ]],
  [AF_INET6, [
    { type: SOCK_STREAM, protocol: 6, connect2: false },
    { type: SOCK_DGRAM, protocol: 17, connect2: false },
    { type: SOCK_RAW, protocol: 0, connect2: false },
    { type: SOCK_RAW, protocol: 58, connect2: false },
  ]],
  [AF_ROUTE, [{ type: SOCK_RAW, protocol: 0, connect2: false }]],
]);

/**
 * socreate's lookup: protocol 0 takes the domain's first protocol of the type (pffindtype),
 * otherwise the (protocol, type) pair must exist (pffindproto). On failure: unknown domain →
 * EAFNOSUPPORT; protocol 0 with a type the domain lacks → EPROTOTYPE; otherwise EPROTONOSUPPORT.
 */
export function findProtocol(domain: number, type: number, protocol: number): Protosw {
  const protos = DOMAINS.get(domain);
  const found = protos?.find((p) => p.type === type && (protocol === 0 || p.protocol === protocol));
  if (found) return found;
  if (!protos) throw new Errno(EAFNOSUPPORT);
  if (protocol === 0 && type !== 0) throw new Errno(EPROTOTYPE);
  throw new Errno(EPROTONOSUPPORT);
}

/** Descriptor flags and file status flags that SOCK_* creation flags ask for. */
export function creationFlags(flags: number): { fdflags: number; fflag: number } {
  return {
    fdflags: (flags & SOCK_CLOEXEC ? FD_CLOEXEC : 0) | (flags & SOCK_CLOFORK ? FD_CLOFORK : 0),
    fflag: (flags & SOCK_NONBLOCK ? FNONBLOCK : 0) | (flags & SOCK_NOSIGPIPE ? FNOSIGPIPE : 0),
  };
}

/**
 * makesocket: socreate first (so a bad domain, type or protocol wins over EMFILE), then a
 * descriptor and an open file (EMFILE, ENFILE), then the creation flags.
 */
function makesocket(p: Proc, files: FileTable, domain: number, type: number, protocol: number, flags: number): { fd: number; so: Socket; proto: Protosw } {
  const proto = findProtocol(domain, type, protocol);
  const so = new Socket(type);
  const fd = p.fd.allocForNewFile();
  const { fdflags, fflag } = creationFlags(flags);
  p.fd.affix(fd, new SocketFile(files, so, fflag), fdflags);
  return { fd, so, proto };
}

/**
 * sys_socketpair up to, not including, the copyout of the two descriptors: any failure
 * releases what was made, so no descriptor survives an error. Returns the two descriptors and
 * an `abort` to release them if the copyout faults (fd_abort in the kernel).
 */
export function socketpair(p: Proc, files: FileTable, domain: number, type: number, protocol: number): { sv: [number, number]; abort: () => void } {
  const flags = (type & SOCK_FLAGS_MASK) >>> 0;
  const bare = (type & ~SOCK_FLAGS_MASK) >>> 0;
  const made: number[] = [];
  const abort = (): void => {
    for (const fd of made.reverse()) p.fd.close(fd);
  };
  try {
    const a = makesocket(p, files, domain, bare, protocol, flags);
    made.push(a.fd);
    const b = makesocket(p, files, domain, bare, protocol, flags);
    made.push(b.fd);
    // soconnect2 → pr_connect2; a datagram pair is connected both ways (two soconnect2 calls).
    if (!a.proto.connect2) throw new Errno(EOPNOTSUPP);
    Socket.connectPair(a.so, b.so);
    // unp_connect2 → unp_connect1 (uipc_usrreq.c 1.179): connection-oriented pairs record the
    // creating process as each end's peer (LOCAL_PEEREID); datagram pairs do not.
    if (a.so.connRequired) a.so.peereid = b.so.peereid = credOf(p);
    return { sv: [a.fd, b.fd], abort };
  } catch (e) {
    abort();
    throw e;
  }
}


/**
 * unp_internalize: the descriptors of an SCM_RIGHTS message become references held by the
 * message; a closed descriptor fails the whole send with EBADF, too many in flight with EAGAIN.
 */
export function internalizeRights(p: Proc, files: FileTable, fds: number[]): Control {
  const held = fds.map((fd) => p.fd.get(fd));
  if (files.inflight + held.length > files.maxfiles / UNP_RIGHTS_RATIO) throw new Errno(EAGAIN);
  for (const f of held) f.hold();
  files.inflight += held.length;
  return { rights: held, files };
}

/**
 * unp_externalize: the received descriptors get the lowest free numbers; `keep` of them are
 * installed (the rest did not fit in the caller's control buffer and are discarded, so none
 * leaks). EMSGSIZE if the process has no room for them.
 */
export function externalizeRights(p: Proc, c: Control, keep: number, fdflags: number): number[] {
  const rights = c.rights.splice(0);
  c.files.inflight -= rights.length;
  const fds: number[] = [];
  try {
    for (const f of rights.slice(0, keep)) {
      const fd = p.fd.alloc(0);
      p.fd.affix(fd, f, fdflags);
      fds.push(fd);
    }
  } catch (e) {
    for (const fd of fds) p.fd.close(fd);
    for (const f of rights) f.release();
    throw e instanceof Errno && e.errno === EMFILE ? new Errno(EMSGSIZE) : e;
  }
  for (const f of rights) f.release(); // the message's references: installed files keep the slot's
  return fds;
}

// ---- socket(2) and the local namespace: bind, listen, connect, accept (uipc_usrreq.c) ------------

/**
 * fsocreate (uipc_socket.c): unlike socketpair, the descriptor comes first (EMFILE, ENFILE),
 * then the protocol lookup; a failure there releases the descriptor. PF_LOCAL sockets, and TCP
 * and UDP over the loopback network (inet.ts); raw IP sockets need privilege (rip_attach:
 * EACCES) and are not there even for root (EPROTONOSUPPORT), nor is the routing socket.
 */
export function socreate(p: Proc, files: FileTable, inet: InetTables, domain: number, type: number, protocol: number): number {
  const flags = (type & SOCK_FLAGS_MASK) >>> 0;
  const bare = (type & ~SOCK_FLAGS_MASK) >>> 0;
  const fd = p.fd.allocForNewFile();
  findProtocol(domain, bare, protocol); // the errno NetBSD gives for a bad domain, type or protocol
  let so: Socket;
  if (domain === AF_LOCAL) so = new Socket(bare);
  else if ((domain === AF_INET || domain === AF_INET6) && (bare === SOCK_STREAM || bare === SOCK_DGRAM)) {
    so = new InetSocket(bare, domain, bare === SOCK_STREAM ? inet.tcp : inet.udp);
  } else if (domain === AF_INET || domain === AF_INET6) throw new Errno(p.cred.euid !== 0 ? EACCES : EPROTONOSUPPORT);
  else throw new Errno(EAFNOSUPPORT);
  so.cred = credOf(p);
  const { fdflags, fflag } = creationFlags(flags);
  p.fd.affix(fd, new SocketFile(files, so, fflag), fdflags);
  return fd;
}

export function credOf(p: Proc): PeerCred {
  return { pid: p.pid, uid: p.cred.uid, euid: p.cred.euid, gid: p.cred.gid, egid: p.cred.egid };
}

/**
 * A sockaddr_un from the caller (sockargs + unp_bind/unp_connect): at most 255 bytes, family
 * AF_LOCAL, the path up to its NUL or the end of the given length; an empty path is ENOENT. The
 * path is looked up later like any other (from the caller's directory, inside its root).
 */
export function readSockaddrUn(p: Proc, addr: number, len: number): { path: string; bytes: Uint8Array } {
  if (len > 255) throw new Errno(EINVAL);
  if (len < SUN_PATH_OFFSET) throw new Errno(EINVAL);
  const bytes = p.vm.read(addr, len).slice();
  if (bytes[1] !== AF_LOCAL) throw new Errno(EAFNOSUPPORT);
  bytes[0] = len; // sockargs: sa_len is the length the caller gave
  let path = Buffer.from(bytes.subarray(SUN_PATH_OFFSET)).toString('utf8');
  const nul = path.indexOf('\0');
  if (nul >= 0) path = path.slice(0, nul);
  if (path === '') throw new Errno(ENOENT);
  return { path, bytes };
}

/** A socket's address as sockaddr_un bytes: as it was bound, or the unnamed address (sun_noname). */
export function sockaddrUn(bytes: Uint8Array | undefined): Uint8Array {
  return bytes ?? Uint8Array.of(SUN_PATH_OFFSET, AF_LOCAL);
}

/**
 * The local-socket vnodes: each bound name is a socket file on the host (or, where the host
 * cannot make one, an empty placeholder file), found by its device, inode and birth time, and
 * the socket bound to it (the vnode's v_socket) while that socket is open. A name outlives its
 * socket, as on NetBSD: connecting to it then finds no socket (ECONNREFUSED); unlink(2) and
 * rename(2) are the host's own, and the binding follows the file.
 */
export interface LocalNames {
  sockets: Map<string, Socket>;
  /** Placeholder files standing for socket files (the host path was too long to bind). */
  placeholders: Set<string>;
}

export const newLocalNames = (): LocalNames => ({ sockets: new Map(), placeholders: new Set() });

const vnodeKey = (st: fs.BigIntStats): string => `${st.dev}:${st.ino}:${st.birthtimeNs}`;

/** sun_path on Linux hosts: 108 bytes with the NUL. */
const HOST_SUN_PATH_MAX = 107;
let socketFileSeq = 0;

/**
 * Make the socket file of a bind at `hostPath` (which must not exist). Node cannot bind(2) by
 * itself, but net.Server.listen() binds synchronously: a server is bound under a temporary name
 * in the same directory, the file is hard-linked to the wanted name (EEXIST if it appeared
 * meanwhile), and the server is closed, which closes its descriptor and unlinks the temporary
 * name (libuv's uv_pipe_close). Returns false when the host cannot bind there (the temporary
 * path is too long for sun_path): the caller then makes a placeholder.
 */
function makeSocketFile(hostPath: string): boolean {
  const tmp = nodePath.join(nodePath.dirname(hostPath), `.nbemu-${process.pid}-${++socketFileSeq}.sock`);
  if (Buffer.byteLength(tmp) > HOST_SUN_PATH_MAX) return false;
  const server = net.createServer();
  server.on('error', () => {}); // bind errors are reported asynchronously; the file tells
  server.listen(tmp);
  try {
    if (!fs.lstatSync(tmp, { throwIfNoEntry: false })?.isSocket()) return false;
    host(() => fs.linkSync(tmp, hostPath));
    return true;
  } finally {
    server.close();
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * unp_bind (sys/kern/uipc_usrreq.c): a socket binds once (EINVAL); the name is created like a
 * file (namei CREATE: ENOENT for a missing directory, EADDRINUSE when the name exists, in any
 * form) with mode ACCESSPERMS & ~cmask, and the socket is attached to it.
 */
export function bindLocal(p: Proc, names: LocalNames, so: Socket, addr: { path: string; bytes: Uint8Array }): void {
  if (so.addr !== undefined) throw new Errno(EINVAL);
  const r = namei(p, cwdOf(p).cwd, addr.path, false);
  if (r.st || r.dev || r.link !== undefined) throw new Errno(EADDRINUSE);
  const mode = ACCESSPERMS & ~cwdOf(p).cmask;
  let placeholder = false;
  try {
    if (!makeSocketFile(r.host)) {
      host(() => fs.writeFileSync(r.host, '', { flag: 'wx', mode }));
      placeholder = true;
    }
  } catch (e) {
    throw hostErrno(e).errno === EEXIST ? new Errno(EADDRINUSE) : hostErrno(e);
  }
  host(() => fs.chmodSync(r.host, mode));
  const key = vnodeKey(host(() => fs.lstatSync(r.host, { bigint: true })));
  if (placeholder) names.placeholders.add(key);
  so.addr = r.guest;
  so.addrBytes = addr.bytes;
  names.sockets.set(key, so);
  so.unname = () => {
    if (names.sockets.get(key) === so) names.sockets.delete(key);
  };
}

/**
 * unp_connect's lookup (namei FOLLOW): ENOENT if there is no such name, ENOTSOCK if it is not a
 * socket file, ECONNREFUSED if no socket is bound to it any more.
 */
export function lookupLocal(p: Proc, names: LocalNames, path: string): Socket {
  const r = namei(p, cwdOf(p).cwd, path, true);
  if (!r.st) throw new Errno(r.dev || r.link !== undefined ? ENOTSOCK : ENOENT);
  const key = vnodeKey(r.st);
  if (!r.st.isSocket() && !names.placeholders.has(key)) throw new Errno(ENOTSOCK);
  const so = names.sockets.get(key);
  if (!so) throw new Errno(ECONNREFUSED);
  return so;
}

