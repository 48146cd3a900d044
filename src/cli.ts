// nbemu [options] <binary> [args...]: run a NetBSD program with the host's standard streams;
// the exit status is the program's, 128+signo when a signal ended it.

import { isatty } from 'node:tty';
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createMachine, createTracer, ExecFormatError, setRoot, signalName, type Tracer, type TracerOptions } from './index.js';

const USAGE = `usage: nbemu [options] <binary> [args...]

Run a NetBSD/amd64 static executable on this machine.

options:
  -E NAME=VALUE     set NAME in the program's environment (repeatable)
  -U NAME           remove NAME from the program's environment (repeatable)
  --maxfiles N      the machine-wide open-file limit, kern.maxfiles (default 3404)
  --root DIR        make DIR the program's "/" (no way out through ".." or symbolic
                    links); without it the program sees the host's files
  --trace[=SET]     trace syscalls on stderr, strace-style; SET: names and classes
                    (file, socket, process, signal, memory, lwp, time, sysctl, misc),
                    comma-separated, '!name' excludes (e.g. --trace=socket,!sendmsg)
  --trace-file FILE write the trace to FILE instead of stderr (implies --trace)
  --trace-json FILE write one JSON object per event to FILE
  --trace-strsize N show at most N bytes of each buffer (default 32)
  --trace-time      timestamps (HH:MM:SS.us) and durations <s> on trace lines
  --inject SET:error=ERRNO[:when=N|N+|N+STEP]  or  SET:retval=V[:when=...]
                    fail (or fake) matching calls without running them (repeatable)
  --version         print nbemu's version and exit
  -h, --help        print this help and exit

The program inherits nbemu's environment, changed by -E and -U. nbemu's exit status is the
program's; a program ended by a signal gives 128 + the signal number and one line on stderr.
Status 126: the file is not a program nbemu can run; 127: no such file; 125: deadlock (the\nprocesses that wait, and on what, are listed on stderr).`;

const OPTIONS = {
  E: { type: 'string', short: 'E', multiple: true },
  U: { type: 'string', short: 'U', multiple: true },
  maxfiles: { type: 'string' },
  root: { type: 'string' },
  trace: { type: 'string' },
  'trace-file': { type: 'string' },
  'trace-json': { type: 'string' },
  'trace-strsize': { type: 'string' },
  'trace-time': { type: 'boolean' },
  inject: { type: 'string', multiple: true },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const EXIT_DEADLOCK = 125;
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;

/** Options whose value is the next word. */
const VALUE_OPTIONS = ['-E', '-U', '--maxfiles', '--root', '--trace-file', '--trace-json', '--trace-strsize', '--inject'];

/**
 * A file sink that writes each line at once. The emulation runs synchronously on Node's main
 * thread, so a buffered stream would never drain while it runs, and the lines that explain a
 * hang (the last ones) would be lost when the user interrupts it.
 */
function fileSink(fd: number): { write: (line: string) => void; flush: () => void } {
  return {
    write(line) {
      fs.writeSync(fd, `${line}\n`);
    },
    flush() {
      fs.closeSync(fd);
    },
  };
}

/** Split nbemu's own options from the program and its arguments (the first non-option word). */
function splitArgs(args: string[]): [string[], string[]] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [args.slice(0, i), args.slice(i + 1)];
    if (!a.startsWith('-') || a === '-') return [args.slice(0, i), args.slice(i)];
    if (VALUE_OPTIONS.includes(a)) i++;
  }
  return [args, []];
}

function fail(line: string, status: number): number {
  process.stderr.write(`nbemu: ${line}\n`);
  return status;
}

