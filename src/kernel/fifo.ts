// FIFOs (sys/miscfs/fifofs/fifo_vnops.c). A named pipe is a file on the host (mkfifo makes a
// real one, so stat, rename and unlink are the host's) and, while nbemu's processes have it
// open, one pipe among all of them, found by the file's device and inode; when the last opener
// closes it, what was buffered is gone (fifo_close frees fi_readsock and fi_writesock).
//
// fifo_open counts the opener as a reader and/or writer first, then waits: a reader (without
// O_NONBLOCK) until there is a writer or data, a writer until there is a reader — or, with
// O_NONBLOCK, a writer without a reader fails with ENXIO. An opener that waits is counted
// already, so the other side's open does not wait for it. Only nbemu's own processes meet in a
// FIFO: a host process writing the same file is not seen.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { hostfs } from './hostfs.js';
import * as path from 'node:path';
import {
  EIO, ENOENT, ENXIO, EOPNOTSUPP, FIOASYNC, FIOGETOWN, FIONBIO, FIONREAD, FIONSPACE, FIONWRITE, FIOSETOWN, FREAD, FWRITE,
  O_NONBLOCK, SIOCATMARK, SIOCGPGRP, SIOCSPGRP, TIOCGPGRP, TIOCSPGRP, UNPST_SENDSPACE,
} from './constants.js';
import { vopPathconf } from './pathconf.js';
import { fgetown, fsetown, type IoctlCtx, type IoctlData } from './ioctl.js';
import { Errno } from './errno.js';
import type { FileTable, StatInfo } from './file.js';
import type { Lwp } from './lwp.js';
import { Pipe, PipeFile } from './pipe.js';
import type { Proc } from './proc.js';
import { Sleep, WaitQueue } from './sleepq.js';
import { guestPathOf, host } from './vfs.js';
import { statFromHost } from './vnode.js';

/** A FIFO's v_fifoinfo while it is open: its pipe and the openers waiting in open(2). */
export interface FifoNode {
  readonly key: string;
  /** The FIFO's file on the host, for fstat (vn_stat: the file's own attributes). */
  readonly hostPath: string;
  readonly pipe: Pipe;
  /** LWPs waiting in fifo_open, counted already, with the f_flag they open with. */
  readonly waiting: Map<Lwp, number>;
  /** "fifor"/"fifow": where openers wait for the other side. */
  readonly openq: WaitQueue;
}

/** The machine's open FIFOs, by the host file's device and inode. */
export type Fifos = Map<string, FifoNode>;

function count(node: FifoNode, flag: number, by: 1 | -1): void {
  if (flag & FREAD) node.pipe.readers += by;
  if (flag & FWRITE) node.pipe.writers += by;
  node.openq.wakeup();
  node.pipe.readq.wakeup();
  node.pipe.writeq.wakeup();
}

/** An opener that no longer waits here (interrupted, or its process gone) is uncounted. */
function prune(fifos: Fifos, node: FifoNode): void {
  for (const [l, flag] of node.waiting) {
    const st = l.restartState as { fifo?: FifoNode } | undefined;
    if (l.state === 'zombie' || !l.restartPending || st?.fifo !== node) {
      node.waiting.delete(l);
      count(node, flag, -1);
    }
  }
  if (node.pipe.readers + node.pipe.writers === 0) fifos.delete(node.key);
}

/**
 * fifo_open for the current LWP of `p`: the open file, or a Sleep until the other side opens
 * (the open is re-executed then), or ENXIO. `st` is the FIFO's host lstat.
 */
export function fifoOpen(p: Proc, fifos: Fifos, table: FileTable, st: fs.BigIntStats, hostPath: string, fflag: number): PipeFile {
  const key = `${st.dev}:${st.ino}`;
  let node = fifos.get(key);
  if (!node) {
    node = { key, hostPath, pipe: new Pipe(p.cred.uid, p.cred.gid), waiting: new Map(), openq: new WaitQueue('fifo') };
    fifos.set(key, node);
  }
  const l = p.curlwp;
  const was = node.waiting.get(l);
  if (was !== undefined) {
    // The re-execution of an open that waited: it was counted; decide again from scratch.
    node.waiting.delete(l);
    count(node, was, -1);
  }
  count(node, fflag, 1);
  const pipe = node.pipe;
  const nonblock = (fflag & O_NONBLOCK) !== 0;
  let wait = false;
  if (fflag & FREAD && !nonblock && pipe.cc === 0 && pipe.writers === 0) wait = true;
  if (fflag & FWRITE && pipe.readers === 0) {
    if (nonblock) {
      count(node, fflag, -1); // bad: VOP_CLOSE
      prune(fifos, node);
      throw new Errno(ENXIO);
    }
    wait = true;
  }
  if (wait) {
    node.waiting.set(l, fflag);
    const fifo = node;
    p.restartState = { fifo, abandon: () => prune(fifos, fifo) };
    throw new Sleep(node.openq); // tsleep PCATCH: a signal ends it (EINTR) or restarts it
  }
  const end = fflag & FREAD ? (fflag & FWRITE ? 'both' : 'read') : 'write';
  return new FifoFile(table, fifos, node, end, fflag & ~(FREAD | FWRITE));
}

