// Sleep queues (sys/kern/kern_sleepq.c, sys/sys/sleepq.h): a kernel object an LWP waits on, and
// the wakeup that makes its sleepers runnable again. A syscall that must sleep throws Sleep; the
// scheduler parks the caller on the queue(s) and re-executes the call from the start when one
// of them is woken (the ERESTART path), so handlers never hold state across a sleep.

/** Something that can be put to sleep and woken: an LWP (for now, a process's only LWP). */
export interface Sleeper {
  wake(): void;
}

export class WaitQueue {
  private readonly sleepers = new Set<Sleeper>();

  constructor(readonly wmesg: string) {}

  add(s: Sleeper): void {
    this.sleepers.add(s);
  }

  remove(s: Sleeper): void {
    this.sleepers.delete(s);
  }

  get empty(): boolean {
    return this.sleepers.size === 0;
  }

  /** wakeup(9): every sleeper becomes runnable (and re-checks its condition). */
  wakeup(): void {
    if (this.sleepers.size === 0) return;
    for (const s of [...this.sleepers]) s.wake();
  }
}

/**
 * Thrown by a syscall that must wait for one of `queues` (or until `deadline`, a host
 * performance.now() time in ms, when given). The call is re-executed from the start when woken.
 */
export class Sleep {
  readonly queues: WaitQueue[];
  constructor(
    queues: WaitQueue | WaitQueue[],
    readonly deadline?: number,
    /**
     * 'eintr': a signal always ends the call with EINTR, even with SA_RESTART (sigsuspend);
     * 'nointr': signals do not end the sleep at all (vfork's wait for its child).
     */
    readonly mode: 'restart' | 'eintr' | 'nointr' = 'restart',
  ) {
    // Not an Error: a sleep is the normal path of a blocking call, and capturing a stack trace
    // for each one cost more than the rest of the call (bench: ping-pong).
    this.queues = Array.isArray(queues) ? queues : [queues];
  }

  get message(): string {
    return `sleeping on ${this.queues.map((q) => q.wmesg).join(', ') || 'a timer'}`;
  }
}
