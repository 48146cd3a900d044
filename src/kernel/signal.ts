// Signal properties and default actions (sys/sys/signalvar.h sigprop[]): what a signal does
// when its action is SIG_DFL. Actions, masks and frames are in sig.ts.

import { NSIG, SA_CONT, SA_CORE, SA_IGNORE, SA_KILL, SA_STOP, SA_TTYSTOP } from './constants.js';

/** sigprop[] of sys/sys/signalvar.h, indexed by signal number. */
const SIGPROP: number[] = [
  0,
  SA_KILL, // SIGHUP
  SA_KILL, // SIGINT
  SA_KILL | SA_CORE, // SIGQUIT
  SA_KILL | SA_CORE, // SIGILL
  SA_KILL | SA_CORE, // SIGTRAP
  SA_KILL | SA_CORE, // SIGABRT
  SA_KILL | SA_CORE, // SIGEMT
  SA_KILL | SA_CORE, // SIGFPE
  SA_KILL, // SIGKILL
  SA_KILL | SA_CORE, // SIGBUS
  SA_KILL | SA_CORE, // SIGSEGV
  SA_KILL | SA_CORE, // SIGSYS
  SA_KILL, // SIGPIPE
  SA_KILL, // SIGALRM
  SA_KILL, // SIGTERM
  SA_IGNORE, // SIGURG
  SA_STOP, // SIGSTOP
  SA_STOP | SA_TTYSTOP, // SIGTSTP
  SA_IGNORE | SA_CONT, // SIGCONT
  SA_IGNORE, // SIGCHLD
  SA_STOP | SA_TTYSTOP, // SIGTTIN
  SA_STOP | SA_TTYSTOP, // SIGTTOU
  SA_IGNORE, // SIGIO
  SA_KILL, // SIGXCPU
  SA_KILL, // SIGXFSZ
  SA_KILL, // SIGVTALRM
  SA_KILL, // SIGPROF
  SA_IGNORE, // SIGWINCH
  SA_IGNORE, // SIGINFO
  SA_KILL, // SIGUSR1
  SA_KILL, // SIGUSR2
  SA_IGNORE, // SIGPWR
];

export type DefaultAction = 'terminate' | 'core' | 'ignore' | 'stop' | 'continue';

export function defaultAction(sig: number): DefaultAction {
  if (sig <= 0 || sig >= NSIG) return 'ignore';
  const prop = SIGPROP[sig] ?? SA_KILL; // the real-time signals terminate
  if (prop & SA_CORE) return 'core';
  if (prop & SA_KILL) return 'terminate';
  if (prop & SA_STOP) return 'stop';
  if (prop & SA_CONT) return 'continue';
  return 'ignore';
}

/** W_EXITCODE and the signal status of sys/sys/wait.h: how a parent sees the end of a process. */
export type ExitStatus = { kind: 'exited'; code: number } | { kind: 'signaled'; signal: number; core: boolean };
