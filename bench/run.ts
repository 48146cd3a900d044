// nbemu benchmarks: `npm run bench` (compiles, builds the fixtures, then runs dist/bench/run.js).
//
// Measured and printed, never asserted. Figures go with the machine they were taken on, so the
// machine is printed first and everything is also written to bench/results.json.
//
//   1. null syscall: fixtures/bench_getpid (N getpid calls; argv[1] = N) under nbemu in-process,
//      and its Linux twin under qemu-x86_64 and natively. Each figure is the best of RUNS runs of
//      (time for N calls - time for SMALL calls) / (N - SMALL), so start-up cancels out.
//   2. ping-pong: fixtures/bench_pingpong (a parent and its forked child bounce one byte over a
//      SOCK_STREAM socketpair; argv[1] = round trips). Round trips per second, the best of RUNS
//      runs of (N - SMALL) / (t(N) - t(SMALL)), so start-up and fork cancel out.
//   3. bulk transfer: fixtures/bench_bulk (a forked child writes M MiB in 64 KiB writes over a
//      SOCK_STREAM socketpair, the parent reads and checksums; argv[1] = M). MB/s (10^6 bytes)
//      as (M - SMALL) MiB / (t(M) - t(SMALL)), best of RUNS.
//      Both also run as their Linux build (the same C source, -DLINUX) under qemu-x86_64 (whose
//      fork makes a second qemu process) and natively.
//   4. start-up: `node bin/nbemu.js fixtures/bin/hello` end to end, and spawn() -> exit in-process.
//   5. esbuild: esbuild's NetBSD build (scripts/fetch-esbuild-netbsd.mjs fetches it) bundles
//      fixtures/esbuild-sample (the minified ESM build of test/esbuild.test.ts) under nbemu,
//      in-process (spawn() to exit) and end to end (`node bin/nbemu.js`), against the host's
//      esbuild of the same version natively (also with GOMAXPROCS=1, as the guest sees one CPU)
//      and under qemu-x86_64. Best of RUNS wall times (best of 4 x RUNS, at least 20, for the
//      native runs, which take milliseconds and so suffer most from a shared machine's noise);
//      `esbuild --version` alone is timed too, to separate the Go runtime's start-up from the
//      bundling.
//
// Options: --runs R (default 5), --calls N (default 2000000), --trips N (ping-pong round trips,
// default 100000), --mib M (bulk MiB, default 256), --only X (repeatable; X is a runner,
// nbemu|qemu|native, or a benchmark, null|pingpong|bulk|startup|esbuild), --trace text|json,
// --no-json.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createMachine, createTracer } from '../src/index.js';
import { captureStream } from '../src/kernel/hostfile.js';
import { unicornVersion } from '../src/unicorn/index.js';

// dist/bench/run.js -> repository root
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixture = (name: string): string => path.join(root, 'fixtures', 'bin', name);

interface Options {
  runs: number;
  calls: number;
  small: number;
  trips: number;
  smallTrips: number;
  mib: number;
  smallMib: number;
  only: Set<string>;
  json: boolean;
  /** Trace the nbemu runs: 'text' (strace lines) or 'json', formatted and dropped (a /dev/null sink). */
  trace?: 'text' | 'json';
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      runs: { type: 'string' }, calls: { type: 'string' }, trips: { type: 'string' }, mib: { type: 'string' },
      only: { type: 'string', multiple: true }, 'no-json': { type: 'boolean' }, trace: { type: 'string' },
    },
  });
  if (values.trace !== undefined && values.trace !== 'text' && values.trace !== 'json') throw new Error('bench: --trace wants text or json');
  const o: Options = {
    runs: Math.max(1, Number(values.runs ?? 5)),
    calls: Math.max(2, Number(values.calls ?? 2_000_000)),
    small: 1000,
    trips: Math.max(20, Number(values.trips ?? 100_000)),
    smallTrips: 1000,
    mib: Math.max(2, Number(values.mib ?? 256)),
    smallMib: 8,
    only: new Set(values.only ?? []),
    json: !values['no-json'],
    ...(values.trace !== undefined ? { trace: values.trace as 'text' | 'json' } : {}),
  };
  o.small = Math.min(o.small, Math.floor(o.calls / 10));
  o.smallTrips = Math.min(o.smallTrips, Math.floor(o.trips / 10));
  o.smallMib = Math.max(1, Math.min(o.smallMib, Math.floor(o.mib / 8)));
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

