// The guest's standard streams: open files backed by something on the host (a host descriptor,
// or a buffer the library caller collects). They look like a character device to the guest.

import * as fs from 'node:fs';
import { CHARDEV_MODE, File, emptyStat, type FileTable, type StatInfo } from './file.js';
import * as tty from 'node:tty';
import { EAGAIN, EIO, EOPNOTSUPP, EPASSTHROUGH, EPIPE, FIOASYNC, FIONBIO, FIONREAD, FREAD, FWRITE } from './constants.js';
import type { IoctlCtx, IoctlData } from './ioctl.js';
import { Sleep } from './sleepq.js';
import { hostTtyIoctl } from './tty.js';
import { pathOfHostFd } from './vfs.js';
import { vopPathconf } from './pathconf.js';
import { hostio } from '../unicorn/index.js';
import { Errno } from './errno.js';
import type { Uio } from './uio.js';

/** Where the bytes of a standard stream come from or go to. */
export interface HostStream {
  /** Read up to buf.length bytes; 0 at end of file. */
  read?(buf: Uint8Array): number;
  /** Write all of data. */
  write?(data: Uint8Array): void;
  /** The host descriptor behind the stream, when there is one (F_GETPATH). */
  hostFd?: number;
  /** The device's ioctls (a terminal's, FIONREAD), when the stream knows any. */
  ioctl?(cmd: number, data: IoctlData, k: IoctlCtx): void;
  /** The stream is the host's terminal (job control applies). */
  isTty?: boolean;
}

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/** A host file descriptor (process.stdin/stdout/stderr's 0, 1, 2). */
export function hostFdStream(fd: number): HostStream {
  const isTty = tty.isatty(fd);
  return {
    hostFd: fd,
    isTty,
    // A terminal answers as the guest's terminal; a pipe, socket or file tells what is buffered.
    ioctl(cmd, data, k) {
      if (isTty) return hostTtyIoctl(fd, cmd, data, k);
      if (cmd !== FIONREAD) throw new Errno(EPASSTHROUGH);
      try {
        data.int = hostio.fdNread(fd);
      } catch {
        throw new Errno(EPASSTHROUGH);
      }
    },
    read(buf) {
      for (;;) {
        try {
          return fs.readSync(fd, buf, 0, buf.length, null);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EAGAIN') sleepMs(5); // a non-blocking host pipe: wait, as a blocking read would
          else if (code === 'EOF') return 0;
          // A host signal nbemu forwards (Machine forwardSignals) ended the wait: sleep for no
          // time, so that the kernel posts it and the read ends with EINTR or restarts, as the
          // guest's SA_RESTART says; nothing has been read yet.
          else if (code === 'EINTR') throw new Sleep([], performance.now());
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
          if (code === 'EAGAIN' || code === 'EINTR') sleepMs(code === 'EAGAIN' ? 1 : 0);
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
    ioctl(cmd, data) {
      if (cmd !== FIONREAD) throw new Errno(EPASSTHROUGH);
      data.int = input.length - off;
    },
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

  override get terminalFd(): number | undefined {
    return this.stream.isTty ? this.stream.hostFd : undefined;
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

  /** The host file or device the stream is (a terminal: /dev/pts/N), as the guest names it. */
  override getPath(root: string): string {
    if (this.stream.hostFd === undefined) throw new Errno(EOPNOTSUPP);
    return pathOfHostFd(this.stream.hostFd, root);
  }

  /** A character device's vnode: spec_pathconf. */
  override fpathconf(name: number): number {
    return vopPathconf('spec', name);
  }

  /**
   * The stream's device: the host terminal (tty.ts), or FIONREAD of a host pipe or file, or of
   * the input a library caller gave. FIONBIO always succeeds; FIOASYNC cannot be turned on
   * (nbemu does not watch host descriptors to send SIGIO): EOPNOTSUPP, as mm_ioctl answers.
   */
  override ioctl(cmd: number, data: IoctlData, k: IoctlCtx): void {
    if (cmd === FIONBIO) return;
    if (cmd === FIOASYNC) {
      if (data.int === 0) return;
      throw new Errno(EOPNOTSUPP);
    }
    if (!this.stream.ioctl) throw new Errno(EPASSTHROUGH);
    this.stream.ioctl(cmd, data, k);
  }

  protected close(): void {}
}
