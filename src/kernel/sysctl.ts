// The sysctl tree and its dispatch (sys/kern/kern_sysctl.c 1.257: sysctl_dispatch,
// sysctl_locate, sysctl_lookup, sysctl_query, sysctl_cvt_in/out; nodes and helpers from
// sys/kern/init_sysctl.c, init_sysctl_base.c and kern_proc.c: sysctl_kern_arnd,
// sysctl_kern_proc_args, fill_pathname, copy_procargs). Numbers and flags: sys/sys/sysctl.h.
//
// Each node carries what struct sysctlnode does — type and flags, number, name, version, size,
// children — so CTL_QUERY can describe the tree the way NetBSD's does (the node records the
// kernel copies out; its kernel pointers are given as 0).

import * as crypto from 'node:crypto';
import * as os from 'node:os';
import {
  ARG_MAX, AT_SUN_EXECNAME, CTLFLAG_ANYWRITE, CTLFLAG_IMMEDIATE, CTLFLAG_PERMANENT, CTLFLAG_READWRITE, CTLFLAG_ROOT,
  CTLTYPE_INT, CTLTYPE_NODE, CTLTYPE_QUAD, CTLTYPE_STRING, CTLTYPE_STRUCT, CTL_CREATE, CTL_CREATESYM, CTL_DESTROY,
  CTL_HW, CTL_KERN, CTL_MMAP, CTL_QUERY, E2BIG, EFAULT, EINVAL, ENOENT, ENOSPC, ENOTDIR, EOPNOTSUPP, EPERM, ESRCH,
  HW_MACHINE, HW_MACHINE_ARCH, HW_NCPU, HW_NCPUONLINE, HW_PAGESIZE, HW_PHYSMEM64, KERN_ARND, KERN_HOSTNAME,
  KERN_SYSVIPC, KERN_SYSVIPC_MSG, KERN_SYSVIPC_SEM, KERN_SYSVIPC_SHM, KERN_SYSVIPC_SHMMAX, KERN_SYSVIPC_SHMMNI, KERN_SYSVIPC_SHMSEG,
  KERN_SYSVIPC_SHMMAXPGS, KERN_SYSVIPC_SHMUSEPHYS, CREATE_BASE, SHMMNI, SHMSEG, SEMMNI, SEMMNS, SEMMNU, MSGMNI, MSGSEG,
  KERN_MAXFILES, KERN_OSRELEASE, KERN_OSREV, KERN_OSTYPE, KERN_PROC_ARGS, KERN_PROC_ARGV, KERN_PROC_ENV,
  KERN_PROC_NARGV, KERN_PROC_NENV, KERN_PROC_PATHNAME, KERN_VERSION, MACHINE, MACHINE_ARCH, MAXHOSTNAMELEN,
  MAXPATHLEN, NETBSD_VERSION, OSRELEASE, OSTYPE, PAGE_SIZE, SYSCTLNODE_SIZE, SYSCTL_NAMELEN, SYSCTL_TYPEMASK,
  SYSCTL_VERSION, SYSCTL_VERS_MASK,
} from './constants.js';
import { Errno } from './errno.js';
import type { Machine } from './machine.js';
import type { Proc } from './proc.js';

/** One request, as sysctl_dispatch's SYSCTLFN_ARGS carry it; `oldlen` is *oldlenp. */
export interface SysctlRequest {
  m: Machine;
  p: Proc;
  oldp: number;
  oldlen: number;
  newp: number;
  newlen: number;
}

/** A helper function node (sysctl_func): it gets the name past itself and answers the whole request. */
type NodeFunc = (r: SysctlRequest, name: number[], node: SNode) => void;

interface SNode {
  name: string;
  num: number;
  type: number;
  flags: number;
  ver: number;
  /** sysctl_size: a node's struct size, an int's 4, a string's buffer. */
  size: number;
  children?: SNode[];
  parent?: SNode;
  /** CTLFLAG_IMMEDIATE's value. */
  idata?: bigint;
  /** The current value of a leaf (strings with their NUL). */
  read?: (m: Machine, p: Proc) => Uint8Array;
  /** Store a new value (already checked against the type's size rules). */
  write?: (m: Machine, v: Uint8Array) => void;
  func?: NodeFunc;
}

const str = (s: string): Uint8Array => Buffer.from(`${s}\0`, 'latin1');
const int = (n: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
};
const quad = (n: bigint): Uint8Array => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigInt64(0, n, true);
  return b;
};

/** kern.hostname once root has set it (the machine's own name until then). */
const hostnames = new WeakMap<Machine, string>();

