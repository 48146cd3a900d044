// Go standard-library test binaries for NetBSD under nbemu: each package's tests are built with
// the host's Go toolchain (`GOOS=netbsd GOARCH=amd64 CGO_ENABLED=0 go test -c`) into a cache
// directory and run from the package's source directory, as `go test` would, in short mode.
// A package passes when the binary exits 0 and prints its final PASS line.
//
// The curated set below passes reliably and runs in seconds; docs/go-stdlib.md has the results
// for the wider set and why the rest fail. Tests that fail for reasons NetBSD itself would share
// on this host (they run /usr/bin/... programs, which are Linux binaries here: ENOEXEC) or that
// need what nbemu leaves out (interface lists, raw IP, ptrace) are skipped by name, each with its reason.
//
// The Go toolchain is required: the suite fails (it does not skip) when `go` is not on PATH.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { root, spawnAsync, type SpawnResult } from './helpers.js';

interface GoPackage {
  pkg: string;
  /** What of the kernel it exercises. */
  why: string;
  /** Top-level tests left out, each with the reason (see docs/go-stdlib.md). */
  skip?: Record<string, string>;
}

const LINUX_BINARY = 'runs a host program (/usr/bin/..., /bin/sh): a Linux binary, ENOEXEC under nbemu';
const NO_IFLIST = 'lists the network interfaces: sysctl NET_RT_IFLIST, which nbemu does not have';
const NO_RAW_IP = 'opens a raw IP socket (ip4:icmp, ip:tcp), which nbemu does not have';

const PACKAGES: GoPackage[] = [
  { pkg: 'context', why: 'timers and goroutines on several LWPs' },
  { pkg: 'sort', why: 'compute, the GC and preemption signals (SIGURG)' },
  { pkg: 'strings', why: 'compute and allocation' },
  { pkg: 'bufio', why: 'I/O through readers and writers' },
  { pkg: 'io', why: 'pipes between goroutines' },
  { pkg: 'path/filepath', why: 'getdents, lstat, symlinks, a temporary tree walked and removed' },
  { pkg: 'internal/poll', why: 'non-blocking descriptors and the kqueue netpoller' },
  { pkg: 'sync', why: 'LWP park and unpark under contention' },
  {
    pkg: 'os',
    why: 'files, directories, links, pipes, chown, /proc/curproc/exe, processes',
    skip: {
      TestStartProcess: LINUX_BINARY, TestHostname: LINUX_BINARY, TestStatStdin: LINUX_BINARY,
      TestErrProcessDone: `${LINUX_BINARY} (the host's go command)`, TestExecutableDeleted: `${LINUX_BINARY} (go build)`,
    },
  },
  {
    pkg: 'os/exec',
    why: 'fork, exec of the test binary itself, pipes to children, credentials, process groups',
    skip: { TestExtraFiles: `${LINUX_BINARY} (go build)` },
  },
  {
    pkg: 'os/signal',
    why: 'signal delivery, masks, SIGCONT, children re-running the test binary (fork + exec)',
    skip: { TestDetectNohup: LINUX_BINARY, TestNohup: LINUX_BINARY },
  },
  {
    pkg: 'net',
    why: 'TCP and UDP on 127.0.0.1 and ::1, dual-stack listeners, deadlines on the kqueue poller, unix sockets',
    skip: {
      TestInterfaces: NO_IFLIST, TestInterfaceAddrs: NO_IFLIST, TestInterfaceUnicastAddrs: NO_IFLIST, TestInterfaceMulticastAddrs: NO_IFLIST,
      TestIPConnLocalName: NO_RAW_IP, TestIPConnRemoteName: NO_RAW_IP, TestIPConnSpecificMethods: NO_RAW_IP,
    },
  },
  { pkg: 'net/rpc', why: 'RPC servers and clients over TCP and HTTP on loopback' },
  { pkg: 'net/http/httptest', why: 'HTTP servers on 127.0.0.1, TLS over them' },
  { pkg: 'log/syslog', why: 'syslog to TCP, UDP and unix-domain servers in the same process' },
  {
    pkg: 'syscall',
    why: 'fcntl record locks across processes, descriptor passing, exec, mmap, getdents',
    skip: {
      TestZeroSysProcAttr: LINUX_BINARY, TestSetpgid: LINUX_BINARY, TestPgid: LINUX_BINARY,
      TestExecPtrace: 'needs ptrace, which nbemu does not have',
    },
  },
];

