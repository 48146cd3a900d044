// The syscall table: every implemented NetBSD system call, one descriptor each, by number.
// Anything absent answers ENOSYS (src/kernel/machine.ts).

import type { SyscallDescriptor, SyscallTable } from '../src/kernel/syscall.js';
import { eventSyscalls } from './event.js';
import { fdSyscalls } from './fd.js';
import { fileSyscalls } from './file.js';
import { ipcSyscalls } from './ipc.js';
import { kqueueSyscalls } from './kqueue.js';
import { lwpSyscalls } from './lwp.js';
import { memorySyscalls } from './memory.js';
import { miscSyscalls } from './misc.js';
import { lifecycleSyscalls, processSyscalls } from './process.js';
import { signalSyscalls } from './signal.js';
import { socketSyscalls } from './socket.js';
import { spawnSyscalls } from './spawn.js';
import { sysctlSyscalls } from './sysctl.js';
import { timeSyscalls } from './time.js';
import { NETBSD_SYSCALLS } from './netbsd-syscalls.js';

export const ALL_SYSCALLS: readonly SyscallDescriptor[] = [
  ...processSyscalls,
  ...lifecycleSyscalls,
  ...spawnSyscalls,
  ...signalSyscalls,
  ...fdSyscalls,
  ...fileSyscalls,
  ...eventSyscalls,
  ...kqueueSyscalls,
  ...socketSyscalls,
  ...memorySyscalls,
  ...ipcSyscalls,
  ...miscSyscalls,
  ...lwpSyscalls,
  ...timeSyscalls,
  ...sysctlSyscalls,
].sort((a, b) => a.number - b.number);

export const SYSCALLS: SyscallTable = new Map(ALL_SYSCALLS.map((d) => [d.number, d]));

for (const d of ALL_SYSCALLS) {
  const known = NETBSD_SYSCALLS.get(d.number);
  if (known && known.name !== d.name) {
    throw new Error(`syscall table: ${d.number} is ${known.name} in NetBSD, not ${d.name}`);
  }
}

export { NETBSD_SYSCALLS };
