// System V shared memory: shmget, shmat, shmdt, __shmctl50 (sys/kern/sysv_shm.c 1.141); the
// segments and attachments are src/kernel/sysvshm.ts.

import { IPC_SET, IPC_STAT, SHMID_DS_SIZE } from '../src/kernel/constants.js';
import { full, partial, type SyscallDescriptor } from '../src/kernel/syscall.js';

export const ipcSyscalls: SyscallDescriptor[] = [
  {
    number: 231, name: 'shmget', class: 'memory', support: partial('_SHM_RMLINGER is ignored; kern.ipc.shm* cannot be read or tuned'),
    args: [{ name: 'key', type: 'long' }, { name: 'size', type: 'size' }, { name: 'shmflg', type: 'int' }],
    handler: (k, key, size, shmflg) => k.machine.shm.get(k.proc, BigInt(key), size, shmflg),
  },
  {
    number: 228, name: 'shmat', class: 'memory', support: full,
    args: [{ name: 'shmid', type: 'int' }, { name: 'shmaddr', type: 'ptr' }, { name: 'shmflg', type: 'int' }],
    handler: (k, shmid, shmaddr, shmflg) => k.machine.shm.attach(k.proc, shmid, shmaddr, shmflg),
  },
  {
    number: 230, name: 'shmdt', class: 'memory', support: full,
    args: [{ name: 'shmaddr', type: 'ptr' }],
    handler(k, shmaddr) {
      k.machine.shm.detach(k.proc, shmaddr);
      return 0;
    },
  },
  {
    number: 443, name: '__shmctl50', class: 'memory', support: full,
    args: [{ name: 'shmid', type: 'int' }, { name: 'cmd', type: 'int' }, { name: 'buf', type: 'ptr' }],
    handler(k, shmid, cmd, buf) {
      // sys___shmctl50: IPC_SET's buffer is copied in first (EFAULT before anything else);
      // IPC_STAT's is copied out once shmctl1 succeeded.
      const set = cmd === IPC_SET ? k.proc.vm.read(buf, SHMID_DS_SIZE).slice() : undefined;
      const stat = k.machine.shm.ctl(k.proc, shmid, cmd, set);
      if (cmd === IPC_STAT && stat) k.proc.vm.write(buf, stat);
      return 0;
    },
  },
];
