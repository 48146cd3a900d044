// Internet sockets on the machine's loopback network: TCP and UDP over lo0, which has 127.0.0.1
// and ::1 and nothing else (no other interface, no route out). Protocol control blocks follow
// sys/netinet/in_pcb.c 1.119 (in_pcbbind, in_pcblookup_port, in_pcbconnect) and
// netinet6/in6_pcb.c 1.177 (in6pcb_bind_addr/_port, in6pcb_connect, in6pcb_lookup_*), the
// protocols tcp_usrreq.c 1.209 (tcp_connect, tcp_listen, tcp_disconnect1, tcp_ctloutput),
// tcp_subr.c 1.264 (TIME_WAIT on loopback) and udp_usrreq.c; the generic socket layer (buffers,
// sosend, soreceive, soclose, readiness) is the local domain's (socket.ts), as NetBSD shares
// uipc_socket.c between them. A connection is made at once, as on loopback, where the handshake
// runs in a softint right after the connect; data moves between the two sockets' buffers.
// docs/netbsd-semantics.md has the rules read and what was followed from memory.

import {
  AF_INET, AF_INET6, EACCES, ECONNRESET, SO_LINGER, EADDRINUSE, EADDRNOTAVAIL, EAFNOSUPPORT, EAGAIN, ECONNREFUSED, EINVAL, EISCONN, EMSGSIZE,
  EHOSTUNREACH, ENOPROTOOPT, EOPNOTSUPP, IPDEFTTL, IPPORT_ANONMAX, IPPORT_ANONMIN, IPPORT_RESERVED, IPPROTO_IP, IPPROTO_IPV6,
  IPPROTO_TCP, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF, IPV6_MULTICAST_LOOP, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO, IPV6_TCLASS,
  IPV6_UNICAST_HOPS, IPV6_V6ONLY, IP_MINTTL, IP_MULTICAST_IF, IP_MULTICAST_LOOP, IP_MULTICAST_TTL, IP_PKTINFO, IP_PORTRANGE, IP_RECVIF,
  IP_RECVPKTINFO, IP_RECVTTL, IP_TOS, IP_TTL, IPV6_PORTRANGE, MCLBYTES, SOCKADDR_IN6_SIZE, SOCKADDR_IN_SIZE,
  SOCK_STREAM, SO_REUSEADDR, SO_REUSEPORT, SS_CANTRCVMORE, SS_CANTSENDMORE, SS_ISCONNECTED, TCP_KEEPCNT, TCP_KEEPIDLE,
  TCP_KEEPINIT, TCP_KEEPINTVL, TCP_MAXSEG, TCP_NODELAY, TCP_RECVSPACE, TCP_SENDSPACE, UDP_RECVSPACE, UDP_SENDSPACE,
} from './constants.js';
import { Errno } from './errno.js';
import { Socket, type Control, type PeerCred } from './socket.js';
import type { Uio } from './uio.js';

/** An address as the 16 bytes of an in6_addr; an IPv4 address as v4-mapped (::ffff:a.b.c.d). */
type Addr = Uint8Array;

const ANY: Addr = new Uint8Array(16);
const mapped = (v4: Uint8Array): Addr => {
  const a = new Uint8Array(16);
  if (v4.every((b) => b === 0)) return a; // INADDR_ANY is the null host in either family
  a[10] = 0xff;
  a[11] = 0xff;
  a.set(v4, 12);
  return a;
};
const V4_LOOPBACK = mapped(Uint8Array.of(127, 0, 0, 1));
const V6_LOOPBACK = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const isNull = (a: Addr): boolean => a.every((b) => b === 0);
const isMapped = (a: Addr): boolean => a.subarray(0, 10).every((b) => b === 0) && a[10] === 0xff && a[11] === 0xff;
const same = (a: Addr, b: Addr): boolean => a.every((x, i) => x === b[i]);
/** The addresses lo0 has (ifa_ifwithaddr matches exactly: 127.0.0.1, not the rest of 127/8). */
const isLocal = (a: Addr): boolean => same(a, V4_LOOPBACK) || same(a, V6_LOOPBACK);
const isMulticast = (a: Addr): boolean => (isMapped(a) ? (a[12]! & 0xf0) === 0xe0 : a[0] === 0xff);