const version = `${OSTYPE} ${OSRELEASE} (NBEMU) #0: emulated by nbemu\n`;

function leaf(num: number, name: string, type: number, read: SNode['read'], extra: Partial<SNode> = {}): SNode {
  const size = type === CTLTYPE_INT ? 4 : type === CTLTYPE_QUAD ? 8 : 0;
  return { name, num, type, flags: CTLFLAG_PERMANENT, ver: 0, size, read, ...extra };
}

function immediate(num: number, name: string, value: number): SNode {
  return leaf(num, name, CTLTYPE_INT, () => int(value), { flags: CTLFLAG_PERMANENT | CTLFLAG_IMMEDIATE, idata: BigInt(value) });
}

/** A string node's size: strlen + 1 of the value it was created with (sysctl_create, kernel data). */
function fixedString(num: number, name: string, value: string): SNode {
  return leaf(num, name, CTLTYPE_STRING, () => str(value), { size: value.length + 1 });
}

function node(num: number, name: string, children: SNode[], extra: Partial<SNode> = {}): SNode {
  return { name, num, type: CTLTYPE_NODE, flags: CTLFLAG_PERMANENT, ver: 0, size: SYSCTLNODE_SIZE, children, ...extra };
}

/** sysctl_kern_arnd (init_sysctl.c): *oldlenp random bytes; 0 asks nothing, more than 256 is E2BIG. */
const arnd: NodeFunc = (r, name, n) => {
  if (r.oldlen === 0) return;
  if (r.oldlen > 256) throw new Errno(E2BIG);
  const v = crypto.randomBytes(r.oldlen);
  lookup(r, name, { ...n, size: v.length, read: () => v });
};

/** The path the process was executed by (p_path): the AT_SUN_EXECNAME string exec left on its stack. */
export function procPath(p: Proc): string | undefined {
  const recorded = (p as unknown as { path?: string }).path;
  if (recorded !== undefined) return recorded;
  try {
    const ps = p.stackBase - 32; // struct ps_strings at the top of the stack
    const envp = p.vm.readU64(ps + 16);
    const nenv = p.vm.readU32(ps + 24);
    let aux = envp + (nenv + 1) * 8;
    for (let i = 0; i < 64; i++, aux += 16) {
      const type = p.vm.readU64(aux);
      if (type === 0) break;
      if (type === AT_SUN_EXECNAME) return p.vm.readString(p.vm.readU64(aux + 8), MAXPATHLEN, EFAULT);
    }
  } catch {
    // the stack is gone or was rewritten
  }
  return undefined;
}

/** fill_pathname (kern_proc.c): pid -1 is the caller; a short buffer gets what fits and ENOSPC. */
function fillPathname(r: SysctlRequest, pid: number): void {
  const q = pid === -1 ? r.p : r.m.procs.get(pid);
  if (!q || q.exited) throw new Errno(ESRCH);
  const path = procPath(q);
  if (path === undefined) throw new Errno(ENOENT);
  const bytes = Buffer.from(`${path}\0`, 'utf8');
  let error = 0;
  if (r.oldp !== 0) {
    r.p.vm.write(r.oldp, bytes.subarray(0, Math.min(bytes.length, r.oldlen)));
    if (r.oldlen < bytes.length) error = ENOSPC;
  }
  r.oldlen = bytes.length;
  if (error) throw new Errno(error);
}

/** copy_procargs: the strings of argv or envp read from the process's own ps_strings, cut at *oldlenp. */
function copyProcargs(r: SysctlRequest, q: Proc, type: number): void {
  const ps = q.stackBase - 32;
  const vec = q.vm.readU64(ps + (type === KERN_PROC_ARGV ? 0 : 16));
  const n = q.vm.readU32(ps + (type === KERN_PROC_ARGV ? 8 : 24)) | 0;
  if (n < 0) throw new Errno(5); // EIO
  let len = 0;
  for (let i = 0; i < n; i++) {
    const base = q.vm.readU64(vec + i * 8);
    if (base === 0) break; // the program replaced its arguments with NULLs: the end
    let s = Buffer.from(`${q.vm.readString(base, ARG_MAX, E2BIG)}\0`, 'utf8');
    const full = len + s.length > r.oldlen;
    if (full) s = s.subarray(0, Math.max(0, r.oldlen - len));
    r.p.vm.write(r.oldp + len, s);
    len += s.length;
    if (full) break;
  }
  r.oldlen = len;
}

