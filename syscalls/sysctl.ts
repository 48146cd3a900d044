// __sysctl (sys/kern/kern_sysctl.c sys___sysctl): name checks, then the lookup, then the copyout
// of min(size, *oldlenp) bytes with ENOMEM when that cut the value short; *oldlenp is always
// set to the full size (so oldp == NULL asks for the size).

import { CTL_MAXNAME, EINVAL, ENOMEM } from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { sysctlLookup } from '../src/kernel/sysctl.js';
import { partial, type SyscallDescriptor } from '../src/kernel/syscall.js';

export const sysctlSyscalls: SyscallDescriptor[] = [
  {
    number: 202, name: '__sysctl', class: 'sysctl',
    support: partial('kern.ostype, osrelease, osrevision, version, maxfiles, hostname, arandom; hw.machine, ncpu, pagesize, machine_arch, physmem64, ncpuonline; no CTL_QUERY yet'),
    args: [{ name: 'name', type: 'ptr' }, { name: 'namelen', type: 'uint' }, { name: 'oldp', type: 'ptr' }, { name: 'oldlenp', type: 'ptr' }, { name: 'newp', type: 'ptr' }, { name: 'newlen', type: 'size' }],
    handler(k, namep, namelen, oldp, oldlenp, newp, newlen) {
      const vm = k.proc.vm;
      if (namelen > CTL_MAXNAME || namelen < 1) throw new Errno(EINVAL);
      const raw = vm.read(namep, namelen * 4);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const name = Array.from({ length: namelen }, (_, i) => dv.getInt32(i * 4, true));
      const oldlen = oldlenp !== 0 ? vm.readU64(oldlenp) : 0;
      const value = newp !== 0 ? vm.read(newp, newlen) : undefined;
      const data = sysctlLookup(k.machine, k.proc, name, oldlen, value);
      let short = false;
      if (oldp !== 0) {
        const n = Math.min(data.length, oldlen);
        vm.write(oldp, data.subarray(0, n));
        short = n < data.length;
      }
      if (oldlenp !== 0) vm.writeU64(oldlenp, data.length);
      if (short) throw new Errno(ENOMEM);
      return 0;
    },
  },
];