/** A socket address from the caller: the family it names, the address and the port. */
export interface InetSockaddr {
  family: number;
  addr: Addr;
  port: number;
  /** sa_len: the length the caller gave (sockargs sets it). */
  len: number;
}

/** 2 × tcp_msl_loop (PR_SLOWHZ slow ticks, one second): TIME_WAIT on loopback, in ms. */
const TCP_TIME_WAIT_LOOP_MS = 2 * 1000;
/** t_maxidle = t_keepcnt × t_keepintvl (8 × 75 s): how long FIN_WAIT_2 waits for the peer's FIN. */
const TCP_FIN_WAIT_2_IDLE_MS = 8 * 75 * 1000;

/** The table of one protocol's control blocks (tcbtable, udbtable) and its last anonymous port. */
export class InetTable {
  readonly pcbs = new Set<InetSocket>();
  /**
   * portalgo.c's algo_bsd: a counter per protocol and family, counting down from anonportmax
   * (its first port is 65535), for IPv4 and IPv6 apart.
   */
  readonly lastport = new Map<number, number>([[AF_INET, IPPORT_ANONMAX + 1], [AF_INET6, IPPORT_ANONMAX + 1]]);
}

export interface InetTables {
  tcp: InetTable;
  udp: InetTable;
}

export const newInetTables = (): InetTables => ({ tcp: new InetTable(), udp: new InetTable() });

/**
 * A caller's sockaddr for an inet socket, as sockargs copies it in: a name longer than sa_len
 * can say (255) is EINVAL before the copy (EFAULT); the protocol checks length and family.
 */
export function parseSockaddrIn(bytes: Uint8Array): InetSockaddr {
  const family = bytes.length > 1 ? bytes[1]! : 0;
  const port = bytes.length >= 4 ? (bytes[2]! << 8) | bytes[3]! : 0;
  const addr = family === AF_INET6 && bytes.length >= 24 ? bytes.slice(8, 24) : bytes.length >= 8 ? mapped(bytes.subarray(4, 8)) : ANY;
  return { family, addr, port, len: bytes.length };
}

/** The sockaddr_in or sockaddr_in6 of (addr, port) for a socket of `family`. */
export function sockaddrIn(family: number, addr: Addr, port: number): Uint8Array {
  const v4 = family === AF_INET;
  const b = new Uint8Array(v4 ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE);
  b[0] = b.length; // sin_len / sin6_len
  b[1] = family;
  b[2] = port >> 8; // network order
  b[3] = port & 0xff;
  if (v4) b.set(addr.subarray(12), 4); // sin_addr
  else b.set(addr, 8); // sin6_addr, after sin6_flowinfo
  return b;
}

/** The IPPROTO_IP / IPPROTO_IPV6 / IPPROTO_TCP options kept as plain values, with their defaults. */
const IP_OPTION_DEFAULTS = new Map<number, number>([
  [IP_TOS, 0], [IP_TTL, IPDEFTTL], [IP_MULTICAST_TTL, 1], [IP_MULTICAST_LOOP, 1], [IP_MULTICAST_IF, 0], [IP_PORTRANGE, 0],
  [IP_RECVIF, 0], [IP_RECVTTL, 0], [IP_MINTTL, 0], [IP_PKTINFO, 0], [IP_RECVPKTINFO, 0],
]);
const IPV6_OPTION_DEFAULTS = new Map<number, number>([
  [IPV6_UNICAST_HOPS, -1], [IPV6_MULTICAST_HOPS, 1], [IPV6_MULTICAST_LOOP, 1], [IPV6_MULTICAST_IF, 0], [IPV6_PORTRANGE, 0],
  [IPV6_RECVPKTINFO, 0], [IPV6_RECVHOPLIMIT, 0], [IPV6_TCLASS, -1], [IPV6_V6ONLY, 1],
]);
/**
 * tcp_ctloutput (tcp_usrreq.c 1.209): TCP_NODELAY (read back as the TF_NODELAY flag, 4),
 * TCP_MAXSEG (t_peermss, tcp_mssdflt 536 at first; set only to 1..t_peermss), and the keepalive
 * times, which can be set (> 0) but not read. The rest is ENOPROTOOPT.
 */
