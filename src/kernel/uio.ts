// struct uio (sys/sys/uio.h): the guest buffers of one read or write, as a list of iovecs.
// uiomove(9) is split in two so a file can check the destination before it consumes data:
// a socket whose read faults keeps its data (sys/kern/uipc_socket.c soreceive: uiomove fails
// before sbfree), and a write that faults sends nothing.

import { EFAULT, EINVAL, IOV_MAX, PROT_READ, PROT_WRITE } from './constants.js';

/** Lengths are unsigned 64-bit; any at or past 2^63 is over SSIZE_MAX (a negative ssize_t). */
const SSIZE_LIMIT = 2 ** 63;
import { Errno } from './errno.js';
import type { VmSpace } from './vmspace.js';

export interface IoVec {
  base: number;
  len: number;
}

/** A blocking write asleep on a full buffer, which a reader may continue (see Socket.receive). */
export interface PendingWrite {
  /** The writer, asleep in this very call while `sleeping()` is true. */
  sleeping(): boolean;
  /** The call's progress, kept across its re-executions (restartState). */
  progress: { done: number };
}

export class Uio {
  /** Bytes still to transfer. */
  resid: number;
  /** Set by dofilewrite on a blocking write, so a file may continue it while the writer sleeps. */
  pending: PendingWrite | undefined;
  /** The writing process's identity, for a LOCAL_CREDS socket receiver (set by dofilewrite). */
  sender: { pid: number; uid: number; euid: number; gid: number; egid: number } | undefined;
  private done = 0;

  constructor(
    private readonly vm: VmSpace,
    readonly iov: IoVec[],
    readonly direction: 'read' | 'write',
  ) {
    this.resid = iov.reduce((n, v) => n + v.len, 0);
  }

  get transferred(): number {
    return this.done;
  }

  /** One buffer (read(2), write(2)). */
  static single(vm: VmSpace, base: number, len: number, direction: 'read' | 'write'): Uio {
    if (len >= SSIZE_LIMIT) throw new Errno(EINVAL); // sys/kern/sys_generic.c dofileread
    return new Uio(vm, [{ base, len }], direction);
  }

  /**
   * Copy in an iovec array (sys/kern/sys_generic.c do_filereadv): iovcnt must be 1..IOV_MAX
   * (0 is allowed and transfers nothing), the array must be readable, and the total must not
   * exceed SSIZE_MAX.
   */
  static fromIovecs(vm: VmSpace, iovp: number, iovcnt: number, direction: 'read' | 'write'): Uio {
    if (iovcnt < 0 || iovcnt > IOV_MAX) throw new Errno(EINVAL);
    const raw = vm.read(iovp, iovcnt * 16);
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const iov: IoVec[] = [];
    let total = 0;
    for (let i = 0; i < iovcnt; i++) {
      const base = dv.getUint32(i * 16, true) + dv.getUint32(i * 16 + 4, true) * 0x1_0000_0000;
      const lenBig = dv.getBigUint64(i * 16 + 8, true);
      if (lenBig > 0x7fffffffffffffffn) throw new Errno(EINVAL);
      const len = Number(lenBig);
      total += len;
      if (total >= SSIZE_LIMIT) throw new Errno(EINVAL);
      iov.push({ base, len });
    }
    return new Uio(vm, iov, direction);
  }

  /** Pass over n bytes already transferred by an earlier run of a restarted call. */
  skip(n: number): void {
    this.advance(Math.min(n, this.resid));
  }

  /** Would moving the next n bytes fault? (checked before a file commits to the transfer) */
  check(n: number): void {
    const prot = this.direction === 'read' ? PROT_WRITE : PROT_READ;
    if (this.iov.length === 1) {
      // One buffer (read, write, send, recv): no walk over the iovecs.
      if (n > this.resid) throw new Errno(EFAULT);
      this.vm.check(this.iov[0]!.base + this.done, n, prot);
      return;
    }
    for (const [base, len] of this.segments(n)) this.vm.check(base, len, prot);
  }

  /** Read direction: copy `data` out to the guest buffers. */
  copyout(data: Uint8Array): void {
    if (this.iov.length === 1) {
      if (data.length > this.resid) throw new Errno(EFAULT);
      this.vm.write(this.iov[0]!.base + this.done, data);
      this.advance(data.length);
      return;
    }
    this.check(data.length);
    let off = 0;
    for (const [base, len] of this.segments(data.length)) {
      this.vm.write(base, data.subarray(off, off + len));
      off += len;
    }
    this.advance(data.length);
  }

  /** Write direction: copy the next n bytes in from the guest buffers. */
  copyin(n: number): Uint8Array {
    if (this.iov.length === 1) {
      if (n > this.resid) throw new Errno(EFAULT);
      const out = this.vm.read(this.iov[0]!.base + this.done, n).slice();
      this.advance(n);
      return out;
    }
    this.check(n);
    const out = new Uint8Array(n);
    let off = 0;
    for (const [base, len] of this.segments(n)) {
      out.set(this.vm.read(base, len), off);
      off += len;
    }
    this.advance(n);
    return out;
  }

  /** Write direction: copy the next n bytes from the guest buffers into `dst` (no allocation). */
  copyinTo(dst: Uint8Array, n: number): void {
    if (this.iov.length === 1) {
      if (n > this.resid) throw new Errno(EFAULT);
      dst.set(this.vm.read(this.iov[0]!.base + this.done, n));
      this.advance(n);
      return;
    }
    this.check(n);
    let off = 0;
    for (const [base, len] of this.segments(n)) {
      dst.set(this.vm.read(base, len), off);
      off += len;
    }
    this.advance(n);
  }

  /** The (base, len) pieces covering the next n bytes. */
  private *segments(n: number): Generator<[number, number]> {
    let skip = this.done;
    let want = n;
    for (const v of this.iov) {
      if (want === 0) return;
      if (skip >= v.len) {
        skip -= v.len;
        continue;
      }
      const len = Math.min(v.len - skip, want);
      if (len > 0) yield [v.base + skip, len];
      want -= len;
      skip = 0;
    }
    if (want > 0) throw new Errno(EFAULT);
  }

  private advance(n: number): void {
    this.done += n;
    this.resid -= n;
  }
}