let traceMode: Options['trace'];

/** nbemu in-process: wall time of Machine.run() for a fixture (default bench_getpid) with argv[1] = n. */
function nbemuRun(n: number, name = 'bench_getpid'): number {
  const file = fixture(name);
  const sink: Buffer[] = [];
  const drop = (_line: string): void => {};
  const tracer = traceMode ? createTracer(traceMode === 'text' ? { text: drop } : { json: drop }) : undefined;
  const m = createMachine({ stdout: captureStream(sink), stderr: captureStream(sink), ...(tracer ? { hooks: tracer.hooks } : {}) });
  const p = m.spawn(file, [file, String(n)], []);
  const t0 = nowNs();
  const out = m.run(p);
  const t = Number(nowNs() - t0);
  if (out.kind !== 'exited' || out.code !== 0) {
    throw new Error(`${name} under nbemu ended with ${JSON.stringify(out)}: ${Buffer.concat(sink).toString()}`);
  }
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
  options: { runs: number; calls: number; small: number; trips: number; smallTrips: number; mib: number; smallMib: number };
  nullSyscall: {
    nbemuNs?: number;
    qemuNs?: number | 'not installed';
    nativeNs?: number;
    nbemuOverQemu?: number;
  };
  /** Round trips per second. */
  pingpong: Rates;
  /** MB/s (10^6 bytes per second). */
  bulk: Rates;
  startup: { cliMs?: number; inProcessMs?: number };
  /** Wall times in ms, best of runs; ratios are nbemu's time over the host's. */
  esbuild: EsbuildResults;
}

interface EsbuildResults {
  version?: string;
  args?: string[];
  bundle: Record<string, number | 'not installed'>;
  versionOnly: Record<string, number | 'not installed'>;
  ratios: Record<string, number>;
}

interface Rates {
  nbemu?: number;
  qemu?: number | 'not installed';
  native?: number;
  nbemuOverQemu?: number;
  nbemuOverNative?: number;
}