const TF_NODELAY = 0x4;
const TCP_SET_ONLY = new Set([TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_KEEPINIT]);
const TCP_OPTION_DEFAULTS = new Map<number, number>([
  [TCP_NODELAY, 0], [TCP_MAXSEG, 536], [TCP_KEEPIDLE, 14400], [TCP_KEEPINTVL, 150], [TCP_KEEPCNT, 8], [TCP_KEEPINIT, 150],
]);

export class InetSocket extends Socket {
  /** inp_laddr/inp_lport and inp_faddr/inp_fport; a port of 0 is unbound / unconnected. */
  laddr: Addr = ANY;
  lport = 0;
  faddr: Addr = ANY;
  fport = 0;
  /** IN6P_IPV6_V6ONLY: net.inet6.ip6.v6only is 1 by default (netinet6/ip6_input.c ip6_v6only). */
  v6only: boolean;
  /** The control block was freed (a refused connect: tcp_drop → tcp_close): the socket is dead. */
  detached = false;
  /** TCP: the peer closed its socket (we had its FIN); what we send now meets an RST. */
  peerClosed = false;
  /**
   * TCP, closed first (the active close): the block outlives the socket in FIN_WAIT_2 until the
   * peer closes too, then in TIME_WAIT for 2 MSL; until `lingersUntil` (performance.now() ms) it
   * still holds its address and port. `finWaiting` is the peer's link to such a block.
   */
  lingersUntil: number | undefined;
  finWaiting: InetSocket | undefined;
  private readonly ipopts = new Map<number, number>();

  constructor(
    type: number,
    readonly family: number,
    readonly table: InetTable,
  ) {
    super(type);
    this.v6only = family === AF_INET6;
    // tcp_attach / udp_attach → soreserve(so, sendspace, recvspace): the send low-water mark
    // is min(MCLBYTES, hiwat), the receive one 1.
    const tcp = type === SOCK_STREAM;
    this.snd.hiwat = tcp ? TCP_SENDSPACE : UDP_SENDSPACE;
    this.rcv.hiwat = tcp ? TCP_RECVSPACE : UDP_RECVSPACE;
    this.snd.lowat = Math.min(MCLBYTES, this.snd.hiwat);
    table.pcbs.add(this);
  }

  get tcp(): boolean {
    return this.type === SOCK_STREAM;
  }

  /** Whether block `t` still holds its addresses: open, or lingering after an active close. */
  private static holds(t: InetSocket, now: number): boolean {
    if (!t.detached) return true;
    if (t.lingersUntil !== undefined && now < t.lingersUntil) return true;
    t.table.pcbs.delete(t); // the 2MSL (or FIN_WAIT_2 idle) timer has run out: tcp_close
    return false;
  }

  /**
   * in_pcbbind / in_pcbconnect (in6_*): the name must be exactly a sockaddr_in(6) (EINVAL), of
   * the socket's family (EAFNOSUPPORT).
   */
  checkName(sa: InetSockaddr): void {
    if (sa.len !== (this.family === AF_INET ? SOCKADDR_IN_SIZE : SOCKADDR_IN6_SIZE)) throw new Errno(EINVAL);
    if (sa.family !== this.family) throw new Errno(EAFNOSUPPORT);
  }

  /**
   * Whether this block answers for IPv4 addresses (`v4`) or IPv6 ones: an AF_INET block for
   * IPv4's; an AF_INET6 one for IPv6's unless bound to a v4-mapped address, and for IPv4's too
   * when not IPv6-only and bound to the wildcard or a mapped address (in6_pcbbind_port and
   * in6pcb_lookup_* look up the IPv4 blocks for those).
   */
  private speaks(v4: boolean): boolean {
    if (this.family === AF_INET) return v4;
    return v4 ? !this.v6only && (isNull(this.laddr) || isMapped(this.laddr)) : !isMapped(this.laddr);
  }

