// Process identity and limits: exit, getpid, getppid, the uid/gid calls, issetugid,
// getrlimit, setrlimit (sys/kern/kern_exit.c, kern_prot.c, kern_resource.c).

import { EINVAL, EJUSTRETURN, EPERM, RLIMIT_NOFILE, RLIM_NLIMITS } from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { full, type SyscallDescriptor } from '../src/kernel/syscall.js';

export const processSyscalls: SyscallDescriptor[] = [
  {
    number: 1, name: 'exit', class: 'process', support: full,
    args: [{ name: 'rval', type: 'int' }],
    handler(k, rval) {
      // sys_exit → exit1 with W_EXITCODE(rval, 0): the parent sees the low 8 bits.
      k.machine.exitProc(k.proc, { kind: 'exited', code: rval & 0xff });
      throw new Errno(EJUSTRETURN);
    },
  },
  {
    number: 20, name: 'getpid', class: 'process', support: full, args: [],
    handler(k) {
      k.rdx = k.proc.ppid; // getpid_with_ppid
      return k.proc.pid;
    },
  },
  { number: 39, name: 'getppid', class: 'process', support: full, args: [], handler: (k) => k.proc.ppid },
  {
    number: 24, name: 'getuid', class: 'process', support: full, args: [],
    handler(k) {
      k.rdx = k.proc.cred.euid; // getuid_with_euid
      return k.proc.cred.uid;
    },
  },
  { number: 25, name: 'geteuid', class: 'process', support: full, args: [], handler: (k) => k.proc.cred.euid },
  {
    number: 47, name: 'getgid', class: 'process', support: full, args: [],
    handler(k) {
      k.rdx = k.proc.cred.egid; // getgid_with_egid
      return k.proc.cred.gid;
    },
  },
  { number: 43, name: 'getegid', class: 'process', support: full, args: [], handler: (k) => k.proc.cred.egid },
  // P_SUGID is never set: nothing here runs set-id (sys/kern/kern_prot.c sys_issetugid).
  { number: 305, name: 'issetugid', class: 'process', support: full, args: [], handler: () => 0 },
  {
    number: 194, name: 'getrlimit', class: 'process', support: full,
    args: [{ name: 'which', type: 'int' }, { name: 'rlp', type: 'ptr' }],
    handler(k, which, rlp) {
      if (which >>> 0 >= RLIM_NLIMITS) throw new Errno(EINVAL);
      const lim = k.proc.limits[which]!;
      const out = new Uint8Array(16);
      const dv = new DataView(out.buffer);
      dv.setBigUint64(0, lim.cur, true);
      dv.setBigUint64(8, lim.max, true);
      k.proc.vm.write(rlp, out);
      return 0;
    },
  },
  {
    number: 195, name: 'setrlimit', class: 'process', support: full,
    args: [{ name: 'which', type: 'int' }, { name: 'rlp', type: 'ptr' }],
    handler(k, which, rlp) {
      // sys_setrlimit copies in first (EFAULT), then dosetrlimit checks (kern_resource.c).
      const raw = k.proc.vm.read(rlp, 16);
      const dv = new DataView(raw.buffer, raw.byteOffset, 16);
      let cur = dv.getBigUint64(0, true);
      let max = dv.getBigUint64(8, true);
      if (which >>> 0 >= RLIM_NLIMITS) throw new Errno(EINVAL);
      if (cur > max) throw new Errno(EINVAL);
      const lim = k.proc.limits[which]!;
      if (cur === lim.cur && max === lim.max) return 0;
      if (max > lim.max && k.proc.cred.euid !== 0) throw new Errno(EPERM);
      if (which === RLIMIT_NOFILE) {
        const maxfiles = BigInt(k.machine.files.maxfiles);
        if (cur > maxfiles) cur = maxfiles;
        if (max > maxfiles) max = maxfiles;
      }
      lim.cur = cur;
      lim.max = max;
      return 0;
    },
  },
];
