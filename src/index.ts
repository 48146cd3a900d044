// The public library API: run a NetBSD program and get its exit status, or build a Machine to
// drive it yourself.

import { Machine, type MachineOptions, type RunOutcome } from './kernel/machine.js';
import { setRoot } from './kernel/vfs.js';
import { captureStream, hostFdStream, inputStream, type HostStream } from './kernel/hostfile.js';
import { SYSCALLS, NETBSD_SYSCALLS } from '../syscalls/index.js';
import { signalName } from './kernel/constants.js';
import { createTracer, type TraceEvent, type TracerOptions } from './trace/index.js';
import type { SyscallHooks } from './trace/call.js';
import type { InjectRule } from './trace/inject.js';

export { Machine, type RunOutcome } from './kernel/machine.js';
export { setRoot } from './kernel/vfs.js';
export { ExecFormatError } from './loader/elf.js';
export type { ExitStatus } from './kernel/signal.js';
export type { HostStream } from './kernel/hostfile.js';
export { SYSCALLS, ALL_SYSCALLS } from '../syscalls/index.js';
export { signalName } from './kernel/constants.js';
export * from './trace/index.js';
export type { KernelHooks, SyscallEvent, EntryDecision } from './kernel/hooks.js';

/**
 * A standard stream for the guest: inherit nbemu's own descriptor, another host descriptor,
 * 'pipe' to collect the output into RunResult (stdout, stderr), a fixed input (a string or bytes;
 * stdin), 'closed' for no descriptor at all, or a HostStream of your own.
 */
export type OutputOption = 'inherit' | 'pipe' | 'closed' | number | HostStream;
export type InputOption = 'inherit' | 'closed' | number | Uint8Array | string | HostStream;
type StreamOption = OutputOption | InputOption;

export interface RunOptions {
  /** argv of the program; argv[0] defaults to the path. */
  argv?: string[];
  /** The environment, as NAME=VALUE strings or a record. Default: none. */
  env?: string[] | Record<string, string>;
  stdin?: InputOption;
  stdout?: OutputOption;
  stderr?: OutputOption;
  /** kern.maxfiles (the machine-wide open-file limit). */
  maxfiles?: number;
  /** A host directory the program sees as "/" (no way out); default: the host's files. */
  root?: string;
  /** Where nbemu's own diagnostics go (default: the host's stderr). */
  diagnostics?: (line: string) => void;
  /**
   * Collect the syscall trace into result.trace: true for every call, or tracer options (a
   * `filter` such as 'socket,!sendmsg', `strsize`, and `text`/`json` sinks for the lines).
   */
  trace?: boolean | TracerOptions;
  /** Fault injection rules, as for --inject (`'socketpair:error=ENFILE:when=2'`) or objects. */
  inject?: ReadonlyArray<string | InjectRule>;
  /** Entry and exit hooks: change arguments, replace results, or answer calls yourself. */
  hooks?: SyscallHooks;
}

export interface RunResult {
  /** The exit code if the program exited, else null. */
  exitCode: number | null;
  /** The signal name (e.g. 'SIGPIPE') if a signal ended it, else null. */
  signal: string | null;
  /** How the run ended, in full. */
  outcome: RunOutcome;
  /** What the program wrote, for streams given as 'pipe'. */
  stdout: Buffer;
  stderr: Buffer;
  /** The trace, when run with { trace }: syscalls, signals and exits, in order. */
  trace?: TraceEvent[];
}

function stream(opt: StreamOption | undefined, fd: number, sink: Buffer[]): HostStream | null {
  if (opt === undefined || opt === 'inherit') return hostFdStream(fd);
  if (opt === 'closed') return null;
  if (opt === 'pipe') return captureStream(sink);
  if (typeof opt === 'number') return hostFdStream(opt);
  if (typeof opt === 'string') return inputStream(Buffer.from(opt));
  if (opt instanceof Uint8Array) return inputStream(opt);
  return opt;
}

export function createMachine(options: Omit<MachineOptions, 'syscalls'> = {}): Machine {
  return new Machine({ syscalls: SYSCALLS, syscallName: (n) => NETBSD_SYSCALLS.get(n)?.name, ...options });
}

/** Run a NetBSD/amd64 static executable to its end. Rejects with ExecFormatError for files it cannot run. */
export async function run(path: string, options: RunOptions = {}): Promise<RunResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const topts: TracerOptions | undefined = options.trace === true ? {} : options.trace || undefined;
  const tracer = topts || options.inject?.length || options.hooks
    ? createTracer({
      ...(topts ?? {}),
      collect: topts !== undefined,
      ...(options.inject ? { inject: [...(topts?.inject ?? []), ...options.inject] } : {}),
      ...(options.hooks ? { hooks: options.hooks } : {}),
    })
    : undefined;
  const machine = createMachine({
    ...(tracer ? { hooks: tracer.hooks } : {}),
    stdin: stream(options.stdin, 0, []),
    stdout: stream(options.stdout, 1, out),
    stderr: stream(options.stderr, 2, err),
    ...(options.maxfiles !== undefined ? { maxfiles: options.maxfiles } : {}),
    ...(options.diagnostics ? { diagnostics: options.diagnostics } : {}),
  });
  if (options.root !== undefined) setRoot(machine, options.root);
  const env = Array.isArray(options.env) ? options.env : Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const proc = machine.spawn(path, options.argv ?? [path], env);
  const outcome = machine.run(proc);
  return {
    exitCode: outcome.kind === 'exited' ? outcome.code : null,
    signal: outcome.kind === 'signaled' ? signalName(outcome.signal) : null,
    outcome,
    stdout: Buffer.concat(out),
    stderr: Buffer.concat(err),
    ...(topts ? { trace: tracer!.events } : {}),
  };
}