  /**
   * in_pcblookup_port / in6pcb_lookup_local (in6_pcb.c 1.177): another block on `port` that
   * `laddr` would clash with. An IPv4 name is looked up among the IPv4 blocks and the IPv6 ones
   * that answer for IPv4 (inpcb_bind_port checks both, as does in6pcb_bind_port for a v4-mapped
   * name); any other IPv6 name among the IPv6 blocks alone — so a dual-stack `[::]` binds beside
   * an IPv4 block on its port, while an IPv4 bind beside a dual-stack `[::]` clashes.
   */
  private lookupPort(laddr: Addr, port: number, lookupWildcard: boolean): InetSocket | undefined {
    let match: InetSocket | undefined;
    let matchwild = 3;
    const v4 = this.family === AF_INET || isMapped(laddr);
    const now = performance.now();
    for (const t of this.table.pcbs) {
      if (t === this || t.lport !== port || !InetSocket.holds(t, now) || !t.speaks(v4)) continue;
      // wildcards counted as in_pcblookup_port: a connected block is one, a null address on
      // either side (not both) is one, two different addresses do not clash.
      let wildcard = t.fport === 0 ? 0 : 1;
      if (isNull(t.laddr)) {
        if (!isNull(laddr)) wildcard++;
      } else if (isNull(laddr)) wildcard++;
      else if (!same(t.laddr, laddr)) continue;
      if (wildcard && !lookupWildcard) continue;
      if (wildcard < matchwild) {
        match = t;
        matchwild = wildcard;
        if (matchwild === 0) break;
      }
    }
    return match;
  }

  /**
   * in_pcbbind / in6_pcbbind: bound once (EINVAL); the address must be lo0's or the wildcard
   * (EADDRNOTAVAIL); a port below IPPORT_RESERVED needs privilege (EACCES); a clash is
   * EADDRINUSE unless SO_REUSEADDR (wildcards) or SO_REUSEPORT on both (the same pair) allow it.
   * Port 0 takes an anonymous port (in_pcbsetport, the BSD algorithm: counting down from the
   * last one given, in anonportmin..anonportmax; EAGAIN when all are taken).
   */
  bind(sa: InetSockaddr | undefined, euid: number): void {
    if (this.detached) throw new Errno(EINVAL);
    if (this.lport !== 0 || !isNull(this.laddr)) throw new Errno(EINVAL);
    const wild = (this.options & (SO_REUSEADDR | SO_REUSEPORT)) === 0;
    let reuseport = this.options & SO_REUSEPORT;
    let laddr = ANY;
    let lport = 0;
    if (sa) {
      this.checkName(sa);
      laddr = sa.addr;
      lport = sa.port;
      if (this.family === AF_INET6 && isMapped(laddr) && this.v6only) throw new Errno(EINVAL); // in6pcb_bind_addr
      if (isMulticast(laddr)) {
        if (this.options & SO_REUSEADDR) reuseport = SO_REUSEADDR | SO_REUSEPORT;
      } else if (!isNull(laddr) && !isLocal(laddr)) throw new Errno(EADDRNOTAVAIL);
      if (lport !== 0) {
        if (lport < IPPORT_RESERVED && euid !== 0) throw new Errno(EACCES);
        const t = this.lookupPort(laddr, lport, wild);
        if (t && (reuseport & t.options) === 0) throw new Errno(EADDRINUSE);
      }
    }
    if (lport === 0) {
      const t = this.table;
      let port = t.lastport.get(this.family)! - 1;
      let found = 0;
      for (let cnt = IPPORT_ANONMAX - IPPORT_ANONMIN + 1; cnt > 0; cnt--, port--) {
        if (port < IPPORT_ANONMIN || port > IPPORT_ANONMAX) port = IPPORT_ANONMAX;
        if (!this.lookupPort(laddr, port, true)) {
          found = port;
          break;
        }
      }
      if (found === 0) throw new Errno(EAGAIN);
      t.lastport.set(this.family, found);
      lport = found;
    }
    this.laddr = laddr;
    this.lport = lport;
  }