/** sysctl_kern_proc_args: kern.proc_args.<pid>.<what>. */
const procArgs: NodeFunc = (r, name, n) => {
  if (name.length === 1 && name[0] === CTL_QUERY) return query(r, name, n);
  if (r.newp !== 0 || name.length !== 2) throw new Errno(EINVAL);
  const [pid, type] = name as [number, number];
  if (type === KERN_PROC_PATHNAME) return fillPathname(r, pid);
  if (type !== KERN_PROC_ARGV && type !== KERN_PROC_NARGV && type !== KERN_PROC_ENV && type !== KERN_PROC_NENV) throw new Errno(EINVAL);
  const q = r.m.procs.get(pid);
  if (!q) throw new Errno(EINVAL);
  // KAUTH_REQ_PROCESS_CANSEE_ENV: the environment only to its owner or root.
  if ((type === KERN_PROC_ENV || type === KERN_PROC_NENV) && r.p.cred.euid !== 0 && r.p.cred.uid !== q.cred.uid) throw new Errno(EPERM);
  if (r.oldp === 0) {
    r.oldlen = type === KERN_PROC_NARGV || type === KERN_PROC_NENV ? 4 : ARG_MAX;
    return;
  }
  if (q.exited) throw new Errno(EINVAL); // zombies have no stack
  if (type === KERN_PROC_NARGV || type === KERN_PROC_NENV) {
    const v = q.vm.readU32(q.stackBase - 32 + (type === KERN_PROC_NARGV ? 8 : 24));
    r.p.vm.write(r.oldp, int(v | 0).subarray(0, 4));
    r.oldlen = 4;
    return;
  }
  copyProcargs(r, q, type);
};

const ROOT: SNode = node(0, '(root)', [
  node(CTL_KERN, 'kern', [
    fixedString(KERN_OSTYPE, 'ostype', OSTYPE),
    fixedString(KERN_OSRELEASE, 'osrelease', OSRELEASE),
    immediate(KERN_OSREV, 'osrevision', NETBSD_VERSION),
    fixedString(KERN_VERSION, 'version', version),
    leaf(KERN_MAXFILES, 'maxfiles', CTLTYPE_INT, (m) => int(m.files.maxfiles), {
      flags: CTLFLAG_PERMANENT | CTLFLAG_READWRITE,
      write: (m, v) => {
        const n = new DataView(v.buffer, v.byteOffset, 4).getInt32(0, true);
        if (n < 0) throw new Errno(EINVAL);
        m.files.maxfiles = n;
      },
    }),
    immediate(8, 'argmax', ARG_MAX),
    leaf(KERN_HOSTNAME, 'hostname', CTLTYPE_STRING, (m) => str(hostnames.get(m) ?? m.hostname), {
      flags: CTLFLAG_PERMANENT | CTLFLAG_READWRITE,
      size: MAXHOSTNAMELEN,
      write: (m, v) => {
        const nul = v.indexOf(0);
        hostnames.set(m, Buffer.from(nul < 0 ? v : v.subarray(0, nul)).toString('latin1'));
      },
    }),
    node(KERN_PROC_ARGS, 'proc_args', [], { func: procArgs }),
    leaf(KERN_ARND, 'arandom', CTLTYPE_STRUCT, undefined, { func: arnd }),
    // kern.ipc: sysv_ipc.c's fixed nodes (sysv_shm.c 1.141's shm*), then the ones sysv_sem.c and
    // sysv_msg.c make with CTL_CREATE (numbers from CREATE_BASE in creation order: unverified).
    // NetBSD lets root tune them (a reallocation); here they can only be read.
    node(KERN_SYSVIPC, 'ipc', [
      immediate(KERN_SYSVIPC_MSG, 'sysvmsg', 1),
      immediate(KERN_SYSVIPC_SEM, 'sysvsem', 1),
      immediate(KERN_SYSVIPC_SHM, 'sysvshm', 1),
      leaf(KERN_SYSVIPC_SHMMAX, 'shmmax', CTLTYPE_QUAD, (m) => quad(BigInt(m.shm.shmmax))),
      immediate(KERN_SYSVIPC_SHMMNI, 'shmmni', SHMMNI),
      immediate(KERN_SYSVIPC_SHMSEG, 'shmseg', SHMSEG),
      leaf(KERN_SYSVIPC_SHMMAXPGS, 'shmmaxpgs', CTLTYPE_INT, (m) => int(m.shm.shmall)),
      immediate(KERN_SYSVIPC_SHMUSEPHYS, 'shm_use_phys', 0),
      immediate(CREATE_BASE, 'semmni', SEMMNI),
      immediate(CREATE_BASE + 1, 'semmns', SEMMNS),
      immediate(CREATE_BASE + 2, 'semmnu', SEMMNU),
      immediate(CREATE_BASE + 3, 'msgmni', MSGMNI),
      immediate(CREATE_BASE + 4, 'msgseg', MSGSEG),
    ]),
  ]),
  node(CTL_HW, 'hw', [
    fixedString(HW_MACHINE, 'machine', MACHINE),
    leaf(HW_NCPU, 'ncpu', CTLTYPE_INT, (m) => int(m.ncpu)),
    immediate(4, 'byteorder', 1234),
    immediate(HW_PAGESIZE, 'pagesize', PAGE_SIZE),
    fixedString(HW_MACHINE_ARCH, 'machine_arch', MACHINE_ARCH),
    leaf(HW_PHYSMEM64, 'physmem64', CTLTYPE_QUAD, () => quad(BigInt(os.totalmem()))),
    leaf(HW_NCPUONLINE, 'ncpuonline', CTLTYPE_INT, (m) => int(m.ncpu)),
  ]),
], { flags: CTLFLAG_ROOT | CTLFLAG_READWRITE });

