// nbemu benchmarks: `npm run bench` (compiles, builds the fixtures, then runs dist/bench/run.js).
//
// Measured and printed, never asserted. Figures go with the machine they were taken on, so the
// machine is printed first and everything is also written to bench/results.json.
//
//   1. null syscall: fixtures/bench_getpid (N getpid calls; argv[1] = N) under nbemu in-process,
//      and its Linux twin under qemu-x86_64 and natively. Each figure is the best of RUNS runs of
//      (time for N calls - time for SMALL calls) / (N - SMALL), so start-up cancels out.
//   2. start-up: `node bin/nbemu.js fixtures/bin/hello` end to end, and spawn() -> exit in-process.
//
// Options: --runs R (default 5), --calls N (default 2000000), --only nbemu|qemu|native|startup
// (repeatable), --no-json.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMachine } from '../src/index.js';
import { captureStream } from '../src/kernel/hostfile.js';
import { unicornVersion } from '../src/unicorn/index.js';

// dist/bench/run.js -> repository root
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = (name: string): string => path.join(root, 'fixtures', 'bin', name);

interface Options {
  runs: number;
  calls: number;
  small: number;
  only: Set<string>;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runs: 5, calls: 2_000_000, small: 1000, only: new Set(), json: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runs') o.runs = Math.max(1, Number(argv[++i]));
    else if (a === '--calls') o.calls = Math.max(2, Number(argv[++i]));
    else if (a === '--only') o.only.add(argv[++i]!);
    else if (a === '--no-json') o.json = false;
    else throw new Error(`bench: unknown option ${a}`);
  }
  o.small = Math.min(o.small, Math.floor(o.calls / 10));
  return o;
}

const nowNs = (): bigint => process.hrtime.bigint();
const ms = (ns: number): string => (ns / 1e6).toFixed(1);