  /**
   * in_pcbconnect / in6pcb_connect's address part: port 0 is EADDRNOTAVAIL, so is a multicast
   * destination for TCP; the wildcard destination means this host (lo0's address). With no
   * interface but lo0 there is no route anywhere else: an unbound socket finds no source
   * address (in_selectsrc: EADDRNOTAVAIL), a bound one no route (ip_output: EHOSTUNREACH); an
   * unconnected datagram (`datagram`) has no source selected before ip_output finds no route,
   * so it is EHOSTUNREACH too, multicast aside. Returns the destination and the source address.
   */
  private route(sa: InetSockaddr, datagram = false): { dst: Addr; src: Addr } {
    this.checkName(sa);
    if (sa.port === 0) throw new Errno(EADDRNOTAVAIL);
    let dst = sa.addr;
    if (this.tcp && isMulticast(dst)) throw new Errno(EADDRNOTAVAIL);
    if (this.family === AF_INET6) {
      // in6pcb_connect: a v4-mapped destination needs a socket that is not IPv6-only and not
      // bound to an IPv6 address, an IPv6 one a socket not bound to a v4-mapped address (EINVAL)
      if (isMapped(dst) ? this.v6only || (!isNull(this.laddr) && !isMapped(this.laddr)) : isMapped(this.laddr)) throw new Errno(EINVAL);
    }
    if (isNull(dst)) dst = this.family === AF_INET ? V4_LOOPBACK : V6_LOOPBACK;
    if (!isLocal(dst)) throw new Errno(isNull(this.laddr) && !(datagram && !isMulticast(dst)) ? EADDRNOTAVAIL : EHOSTUNREACH);
    return { dst, src: isNull(this.laddr) ? dst : this.laddr };
  }

  /** The local end of a connection: the source address, and an anonymous port if unbound. */
  private connectLocal(src: Addr, dst: Addr, port: number, euid: number): void {
    const now = performance.now();
    for (const t of this.table.pcbs) {
      // in_pcblookup_connect: the same four-tuple exists already (a TIME_WAIT block too)
      if (t !== this && InetSocket.holds(t, now) && t.fport === port && same(t.faddr, dst) && t.lport === this.lport && this.lport !== 0 && same(t.laddr, src)) throw new Errno(EADDRINUSE);
    }
    if (this.lport === 0) this.bind(undefined, euid);
    this.laddr = src;
  }

  /**
   * tcp_connect (tcp_usrreq.c) on loopback: the SYN finds the listener on the port at once
   * (in_pcblookup_bind: the exact address first, then the wildcard) and the new connection goes
   * on its accept queue (sonewconn: full past 3/2 of the backlog). No listener answers RST:
   * ECONNREFUSED (tcp_drop → tcp_close: the control block is gone; later calls are EINVAL).
   */
  connectTcp(sa: InetSockaddr, cred: PeerCred, euid: number): void {
    if (this.detached) throw new Errno(EINVAL);
    if (this.listening) throw new Errno(EOPNOTSUPP);
    if (this.state & SS_ISCONNECTED) throw new Errno(EISCONN);
    if (this.lport === 0) this.bind(undefined, euid); // tcp_connect binds before in_pcbconnect
    const { dst, src } = this.route(sa);
    this.connectLocal(src, dst, sa.port, euid);
    const listener = this.findListener(dst, sa.port);
    if (!listener || listener.acceptq.length >= Math.floor((listener.backlog * 3) / 2) + 1) {
      this.drop(ECONNREFUSED);
      throw new Errno(ECONNREFUSED);
    }
    this.faddr = dst;
    this.fport = sa.port;
    const server = new InetSocket(SOCK_STREAM, listener.family, listener.table);
    // sonewconn: the new socket takes the listener's options, buffer sizes and linger
    server.options = listener.options;
    server.linger = [...listener.linger];
    server.snd.hiwat = listener.snd.hiwat;
    server.rcv.hiwat = listener.rcv.hiwat;
    server.v6only = listener.v6only;
    server.cred = listener.cred;
    server.peereid = cred;
    this.cred = cred;
    for (const [k, v] of listener.ipopts) server.ipopts.set(k, v);
    // An IPv4 connection accepted by a dual-stack IPv6 listener has v4-mapped addresses.
    server.laddr = dst;
    server.lport = sa.port;
    server.faddr = this.laddr;
    server.fport = this.lport;
    Socket.connectPair(this, server);
    listener.acceptq.push(server);
    listener.rcv.wakeup(); // sorwakeup on the listener: accept, poll and kevent see it
  }