/**
 * Versions as sysctl_create leaves them: each node created takes the next number, and so do all
 * its ancestors (the root ends with the newest). Children are kept sorted by number.
 */
(function number(n: SNode, counter: { v: number }): void {
  for (const c of n.children ?? []) {
    c.parent = n;
    counter.v++;
    for (let a: SNode | undefined = c; a; a = a.parent) a.ver = counter.v;
    number(c, counter);
  }
  n.children?.sort((a, b) => a.num - b.num);
})(ROOT, { v: 0 });

/** sysctl_locate: the deepest node the name reaches, how much of the name that took, and the error. */
function locate(name: number[]): { node: SNode; ni: number; error: number } {
  let pnode = ROOT;
  let ni = 0;
  for (; ni < name.length; ni++) {
    const kids = pnode.children;
    if (!kids || kids.length === 0) return { node: pnode, ni, error: pnode.type === CTLTYPE_NODE ? ENOENT : ENOTDIR };
    const next = kids.find((c) => c.num === name[ni]);
    if (!next) return { node: pnode, ni, error: ENOENT };
    pnode = next;
  }
  return { node: pnode, ni, error: 0 };
}

/** struct sysctlnode as sysctl_cvt_out copies it (kernel pointers as 0). */
function nodeRecord(n: SNode): Uint8Array {
  const b = new Uint8Array(SYSCTLNODE_SIZE);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, (SYSCTL_VERSION | n.flags | n.type) >>> 0, true);
  dv.setInt32(4, n.num, true);
  b.set(Buffer.from(n.name, 'latin1').subarray(0, SYSCTL_NAMELEN - 1), 8);
  dv.setUint32(40, n.ver, true);
  if (n.type === CTLTYPE_NODE) {
    dv.setUint32(48, n.children?.length ?? 0, true); // sysctl_csize
    dv.setUint32(52, n.children?.length ?? 0, true); // sysctl_clen
  } else if (n.idata !== undefined) {
    dv.setBigInt64(48, n.idata, true);
  }
  dv.setBigUint64(64, BigInt(n.size), true);
  return b;
}

/** sysctl_query: the records of a node's children; each is copied only if it fits whole. */
function query(r: SysctlRequest, name: number[], rnode: SNode): void {
  if (rnode.type !== CTLTYPE_NODE) throw new Errno(ENOTDIR);
  if (name.length !== 1 || name[0] !== CTL_QUERY) throw new Errno(EINVAL);
  // sysctl_cvt_in: a whole struct sysctlnode of version 1.
  if (r.newp === 0 || r.newlen < 4) throw new Errno(EINVAL);
  const flags = r.p.vm.readU32(r.newp);
  if (r.newlen !== SYSCTLNODE_SIZE || ((flags & SYSCTL_VERS_MASK) >>> 0) !== SYSCTL_VERSION) throw new Errno(EINVAL);
  const q = r.p.vm.read(r.newp, SYSCTLNODE_SIZE);
  const qver = new DataView(q.buffer, q.byteOffset, SYSCTLNODE_SIZE).getUint32(40, true);
  if (qver !== 0 && qver !== rnode.ver && qver !== ROOT.ver) throw new Errno(EINVAL);
  let out = 0;
  let left = r.oldlen;
  for (const c of rnode.children ?? []) {
    if (r.oldp !== 0 && left >= SYSCTLNODE_SIZE) r.p.vm.write(r.oldp + out, nodeRecord(c));
    out += SYSCTLNODE_SIZE;
    left -= Math.min(left, SYSCTLNODE_SIZE);
  }
  r.oldlen = out;
}

