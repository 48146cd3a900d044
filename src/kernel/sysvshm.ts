// System V shared memory: the segment table, each address space's attachments, and the calls,
// after sys/kern/sysv_shm.c 1.141 (shmget, shmget_existing, sys_shmat, sys_shmdt, shmctl1,
// shmfork, shmexit, shm_delete_mapping) and sys/kern/sysv_ipc.c ipcperm. A segment's memory is
// one buffer mapped shared into every address space that attaches it (as its uao is), and
// inherited shared by fork.

import {
  ACCESSPERMS, EEXIST, EINVAL, EMFILE, ENOENT, ENOMEM, ENOSPC, EPERM, IPC_CREAT, IPC_EXCL, IPC_M, IPC_PRIVATE, IPC_R,
  IPC_RMID, IPC_SET, IPC_STAT, IPC_W, MAP_INHERIT_SHARE, PAGE_SIZE, PROT_READ, PROT_WRITE, SHMID_DS_SIZE, SHMLBA, SHMMIN, SHMMNI,
  SHMSEG, SHMSEG_ALLOCATED, SHMSEG_FREE, SHMSEG_REMOVED, SHMSEG_WIRED, SHM_LOCK, SHM_RDONLY, SHM_RND, SHM_UNLOCK,
  VM_MAXUSER_ADDRESS,
} from './constants.js';
import { Errno } from './errno.js';
import type { Proc } from './proc.js';
import { allocate, roundPage, type VmSpace } from './vmspace.js';
import { IPCID_TO_IX, IPCID_TO_SEQ, IXSEQ_TO_IPCID, encodeIpcPerm, ipcperm, type IpcPerm } from './sysvipc.js';

/** struct shmid_ds, and _shm_internal: the segment's memory. */
interface ShmSegment {
  perm: IpcPerm;
  segsz: number;
  lpid: number;
  cpid: number;
  nattch: number;
  atime: number;
  dtime: number;
  ctime: number;
  bytes: Uint8Array | undefined;
}

/** struct shmmap_entry: an attachment of the address space. */
interface ShmMapEntry {
  va: number;
  shmid: number;
}

/** The machine's segments (shmsegs) and limits (shminfo). */
export class ShmTable {
  readonly segs: ShmSegment[] = Array.from({ length: SHMMNI }, () => ({
    perm: { uid: 0, gid: 0, cuid: 0, cgid: 0, mode: SHMSEG_FREE, seq: 0, key: 0n },
    segsz: 0, lpid: 0, cpid: 0, nattch: 0, atime: 0, dtime: 0, ctime: 0, bytes: undefined,
  }));
  private lastFree = 0;
  private nused = 0;
  /** Pages committed to segments (shm_committed). */
  private committed = 0;
  /** shminit: shmmax = max(physmem / 4, 1024) pages, shmall = shmmax in pages. */
  readonly shmmax: number;
  readonly shmall: number;
  private readonly maps = new WeakMap<VmSpace, ShmMapEntry[]>();

  constructor(physmemPages: number, private readonly now: () => number) {
    this.shmmax = Math.max(Math.floor(physmemPages / 4), 1024) * PAGE_SIZE;
    this.shmall = this.shmmax / PAGE_SIZE;
  }

  /** shm_find_segment_by_shmid: allocated, not removed, and of the id's sequence. */
  private find(shmid: number): ShmSegment | undefined {
    const ix = IPCID_TO_IX(shmid);
    if (ix >= SHMMNI || shmid < 0) return undefined;
    const s = this.segs[ix]!;
    if (!(s.perm.mode & SHMSEG_ALLOCATED) || s.perm.mode & SHMSEG_REMOVED) return undefined;
    if (s.perm.seq !== IPCID_TO_SEQ(shmid)) return undefined;
    return s;
  }

  /** shm_free_segment */
  private free(ix: number): void {
    const s = this.segs[ix]!;
    s.bytes = undefined;
    this.committed -= roundPage(s.segsz) / PAGE_SIZE;
    this.nused--;
    s.perm.mode = SHMSEG_FREE;
    this.lastFree = ix;
  }

  /** shm_delete_mapping: the attachment goes; a removed segment goes with its last one. */
  private deleteMapping(entries: ShmMapEntry[], e: ShmMapEntry): void {
    entries.splice(entries.indexOf(e), 1);
    const ix = IPCID_TO_IX(e.shmid);
    const s = this.segs[ix]!;
    s.dtime = this.now();
    if (--s.nattch <= 0 && s.perm.mode & SHMSEG_REMOVED) this.free(ix);
  }

