// nbemu [options] <binary> [args...]: run a NetBSD program with the host's standard streams;
// the exit status is the program's, 128+signo when a signal ended it.

import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { createMachine, ExecFormatError, signalName } from './index.js';

const USAGE = `usage: nbemu [options] <binary> [args...]

Run a NetBSD/amd64 static executable on this machine.

options:
  -E NAME=VALUE     set NAME in the program's environment (repeatable)
  -U NAME           remove NAME from the program's environment (repeatable)
  --maxfiles N      the machine-wide open-file limit, kern.maxfiles (default 3404)
  --version         print nbemu's version and exit
  -h, --help        print this help and exit

The program inherits nbemu's environment, changed by -E and -U. nbemu's exit status is the
program's; a program ended by a signal gives 128 + the signal number and one line on stderr.
Status 126: the file is not a program nbemu can run; 127: no such file; 125: deadlock (the\nprocesses that wait, and on what, are listed on stderr).`;

const OPTIONS = {
  E: { type: 'string', short: 'E', multiple: true },
  U: { type: 'string', short: 'U', multiple: true },
  maxfiles: { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const EXIT_DEADLOCK = 125;
export const EXIT_CANNOT_EXECUTE = 126;
export const EXIT_NOT_FOUND = 127;

/** Split nbemu's own options from the program and its arguments (the first non-option word). */
function splitArgs(args: string[]): [string[], string[]] {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return [args.slice(0, i), args.slice(i + 1)];
    if (!a.startsWith('-') || a === '-') return [args.slice(0, i), args.slice(i)];
    if ((a === '-E' || a === '-U' || a === '--maxfiles')) i++;
  }
  return [args, []];
}

function fail(line: string, status: number): number {
  process.stderr.write(`nbemu: ${line}\n`);
  return status;
}

export function main(argv: string[]): number {
  const [own, program] = splitArgs(argv);
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

  const machine = createMachine(maxfiles !== undefined ? { maxfiles } : {});
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
  const outcome = machine.run(proc);
  switch (outcome.kind) {
    case 'exited':
      return outcome.code;
    case 'signaled':
      return fail(`${file}: killed by signal ${outcome.signal} (${signalName(outcome.signal)})`, 128 + outcome.signal);
    case 'deadlock':
      return fail(outcome.report.replace(/^nbemu: /, ''), EXIT_DEADLOCK);
  }
}
