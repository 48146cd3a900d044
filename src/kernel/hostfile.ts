// The guest's standard streams: open files backed by something on the host (a host descriptor,
// or a buffer the library caller collects). They look like a character device to the guest.

import * as fs from 'node:fs';
import { CHARDEV_MODE, File, emptyStat, type FileTable, type StatInfo } from './file.js';
import { EAGAIN, EIO, EPIPE, FREAD, FWRITE } from './constants.js';
import { Errno } from './errno.js';
import type { Uio } from './uio.js';

/** Where the bytes of a standard stream come from or go to. */
export interface HostStream {
  /** Read up to buf.length bytes; 0 at end of file. */
  read?(buf: Uint8Array): number;
  /** Write all of data. */
  write?(data: Uint8Array): void;
}

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** A host file descriptor (process.stdin/stdout/stderr's 0, 1, 2). */
export function hostFdStream(fd: number): HostStream {
  return {
    read(buf) {
      for (;;) {
        try {
          return fs.readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') sleepMs(5); // a non-blocking host pipe: wait, as a blocking read would
          else if (code === 'EOF') return 0;
          else throw new Errno(EIO);
        }
      }
    },
    write(data) {
      let off = 0;
      while (off < data.length) {
        try {
          off += fs.writeSync(fd, data, off, data.length - off);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') sleepMs(1);
          else if (code === 'EPIPE') throw new Errno(EPIPE);
          else throw new Errno(EIO);
        }
      }
    },
  };
}

/** Collect what the guest writes (library API with captured output). */
export function captureStream(chunks: Buffer[]): HostStream {
  return { write: (data) => void chunks.push(Buffer.from(data)) };
}

/** Feed the guest a fixed input. */
export function inputStream(input: Uint8Array): HostStream {
  let off = 0;
  return {
    read(buf) {
      const n = Math.min(buf.length, input.length - off);
      buf.set(input.subarray(off, off + n));
      off += n;
      return n;
    },
  };
}

export class HostFile extends File {
  constructor(
    table: FileTable,
    private readonly stream: HostStream,
    readonly rdev: number,
  ) {
    super('vnode', (stream.read ? FREAD : 0) | (stream.write ? FWRITE : 0), table);
  }

  override read(uio: Uio): number {
    if (!this.stream.read) return 0;
    const buf = new Uint8Array(Math.min(uio.resid, 65536));
    uio.check(buf.length);
    const n = this.stream.read(buf);
    uio.copyout(buf.subarray(0, n));
    return n;
  }

  override write(uio: Uio): number {
    if (!this.stream.write) throw new Errno(EAGAIN);
    const n = uio.resid;
    this.stream.write(uio.copyin(n));
    return n;
  }

  stat(): StatInfo {
    return { ...emptyStat(CHARDEV_MODE), rdev: this.rdev, blksize: 65536 };
  }

  protected close(): void {}
}