/**
 * sysctl_lookup: a leaf's value out (as much as fits; *oldlenp set to the full size), then a new
 * value in. A node cannot be looked up (EINVAL); writing needs root unless the node is
 * CTLFLAG_ANYWRITE, and a writable node (EPERM).
 */
function lookup(r: SysctlRequest, name: number[], n: SNode): void {
  const newp = r.newlen === 0 ? 0 : r.newp;
  if (n.type === CTLTYPE_NODE || name.length !== 0) throw new Errno(EINVAL);
  if (newp !== 0 && !(n.flags & CTLFLAG_ANYWRITE) && r.p.cred.euid !== 0) throw new Errno(EPERM);
  const rw = (n.flags & CTLFLAG_READWRITE) !== 0;
  if (!rw && newp !== 0) throw new Errno(EPERM);
  const data = n.read!(r.m, r.p);
  const sz = n.type === CTLTYPE_STRING ? data.indexOf(0) + 1 || data.length : n.size || data.length;
  if (r.oldp !== 0) r.p.vm.write(r.oldp, data.subarray(0, Math.min(sz, r.oldlen)));
  r.oldlen = sz;
  if (newp === 0) return;
  const size = n.size;
  let v: Uint8Array;
  if (n.type === CTLTYPE_STRING) {
    if (r.newlen > size) throw new Errno(EINVAL);
    v = Uint8Array.from(r.p.vm.read(newp, r.newlen));
    if (v[v.length - 1] !== 0 && v.length === size) throw new Errno(EINVAL);
  } else {
    if (r.newlen !== size) throw new Errno(EINVAL);
    v = Uint8Array.from(r.p.vm.read(newp, size));
  }
  n.write!(r.m, v);
}

/** sysctl_mmap: no node of nbemu's tree offers mmap. */
function mmapRequest(r: SysctlRequest, name: number[], rnode: SNode): void {
  if (r.newp === 0 || r.newlen !== SYSCTLNODE_SIZE) throw new Errno(EINVAL);
  const q = r.p.vm.read(r.newp, SYSCTLNODE_SIZE);
  if (name.length !== 1) throw new Errno(EOPNOTSUPP);
  const num = new DataView(q.buffer, q.byteOffset, SYSCTLNODE_SIZE).getInt32(4, true);
  const target = rnode.children?.find((c) => c.num === num);
  if (!target) throw new Errno(rnode.children?.length || rnode.type === CTLTYPE_NODE ? ENOENT : ENOTDIR);
  throw new Errno(EOPNOTSUPP);
}

/**
 * sysctl_dispatch: locate the node; a node with a helper function gets the request whatever the
 * lookup found; a found leaf is looked up; a name that ends in a meta-identifier under a found
 * node is CTL_QUERY (or create/destroy/mmap/describe); anything else fails with the locate error
 * (ENOENT, ENOTDIR) or EOPNOTSUPP. The request's oldlen is updated as *oldlenp would be.
 */
export function sysctlDispatch(r: SysctlRequest, name: number[]): void {
  const { node: rnode, ni, error } = locate(name);
  const rest = name.slice(ni);
  if (rnode.func) return rnode.func(r, rest, rnode);
  if (error === 0) return lookup(r, rest, rnode);
  if (error === ENOENT && ni + 1 === name.length && name[ni]! < 0) {
    switch (name[ni]) {
      case CTL_QUERY:
        return query(r, rest, rnode);
      case CTL_CREATE:
      case CTL_CREATESYM:
      case CTL_DESTROY:
        if (r.newp === 0) throw new Errno(EINVAL);
        // sysctl_create/sysctl_destroy: KAUTH_REQ_SYSTEM_SYSCTL_ADD/DELETE needs root, and
        // nbemu's tree is not writable by anyone.
        throw new Errno(EPERM);
      case CTL_MMAP:
        return mmapRequest(r, rest, rnode);
      default:
        throw new Errno(EOPNOTSUPP);
    }
  }
  throw new Errno(error);
}

/** The type of a node at a name (tests and diagnostics). */
export function sysctlType(name: number[]): number | undefined {
  const { node: n, error } = locate(name);
  return error ? undefined : n.type & SYSCTL_TYPEMASK;
}