  /** The address space's attachments, with shmexit hooked to its end. */
  private entriesOf(vm: VmSpace): ShmMapEntry[] {
    let e = this.maps.get(vm);
    if (!e) {
      e = [];
      this.maps.set(vm, e);
      const list = e;
      vm.onDestroy = () => this.exit(vm, list);
    }
    return e;
  }

  /**
   * shmget: an existing key first (shmget_existing: IPC_CREAT|IPC_EXCL → EEXIST, then ipcperm
   * for the mode asked (EACCES), then a size past the segment's → EINVAL); no such key without
   * IPC_CREAT → ENOENT. A new segment: size outside shmmin..shmmax → EINVAL, no free slot →
   * ENOSPC, over shmall pages → ENOMEM; it takes the next sequence number in its slot.
   */
  get(p: Proc, key: bigint, size: number, shmflg: number): number {
    const mode = shmflg & ACCESSPERMS;
    if (key !== BigInt(IPC_PRIVATE)) {
      const ix = this.segs.findIndex((s) => s.perm.mode & SHMSEG_ALLOCATED && s.perm.key === key);
      if (ix >= 0) {
        const s = this.segs[ix]!;
        if ((shmflg & (IPC_CREAT | IPC_EXCL)) === (IPC_CREAT | IPC_EXCL)) throw new Errno(EEXIST);
        ipcperm(p.cred, s.perm, mode);
        if (size !== 0 && size > s.segsz) throw new Errno(EINVAL);
        return IXSEQ_TO_IPCID(ix, s.perm.seq);
      }
      if (!(shmflg & IPC_CREAT)) throw new Errno(ENOENT);
    }
    if (size < SHMMIN || size > this.shmmax) throw new Errno(EINVAL);
    if (this.nused >= SHMMNI) throw new Errno(ENOSPC);
    const pages = roundPage(size) / PAGE_SIZE;
    if (this.committed + pages > this.shmall) throw new Errno(ENOMEM);
    let ix = this.lastFree;
    if (ix < 0 || !(this.segs[ix]!.perm.mode & SHMSEG_FREE)) ix = this.segs.findIndex((s) => s.perm.mode & SHMSEG_FREE);
    this.lastFree = -1;
    const bytes = allocate(pages * PAGE_SIZE); // uao_create; ENOMEM when the host has not that much
    const s = this.segs[ix]!;
    this.committed += pages;
    this.nused++;
    s.bytes = bytes;
    s.perm = {
      uid: p.cred.euid, gid: p.cred.egid, cuid: p.cred.euid, cgid: p.cred.egid,
      mode: (mode & ACCESSPERMS) | SHMSEG_ALLOCATED, seq: (s.perm.seq + 1) & 0x7fff, key,
    };
    s.segsz = size;
    s.cpid = p.pid;
    s.lpid = 0;
    s.nattch = 0;
    s.atime = 0;
    s.dtime = 0;
    s.ctime = this.now();
    return IXSEQ_TO_IPCID(ix, s.perm.seq);
  }

  /**
   * sys_shmat: the segment (EINVAL), ipcperm for reading, and writing unless SHM_RDONLY
   * (EACCES), the address space's shmseg limit (EMFILE), the address (SHM_RND rounds it down to
   * SHMLBA, else it must be aligned: EINVAL; none: where mmap would put it), then the mapping
   * (shared, inherited shared by fork; ENOMEM where the fixed range is taken).
   */
  attach(p: Proc, shmid: number, shmaddr: number, shmflg: number): number {
    const s = this.find(shmid);
    if (!s) throw new Errno(EINVAL);
    ipcperm(p.cred, s.perm, shmflg & SHM_RDONLY ? IPC_R : IPC_R | IPC_W);
    const vm = p.vm;
    if ((this.maps.get(vm)?.length ?? 0) >= SHMSEG) throw new Errno(EMFILE);
    const size = roundPage(s.segsz);
    const prot = shmflg & SHM_RDONLY ? PROT_READ : PROT_READ | PROT_WRITE;
    let va: number;
    if (shmaddr !== 0) {
      if (shmflg & SHM_RND) va = shmaddr - (shmaddr % SHMLBA);
      else if (shmaddr % SHMLBA === 0) va = shmaddr;
      else throw new Errno(EINVAL);
      if (va + size > VM_MAXUSER_ADDRESS || !vm.isFree(va, va + size)) throw new Errno(ENOMEM); // uvm_map, UVM_FLAG_FIXED
    } else va = vm.findSpace(size, 0);
    vm.map(va, size, prot, 'sysvshm', { bytes: s.bytes!.subarray(0, size), shared: true, inherit: MAP_INHERIT_SHARE, maxprot: prot });
    this.entriesOf(vm).push({ va, shmid });
    s.lpid = p.pid;
    s.nattch++;
    s.atime = this.now();
    return va;
  }

