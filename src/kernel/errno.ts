import { ERRNO_NAMES } from './constants.js';

/**
 * A syscall failure. Handlers throw it; the dispatcher turns it into NetBSD's return convention
 * (carry flag set, errno in rax: sys/arch/amd64/amd64/syscall.c).
 */
export class Errno extends Error {
  constructor(readonly errno: number) {
    super(errnoName(errno));
  }
}

export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno]?.[0] ?? `errno ${errno}`;
}

export function errnoMessage(errno: number): string {
  return ERRNO_NAMES[errno]?.[1] ?? `Unknown error: ${errno}`;
}