  /**
   * tcp_input's lookups for the SYN: for IPv4 the IPv4 blocks first (in_pcblookup_bind: the
   * exact address, then the wildcard), then the IPv6 ones that answer for IPv4 (the v4-mapped
   * address, then `::`: in6pcb_lookup_bound); for IPv6 the IPv6 blocks.
   */
  private findListener(dst: Addr, port: number): InetSocket | undefined {
    let best: InetSocket | undefined;
    let bestRank = 4;
    for (const t of this.table.pcbs) {
      if (!t.listening || t.lport !== port || t.detached || !t.speaks(isMapped(dst))) continue;
      const exact = same(t.laddr, dst);
      if (!exact && !isNull(t.laddr)) continue;
      const rank = (t.family === AF_INET6 && isMapped(dst) ? 2 : 0) + (exact ? 0 : 1);
      if (rank < bestRank) {
        best = t;
        bestRank = rank;
      }
    }
    return best;
  }

  /** tcp_drop: the connection fails with `error` and its control block goes. */
  private drop(error: number): void {
    this.disconnected(error);
    this.detached = true;
    this.table.pcbs.delete(this);
    this.rcv.wakeup();
    this.snd.wakeup();
  }

  /**
   * udp_connect: a datagram socket connected before is disconnected first (soconnect →
   * sodisconnect), then it sends to and receives from `sa` alone.
   */
  connectUdp(sa: InetSockaddr, euid: number): void {
    if (this.state & SS_ISCONNECTED) this.disconnectUdp();
    const { dst, src } = this.route(sa);
    this.connectLocal(src, dst, sa.port, euid);
    this.faddr = dst;
    this.fport = sa.port;
    this.state |= SS_ISCONNECTED;
  }

  /** in_pcbdisconnect for UDP: the foreign address goes; a bound local address stays. */
  disconnectUdp(): void {
    this.faddr = ANY;
    this.fport = 0;
    this.state &= ~SS_ISCONNECTED;
  }

  /** tcp_listen: an unbound socket gets an anonymous port on the wildcard address first. */
  listen(backlog: number, somaxconn: number, euid: number): void {
    if (this.detached) throw new Errno(EINVAL);
    if (this.lport === 0) this.bind(undefined, euid);
    this.listening = true;
    this.backlog = backlog < 0 || backlog > somaxconn ? somaxconn : backlog;
  }