/** Per binary: nbemu's own time limit, and the Go test binary's (it dumps its goroutines). */
const RUN_TIMEOUT_MS = 120_000;

let goroot = '';
let cacheDir = '';

function go(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<SpawnResult> {
  return spawnAsync('go', args, { env, timeoutMs: 300_000 });
}

function binaryOf(pkg: string): string {
  return join(cacheDir, `${pkg.replace(/\//g, '_')}.test`);
}

/** Run a test binary under nbemu from the package's directory. */
async function runTest(pkg: string, args: string[]): Promise<{ status: number | null; out: string; stdout: string }> {
  const dir = join(goroot, 'src', pkg);
  const r = await spawnAsync(process.execPath, [resolve(root, 'bin', 'nbemu.js'), binaryOf(pkg), ...args], {
    cwd: dir,
    env: { ...process.env, PWD: dir }, // as a shell's cd (and go test) leave it
    timeoutMs: RUN_TIMEOUT_MS,
  });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}`, stdout: String(r.stdout) };
}

/** -test.run for every top-level test but the skipped ones (Go 1.19 has no -test.skip). */
async function runPattern(p: GoPackage): Promise<string[]> {
  if (!p.skip) return [];
  const list = await runTest(p.pkg, ['-test.list', '.']);
  expect(list.status, `${p.pkg}: -test.list failed\n${list.out}`).toBe(0);
  const names = list.out.split('\n').filter((n) => /^(Test|Example|Fuzz|Benchmark)\w*$/.test(n));
  for (const s of Object.keys(p.skip)) expect(names, `${p.pkg}: the skipped test ${s} no longer exists`).toContain(s);
  const keep = names.filter((n) => !(n in p.skip!) && !n.startsWith('Benchmark'));
  return ['-test.run', `^(${keep.join('|')})$`];
}

describe('Go standard-library tests (netbsd/amd64) under nbemu', () => {
  beforeAll(async () => {
    const v = await go(['version']);
    if (v.error || v.status !== 0) {
      throw new Error(
        'the Go toolchain is needed for test/go-stdlib.test.ts: `go version` failed' +
          ` (${v.error?.message ?? `status ${v.status}`}). Install Go (Debian: apt-get install golang-go).`,
      );
    }
    const version = String(v.stdout).trim().split(' ')[2] ?? 'go';
    goroot = (await go(['env', 'GOROOT'])).stdout.trim();
    cacheDir = resolve(root, 'node_modules', '.cache', 'nbemu-go-stdlib', version);
    mkdirSync(cacheDir, { recursive: true });
    // One go invocation per package: go's build cache makes a rebuild a relink.
    const env = { ...process.env, GOOS: 'netbsd', GOARCH: 'amd64', CGO_ENABLED: '0', GOFLAGS: '' };
    for (const p of PACKAGES) {
      const b = await go(['test', '-c', '-o', binaryOf(p.pkg), p.pkg], env);
      if (b.status !== 0) throw new Error(`go test -c ${p.pkg} failed:\n${b.error?.message ?? ''}${b.stdout}${b.stderr}`);
    }
  }, 600_000);

  for (const p of PACKAGES) {
    it(`${p.pkg}: ${p.why}`, async () => {
      const r = await runTest(p.pkg, ['-test.short', `-test.timeout=${RUN_TIMEOUT_MS / 1000 - 10}s`, ...(await runPattern(p))]);
      const tail = r.out.split('\n').slice(-60).join('\n');
      expect(r.status, `${p.pkg} exited with ${r.status}\n${tail}`).toBe(0);
      const lines = r.stdout.trimEnd().split('\n'); // the package's log lines go to stderr
      expect(lines[lines.length - 1], `${p.pkg}: no final PASS line\n${tail}`).toBe('PASS');
    }, RUN_TIMEOUT_MS + 10_000);
  }
});
