// VOP_PATHCONF and fo_fpathconf: the limits pathconf(2) and fpathconf(2) report. Host files and
// directories answer as NetBSD's FFS does (sys/ufs/ufs/ufs_vnops.c ufs_pathconf: nbemu's host
// file systems have 255-byte names like FFS), nbemu's devices and the standard streams as specfs
// (sys/miscfs/specfs/spec_vnops.c spec_pathconf), and both fall back on genfs_pathconf
// (sys/miscfs/genfs/genfs_vnops.c: PATH_MAX, and no ACLs). Pipes and sockets know only
// _PC_PIPE_BUF (sys_pipe.c pipe_fpathconf, sys_socket.c soo_fpathconf); everything else is EINVAL.

import {
  EINVAL, FFS_MAXNAMLEN, LINK_MAX, MAXPATHLEN, MAX_CANON, MAX_INPUT, PATH_MAX, PIPE_BUF, POSIX_VDISABLE,
  _PC_2_SYMLINKS, _PC_ACL_EXTENDED, _PC_ACL_NFS4, _PC_CHOWN_RESTRICTED, _PC_FILESIZEBITS, _PC_LINK_MAX,
  _PC_MAX_CANON, _PC_MAX_INPUT, _PC_NAME_MAX, _PC_NO_TRUNC, _PC_PATH_MAX, _PC_PIPE_BUF, _PC_SYMLINK_MAX,
  _PC_SYNC_IO, _PC_VDISABLE,
} from './constants.js';
import { Errno } from './errno.js';

/** Which file system's VOP_PATHCONF answers. */
export type PathconfKind = 'ufs' | 'spec' | 'genfs';

const UFS: ReadonlyMap<number, number> = new Map([
  [_PC_LINK_MAX, LINK_MAX], [_PC_NAME_MAX, FFS_MAXNAMLEN], [_PC_PATH_MAX, PATH_MAX], [_PC_PIPE_BUF, PIPE_BUF],
  [_PC_CHOWN_RESTRICTED, 1], [_PC_NO_TRUNC, 1], [_PC_SYNC_IO, 1], [_PC_FILESIZEBITS, 42],
  [_PC_SYMLINK_MAX, MAXPATHLEN], [_PC_2_SYMLINKS, 1],
]);
const SPEC: ReadonlyMap<number, number> = new Map([
  [_PC_LINK_MAX, LINK_MAX], [_PC_MAX_CANON, MAX_CANON], [_PC_MAX_INPUT, MAX_INPUT], [_PC_PIPE_BUF, PIPE_BUF],
  [_PC_CHOWN_RESTRICTED, 1], [_PC_VDISABLE, POSIX_VDISABLE], [_PC_SYNC_IO, 1],
]);
const GENFS: ReadonlyMap<number, number> = new Map([[_PC_PATH_MAX, PATH_MAX], [_PC_ACL_EXTENDED, 0], [_PC_ACL_NFS4, 0]]);

/** VOP_PATHCONF: the value, or EINVAL for a name the file system does not know. */
export function vopPathconf(kind: PathconfKind, name: number): number {
  const v = (kind === 'ufs' ? UFS : kind === 'spec' ? SPEC : GENFS).get(name) ?? GENFS.get(name);
  if (v === undefined) throw new Errno(EINVAL);
  return v;
}

/** pipe_fpathconf / soo_fpathconf. */
export function pipePathconf(name: number): number {
  if (name === _PC_PIPE_BUF) return PIPE_BUF;
  throw new Errno(EINVAL);
}