  /**
   * udp_output on loopback: the datagram goes to the socket bound to the destination port that
   * matches best (in_pcblookup_connect, then in_pcblookup_bind), or nowhere; a connected
   * sender then hears ICMP port unreachable as ECONNREFUSED on its next call (udp_notify).
   * A receiver whose buffer is full drops it (sbappendaddr fails); the sender never waits.
   */
  override send(uio: Uio, nonblock: boolean, internalize?: () => Control, to?: Socket, sender?: PeerCred, toAddr?: InetSockaddr): number {
    if (this.tcp && this.peerClosed && !(this.state & SS_CANTSENDMORE) && !this.error) {
      // The peer's socket is closed: what fits in the send buffer goes out to nobody, and the
      // answer is an RST, so this write succeeds and the next one, or the rest of this one,
      // fails (EPIPE; a read sees ECONNRESET first).
      const n = Math.min(uio.resid, this.snd.hiwat);
      uio.copyin(n);
      this.disconnected(ECONNRESET);
      this.rcv.wakeup();
      this.snd.wakeup();
      return n;
    }
    if (this.tcp) {
      // tcp_send: control data (SCM_RIGHTS) is EINVAL, where sosend hands the data to the
      // protocol, the point at which the base calls `internalize`
      const refuse = internalize && ((): Control => {
        throw new Errno(EINVAL);
      });
      return super.send(uio, nonblock, refuse, to, sender);
    }
    const resid = uio.resid;
    if (this.state & SS_CANTSENDMORE) return super.send(uio, nonblock); // EPIPE
    if (this.error) return super.send(uio, nonblock); // the pending so_error
    const connected = (this.state & SS_ISCONNECTED) !== 0;
    if (toAddr && connected) throw new Errno(EISCONN);
    if (!toAddr && !connected) return super.send(uio, nonblock); // EDESTADDRREQ
    if (resid > this.snd.hiwat) throw new Errno(EMSGSIZE);
    let dst = this.faddr;
    let dport = this.fport;
    let src = this.laddr;
    if (toAddr) {
      const r = this.route(toAddr, true);
      if (this.lport === 0) this.bind(undefined, sender?.euid ?? 0);
      dst = r.dst;
      dport = toAddr.port;
      src = r.src;
    }
    const data = uio.copyin(resid);
    const target = this.findReceiver(dst, dport, src, this.lport);
    if (!target) {
      if (connected) {
        this.error = ECONNREFUSED; // ICMP port unreachable (udp_ctlinput → udp_notify)
        this.rcv.wakeup();
      }
      return resid;
    }
    if (resid > target.rcv.space) return resid; // dropped at the receiver (udps_fullsock)
    target.rcv.append(data, undefined, sockaddrIn(target.family, src, this.lport));
    target.rcv.wakeup(); // sorwakeup
    return resid;
  }

  private findReceiver(dst: Addr, dport: number, src: Addr, sport: number): InetSocket | undefined {
    let best: InetSocket | undefined;
    let bestWild = 5;
    for (const t of this.table.pcbs) {
      if (t.lport !== dport || t.detached || !t.speaks(isMapped(dst))) continue;
      let wild = t.family === AF_INET6 && isMapped(dst) ? 2 : 0; // udp4_input: IPv4 blocks before IPv6 ones
      if (isNull(t.laddr)) wild++;
      else if (!same(t.laddr, dst)) continue;
      if (t.state & SS_ISCONNECTED) {
        if (!same(t.faddr, src) || t.fport !== sport) continue;
      } else wild++;
      if (wild < bestWild) {
        best = t;
        bestWild = wild;
      }
    }
    return best;
  }

  /** getsockname: the local address (all zero while unbound). */
  sockname(): Uint8Array {
    return sockaddrIn(this.family, this.laddr, this.lport);
  }

  /** getpeername: the foreign address (the caller checks that the socket is connected). */
  peername(): Uint8Array {
    return sockaddrIn(this.family, this.faddr, this.fport);
  }

  /**
   * tcp_ctloutput / ip_ctloutput / ip6_ctloutput get: TCP options at IPPROTO_TCP (TCP sockets),
   * IP options at IPPROTO_IP (AF_INET), IPv6 ones at IPPROTO_IPV6 (AF_INET6); else ENOPROTOOPT.
   * A TCP socket whose control block is gone answers ECONNRESET at any of these levels.
   */
  getopt(level: number, name: number): number {
    if (this.tcp && this.detached) throw new Errno(ECONNRESET);
    const table = this.optionTable(level);
    if (!table?.has(name) || (level === IPPROTO_TCP && TCP_SET_ONLY.has(name))) throw new Errno(ENOPROTOOPT);
    if (level === IPPROTO_IPV6 && name === IPV6_V6ONLY) return this.v6only ? 1 : 0;
    const v = this.ipopts.get(level * 0x10000 + name) ?? table.get(name)!;
    return level === IPPROTO_TCP && name === TCP_NODELAY ? (v ? TF_NODELAY : 0) : v;
  }

