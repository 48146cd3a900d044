// Small calls the Go runtime and os package use: __getrusage50, getgroups, getpriority and
// setpriority (sys/kern/kern_resource.c, kern_prot.c); uuidgen (sys/kern/kern_uuid.c).

import * as crypto from 'node:crypto';
import {
  EACCES, EINVAL, EPERM, ESRCH, NZERO, PRIO_MAX, PRIO_MIN, PRIO_PGRP, PRIO_PROCESS, PRIO_USER, RUSAGE_CHILDREN,
  RUSAGE_SELF, RUSAGE_SIZE,
} from '../src/kernel/constants.js';
import type { Proc } from '../src/kernel/proc.js';
import { Errno } from '../src/kernel/errno.js';
import { full, partial, type SyscallDescriptor } from '../src/kernel/syscall.js';

/**
 * The processes a PRIO_PROCESS / PRIO_PGRP / PRIO_USER `who` names (kern_resource.c): 0 is the
 * caller, its group, or its effective uid; users are matched by effective uid.
 */
function priorityTargets(caller: Proc, all: Iterable<Proc>, which: number, who: number): Proc[] {
  const live = [...all].filter((p) => !p.exited);
  switch (which) {
    case PRIO_PROCESS:
      return live.filter((p) => p.pid === (who || caller.pid));
    case PRIO_PGRP:
      return live.filter((p) => p.pgid === (who || caller.pgid));
    case PRIO_USER: {
      const uid = who === 0 ? caller.cred.euid : who >>> 0;
      return live.filter((p) => p.cred.euid >>> 0 === uid);
    }
    default:
      throw new Errno(EINVAL);
  }
}

/**
 * donice (kern_resource.c): EPERM unless the caller's euid or uid is 0 or the target's euid;
 * the value is clamped to [PRIO_MIN, PRIO_MAX]; KAUTH_PROCESS_NICE allows root, or the owner
 * (euid or uid = the target's euid) making it no lower (resource_listener_cb): EACCES otherwise.
 */
function donice(caller: Proc, chgp: Proc, prio: number): void {
  const c = caller.cred;
  const owner = chgp.cred.euid;
  if (c.euid !== 0 && c.uid !== 0 && c.euid !== owner && c.uid !== owner) throw new Errno(EPERM);
  const n = Math.min(PRIO_MAX, Math.max(PRIO_MIN, prio)) + NZERO;
  if (c.euid !== 0 && !((c.euid === owner || c.uid === owner) && n >= chgp.nice)) throw new Errno(EACCES);
  chgp.nice = n;
}

/** A struct timeval (time_t tv_sec; suseconds_t tv_usec; 16 bytes on amd64) from milliseconds. */
function putTimeval(dv: DataView, off: number, ms: number): void {
  const us = Math.max(0, Math.round(ms * 1000));
  dv.setBigInt64(off, BigInt(Math.floor(us / 1_000_000)), true);
  dv.setInt32(off + 8, us % 1_000_000, true);
}

/** sizeof(struct uuid) (sys/sys/uuid.h): time_low, time_mid, time_hi_and_version, clock_seq_hi_and_reserved, clock_seq_low, node[6]. */
const UUID_SIZE = 16;

export const miscSyscalls: SyscallDescriptor[] = [
  {
    number: 355, name: 'uuidgen', class: 'misc', support: full,
    args: [{ name: 'store', type: 'ptr' }, { name: 'count', type: 'int' }],
    handler(k, store, count) {
      // sys_uuidgen (kern_uuid.c 1.20): 1..2048 UUIDs (EINVAL otherwise), each random with the
      // version 4 and the variant bits set (uuid_generate), copied out one at a time: an EFAULT
      // part way leaves the ones before it written.
      if (count < 1 || count > 2048) throw new Errno(EINVAL);
      for (let i = 0; i < count; i++) {
        const u = crypto.randomBytes(UUID_SIZE);
        const hv = u.readUInt16LE(6);
        u.writeUInt16LE((hv & ~0xf000) | 0x4000, 6); // time_hi_and_version: version 4
        u[8] = (u[8]! & ~0x40) | 0x80; // clock_seq_hi_and_reserved: the DCE variant
        k.proc.vm.write(store + i * UUID_SIZE, u);
      }
      return 0;
    },
  },
  {
    number: 79, name: 'getgroups', class: 'process', support: full,
    args: [{ name: 'gidsetsize', type: 'int' }, { name: 'gidset', type: 'ptr' }],
    handler(k, gidsetsize, gidset) {
      // sys_getgroups: 0 asks for the count; a smaller non-zero size is EINVAL. The credentials
      // start with one group, the real gid, until setgroups (kauth_cred_ngroups).
      const groups = k.proc.cred.groups ?? [k.proc.cred.gid];
      if (gidsetsize === 0) return groups.length;
      if (gidsetsize < groups.length) throw new Errno(EINVAL);
      const b = new Uint8Array(4 * groups.length);
      const dv = new DataView(b.buffer);
      groups.forEach((g, i) => dv.setUint32(4 * i, g >>> 0, true));
      k.proc.vm.write(gidset, b);
      return groups.length;
    },
  },
  {
    number: 100, name: 'getpriority', class: 'process', support: full,
    args: [{ name: 'which', type: 'int' }, { name: 'who', type: 'int' }],
    handler(k, which, who) {
      // sys_getpriority: the lowest p_nice among the matches, less NZERO; ESRCH when none,
      // EINVAL for an unknown `which`.
      let low = Infinity;
      for (const p of priorityTargets(k.proc, k.machine.procs.values(), which, who)) low = Math.min(low, p.nice);
      if (low === Infinity) throw new Errno(ESRCH);
      return low - NZERO;
    },
  },
  {
    number: 96, name: 'setpriority', class: 'process',
    support: partial('the nice value is kept, reported and inherited; nbemu\'s scheduler does not weigh it'),
    args: [{ name: 'which', type: 'int' }, { name: 'who', type: 'int' }, { name: 'prio', type: 'int' }],
    handler(k, which, who, prio) {
      // sys_setpriority: donice on each match, stopping at the first error; ESRCH when none.
      let found = 0;
      for (const p of priorityTargets(k.proc, k.machine.procs.values(), which, who)) {
        found++;
        donice(k.proc, p, prio);
      }
      if (found === 0) throw new Errno(ESRCH);
      return 0;
    },
  },
  {
    number: 445, name: '__getrusage50', class: 'process',
    support: partial('user time is the CPU time nbemu ran the process; system time, the children\'s times and the counters are 0'),
    args: [{ name: 'who', type: 'int' }, { name: 'rusage', type: 'ptr' }],
    handler(k, who, rusage) {
      if (who !== RUSAGE_SELF && who !== RUSAGE_CHILDREN) throw new Errno(EINVAL);
      const b = new Uint8Array(RUSAGE_SIZE);
      const dv = new DataView(b.buffer);
      if (who === RUSAGE_SELF) {
        putTimeval(dv, 0, k.proc.cpuMs); // ru_utime
        putTimeval(dv, 16, 0); // ru_stime
      }
      k.proc.vm.write(rusage, b);
      return 0;
    },
  },
];
