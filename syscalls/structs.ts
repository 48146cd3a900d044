// Encoders for the NetBSD structures handlers copy out (amd64 layouts, process-abi.md §9).

import type { StatInfo } from '../src/kernel/file.js';

/** Write a 64-bit value given as a JavaScript number (negative values in two's complement). */
export function put64(dv: DataView, off: number, v: number): void {
  dv.setBigInt64(off, BigInt(Math.trunc(v)), true);
}

/** struct timespec: tv_sec i64, tv_nsec long (sys/sys/time.h). */
export function putTimespec(dv: DataView, off: number, ms: number): void {
  const sec = Math.floor(ms / 1000);
  put64(dv, off, sec);
  put64(dv, off + 8, Math.round((ms - sec * 1000) * 1e6));
}

/** struct timespec from nanoseconds since the epoch (floor division: tv_nsec stays in [0, 1e9)). */
export function putTimespecNs(dv: DataView, off: number, ns: bigint): void {
  let sec = ns / 1_000_000_000n;
  let nsec = ns % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  dv.setBigInt64(off, sec, true);
  dv.setBigInt64(off + 8, nsec, true);
}

/** struct stat of __stat50 (sys/sys/stat.h), 152 bytes. */
export function encodeStat(st: StatInfo): Uint8Array {
  const b = new Uint8Array(152);
  const dv = new DataView(b.buffer);
  if (st.devBig !== undefined) dv.setBigUint64(0, BigInt.asUintN(64, st.devBig), true);
  else put64(dv, 0, st.dev);
  dv.setUint32(8, st.mode, true);
  if (st.inoBig !== undefined) dv.setBigUint64(16, BigInt.asUintN(64, st.inoBig), true);
  else put64(dv, 16, st.ino);
  dv.setUint32(24, st.nlink, true);
  dv.setUint32(28, st.uid, true);
  dv.setUint32(32, st.gid, true);
  put64(dv, 40, st.rdev);
  if (st.ns) {
    putTimespecNs(dv, 48, st.ns.atime);
    putTimespecNs(dv, 64, st.ns.mtime);
    putTimespecNs(dv, 80, st.ns.ctime);
    putTimespecNs(dv, 96, st.ns.birthtime);
  } else {
    putTimespec(dv, 48, st.atimeMs);
    putTimespec(dv, 64, st.mtimeMs);
    putTimespec(dv, 80, st.ctimeMs);
    putTimespec(dv, 96, st.birthtimeMs);
  }
  put64(dv, 112, st.size);
  put64(dv, 120, st.blocks);
  dv.setUint32(128, st.blksize, true);
  return b;
}
