// What the System V IPC facilities share (sys/kern/sysv_ipc.c, sys/sys/ipc.h): struct ipc_perm,
// the permission check, and identifiers made of a slot index and a sequence number.

import { EACCES, EPERM, IPC_M, IPC_R, IPC_W } from './constants.js';
import { Errno } from './errno.js';

/** struct ipc_perm (sys/sys/ipc.h): owner, creator, mode (with the kernel's SHMSEG_* bits), _seq, _key. */
export interface IpcPerm {
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
  seq: number;
  key: bigint;
}

export const IXSEQ_TO_IPCID = (ix: number, seq: number): number => ((ix & 0xffff) | (seq << 16)) >>> 0;
export const IPCID_TO_IX = (id: number): number => id & 0xffff;
export const IPCID_TO_SEQ = (id: number): number => (id >>> 16) & 0xffff;

/** The kernel's credentials the checks use. */
export interface IpcCred {
  euid: number;
  egid: number;
  groups?: number[] | undefined;
}

/**
 * ipcperm (sysv_ipc.c): root may do anything; IPC_M is the owner's or creator's alone (EPERM);
 * otherwise the owner (or creator), group, or other bits must grant what is asked (EACCES).
 */
export function ipcperm(cred: IpcCred, perm: IpcPerm, mode: number): void {
  if (cred.euid === 0) return;
  if (mode === IPC_M) {
    if (cred.euid === perm.uid || cred.euid === perm.cuid) return;
    throw new Errno(EPERM);
  }
  let shift = 6;
  if (cred.euid !== perm.uid && cred.euid !== perm.cuid) {
    const member = (g: number): boolean => cred.egid === g || (cred.groups?.includes(g) ?? false);
    shift = member(perm.gid) || member(perm.cgid) ? 3 : 0;
  }
  const want = (((mode & IPC_R) ? 4 : 0) | ((mode & IPC_W) ? 2 : 0)) << shift;
  if ((perm.mode & want) !== want) throw new Errno(EACCES);
}


/** struct ipc_perm as IPC_STAT copies it out (32 bytes): the mode without the kernel's bits. */
export function encodeIpcPerm(perm: IpcPerm): Uint8Array {
  const b = new Uint8Array(32);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, perm.uid, true);
  dv.setUint32(4, perm.gid, true);
  dv.setUint32(8, perm.cuid, true);
  dv.setUint32(12, perm.cgid, true);
  dv.setUint32(16, perm.mode & 0o777, true);
  dv.setUint16(20, perm.seq, true);
  dv.setBigInt64(24, perm.key, true);
  return b;
}