function main(): void {
  const o = parseOptions(process.argv.slice(2));
  traceMode = o.trace;
  const runners = ['nbemu', 'qemu', 'native'];
  const benches = ['null', 'pingpong', 'bulk', 'startup', 'esbuild'];
  for (const k of o.only) if (!runners.includes(k) && !benches.includes(k)) throw new Error(`bench: --only ${k}?`);
  const only = (set: string[], k: string): boolean => ![...o.only].some((x) => set.includes(x)) || o.only.has(k);
  // startup is a benchmark of nbemu alone: asked for by name, or when nbemu runs and no benchmark was named
  const want = (k: string): boolean => (k === 'startup' ? only(benches, k) && only(runners, 'nbemu') : only(runners, k) && only(benches, 'null'));
  const wantIn = (bench: string, runner: string): boolean => only(benches, bench) && only(runners, runner);
  const info = machineInfo();
  const res: Results = {
    date: new Date().toISOString(),
    machine: info,
    options: { runs: o.runs, calls: o.calls, small: o.small, trips: o.trips, smallTrips: o.smallTrips, mib: o.mib, smallMib: o.smallMib },
    nullSyscall: {},
    pingpong: {},
    bulk: {},
    startup: {},
    esbuild: { bundle: {}, versionOnly: {}, ratios: {} },
  };

  console.log(`machine: ${info.cpu}, ${info.cores} cores, ${info.platform}`);
  console.log(`         node ${info.node}, unicorn ${info.unicorn}, load average ${info.loadavg.join(' ')}`);
  console.log(`method:  best of ${o.runs}; null syscall = (t(${o.calls}) - t(${o.small})) / ${o.calls - o.small}`);
  console.log(`         ping-pong = ${o.trips - o.smallTrips} / (t(${o.trips}) - t(${o.smallTrips})); bulk = ${o.mib - o.smallMib} MiB / (t(${o.mib} MiB) - t(${o.smallMib} MiB))`);
  console.log('');

  const rows: [string, string, string][] = [];
  const linux = fixture('bench_getpid.linux');

  if (want('nbemu')) {
    nbemuRun(Math.min(o.calls, 200_000)); // warm the JIT and the binding
    const r = perCall(o, nbemuRun);
    res.nullSyscall.nbemuNs = r.nsPerCall;
    rows.push([`null syscall, nbemu (in-process${o.trace ? `, --trace ${o.trace}` : ''})`, `${r.nsPerCall.toFixed(1)} ns/call`, `${ms(r.bigNs)} ms for ${o.calls}`]);
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
    rows.push(['null syscall, nbemu / qemu', `${(nbemuNs / qemuNs).toFixed(2)}x`, 'time per call: lower is better']);
  }

  // ---- ping-pong and bulk transfer: nbemu in-process, the Linux build under qemu and natively
  const qemuPath = onPath('qemu-x86_64');
  const twoProc = (
    key: 'pingpong' | 'bulk',
    name: string,
    big: number,
    small: number,
    rate: (dtNs: number) => number,
    unit: string,
    label: (bigNs: number) => string,
  ): void => {
    const r: Rates = res[key];
    const linuxBin = fixture(`${name}.linux`);
    const measure = (timeFor: (n: number) => number): { rate: number; bigNs: number } => {
      const smallNs = best(o.runs, () => timeFor(small));
      const bigNs = best(o.runs, () => timeFor(big));
      return { rate: rate(bigNs - smallNs), bigNs };
    };
    const fmt = (x: number): string => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
    if (wantIn(key, 'nbemu')) {
      nbemuRun(small, name); // warm the JIT and the binding
      const m = measure((n) => nbemuRun(n, name));
      r.nbemu = m.rate;
      rows.push([`${key}, nbemu (in-process${o.trace ? `, --trace ${o.trace}` : ''})`, `${fmt(m.rate)} ${unit}`, label(m.bigNs)]);
    }
    if (wantIn(key, 'qemu')) {
      if (qemuPath === null) {
        r.qemu = 'not installed';
        rows.push([`${key}, qemu-x86_64`, 'not installed', '']);
      } else {
        const m = measure((n) => hostRun(qemuPath, [linuxBin, String(n)]));
        r.qemu = m.rate;
        rows.push([`${key}, qemu-x86_64 (Linux build)`, `${fmt(m.rate)} ${unit}`, label(m.bigNs)]);
      }
    }
    if (wantIn(key, 'native')) {
      const m = measure((n) => hostRun(linuxBin, [String(n)]));
      r.native = m.rate;
      rows.push([`${key}, native (Linux build)`, `${fmt(m.rate)} ${unit}`, label(m.bigNs)]);
    }
    if (typeof r.nbemu === 'number' && typeof r.qemu === 'number') {
      r.nbemuOverQemu = r.nbemu / r.qemu;
      rows.push([`${key}, nbemu / qemu`, `${r.nbemuOverQemu.toFixed(2)}x`, 'higher is better']);
    }
    if (typeof r.nbemu === 'number' && typeof r.native === 'number') {
      r.nbemuOverNative = r.nbemu / r.native;
      rows.push([`${key}, nbemu / native`, `${r.nbemuOverNative.toFixed(2)}x`, '']);
    }
  };
  twoProc('pingpong', 'bench_pingpong', o.trips, o.smallTrips, (dt) => ((o.trips - o.smallTrips) * 1e9) / dt, 'round trips/s',
    (ns) => `${ms(ns)} ms for ${o.trips}`);
  twoProc('bulk', 'bench_bulk', o.mib, o.smallMib, (dt) => ((o.mib - o.smallMib) * 1048576 * 1e3) / dt, 'MB/s',
    (ns) => `${ms(ns)} ms for ${o.mib} MiB`);

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

  if (wantIn('esbuild', 'nbemu') || wantIn('esbuild', 'native') || wantIn('esbuild', 'qemu')) {
    esbuildBench(o, res.esbuild, rows, (r) => wantIn('esbuild', r));
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

// ---- esbuild ---------------------------------------------------------------------------------
const sample = path.join(root, 'fixtures', 'esbuild-sample');

/** The NetBSD esbuild (fetched on first use) or, with --host, the host's: the script prints its path. */
function esbuildBinary(which: 'netbsd' | 'host'): string {
  const script = path.join(root, 'scripts', 'fetch-esbuild-netbsd.mjs');
  const r = spawnSync(process.execPath, [script, ...(which === 'host' ? ['--host'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`bench: ${script} failed`);
  return r.stdout.trim();
}

/** Wall time of one esbuild run under nbemu in-process, spawn() to exit, in the sample's directory. */
function nbemuEsbuild(binary: string, args: string[]): number {
  const sink: Buffer[] = [];
  const here = process.cwd();
  process.chdir(sample); // the guest starts in nbemu's directory, as the CLI's does
  try {
    const m = createMachine({ stdout: captureStream(sink), stderr: captureStream(sink) });
    const t0 = nowNs();
    const p = m.spawn(binary, [binary, ...args], []);
    const out = m.run(p);
    const t = Number(nowNs() - t0);
    if (out.kind !== 'exited' || out.code !== 0) {
      throw new Error(`esbuild under nbemu ended with ${JSON.stringify(out)}: ${Buffer.concat(sink).toString()}`);
    }
    return t;
  } finally {
    process.chdir(here);
  }
}

function hostIn(cwd: string, cmd: string, args: string[], env?: Record<string, string>): number {
  const t0 = nowNs();
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  const t = Number(nowNs() - t0);
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  return t;
}

function esbuildBench(o: Options, res: EsbuildResults, rows: [string, string, string][], want: (runner: string) => boolean): void {
  const netbsd = esbuildBinary('netbsd');
  const host = esbuildBinary('host');
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbemu-bench-esbuild-'));
  // The minified ESM build of test/esbuild.test.ts (without the metafile).
  const args = ['src/main.ts', '--bundle', '--format=esm', '--target=es2017', '--minify', '--sourcemap',
    `--outfile=${path.join(outDir, 'main.mjs')}`, '--log-level=warning'];
  res.version = spawnSync(host, ['--version'], { encoding: 'utf8' }).stdout.trim();
  res.args = args.map((a) => a.replace(outDir, '$OUT'));
  const cli = path.join(root, 'bin', 'nbemu.js');
  const qemu = onPath('qemu-x86_64');
  const nativeRuns = Math.max(4 * o.runs, 20);
  const runners: [key: string, runner: string, label: string, time: (a: string[]) => number][] = [
    ['nbemuInProcess', 'nbemu', 'nbemu in-process (spawn to exit)', (a) => nbemuEsbuild(netbsd, a)],
    ['nbemuCli', 'nbemu', 'nbemu end to end (node bin/nbemu.js)', (a) => hostIn(sample, process.execPath, [cli, netbsd, ...a])],
    ['native', 'native', 'host esbuild, native', (a) => hostIn(sample, host, a)],
    ['nativeOneCpu', 'native', 'host esbuild, native, GOMAXPROCS=1', (a) => hostIn(sample, host, a, { GOMAXPROCS: '1' })],
    ['qemu', 'qemu', 'host esbuild under qemu-x86_64', (a) => (qemu ? hostIn(sample, qemu, [host, ...a]) : NaN)],
  ];
  try {
    for (const [key, runner, label, time] of runners) {
      if (!want(runner)) continue;
      if (runner === 'qemu' && qemu === null) {
        res.bundle[key] = res.versionOnly[key] = 'not installed';
        rows.push([`esbuild, ${label}`, 'not installed', '']);
        continue;
      }
      time(args); // warm the JIT, the binding and the page cache
      const runs = runner === 'native' ? nativeRuns : o.runs;
      const bundle = best(runs, () => time(args)) / 1e6;
      const version = best(runs, () => time(['--version'])) / 1e6;
      res.bundle[key] = bundle;
      res.versionOnly[key] = version;
      rows.push([`esbuild bundle, ${label}`, `${bundle.toFixed(1)} ms`, `--version alone: ${version.toFixed(1)} ms`]);
    }
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
  const ratio = (a: string, b: string, label: string): void => {
    const x = res.bundle[a];
    const y = res.bundle[b];
    if (typeof x !== 'number' || typeof y !== 'number') return;
    res.ratios[`${a}/${b}`] = x / y;
    rows.push([`esbuild bundle, ${label}`, `${(x / y).toFixed(1)}x`, 'the time: lower is better (target: within 10x of native)']);
  };
  ratio('nbemuInProcess', 'native', 'nbemu in-process / native');
  ratio('nbemuCli', 'native', 'nbemu end to end / native');
  ratio('nbemuInProcess', 'nativeOneCpu', 'nbemu in-process / native GOMAXPROCS=1');
  ratio('nbemuInProcess', 'qemu', 'nbemu in-process / qemu-x86_64');
}

main();