function onPath(cmd: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

// ---- the machine --------------------------------------------------------------------------
interface MachineInfo {
  cpu: string;
  cores: number;
  node: string;
  unicorn: string;
  platform: string;
  loadavg: number[];
}

function machineInfo(): MachineInfo {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1]!.trim();
  } catch {
    /* not Linux */
  }
  const v = unicornVersion();
  const c = v.combined >>> 0;
  const loaded = `${(c >>> 24) & 0xff}.${(c >>> 16) & 0xff}.${(c >>> 8) & 0xff}`;
  return {
    cpu,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    node: process.version,
    unicorn: `${loaded} (headers ${v.headerMajor}.${v.headerMinor}.${v.headerPatch})`,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

// ---- timing helpers -----------------------------------------------------------------------
/** Best (lowest) of `runs` measurements of fn(), in ns. */
function best(runs: number, fn: () => number): number {
  let b = Infinity;
  for (let i = 0; i < runs; i++) b = Math.min(b, fn());
  return b;
}

/** ns per call: best of runs for N calls minus best of runs for SMALL calls. */
function perCall(o: Options, timeFor: (n: number) => number): { nsPerCall: number; bigNs: number; smallNs: number } {
  const smallNs = best(o.runs, () => timeFor(o.small));
  const bigNs = best(o.runs, () => timeFor(o.calls));
  return { nsPerCall: (bigNs - smallNs) / (o.calls - o.small), bigNs, smallNs };
}

/** nbemu in-process: wall time of Machine.run() for bench_getpid with n calls. */
function nbemuRun(n: number): number {
  const file = fixture('bench_getpid');
  const sink: Buffer[] = [];
  const m = createMachine({ stdout: captureStream(sink), stderr: captureStream(sink) });
  const p = m.spawn(file, [file, String(n)], []);
  const t0 = nowNs();
  const out = m.run(p);
  const t = Number(nowNs() - t0);
  if (out.kind !== 'exited' || out.code !== 0) throw new Error(`bench_getpid under nbemu ended with ${JSON.stringify(out)}`);
  return t;
}

/** A host process's wall time (spawnSync), failing loudly if it does not exit 0. */
function hostRun(cmd: string, args: string[]): number {
  const t0 = nowNs();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const t = Number(nowNs() - t0);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return t;
}

// ---- the benchmarks ---------------------------------------------------------------------------
interface Results {
  date: string;
  machine: MachineInfo;
  options: { runs: number; calls: number; small: number };
  nullSyscall: {
    nbemuNs?: number;
    qemuNs?: number | 'not installed';
    nativeNs?: number;
    nbemuOverQemu?: number;
  };
  startup: { cliMs?: number; inProcessMs?: number };
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  const want = (k: string): boolean => o.only.size === 0 || o.only.has(k);
  const info = machineInfo();
  const res: Results = {
    date: new Date().toISOString(),
    machine: info,
    options: { runs: o.runs, calls: o.calls, small: o.small },
    nullSyscall: {},
    startup: {},
  };

  console.log(`machine: ${info.cpu}, ${info.cores} cores, ${info.platform}`);
  console.log(`         node ${info.node}, unicorn ${info.unicorn}, load average ${info.loadavg.join(' ')}`);
  console.log(`method:  best of ${o.runs}; null syscall = (t(${o.calls}) - t(${o.small})) / ${o.calls - o.small}`);
  console.log('');

  const rows: [string, string, string][] = [];
  const linux = fixture('bench_getpid.linux');

  if (want('nbemu')) {
    nbemuRun(Math.min(o.calls, 200_000)); // warm the JIT and the binding
    const r = perCall(o, nbemuRun);
    res.nullSyscall.nbemuNs = r.nsPerCall;
    rows.push(['null syscall, nbemu (in-process)', `${r.nsPerCall.toFixed(1)} ns/call`, `${ms(r.bigNs)} ms for ${o.calls}`]);
  }
  if (want('qemu')) {
    const qemu = onPath('qemu-x86_64');
    if (qemu === null) {
      res.nullSyscall.qemuNs = 'not installed';
      rows.push(['null syscall, qemu-x86_64', 'not installed', '']);
    } else {
      const r = perCall(o, (n) => hostRun(qemu, [linux, String(n)]));
      res.nullSyscall.qemuNs = r.nsPerCall;
      rows.push(['null syscall, qemu-x86_64 (Linux build)', `${r.nsPerCall.toFixed(1)} ns/call`, `${ms(r.bigNs)} ms for ${o.calls}`]);
    }
  }
  if (want('native')) {
    const r = perCall(o, (n) => hostRun(linux, [String(n)]));
    res.nullSyscall.nativeNs = r.nsPerCall;
    rows.push(['null syscall, native (Linux build)', `${r.nsPerCall.toFixed(1)} ns/call`, `${ms(r.bigNs)} ms for ${o.calls}`]);
  }
  const { nbemuNs, qemuNs } = res.nullSyscall;
  if (typeof nbemuNs === 'number' && typeof qemuNs === 'number') {
    res.nullSyscall.nbemuOverQemu = nbemuNs / qemuNs;
    rows.push(['null syscall, nbemu / qemu', `${(nbemuNs / qemuNs).toFixed(2)}x`, '']);
  }

  if (want('startup')) {
    const hello = fixture('hello');
    const cli = path.join(root, 'bin', 'nbemu.js');
    const cliNs = best(o.runs, () => hostRun(process.execPath, [cli, hello]));
    res.startup.cliMs = cliNs / 1e6;
    rows.push(['start-up, node bin/nbemu.js hello', `${ms(cliNs)} ms`, 'spawn to exit, end to end']);
    const inNs = best(o.runs, () => {
      const sink: Buffer[] = [];
      const m = createMachine({ stdout: captureStream(sink), stderr: captureStream(sink) });
      const t0 = nowNs();
      const p = m.spawn(hello, [hello], []);
      const out = m.run(p);
      const t = Number(nowNs() - t0);
      if (out.kind !== 'exited' || out.code !== 0) throw new Error(`hello under nbemu ended with ${JSON.stringify(out)}`);
      return t;
    });
    res.startup.inProcessMs = inNs / 1e6;
    rows.push(['start-up, in-process spawn() to exit', `${(inNs / 1e6).toFixed(2)} ms`, 'hello, best of runs']);
  }

  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  for (const [a, b, c] of rows) console.log(`${a.padEnd(w0)}  ${b.padStart(w1)}  ${c}`);

  if (o.json) {
    const out = path.join(root, 'bench', 'results.json');
    fs.writeFileSync(out, `${JSON.stringify(res, null, 2)}\n`);
    console.log(`\nwritten to ${path.relative(process.cwd(), out) || out}`);
  }
}

main();
