// Reusable byte chunks for stream buffers. A stream socket holds what was written until it is
// read, one chunk per send or hand-off (at most the sender's space: PIPSIZ = 4096 bytes by
// default, sys/kern/uipc_usrreq.c). A fresh Uint8Array per chunk is a new ArrayBuffer each time,
// which V8 pays for in its allocator and in the GC's array-buffer sweeping: at bulk rates (a
// quarter of a million chunks a second) that was the largest single cost. Chunks of CHUNK_SIZE
// come back here when their bytes have been read and are handed out again; larger ones are
// allocated as before and left to the GC.

export const CHUNK_SIZE = 4096;
/** Enough for a few busy sockets; beyond that chunks go to the GC. */
const POOL_MAX = 64;
const pool: Uint8Array[] = [];

/** A buffer of at least n bytes (a pooled one when n <= CHUNK_SIZE); its contents are stale. */
export function takeChunk(n: number): Uint8Array {
  if (n <= CHUNK_SIZE) return pool.pop() ?? new Uint8Array(CHUNK_SIZE);
  return new Uint8Array(n);
}

/** Give back a buffer from takeChunk once nothing refers to it any more. */
export function giveChunk(buf: Uint8Array): void {
  if (buf.length === CHUNK_SIZE && pool.length < POOL_MAX) pool.push(buf);
}
