// The sysctl tree the guest can read (sys/kern/kern_sysctl.c sysctl_locate, sysctl_lookup;
// nodes from sys/kern/init_sysctl.c and sys/kern/init_sysctl_base.c). Numbers: sys/sys/sysctl.h.

import * as crypto from 'node:crypto';
import * as os from 'node:os';
import {
  CTL_HW, CTL_KERN, E2BIG, EINVAL, EISDIR, ENOENT, ENOTDIR, EPERM, HW_MACHINE, HW_MACHINE_ARCH,
  HW_NCPU, HW_NCPUONLINE, HW_PAGESIZE, HW_PHYSMEM64, KERN_ARND, KERN_HOSTNAME, KERN_MAXFILES,
  KERN_OSRELEASE, KERN_OSREV, KERN_OSTYPE, KERN_VERSION, MACHINE, MACHINE_ARCH, NETBSD_VERSION,
  OSRELEASE, OSTYPE, PAGE_SIZE,
} from './constants.js';
import { Errno } from './errno.js';
import type { Machine } from './machine.js';
import type { Proc } from './proc.js';

/** What a leaf yields for a read of `want` bytes (the caller's *oldlenp). */
type Leaf = {
  name: string;
  read: (m: Machine, p: Proc, want: number) => Uint8Array;
  /** A writable node: store the new value (root only, as kauth's suser secmodel allows). */
  write?: (m: Machine, value: Uint8Array) => void;
};
type Node = { name: string; children: Map<number, Node | Leaf> };

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
const leaf = (name: string, read: Leaf['read'], write?: Leaf['write']): Leaf => (write ? { name, read, write } : { name, read });

/** sysctl_kern_arnd (init_sysctl.c): as many random bytes as asked, at most 256 (E2BIG past it). */
function arandom(want: number): Uint8Array {
  if (want > 256) throw new Errno(E2BIG);
  return crypto.randomBytes(want);
}

const TREE: Node = {
  name: '',
  children: new Map<number, Node | Leaf>([
    [CTL_KERN, {
      name: 'kern',
      children: new Map<number, Node | Leaf>([
        [KERN_OSTYPE, leaf('ostype', () => str(OSTYPE))],
        [KERN_OSRELEASE, leaf('osrelease', () => str(OSRELEASE))],
        [KERN_OSREV, leaf('osrevision', () => int(NETBSD_VERSION))],
        [KERN_VERSION, leaf('version', () => str(`${OSTYPE} ${OSRELEASE} (NBEMU) #0: emulated by nbemu\n`))],
        [KERN_MAXFILES, leaf('maxfiles', (m) => int(m.files.maxfiles), (m, v) => {
          if (v.length !== 4) throw new Errno(EINVAL);
          const n = new DataView(v.buffer, v.byteOffset, 4).getInt32(0, true);
          if (n < 0) throw new Errno(EINVAL);
          m.files.maxfiles = n;
        })],
        [KERN_HOSTNAME, leaf('hostname', (m) => str(m.hostname))],
        [KERN_ARND, leaf('arandom', (_m, _p, want) => arandom(want))],
      ]),
    }],
    [CTL_HW, {
      name: 'hw',
      children: new Map<number, Node | Leaf>([
        [HW_MACHINE, leaf('machine', () => str(MACHINE))],
        [HW_NCPU, leaf('ncpu', (m) => int(m.ncpu))],
        [HW_PAGESIZE, leaf('pagesize', () => int(PAGE_SIZE))],
        [HW_MACHINE_ARCH, leaf('machine_arch', () => str(MACHINE_ARCH))],
        [HW_PHYSMEM64, leaf('physmem64', () => quad(BigInt(os.totalmem())))],
        [HW_NCPUONLINE, leaf('ncpuonline', (m) => int(m.ncpu))],
      ]),
    }],
  ]),
};

/**
 * sysctl_locate + sysctl_lookup for one request: returns the node's bytes (or, for a write,
 * stores them). A missing node is ENOENT, a name that continues past a leaf ENOTDIR, reading a
 * node itself EISDIR, writing a read-only leaf EPERM.
 */
export function sysctlLookup(m: Machine, p: Proc, name: number[], want: number, newValue: Uint8Array | undefined): Uint8Array {
  let node: Node | Leaf = TREE;
  for (let i = 0; i < name.length; i++) {
    if (!('children' in node)) throw new Errno(ENOTDIR);
    const next: Node | Leaf | undefined = node.children.get(name[i]!);
    if (!next) throw new Errno(ENOENT);
    node = next;
  }
  if ('children' in node) throw new Errno(EISDIR);
  if (newValue) {
    if (!node.write || p.cred.euid !== 0) throw new Errno(EPERM);
    const old = node.read(m, p, want);
    node.write(m, newValue);
    return old;
  }
  return node.read(m, p, want);
}
