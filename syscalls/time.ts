// Clocks: __clock_gettime50 (sys/kern/kern_time.c clock_gettime1).

import { CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_PROF, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID, CLOCK_VIRTUAL, EINVAL } from '../src/kernel/constants.js';
import { Errno } from '../src/kernel/errno.js';
import { full, type SyscallDescriptor } from '../src/kernel/syscall.js';

const origin = process.hrtime.bigint();

/** Nanoseconds on a clock, or EINVAL for an unknown clock id. */
export function clockNanos(id: number): bigint {
  switch (id) {
    case CLOCK_REALTIME:
      return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    case CLOCK_MONOTONIC:
      return process.hrtime.bigint() - origin + 1_000_000_000n; // uptime-like, never zero
    case CLOCK_VIRTUAL:
    case CLOCK_PROF:
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID: {
      const u = process.cpuUsage();
      return BigInt(id === CLOCK_VIRTUAL ? u.user : u.user + u.system) * 1000n;
    }
    default:
      throw new Errno(EINVAL);
  }
}

export const timeSyscalls: SyscallDescriptor[] = [
  {
    number: 427, name: '__clock_gettime50', class: 'time', support: full,
    args: [{ name: 'clock_id', type: 'int' }, { name: 'tp', type: 'ptr' }],
    handler(k, id, tp) {
      const ns = clockNanos(id);
      const out = new Uint8Array(16);
      const dv = new DataView(out.buffer);
      dv.setBigInt64(0, ns / 1_000_000_000n, true);
      dv.setBigInt64(8, ns % 1_000_000_000n, true);
      k.proc.vm.write(tp, out);
      return 0;
    },
  },
];
