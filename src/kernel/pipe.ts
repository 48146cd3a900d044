// Pipes (sys/kern/sys_pipe.c): a one-way byte buffer of PIPE_SIZE between a read end and a write
// end. Reads return what is there (end-of-file once the writer is gone and the buffer empty);
// writes of at most PIPE_BUF bytes are atomic; writing with no reader is EPIPE (and SIGPIPE).

import { CHUNK_SIZE, giveChunk, takeChunk } from './chunks.js';
import {
  EAGAIN, EPASSTHROUGH, EPIPE, FIOASYNC, FIOGETOWN, FIONBIO, FIONREAD, FIONSPACE, FIONWRITE, FIOSETOWN, FREAD, FWRITE,
  PIPE_BUF, PIPE_SIZE, POLL_ERR, POLL_HUP, POLL_IN, POLL_OUT, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM,
  S_IFIFO, TIOCGPGRP, TIOCSPGRP,
} from './constants.js';
import { pipePathconf } from './pathconf.js';
import { AsyncOwner, fgetown, fsetown, type IoctlCtx, type IoctlData } from './ioctl.js';
import { Errno } from './errno.js';
import { File, emptyStat, type FileTable, type StatInfo } from './file.js';
import { Sleep, WaitQueue } from './sleepq.js';
import type { Uio } from './uio.js';

let nextIno = 1;

/** Bytes written and not yet read: [off, end) of a pooled chunk (src/kernel/chunks.ts). */
interface PipeChunk {
  buf: Uint8Array;
  off: number;
  end: number;
}

export class Pipe {
  /** The buffer, as the chunks the writes filled; each goes back to the pool once read. */
  private readonly chunks: PipeChunk[] = [];
  cc = 0;
  readers = 0;
  writers = 0;
  /** Readers sleep here until data or end-of-file; writers until there is room. */
  readonly readq = new WaitQueue('piperd');
  readonly writeq = new WaitQueue('pipewr');
  readonly ino = nextIno++;
  readonly created = Date.now();
  /** pipe_pgid and PIPE_ASYNC of each end's struct pipe: who gets SIGIO for it. */
  readonly rdOwner = new AsyncOwner((f) => f instanceof PipeFile && f.pipe === this && f.end !== 'write');
  readonly wrOwner = new AsyncOwner((f) => f instanceof PipeFile && f.pipe === this && f.end !== 'read');

  constructor(readonly uid: number, readonly gid: number) {}

  get space(): number {
    return PIPE_SIZE - this.cc;
  }

  read(uio: Uio, nonblock: boolean): number {
    if (this.cc === 0) {
      if (this.writers === 0 || uio.resid === 0) return 0;
      if (nonblock) throw new Errno(EAGAIN);
      throw new Sleep(this.readq);
    }
    let n = 0;
    uio.check(Math.min(uio.resid, this.cc));
    while (uio.resid > 0 && this.chunks.length) {
      const c = this.chunks[0]!;
      const take = Math.min(uio.resid, c.end - c.off);
      uio.copyout(c.buf.subarray(c.off, c.off + take));
      c.off += take;
      if (c.off === c.end) giveChunk(this.chunks.shift()!.buf);
      this.cc -= take;
      n += take;
    }
    this.writeq.wakeup();
    if (this.wrOwner.async) this.wrOwner.notify(POLL_OUT, POLLOUT | POLLWRNORM); // pipeselwakeup
    return n;
  }

  /** One step of pipe_write: as much as fits (all of a PIPE_BUF-sized write, or nothing). */
  write(uio: Uio, nonblock: boolean): number {
    if (this.readers === 0) throw new Errno(EPIPE);
    const resid = uio.resid;
    if (resid === 0) return 0;
    const atomic = resid <= PIPE_BUF;
    if (this.space === 0 || (atomic && this.space < resid)) {
      if (nonblock) throw new Errno(EAGAIN);
      throw new Sleep(this.writeq);
    }
    const n = Math.min(resid, this.space);
    // Into pooled chunks, no allocation per write (a fresh buffer each time was the cost of a
    // busy pipe, as it was for stream sockets). The whole range is checked first, so an EFAULT
    // queues nothing, as before.
    uio.check(n);
    for (let done = 0; done < n; ) {
      const m = Math.min(n - done, CHUNK_SIZE);
      const buf = takeChunk(m);
      uio.copyinTo(buf, m);
      this.chunks.push({ buf, off: 0, end: m });
      done += m;
    }
    this.cc += n;
    this.readq.wakeup();
    if (this.rdOwner.async) this.rdOwner.notify(POLL_IN, POLLIN | POLLRDNORM); // pipeselwakeup
    return n;
  }
}


