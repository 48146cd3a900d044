// The thread pointer: _lwp_setprivate, _lwp_getprivate, _lwp_self and the x86 sysarch calls
// (sys/kern/sys_lwp.c, sys/kern/kern_lwp.c lwp_setprivate, sys/arch/x86/x86/sys_machdep.c).

import { UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE } from '../src/unicorn/index.js';
import { EINVAL, VM_MAXUSER_ADDRESS, X86_GET_FSBASE, X86_GET_GSBASE, X86_SET_FSBASE, X86_SET_GSBASE } from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { full, partial, type SyscallDescriptor } from '../src/kernel/syscall.js';

export const lwpSyscalls: SyscallDescriptor[] = [
  {
    number: 317, name: '_lwp_setprivate', class: 'lwp', support: full,
    args: [{ name: 'ptr', type: 'ptr' }],
    handler(k, ptr) {
      // lwp_setprivate → cpu_lwp_setprivate → x86_set_sdbase: FS base = ptr for 64-bit processes.
      if (ptr >= VM_MAXUSER_ADDRESS) throw new Errno(EINVAL);
      k.proc.lwpPrivate = ptr;
      k.proc.uc.reg_write(UC_X86_REG_FS_BASE, ptr);
      return 0;
    },
  },
  { number: 316, name: '_lwp_getprivate', class: 'lwp', support: full, args: [], handler: (k) => k.proc.lwpPrivate },
  { number: 311, name: '_lwp_self', class: 'lwp', support: full, args: [], handler: () => 1 },
  {
    number: 165, name: 'sysarch', class: 'lwp',
    support: partial('X86_{GET,SET}_{FS,GS}BASE only; LDT, I/O permission, MTRR and PMC operations answer EINVAL'),
    args: [{ name: 'op', type: 'int' }, { name: 'parms', type: 'ptr' }],
    handler(k, op, parms) {
      const vm = k.proc.vm;
      switch (op) {
        case X86_SET_FSBASE:
        case X86_SET_GSBASE: {
          const base = vm.readU64(parms); // copyin of the void * (EFAULT)
          if (base >= VM_MAXUSER_ADDRESS) throw new Errno(EINVAL);
          k.proc.uc.reg_write(op === X86_SET_FSBASE ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE, base);
          return 0;
        }
        case X86_GET_FSBASE:
        case X86_GET_GSBASE:
          vm.writeU64(parms, k.proc.uc.reg_read(op === X86_GET_FSBASE ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE));
          return 0;
        default:
          throw new Errno(EINVAL);
      }
    },
  },
];
