// Syscall tracing, fault injection and hooks for test authors (see README "Tracing").

export { Tracer, createTracer, formatTrace, clockText } from './tracer.js';
export type { TraceEvent, SyscallTraceEvent, SignalTraceEvent, ExitTraceEvent, TracerOptions, TraceArg } from './tracer.js';
export { SyscallCall } from './call.js';
export type { SyscallHooks, HookDecision, CallMemory } from './call.js';
export { parseInject, type InjectRule } from './inject.js';
export { parseSyscallSet, SYSCALL_CLASSES, type SyscallSet } from './filter.js';
export { expectSyscall, expectNoSyscall, expectSyscallSequence, findSyscalls, mismatches, traceMatchers } from './expect.js';
export type { SyscallMatch, ValueMatcher } from './expect.js';
