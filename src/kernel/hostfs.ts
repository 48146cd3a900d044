// The host file calls namei's results are handed to, for paths of any length. NetBSD resolves a
// relative path from the process's current directory, so a program can work at any depth; nbemu
// hands the host absolute paths, and Linux refuses those of PATH_MAX (4096) bytes or more with
// ENAMETOOLONG. A longer path is reached in steps instead: a directory part of it is opened, and
// the rest named through that descriptor's /proc/self/fd/N link, which Linux resolves from the
// directory itself; the descriptors are closed as soon as the call returns. Paths below the limit
// (nearly all) go to node:fs unchanged.

import * as fs from 'node:fs';

/** Below Linux's PATH_MAX, with room for a "/proc/self/fd/N/" prefix. */
const LIMIT = 4000;
const SLASH = 0x2f;

type PathArg = string | Buffer;

const byteLength = (p: PathArg): number => (typeof p === 'string' ? (p.length < LIMIT / 3 ? p.length : Buffer.byteLength(p)) : p.length);

/**
 * Call `fn` with a path that names `p` and is short enough for the host: `p` itself, or a
 * /proc/self/fd/N/… path through directories opened on the way (closed when `fn` returns).
 */
export function withHostPath<T>(p: PathArg, fn: (hostPath: PathArg) => T): T {
  if (byteLength(p) < LIMIT) return fn(p);
  const fds: number[] = [];
  try {
    let cur = Buffer.isBuffer(p) ? p : Buffer.from(p);
    while (cur.length >= LIMIT) {
      const cut = cur.lastIndexOf(SLASH, LIMIT - 1);
      if (cut <= 0) break; // no directory part short enough: the host's own ENAMETOOLONG
      const fd = fs.openSync(cur.subarray(0, cut), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      fds.push(fd);
      cur = Buffer.concat([Buffer.from(`/proc/self/fd/${fd}/`), cur.subarray(cut + 1)]);
    }
    return fn(typeof p === 'string' ? cur.toString() : cur);
  } finally {
    for (const fd of fds) fs.closeSync(fd);
  }
}

const one = <A extends unknown[], R>(f: (p: PathArg, ...rest: A) => R) => (p: PathArg, ...rest: A): R =>
  withHostPath(p, (h) => f(h, ...rest));
const two = <A extends unknown[], R>(f: (a: PathArg, b: PathArg, ...rest: A) => R) => (a: PathArg, b: PathArg, ...rest: A): R =>
  withHostPath(a, (ha) => withHostPath(b, (hb) => f(ha, hb, ...rest)));

/**
 * stat and lstat with `throwIfNoEntry: false` answer undefined for a missing file; a missing
 * directory part met on the way (opening it) must answer the same.
 */
const statLike = <F extends (p: PathArg, o?: { throwIfNoEntry?: boolean }) => unknown>(f: F) =>
  ((p: PathArg, o?: { throwIfNoEntry?: boolean }) => {
    try {
      return withHostPath(p, (h) => f(h, o));
    } catch (e) {
      if (o?.throwIfNoEntry === false && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }) as unknown as F;

/** node:fs's path calls, for paths of any length (the ones the kernel's file calls use). */
export const hostfs = {
  statSync: statLike(fs.statSync as (p: PathArg, o?: { throwIfNoEntry?: boolean }) => unknown) as typeof fs.statSync,
  lstatSync: statLike(fs.lstatSync as (p: PathArg, o?: { throwIfNoEntry?: boolean }) => unknown) as typeof fs.lstatSync,
  openSync: one(fs.openSync) as typeof fs.openSync,
  accessSync: one(fs.accessSync) as typeof fs.accessSync,
  chmodSync: one(fs.chmodSync) as typeof fs.chmodSync,
  chownSync: one(fs.chownSync) as typeof fs.chownSync,
  lchownSync: one(fs.lchownSync) as typeof fs.lchownSync,
  unlinkSync: one(fs.unlinkSync) as typeof fs.unlinkSync,
  rmdirSync: one(fs.rmdirSync) as typeof fs.rmdirSync,
  mkdirSync: one(fs.mkdirSync) as typeof fs.mkdirSync,
  readlinkSync: one(fs.readlinkSync) as typeof fs.readlinkSync,
  readdirSync: one(fs.readdirSync) as typeof fs.readdirSync,
  utimesSync: one(fs.utimesSync) as typeof fs.utimesSync,
  lutimesSync: one(fs.lutimesSync) as typeof fs.lutimesSync,
  truncateSync: one(fs.truncateSync) as typeof fs.truncateSync,
  statfsSync: one(fs.statfsSync) as typeof fs.statfsSync,
  renameSync: two(fs.renameSync) as typeof fs.renameSync,
  linkSync: two(fs.linkSync) as typeof fs.linkSync,
  /** symlink(target, path): the target is the link's contents, not looked up. */
  symlinkSync: ((target: PathArg, p: PathArg, type?: fs.symlink.Type | null) =>
    withHostPath(p, (h) => fs.symlinkSync(target, h, type))) as typeof fs.symlinkSync,
};