/** An open FIFO: a pipe end whose stat is the FIFO file's and whose last close frees the pipe. */
export class FifoFile extends PipeFile {
  constructor(
    table: FileTable,
    private readonly fifos: Fifos,
    readonly node: FifoNode,
    end: 'read' | 'write' | 'both',
    flag: number,
  ) {
    super(table, node.pipe, end, flag, true);
  }

  /** vn_stat of the FIFO's vnode: the host file (the pipe's own once the file was removed). */
  override stat(): StatInfo {
    try {
      return statFromHost(hostfs.statSync(this.node.hostPath, { bigint: true }));
    } catch {
      return super.stat();
    }
  }

  /** A FIFO is a vnode: vnode_to_path names its file. */
  override getPath(root: string): string {
    const guest = guestPathOf(root, this.node.hostPath);
    if (guest === undefined || !fs.existsSync(this.node.hostPath)) throw new Errno(ENOENT);
    return guest;
  }

  /** A FIFO is a vnode: vn_fpathconf → VOP_PATHCONF of the file system it lives on. */
  override fpathconf(name: number): number {
    return vopPathconf('ufs', name);
  }

  /**
   * fifo_ioctl (sys/miscfs/fifofs/fifo_vnops.c): FIONBIO is answered at once; otherwise soo_ioctl
   * runs on the read socket if the FIFO is open for reading, then on the write socket if it is
   * open for writing (so with O_RDWR the write socket's answer is the one left). The read socket
   * holds the data (FIONREAD), the write socket's send space is what is left (FIONSPACE); unknown
   * commands are uipc_usrreq.c's EOPNOTSUPP, not ENOTTY.
   */
  override ioctl(cmd: number, data: IoctlData, k: IoctlCtx): void {
    if (cmd === FIONBIO) return;
    if (this.flag & FREAD) fifoSockIoctl(this.pipe, 'read', cmd, data, k);
    if (this.flag & FWRITE) fifoSockIoctl(this.pipe, 'write', cmd, data, k);
  }

  /** fifo_close: the counts go down, and with the last opener the pipe and its data go. */
  protected override close(): void {
    super.close();
    this.node.openq.wakeup();
    prune(this.fifos, this.node);
  }
}

/**
 * VOP_MKNOD(VFIFO) on the host: a real FIFO with exactly `mode`. Node has no mkfifo(2), so the
 * host's mkfifo(1) makes it (POSIX has it; Debian's coreutils, macOS). The directory's write
 * permission is checked first, so that the errno is the host's EACCES rather than a tool's
 * message; a host without the tool answers EOPNOTSUPP.
 */
export function makeHostFifo(hostPath: string, mode: number): void {
  host(() => hostfs.accessSync(path.dirname(hostPath), fs.constants.W_OK));
  // mkfifo(1) takes permission bits only; set-id and sticky bits are set afterwards.
  const r = spawnSync('mkfifo', ['-m', (mode & 0o777).toString(8).padStart(4, '0'), '--', hostPath], { stdio: 'ignore' });
  if (r.error) throw new Errno(EOPNOTSUPP);
  if (r.status !== 0 || !hostfs.lstatSync(hostPath, { throwIfNoEntry: false })?.isFIFO()) throw new Errno(EIO);
  if (mode & ~0o777) host(() => hostfs.chmodSync(hostPath, mode));
}

/** soo_ioctl on one of a FIFO's two connected stream sockets (the reader's, or the writer's). */
function fifoSockIoctl(pipe: Pipe, side: 'read' | 'write', cmd: number, data: IoctlData, k: IoctlCtx): void {
  const owner = side === 'read' ? pipe.rdOwner : pipe.wrOwner;
  switch (cmd) {
    case FIOASYNC:
      owner.setAsync(k, data.int !== 0);
      return;
    case FIONREAD:
      data.int = side === 'read' ? pipe.cc : 0;
      return;
    case FIONWRITE: // stream data goes straight into the peer's receive buffer
    case SIOCATMARK:
      data.int = 0;
      return;
    case FIONSPACE:
      data.int = side === 'write' ? pipe.space : UNPST_SENDSPACE;
      return;
    case SIOCSPGRP: case FIOSETOWN: case TIOCSPGRP:
      owner.set(k, fsetown(k, cmd, data));
      return;
    case SIOCGPGRP: case FIOGETOWN: case TIOCGPGRP:
      fgetown(owner.pgid, cmd, data);
      return;
    default:
      throw new Errno(EOPNOTSUPP);
  }
}
