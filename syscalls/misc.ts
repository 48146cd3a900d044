// Small calls the Go runtime and os package use: __getrusage50, getgroups, getpriority
// (sys/kern/kern_resource.c, kern_prot.c).

import {
  EINVAL, ESRCH, PRIO_PGRP, PRIO_PROCESS, PRIO_USER, RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_SIZE,
} from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { full, partial, type SyscallDescriptor } from '../src/kernel/syscall.js';

/** A struct timeval (time_t tv_sec; suseconds_t tv_usec; 16 bytes on amd64) from milliseconds. */
function putTimeval(dv: DataView, off: number, ms: number): void {
  const us = Math.max(0, Math.round(ms * 1000));
  dv.setBigInt64(off, BigInt(Math.floor(us / 1_000_000)), true);
  dv.setInt32(off + 8, us % 1_000_000, true);
}

export const miscSyscalls: SyscallDescriptor[] = [
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
    number: 100, name: 'getpriority', class: 'process', support: partial('every process has nice 0'),
    args: [{ name: 'which', type: 'int' }, { name: 'who', type: 'int' }],
    handler(k, which, who) {
      // sys_getpriority: the lowest nice value among the matches, ESRCH when none, EINVAL for
      // an unknown `which`. nbemu has no nice(2), so a match is always 0 (NZERO-relative).
      const procs = [...k.machine.procs.values()].filter((p) => !p.exited);
      let found: boolean;
      if (which === PRIO_PROCESS) found = who === 0 || procs.some((p) => p.pid === who);
      else if (which === PRIO_PGRP) found = who === 0 || procs.some((p) => p.pgid === who);
      else if (which === PRIO_USER) found = who === 0 || procs.some((p) => p.cred.uid === who);
      else throw new Errno(EINVAL);
      if (!found) throw new Errno(ESRCH);
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