export function main(argv: string[]): number {
  const [own0, program] = splitArgs(argv);
  // `--trace` alone traces everything; parseArgs wants a value.
  const own = own0.map((a) => (a === '--trace' ? '--trace=all' : a));
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; args: string[] }>>['values'];
  try {
    values = parseArgs({ args: own, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (e) {
    return fail(`${(e as Error).message}\n${USAGE}`, 2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.version) {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`nbemu ${pkg.version} (NetBSD 11.0 amd64 syscall emulation)\n`);
    return 0;
  }
  const file = program[0];
  if (!file) return fail(`no program given\n${USAGE}`, 2);

  const env = new Map(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  for (const kv of values.E ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) return fail(`-E wants NAME=VALUE, not '${kv}'`, 2);
    env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  for (const name of values.U ?? []) env.delete(name);
  let maxfiles: number | undefined;
  if (values.maxfiles !== undefined) {
    maxfiles = Number(values.maxfiles);
    if (!Number.isInteger(maxfiles) || maxfiles < 0) return fail(`--maxfiles wants a count, not '${values.maxfiles}'`, 2);
  }

  let tracer: Tracer | undefined;
  const closers: Array<() => void> = [];
  const finish = (status: number): number => {
    for (const c of closers) c();
    return status;
  };
  const tracing = values.trace !== undefined || values['trace-file'] !== undefined;
  if (tracing || values['trace-json'] !== undefined || values.inject?.length) {
    const topts: TracerOptions = { collect: false };
    try {
      if (values.trace !== undefined && values.trace !== 'all') topts.filter = values.trace;
      if (values['trace-strsize'] !== undefined) {
        const n = Number(values['trace-strsize']);
        if (!Number.isInteger(n) || n < 0) return fail(`--trace-strsize wants a count, not '${values['trace-strsize']}'`, 2);
        topts.strsize = n;
      }
      if (values['trace-time']) topts.time = true;
      if (values.inject?.length) topts.inject = values.inject;
      if (tracing) {
        if (values['trace-file'] !== undefined) {
          const sink = fileSink(fs.openSync(values['trace-file'], 'w'));
          topts.text = sink.write;
          closers.push(sink.flush);
        } else topts.text = (line) => fs.writeSync(2, `${line}\n`);
      }
      if (values['trace-json'] !== undefined) {
        const sink = fileSink(fs.openSync(values['trace-json'], 'w'));
        topts.json = sink.write;
        closers.push(sink.flush);
      }
      tracer = createTracer(topts);
    } catch (e) {
      return fail(`${(e as Error).message}`, 2);
    }
  }

  const machine = createMachine({
    ...(maxfiles !== undefined ? { maxfiles } : {}),
    ...(tracer ? { hooks: tracer.hooks } : {}),
    // What a terminal sends (Ctrl-C, Ctrl-\, a resize, a hangup) is for the program, not nbemu;
    // on a terminal Ctrl-Z too (job control: nbemu stops when the program does).
    forwardSignals: ['SIGINT', 'SIGQUIT', 'SIGWINCH', 'SIGHUP', ...(isatty(0) ? ['SIGTSTP'] : [])],
  });
  if (values.root !== undefined) {
    try {
      setRoot(machine, values.root);
    } catch (e) {
      return fail(`--root ${values.root}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'No such file or directory' : (e as Error).message}`, 2);
    }
  }
  let proc;
  try {
    proc = machine.spawn(file, program, [...env].map(([k, v]) => `${k}=${v}`));
  } catch (e) {
    if (e instanceof ExecFormatError) return fail(`${file}: cannot execute: ${e.message}`, EXIT_CANNOT_EXECUTE);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail(`${file}: No such file or directory`, EXIT_NOT_FOUND);
    if (code === 'EACCES') return fail(`${file}: Permission denied`, EXIT_CANNOT_EXECUTE);
    if (code === 'EISDIR') return fail(`${file}: Is a directory`, EXIT_CANNOT_EXECUTE);
    throw e;
  }
  let outcome;
  try {
    outcome = machine.run(proc);
  } finally {
    finish(0);
  }
  switch (outcome.kind) {
    case 'exited':
      return outcome.code;
    case 'signaled':
      return fail(`${file}: killed by signal ${outcome.signal} (${signalName(outcome.signal)})`, 128 + outcome.signal);
    case 'deadlock':
      return fail(outcome.report.replace(/^nbemu: /, ''), EXIT_DEADLOCK);
  }
}
