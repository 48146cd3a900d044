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
      const savelen = oldlenp !== 0 ? vm.readU64(oldlenp) : 0; // copied in before anything else
      if (namelen > CTL_MAXNAME || namelen < 1) throw new Errno(EINVAL);
      const raw = vm.read(namep, namelen * 4);
      const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
      const name = Array.from({ length: namelen }, (_, i) => dv.getInt32(i * 4, true));
      let oldlen = savelen;
      let error: unknown;
      try {
        const value = newp !== 0 ? vm.read(newp, newlen) : undefined;
        const data = sysctlLookup(k.machine, k.proc, name, savelen, value);
        // sysctl_lookup: copy out what fits and report the full size.
        if (oldp !== 0) vm.write(oldp, data.subarray(0, Math.min(data.length, savelen)));
        oldlen = data.length;
      } catch (e) {
        error = e;
      }
      // The caller's *oldlenp is set even in the face of an error.
      if (oldlenp !== 0) {
        try {
          vm.writeU64(oldlenp, oldlen);
        } catch (e) {
          error ??= e;
        }
      }
      if (error) throw error;
      if (oldp !== 0 && savelen < oldlen) throw new Errno(ENOMEM);
      return 0;
    },
  },
];
