// System V shared memory: shmget, shmat, shmdt, __shmctl50 (sys/kern/sysv_shm.c 1.141);
// semaphores: semget, semop, semconfig, ____semctl50 (sys/kern/sysv_sem.c 1.94); message queues:
// msgget, msgsnd, msgrcv, __msgctl50 (sys/kern/sysv_msg.c 1.69). The segments, sets, undo lists
// and queues are src/kernel/sysvshm.ts, sysvsem.ts and sysvmsg.ts.

import { GETALL, IPC_SET, IPC_STAT, MSQID_DS_SIZE, SEMID_DS_SIZE, SETALL, SETVAL, SHMID_DS_SIZE } from '../src/kernel/constants.js';
import { full, partial, type SysCtx, type SyscallDescriptor } from '../src/kernel/syscall.js';
import { checkNsops, type SemBuf, type SemctlIo } from '../src/kernel/sysvsem.js';

/**
 * sys___shmctl50 / sys___msgctl50: IPC_SET's struct is copied in first (EFAULT before the id is
 * looked at); IPC_STAT's is copied out once the command succeeded.
 */
function ctlWithBuffer(k: SysCtx, cmd: number, buf: number, size: number, ctl: (set?: Uint8Array) => Uint8Array | undefined): number {
  const set = cmd === IPC_SET ? k.proc.vm.read(buf, size).slice() : undefined;
  const stat = ctl(set);
  if (cmd === IPC_STAT && stat) k.proc.vm.write(buf, stat);
  return 0;
}

export const ipcSyscalls: SyscallDescriptor[] = [
  {
    number: 231, name: 'shmget', class: 'memory', support: partial('_SHM_RMLINGER is ignored; kern.ipc.shm* can be read, not tuned'),
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
    handler: (k, shmid, cmd, buf) => ctlWithBuffer(k, cmd, buf, SHMID_DS_SIZE, (set) => k.machine.shm.ctl(k.proc, shmid, cmd, set)),
  },
  {
    number: 221, name: 'semget', class: 'memory', support: partial('kern.ipc.sem* can be read, not tuned'),
    args: [{ name: 'key', type: 'long' }, { name: 'nsems', type: 'int' }, { name: 'semflg', type: 'int' }],
    handler: (k, key, nsems, semflg) => k.machine.sem.get(k.proc, key, nsems, semflg),
  },
  {
    number: 222, name: 'semop', class: 'memory', support: full,
    args: [{ name: 'semid', type: 'int' }, { name: 'sops', type: 'ptr' }, { name: 'nsops', type: 'size' }],
    handler(k, semid, sops, nsops) {
      // sys_semop: E2BIG past semopm, then the struct sembuf array (6 bytes each) copied in
      checkNsops(nsops);
      const b = k.proc.vm.read(sops, nsops * 6);
      const dv = new DataView(b.buffer, b.byteOffset, b.length);
      const ops: SemBuf[] = [];
      for (let i = 0; i < nsops; i++) ops.push({ num: dv.getUint16(i * 6, true), op: dv.getInt16(i * 6 + 2, true), flg: dv.getInt16(i * 6 + 4, true) });
      k.machine.sem.op(k.proc, semid, ops);
      return 0;
    },
  },
  {
    number: 223, name: 'semconfig', class: 'memory', support: full,
    args: [{ name: 'flag', type: 'int' }],
    handler: () => 0, // sys_semconfig: "Placebo."
  },
  {
    number: 442, name: '____semctl50', class: 'memory', support: full,
    args: [{ name: 'semid', type: 'int' }, { name: 'semnum', type: 'int' }, { name: 'cmd', type: 'int' }, { name: 'arg', type: 'ptr' }],
    handler(k, semid, semnum, cmd, arg) {
      // sys_____semctl50: for IPC_SET, IPC_STAT, GETALL, SETVAL and SETALL the union __semun is
      // copied in first (EFAULT), and IPC_SET's semid_ds from its buf; IPC_STAT's copyout is last.
      const vm = k.proc.vm;
      const io: SemctlIo = {};
      let ptr = 0;
      if (cmd === IPC_SET || cmd === IPC_STAT || cmd === GETALL || cmd === SETVAL || cmd === SETALL) {
        const u = vm.read(arg, 8);
        const dv = new DataView(u.buffer, u.byteOffset, 8);
        ptr = Number(dv.getBigUint64(0, true));
        io.val = dv.getInt32(0, true);
        if (cmd === IPC_SET) io.setBuf = vm.read(ptr, SEMID_DS_SIZE).slice();
        io.getU16 = (i) => {
          const h = vm.read(ptr + i * 2, 2);
          return h[0]! | (h[1]! << 8);
        };
        io.putU16 = (i, v) => vm.write(ptr + i * 2, Uint8Array.of(v & 0xff, v >> 8));
      }
      const r = k.machine.sem.ctl(k.proc, semid, semnum, cmd, io);
      if (cmd === IPC_STAT && io.stat) vm.write(ptr, io.stat);
      return r;
    },
  },
  {
    number: 225, name: 'msgget', class: 'memory', support: partial('kern.ipc.msg* can be read, not tuned'),
    args: [{ name: 'key', type: 'long' }, { name: 'msgflg', type: 'int' }],
    handler: (k, key, msgflg) => k.machine.msg.get(k.proc, key, msgflg),
  },
  {
    number: 226, name: 'msgsnd', class: 'memory', support: full,
    args: [{ name: 'msqid', type: 'int' }, { name: 'msgp', type: 'ptr' }, { name: 'msgsz', type: 'size' }, { name: 'msgflg', type: 'int' }],
    handler(k, msqid, msgp, msgsz, msgflg) {
      const vm = k.proc.vm;
      // struct { long mtype; char mtext[msgsz]; }: the type, then the body (copyin each)
      k.machine.msg.send(k.proc, msqid, msgsz, msgflg, (n) => {
        const t = vm.read(msgp, 8);
        const type = new DataView(t.buffer, t.byteOffset, 8).getBigInt64(0, true);
        return { type, data: type < 1n ? new Uint8Array(0) : vm.read(msgp + 8, n).slice() };
      });
      return 0;
    },
  },
  {
    number: 227, name: 'msgrcv', class: 'memory', support: full,
    args: [{ name: 'msqid', type: 'int' }, { name: 'msgp', type: 'ptr' }, { name: 'msgsz', type: 'size' }, { name: 'msgtyp', type: 'long' }, { name: 'msgflg', type: 'int' }],
    handler(k, msqid, msgp, msgsz, msgtyp, msgflg) {
      const vm = k.proc.vm;
      return k.machine.msg.receive(k.proc, msqid, msgsz, BigInt(msgtyp), msgflg, (m, n) => {
        const t = new Uint8Array(8);
        new DataView(t.buffer).setBigInt64(0, m.type, true);
        vm.write(msgp, t);
        vm.write(msgp + 8, m.data.subarray(0, n));
      });
    },
  },
  {
    number: 444, name: '__msgctl50', class: 'memory', support: full,
    args: [{ name: 'msqid', type: 'int' }, { name: 'cmd', type: 'int' }, { name: 'buf', type: 'ptr' }],
    handler: (k, msqid, cmd, buf) => ctlWithBuffer(k, cmd, buf, MSQID_DS_SIZE, (set) => k.machine.msg.ctl(k.proc, msqid, cmd, set)),
  },
];