/**
 * One end of a pipe as an open file (pipeops in sys_pipe.c); `both` is a FIFO opened O_RDWR
 * (fifofs counts it as a reader and a writer). `counted`: the opener has already counted
 * itself in the pipe's readers and writers (fifo_open counts before it waits).
 */
export class PipeFile extends File {
  constructor(
    table: FileTable,
    readonly pipe: Pipe,
    readonly end: 'read' | 'write' | 'both',
    flag: number,
    counted = false,
  ) {
    super('pipe', (end !== 'write' ? FREAD : 0) | (end !== 'read' ? FWRITE : 0) | flag, table);
    if (counted) return;
    if (end !== 'write') pipe.readers++;
    if (end !== 'read') pipe.writers++;
  }

  override read(uio: Uio, nonblock: boolean): number {
    return this.pipe.read(uio, nonblock);
  }

  override write(uio: Uio, nonblock: boolean): number {
    return this.pipe.write(uio, nonblock);
  }

  /**
   * pipe_poll: readable with data or at end-of-file, writable with room for PIPE_BUF bytes;
   * POLLHUP once the other end is gone.
   */
  override poll(events: number): number {
    const p = this.pipe;
    const reads = this.end !== 'write';
    const writes = this.end !== 'read';
    const eof = (reads && p.writers === 0) || (writes && p.readers === 0);
    let revents = 0;
    // Each end answers only for its own direction (sys_pipe.c 1.165 pipe_poll).
    if (reads && events & (POLLIN | POLLRDNORM) && (p.cc > 0 || p.writers === 0)) revents |= events & (POLLIN | POLLRDNORM);
    if (writes && events & (POLLOUT | POLLWRNORM) && (p.readers === 0 || p.space >= PIPE_BUF)) revents |= events & (POLLOUT | POLLWRNORM);
    if (eof) revents |= POLLHUP;
    return revents;
  }

  override pollQueues(): WaitQueue[] {
    if (this.end === 'read') return [this.pipe.readq];
    if (this.end === 'write') return [this.pipe.writeq];
    return [this.pipe.readq, this.pipe.writeq];
  }

  /** pipe_stat: a FIFO, owner read/write, the bytes buffered as its size. */
  stat(): StatInfo {
    const p = this.pipe;
    return {
      ...emptyStat(S_IFIFO | 0o600),
      ino: p.ino,
      uid: p.uid,
      gid: p.gid,
      size: p.cc,
      blksize: PIPE_SIZE,
      atimeMs: p.created,
      mtimeMs: p.created,
      ctimeMs: p.created,
      birthtimeMs: p.created,
    };
  }

  /** pipe_fpathconf: _PC_PIPE_BUF only. */
  override fpathconf(name: number): number {
    return pipePathconf(name);
  }

  /**
   * pipe_ioctl (sys/kern/sys_pipe.c 1.16x, the two-struct pipe): FIONBIO; FIOASYNC and the
   * owner per end; FIONREAD the bytes buffered, on the read end (the write end's own buffer is
   * always empty); FIONWRITE and FIONSPACE look at the other end's buffer, so they answer on
   * the write end while a reader is there, and 0 otherwise. Anything else: EPASSTHROUGH (ENOTTY).
   */
  override ioctl(cmd: number, data: IoctlData, k: IoctlCtx): void {
    const p = this.pipe;
    const reads = this.end !== 'write';
    const owner = reads ? p.rdOwner : p.wrOwner;
    switch (cmd) {
      case FIONBIO:
        return;
      case FIOASYNC:
        owner.setAsync(k, data.int !== 0);
        return;
      case FIONREAD:
        data.int = reads ? p.cc : 0;
        return;
      case FIONWRITE:
        data.int = !reads && p.readers > 0 ? p.cc : 0;
        return;
      case FIONSPACE:
        data.int = !reads && p.readers > 0 ? p.space : 0;
        return;
      case TIOCSPGRP: case FIOSETOWN:
        owner.set(k, fsetown(k, cmd, data));
        return;
      case TIOCGPGRP: case FIOGETOWN:
        fgetown(owner.pgid, cmd, data);
        return;
      default:
        throw new Errno(EPASSTHROUGH);
    }
  }

  /**
   * pipeclose: the other end sees end-of-file (reader gone: writers get EPIPE), and its owner
   * SIGIO (POLL_HUP for a reader, POLL_ERR for a writer); this end's owner is forgotten.
   */
  protected close(): void {
    const p = this.pipe;
    if (this.end !== 'write') {
      p.readers--;
      if (p.readers === 0) p.rdOwner.async = false;
      p.wrOwner.notify(POLL_ERR, POLLERR);
    }
    if (this.end !== 'read') {
      p.writers--;
      if (p.writers === 0) p.wrOwner.async = false;
      p.rdOwner.notify(POLL_HUP, POLLHUP);
    }
    p.readq.wakeup();
    p.writeq.wakeup();
  }
}