  setopt(level: number, name: number, value: number): void {
    if (this.tcp && this.detached) throw new Errno(ECONNRESET);
    const table = this.optionTable(level);
    if (!table?.has(name)) throw new Errno(ENOPROTOOPT);
    if (level === IPPROTO_IPV6 && name === IPV6_V6ONLY) {
      // ip6_ctloutput: only before bind(2)
      if (this.lport !== 0 || !isNull(this.laddr)) throw new Errno(EINVAL);
      this.v6only = value !== 0;
      return;
    }
    if (level === IPPROTO_TCP) {
      // the keepalive times are u_int: "> 0" refuses 0 only; TCP_MAXSEG only lowers t_peermss
      if (TCP_SET_ONLY.has(name) && value === 0) throw new Errno(EINVAL);
      if (name === TCP_MAXSEG && (value <= 0 || value > this.getopt(IPPROTO_TCP, TCP_MAXSEG))) throw new Errno(EINVAL);
    }
    if (level === IPPROTO_IP && name === IP_TTL && (value < 0 || value > 255)) throw new Errno(EINVAL);
    if (level === IPPROTO_IPV6 && (name === IPV6_UNICAST_HOPS || name === IPV6_MULTICAST_HOPS) && (value < -1 || value > 255)) throw new Errno(EINVAL);
    this.ipopts.set(level * 0x10000 + name, level === IPPROTO_TCP && name === TCP_NODELAY ? (value ? 1 : 0) : value);
  }

  private optionTable(level: number): Map<number, number> | undefined {
    if (level === IPPROTO_TCP) return this.tcp ? TCP_OPTION_DEFAULTS : undefined;
    if (level === IPPROTO_IP) return this.family === AF_INET ? IP_OPTION_DEFAULTS : undefined;
    if (level === IPPROTO_IPV6) return this.family === AF_INET6 ? IPV6_OPTION_DEFAULTS : undefined;
    return undefined;
  }

  /**
   * soclose → tcp_disconnect1 (tcp_usrreq.c 1.209): the peer gets a FIN (it reads end-of-file,
   * and stays connected: CLOSE_WAIT); with SO_LINGER and a zero time an RST instead (tcp_drop:
   * ECONNRESET). Unread data is flushed either way (sbflush), not answered with an RST. The side
   * that closes first keeps its block: FIN_WAIT_2 until the peer closes (at most t_maxidle,
   * keepcnt × keepintvl = 600 s, tcp_usrclosed), then TIME_WAIT for 2 × tcp_msl_loop = 2 s
   * (tcp_subr.c 1.264: loopback connections' MSL is PR_SLOWHZ, one second).
   */
  override close(): void {
    const now = performance.now();
    const peer = this.tcp ? (this.peer as InetSocket | undefined) : undefined;
    if (peer && peer.peer === this) {
      this.peer = undefined;
      peer.peer = undefined;
      if (this.options & SO_LINGER && this.linger[1] === 0) peer.disconnected(ECONNRESET);
      else {
        peer.state |= SS_CANTRCVMORE;
        peer.peerClosed = true;
        if (!this.peerClosed) {
          this.lingersUntil = now + TCP_FIN_WAIT_2_IDLE_MS;
          peer.finWaiting = this;
        }
      }
      peer.rcv.wakeup();
      peer.snd.wakeup();
    }
    // Our FIN answers the peer's: the peer, which closed first, goes to TIME_WAIT now.
    const first = this.finWaiting;
    if (first?.lingersUntil !== undefined) first.lingersUntil = Math.min(first.lingersUntil, now + TCP_TIME_WAIT_LOOP_MS);
    this.finWaiting = undefined;
    super.close();
    this.detached = true;
    if (this.lingersUntil === undefined) this.table.pcbs.delete(this);
  }

  /** soisdisconnected with so_error: an RST came (ECONNRESET), or one refused our SYN. */
  private disconnected(error: number): void {
    this.error = error;
    this.state = (this.state & ~SS_ISCONNECTED) | SS_CANTRCVMORE | SS_CANTSENDMORE;
  }
}