  /** sys_shmdt: an attachment at exactly that address (EINVAL otherwise) is unmapped. */
  detach(p: Proc, shmaddr: number): void {
    const entries = this.maps.get(p.vm);
    const e = entries?.find((x) => x.va === shmaddr);
    if (!entries || !e) throw new Errno(EINVAL);
    const size = roundPage(this.segs[IPCID_TO_IX(e.shmid)]!.segsz);
    this.deleteMapping(entries, e);
    p.vm.unmap(e.va, size); // uvm_deallocate
  }

  /**
   * shmctl1: the segment (EINVAL), then IPC_STAT (ipcperm IPC_R; the mode without the kernel's
   * bits), IPC_SET (IPC_M: owner, group and the permission bits), IPC_RMID (IPC_M: the key goes,
   * and the segment with its last attachment), SHM_LOCK/SHM_UNLOCK (privileged: EPERM), else
   * EINVAL. Returns the shmid_ds for IPC_STAT.
   */
  ctl(p: Proc, shmid: number, cmd: number, set?: Uint8Array): Uint8Array | undefined {
    const s = this.find(shmid);
    if (!s) throw new Errno(EINVAL);
    switch (cmd) {
      case IPC_STAT:
        ipcperm(p.cred, s.perm, IPC_R);
        return this.encode(s);
      case IPC_SET: {
        ipcperm(p.cred, s.perm, IPC_M);
        const dv = new DataView(set!.buffer, set!.byteOffset, SHMID_DS_SIZE);
        s.perm.uid = dv.getUint32(0, true);
        s.perm.gid = dv.getUint32(4, true);
        s.perm.mode = (s.perm.mode & ~ACCESSPERMS) | (dv.getUint32(16, true) & ACCESSPERMS);
        s.ctime = this.now();
        return undefined;
      }
      case IPC_RMID:
        ipcperm(p.cred, s.perm, IPC_M);
        s.perm.key = BigInt(IPC_PRIVATE);
        s.perm.mode |= SHMSEG_REMOVED;
        if (s.nattch <= 0) this.free(shmid & 0xffff);
        return undefined;
      case SHM_LOCK:
      case SHM_UNLOCK:
        if (p.cred.euid !== 0) throw new Errno(EPERM); // KAUTH_SYSTEM_SYSVIPC
        s.perm.mode = cmd === SHM_LOCK ? s.perm.mode | SHMSEG_WIRED : s.perm.mode & ~SHMSEG_WIRED; // nbemu's pages stay resident
        return undefined;
      default:
        throw new Errno(EINVAL);
    }
  }

  /** struct shmid_ds (88 bytes on LP64); IPC_STAT clears all but the permission bits of the mode. */
  private encode(s: ShmSegment): Uint8Array {
    const b = new Uint8Array(SHMID_DS_SIZE);
    const dv = new DataView(b.buffer);
    b.set(encodeIpcPerm(s.perm));
    dv.setBigUint64(32, BigInt(s.segsz), true);
    dv.setInt32(40, s.lpid, true);
    dv.setInt32(44, s.cpid, true);
    dv.setUint32(48, s.nattch, true);
    dv.setBigInt64(56, BigInt(s.atime), true);
    dv.setBigInt64(64, BigInt(s.dtime), true);
    dv.setBigInt64(72, BigInt(s.ctime), true);
    return b;
  }

  /**
   * shmfork: the child's address space has the parent's attachments (its mappings are inherited
   * shared), and each segment one attachment more. A vfork child borrows the parent's address
   * space on NetBSD, so its copy here counts for nothing and ends without detaching.
   */
  fork(parent: VmSpace, child: VmSpace, vfork: boolean): void {
    const entries = this.maps.get(parent);
    if (!entries || entries.length === 0) return;
    if (vfork) return;
    const copy = this.entriesOf(child);
    for (const e of entries) {
      copy.push({ ...e });
      this.segs[IPCID_TO_IX(e.shmid)]!.nattch++;
    }
  }

  /** shmexit: the address space goes (exit, exec): every attachment is deleted. */
  private exit(vm: VmSpace, entries: ShmMapEntry[]): void {
    while (entries.length > 0) this.deleteMapping(entries, entries[0]!);
    this.maps.delete(vm);
  }
}
