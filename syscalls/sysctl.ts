// __sysctl (sys/kern/kern_sysctl.c 1.257 sys___sysctl): *oldlenp copied in first, then the name
// checks and copyin, then sysctl_dispatch (src/kernel/sysctl.ts); *oldlenp is written back even
// in the face of an error, and when the only problem is a short old buffer the call fails with
// ENOMEM (oldp == NULL asks for the size).

import { CTL_MAXNAME, EINVAL, ENOMEM } from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { sysctlDispatch, type SysctlRequest } from '../src/kernel/sysctl.js';
import { partial, type SyscallDescriptor } from '../src/kernel/syscall.js';

export const sysctlSyscalls: SyscallDescriptor[] = [
  {
    number: 202, name: '__sysctl', class: 'sysctl',
    support: partial('kern.ostype, osrelease, osrevision, version, maxfiles, argmax, hostname (root may set it), arandom, proc_args (pathname, argv, nargv, env, nenv); hw.machine, ncpu, byteorder, pagesize, machine_arch, physmem64, ncpuonline; CTL_QUERY; no other nodes, no CTL_DESCRIBE, no node creation'),
    args: [{ name: 'name', type: 'ptr' }, { name: 'namelen', type: 'uint' }, { name: 'oldp', type: 'ptr' }, { name: 'oldlenp', type: 'ptr' }, { name: 'newp', type: 'ptr' }, { name: 'newlen', type: 'size' }],
    handler(k, namep, namelen, oldp, oldlenp, newp, newlen) {
      const vm = k.proc.vm;
      const savelen = oldlenp !== 0 ? vm.readU64(oldlenp) : 0;
      if (namelen > CTL_MAXNAME || namelen < 1) throw new Errno(EINVAL);
      const raw = vm.read(namep, namelen * 4);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const name = Array.from({ length: namelen }, (_, i) => dv.getInt32(i * 4, true));
      const r: SysctlRequest = { m: k.machine, p: k.proc, oldp, oldlen: savelen, newp, newlen };
      let error: unknown;
      try {
        sysctlDispatch(r, name);
      } catch (e) {
        error = e;
      }
      if (oldlenp !== 0) {
        try {
          vm.writeU64(oldlenp, r.oldlen);
        } catch (e) {
          error ??= e;
        }
      }
      if (error) throw error;
      if (oldp !== 0 && savelen < r.oldlen) throw new Errno(ENOMEM);
      return 0;
    },
  },
];
