// Syscall tracing (--trace, --trace-json), fault injection (--inject) and the test author's API
// (run({ trace, inject, hooks }), expectSyscall, traceMatchers), on the fixture programs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createMachine, createTracer, expectNoSyscall, expectSyscall, expectSyscallSequence, findSyscalls, formatTrace, run,
  traceMatchers, type SyscallTraceEvent, type TraceEvent,
} from '../src/index.js';
import { ALL_SYSCALLS } from '../syscalls/index.js';
import { CALL_FORMATS, RAW_ARGS, decoderGaps, hasDecoder, isOpaque } from '../src/trace/decode.js';
import { fixture, nbemu } from './helpers.js';

expect.extend(traceMatchers);
declare module 'vitest' {
  interface Assertion<T> {
    toHaveSyscall(name: string | RegExp, match?: import('../src/index.js').SyscallMatch): T;
  }
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l.startsWith('[pid '));
const tmpDirs: string[] = [];
const tmp = (name: string): string => {
  const dir = fs.mkdtempSync(join(os.tmpdir(), 'nbemu-trace-'));
  tmpDirs.push(dir);
  return join(dir, name);
};
afterAll(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('--trace', () => {
  it('decodes socketpair: domain, type flags, the out-array, errno names', () => {
    const r = nbemu(['--trace', fixture('socketpair_err')]);
    expect(r.status).toBe(0);
    const t = lines(r.stderr);
    expect(t).toContain('[pid 2] socketpair(AF_UNSPEC, SOCK_STREAM, 0, 0x7f7fffffe9f8) = -1 EAFNOSUPPORT (Address family not supported by protocol family)'.replace(/0x7f7fffffe9f8/, t.find((l) => l.includes('AF_UNSPEC'))?.match(/0x[0-9a-f]+/)?.[0] ?? ''));
    expect(t).toContain('[pid 2] socketpair(99, SOCK_STREAM, 0, NULL) = -1 EAFNOSUPPORT (Address family not supported by protocol family)');
    expect(t).toContain('[pid 2] socketpair(AF_LOCAL, SOCK_STREAM, 0, NULL) = -1 EFAULT (Bad address)');
    expect(t).toContain('[pid 2] socketpair(AF_LOCAL, SOCK_DGRAM, 0, 0x8) = -1 EFAULT (Bad address)');
    expect(t).toContain('[pid 2] socketpair(AF_LOCAL, SOCK_STREAM, 0, 0xffff800000000000) = -1 EFAULT (Bad address)');
    expect(t).toContain('[pid 2] socketpair(AF_LOCAL, SOCK_RAW, 0, 0x8) = -1 EPROTOTYPE (Protocol wrong type for socket)');
    expect(t).toContain('[pid 2] socketpair(AF_INET, SOCK_STREAM, 0, NULL) = -1 EOPNOTSUPP (Operation not supported)');
    expect(t.some((l) => /^\[pid 2\] socketpair\(AF_LOCAL, SOCK_STREAM\|SOCK_NONBLOCK\|SOCK_CLOEXEC, 0, 0x[0-9a-f]+\) = -1 EFAULT \(Bad address\)$/.test(l))).toBe(true);
    expect(t).toContain('[pid 2] socketpair(AF_LOCAL, SOCK_STREAM, 0, [3, 4]) = 0');
    expect(t).toContain('[pid 2] getrlimit(RLIMIT_NOFILE, {rlim_cur=128, rlim_max=3404}) = 0');
    expect(t).toContain('[pid 2] setrlimit(RLIMIT_NOFILE, {rlim_cur=3, rlim_max=3404}) = 0');
    expect(t).toContain('[pid 2] fcntl(3, F_GETFD) = -1 EBADF (Bad file descriptor)');
    expect(t).toContain('[pid 2] mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANON, -1, 0) = ' + t.find((l) => l.includes('mmap('))!.split(' = ')[1]);
    expect(t.slice(-2)).toEqual(['[pid 2] exit(0) = ?', '[pid 2] +++ exited with 0 +++']);
  });

  it('decodes inet names: sockaddr_in and sockaddr_in6 (:: runs, v4-mapped), inet errno names', () => {
    const r = nbemu(['--trace=bind,connect', fixture('sock_inet')]);
    expect(r.status, r.stderr).toBe(0);
    const t = lines(r.stderr);
    expect(t).toContain('[pid 2] bind(3, {sin_len=16, sin_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("10.1.2.3")}, 16) = -1 EADDRNOTAVAIL (Can\'t assign requested address)');
    expect(t.some((l) => /connect\(\d+, \{sin_len=16, sin_family=AF_INET, sin_port=htons\(80\), sin_addr=inet_addr\("10\.1\.2\.3"\)\}, 16\) = -1 EADDRNOTAVAIL \(Can't assign requested address\)$/.test(l))).toBe(true);
    expect(t.some((l) => /bind\(\d+, \{sin6_len=28, sin6_family=AF_INET6, sin6_port=htons\(0\), sin6_addr="::ffff:127\.0\.0\.1"\}, 28\) = -1 EINVAL \(Invalid argument\)$/.test(l))).toBe(true);
    expect(t.some((l) => /bind\(\d+, \{sin6_len=28, sin6_family=AF_INET6, sin6_port=htons\(0\), sin6_addr="::1"\}, 28\) = 0$/.test(l))).toBe(true);
  });

  it('shows the strace example line: SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC and [3, 4]', () => {
    const t = lines(nbemu(['--trace=socket', fixture('sockopt')]).stderr);
    expect(t).toContain('[pid 2] socketpair(AF_LOCAL, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0, [3, 4]) = 0');
    expect(t).toContain('[pid 2] getsockopt(3, SOL_SOCKET, SO_TYPE, [1], [4]) = 0');
    expect(t).toContain('[pid 2] getsockopt(1, SOL_SOCKET, SO_TYPE, ' + t.find((l) => l.startsWith('[pid 2] getsockopt(1,'))!.split(', ')[3] + ', [4]) = -1 ENOTSOCK (Socket operation on non-socket)');
  });

  it('shows the signal and the death by it', () => {
    const r = nbemu(['--trace', fixture('sigpipe')]);
    expect(r.signal).toBe('SIGPIPE');
    const t = lines(r.stderr).filter((l) => !l.includes('write(1,'));
    expect(t.slice(-6)).toEqual([
      '[pid 2] socketpair(AF_LOCAL, SOCK_STREAM, 0, [3, 4]) = 0',
      '[pid 2] fcntl(3, F_GETNOSIGPIPE) = 0',
      '[pid 2] close(4) = 0',
      '[pid 2] write(3, "x", 1) = -1 EPIPE (Broken pipe)',
      '[pid 2] --- SIGPIPE {si_signo=SIGPIPE, si_code=SI_NOINFO} ---',
      '[pid 2] +++ killed by SIGPIPE +++',
    ]);
  });

  it('decodes signal structures: sigaction, sigset, kill and the delivered siginfo', () => {
    const t = lines(nbemu(['--trace=signal', fixture('signals')]).stderr);
    expect(t).toContain('[pid 2] __sigprocmask14(SIG_SETMASK, [INT], NULL) = 0');
    expect(t.some((l) => /^\[pid 2\] __sigaction_sigtramp\(SIGUSR1, \{sa_handler=0x[0-9a-f]+, sa_mask=\[\], sa_flags=SA_SIGINFO\}, NULL, 0x[0-9a-f]+, 2\) = 0$/.test(l))).toBe(true);
    expect(t).toContain('[pid 2] kill(2, SIGUSR1) = 0');
    expect(t.some((l) => /^\[pid 2\] --- SIGUSR1 \{si_signo=SIGUSR1, si_code=SI_USER, si_pid=2, si_uid=\d+\} ---$/.test(l))).toBe(true);
  });

  it('filters by name, by class and with !name; cuts buffers at --trace-strsize', () => {
    const only = lines(nbemu(['--trace=socketpair', fixture('sigpipe')]).stderr);
    expect(only.filter((l) => !l.includes('+++') && !l.includes('---')).every((l) => l.startsWith('[pid 2] socketpair('))).toBe(true);
    expect(only).toContain('[pid 2] +++ killed by SIGPIPE +++');
    const noWrite = lines(nbemu(['--trace=!write', fixture('hello')]).stderr);
    expect(noWrite).toEqual(['[pid 2] exit(0) = ?', '[pid 2] +++ exited with 0 +++']);
    const cls = lines(nbemu(['--trace=memory,fstat', fixture('socketpair_err')]).stderr);
    expect(cls.length).toBeGreaterThan(3);
    expect(cls.every((l) => /^\[pid 2\] (mmap|munmap|mprotect|\+\+\+)/.test(l))).toBe(true);
    const short = lines(nbemu(['--trace', '--trace-strsize', '5', fixture('hello')]).stderr);
    expect(short[0]).toBe('[pid 2] write(1, "hello"..., 14) = 14');
    const r = nbemu(['--trace=nosuchcall', fixture('hello')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown syscall or class 'nosuchcall'/);
  });

  it('writes to --trace-file, with --trace-time timestamps and durations', () => {
    const file = tmp('trace.txt');
    const r = nbemu(['--trace-file', file, '--trace-time', fixture('hello')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const t = lines(fs.readFileSync(file, 'utf8'));
    expect(t[0]).toMatch(/^\[pid 2\] \d\d:\d\d:\d\d\.\d{6} write\(1, "hello, netbsd\\n", 14\) = 14 <\d+\.\d{6}>$/);
    expect(t[t.length - 1]).toMatch(/^\[pid 2\] \d\d:\d\d:\d\d\.\d{6} \+\+\+ exited with 0 \+\+\+$/);
  });
});

describe('--trace-json', () => {
  it('writes one object per syscall, signal and exit, with stable fields', () => {
    const json = tmp('trace.jsonl');
    const text = tmp('trace.txt');
    const r = nbemu(['--trace-json', json, '--trace-file', text, fixture('sigpipe')]);
    expect(r.signal).toBe('SIGPIPE');
    const objs = fs.readFileSync(json, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as TraceEvent);
    const textLines = lines(fs.readFileSync(text, 'utf8'));
    expect(objs.length).toBe(textLines.length);
    expect(objs.map((o) => o.line)).toEqual(textLines);
    const sp = objs.find((o) => o.type === 'syscall' && o.name === 'socketpair') as SyscallTraceEvent;
    expect(sp).toMatchObject({
      type: 'syscall', pid: 2, lwp: 2, name: 'socketpair', number: 135, class: 'socket', result: 0, errno: null, errnoName: null,
      injected: false, resumed: false, complete: true,
      args: [
        { name: 'domain', type: 'int', raw: '0x1', text: 'AF_LOCAL', value: 1 },
        { name: 'type', type: 'int', raw: '0x1', text: 'SOCK_STREAM', value: 1 },
        { name: 'protocol', type: 'int', raw: '0x0', text: '0', value: 0 },
        { name: 'rsv', type: 'ptr', text: '[3, 4]', value: [3, 4], out: true },
      ],
    });
    expect(sp.args[3]!.raw).toMatch(/^0x[0-9a-f]+$/);
    expect(typeof sp.start).toBe('number');
    expect(sp.end).toBeGreaterThanOrEqual(sp.start);
    const seqs = objs.filter((o): o is SyscallTraceEvent => o.type === 'syscall').map((o) => o.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(objs.find((o) => o.type === 'syscall' && o.errno !== null)).toMatchObject({ name: 'write', errno: 32, errnoName: 'EPIPE', result: null });
    expect(objs.slice(-2)).toMatchObject([
      { type: 'signal', pid: 2, signo: 13, signal: 'SIGPIPE', codeName: 'SI_NOINFO', action: 'terminate' },
      { type: 'exit', pid: 2, how: 'killed', code: null, signal: 'SIGPIPE', signo: 13, core: false },
    ]);
  });
});

describe('--inject', () => {
  it('fails only the chosen invocation; the wrapper reports the errno; retval fakes a success', () => {
    const r = nbemu(['--trace=socketpair,getppid', '--inject', 'socketpair:error=ENFILE:when=2', '--inject', 'getppid:retval=4242', fixture('trace_inject')]);
    expect(r.stdout).not.toMatch(/not ok/);
    expect(r.stdout).toMatch(/^1\.\.7$/m);
    expect(r.status).toBe(0);
    expect(lines(r.stderr)).toEqual([
      '[pid 2] socketpair(AF_LOCAL, SOCK_STREAM, 0, [3, 4]) = 0',
      expect.stringMatching(/^\[pid 2\] socketpair\(AF_LOCAL, SOCK_DGRAM\|SOCK_CLOEXEC, 0, 0x[0-9a-f]+\) = -1 ENFILE \(Too many open files in system\) \(INJECTED\)$/),
      '[pid 2] socketpair(AF_LOCAL, SOCK_STREAM, 0, [5, 6]) = 0',
      '[pid 2] getppid() = 4242 (INJECTED)',
      '[pid 2] +++ exited with 0 +++',
    ]);
  });

  it('without the injection the same program fails its checks', () => {
    expect(nbemu([fixture('trace_inject')]).status).not.toBe(0);
  });

  it('when=N+ and N+STEP choose the invocations', async () => {
    const every = await run(fixture('socketpair_err'), { stdout: 'pipe', trace: { filter: 'socketpair' }, inject: ['socketpair:error=EMFILE:when=3+'] });
    const calls = every.trace!.filter((e): e is SyscallTraceEvent => e.type === 'syscall');
    expect(calls.slice(0, 2).every((c) => !c.injected)).toBe(true);
    expect(calls.slice(2).every((c) => c.injected && c.errnoName === 'EMFILE')).toBe(true);
    const stepped = await run(fixture('socketpair_err'), { stdout: 'pipe', trace: { filter: 'socketpair' }, inject: ['socketpair:error=ENFILE:when=2+3'] });
    const hit = stepped.trace!.filter((e): e is SyscallTraceEvent => e.type === 'syscall').map((c, i) => (c.injected ? i + 1 : 0)).filter(Boolean);
    expect(hit.slice(0, 4)).toEqual([2, 5, 8, 11]);
  });

  it('rejects a malformed rule', () => {
    for (const bad of ['socketpair', 'socketpair:error=EWHAT', 'socketpair:error=ENFILE:when=0', 'nosuch:error=EIO', 'socketpair:error=EIO:retval=1']) {
      const r = nbemu(['--inject', bad, fixture('hello')]);
      expect(r.status, bad).toBe(2);
    }
  });
});

describe('the test author API', () => {
  it('run({ trace: true }) returns the trace; expectSyscall says it in one line', async () => {
    const r = await run(fixture('sockopt'), { stdout: 'pipe', trace: true });
    expect(r.exitCode).toBe(0);
    const ev = expectSyscall(r.trace!, 'socketpair', { args: { type: /SOCK_DGRAM\b.*SOCK_CLOEXEC/ }, result: 0, out: { rsv: [3, 4] } });
    expect(ev.line).toBe('[pid 2] socketpair(AF_LOCAL, SOCK_DGRAM|SOCK_NONBLOCK|SOCK_CLOEXEC, 0, [3, 4]) = 0');
    expectSyscall(r, 'getsockopt', { args: { s: 1, name: 'SO_TYPE' }, errno: 'ENOTSOCK' });
    const st = await run(fixture('fstat'), { stdout: 'pipe', trace: true });
    expectSyscall(st, 'fstat', { args: { fd: 3 }, out: { sb: { st_mode: 'S_IFSOCK|0000' } } }); // bare names for versioned calls (__fstat50)
    expectNoSyscall(r, 'socketpair', { args: { domain: 'AF_INET' } });
    expect(r.trace).toHaveSyscall('socketpair', { args: [1, /SOCK_SEQPACKET/] });
    expect(r).not.toHaveSyscall('kill');
    expectSyscallSequence(r, [['socketpair', { args: { type: /STREAM/ } }], ['getsockopt', { out: { val: 1 } }], ['close']]);
    expect(formatTrace(r.trace!).split('\n')[0]).toBe(r.trace![0]!.line);
  });

  it('expectSyscall explains a miss with the calls it saw', async () => {
    const r = await run(fixture('sigpipe'), { stdout: 'pipe', trace: true });
    expect(() => expectSyscall(r.trace!, 'socketpair', { args: { type: /SOCK_CLOEXEC/ } })).toThrow(
      /expected a call socketpair with args \{type: \/SOCK_CLOEXEC\/\}; the trace has 1 socketpair call\(s\), none matching:\n {2}\[pid 2\] socketpair\(AF_LOCAL, SOCK_STREAM, 0, \[3, 4\]\) = 0\n {6}✗ type: SOCK_STREAM does not match \/SOCK_CLOEXEC\//,
    );
    expect(() => expectSyscall(r.trace!, 'getpid')).toThrow(/no getpid call in the trace \(it has: socketpair, write, fcntl, close\)/);
    expect(findSyscalls(r.trace!, 'write', { errno: 'EPIPE', args: { buf: 'x' } })).toHaveLength(1);
    expect(r.trace!.slice(-2).map((e) => e.type)).toEqual(['signal', 'exit']);
  });

  it('entry hooks change arguments; exit hooks change results', async () => {
    const asked = new Map<number, number>();
    const r = await run(fixture('hello'), {
      argv: ['hello'],
      stdout: 'pipe',
      trace: true,
      hooks: {
        onEntry(call) {
          if (call.name === 'write' && call.arg('fd') === 1) {
            asked.set(call.seq, call.arg('nbyte'));
            call.setArg('nbyte', 5); // the kernel writes only 5 bytes...
          }
        },
        onExit(call) {
          if (asked.has(call.seq)) call.succeed(asked.get(call.seq)!); // ...and the program is told all of them
        },
      },
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout.toString()).toBe('helloargv[');
    expectSyscall(r, 'write', { args: { fd: 1, nbyte: 5, buf: 'hello' }, result: 14 });
  });

  it('hooks can take a call over entirely (write the out-parameter, return the value)', async () => {
    let n = 0;
    const r = await run(fixture('trace_inject'), {
      stdout: 'pipe',
      trace: { filter: 'socketpair,getppid' },
      hooks: {
        onEntry(call) {
          if (call.name === 'getppid') return { retval: 4242 };
          if (call.name !== 'socketpair') return undefined;
          n++;
          if (n === 2) return { errno: 'ENFILE' };
          const sv = new Uint8Array(8);
          new DataView(sv.buffer).setInt32(0, n === 1 ? 3 : 5, true);
          new DataView(sv.buffer).setInt32(4, n === 1 ? 4 : 6, true);
          call.memory.write(call.arg('rsv'), sv);
          return { retval: 0 };
        },
      },
    });
    expect(r.stdout.toString()).not.toMatch(/not ok/);
    expect(r.exitCode).toBe(0);
    expect(findSyscalls(r, 'socketpair', { injected: true })).toHaveLength(3);
    expectSyscall(r, 'socketpair', { errno: 'ENFILE', injected: true });
    expectSyscall(r, 'socketpair', { out: { rsv: [5, 6] } });
  });

  it('createTracer attaches to a Machine and streams events', () => {
    const seen: string[] = [];
    const tracer = createTracer({ filter: ['write'], onEvent: (e) => seen.push(e.type), collect: true });
    const sink: Buffer[] = [];
    const m = createMachine({ hooks: tracer.hooks, stdout: { write: (d) => void sink.push(Buffer.from(d)) } });
    const out = m.run(m.spawn(fixture('hello'), ['hello'], []));
    expect(out).toEqual({ kind: 'exited', code: 0 });
    expect(tracer.syscalls.map((e) => e.name)).toEqual(['write', 'write']);
    expect(seen).toEqual(['syscall', 'syscall', 'exit']);
  });

  it('shows a blocking call as <unfinished ...> and <... resumed> when processes interleave', async () => {
    const text: string[] = [];
    const r = await run(fixture('proc_fork'), { stdout: 'pipe', stderr: 'pipe', trace: { text: (l) => text.push(l), collect: true } });
    expect(r.trace!.some((e) => e.type === 'exit' && e.pid !== 2)).toBe(true);
    const unfinished = text.filter((l) => l.endsWith('<unfinished ...>'));
    expect(unfinished.length).toBeGreaterThan(0);
    for (const u of unfinished) {
      const [, pid, name] = /^\[pid (\d+)\] (\w+)\(/.exec(u)!;
      const after = text.slice(text.indexOf(u) + 1);
      expect(after.some((l) => l.startsWith(`[pid ${pid}] <... ${name} resumed>`) || l === `[pid ${pid}] +++ killed by SIGKILL +++`), u).toBe(true);
    }
    const resumed = r.trace!.filter((e): e is SyscallTraceEvent => e.type === 'syscall' && e.resumed);
    expect(resumed.length).toBeGreaterThan(0);
    expect(resumed.every((e) => e.sleeps > 0 && !e.line.includes('resumed'))).toBe(true);
  });

  it('tags the calls of a process\'s other LWPs and resumes each sleeping call on its own LWP', async () => {
    const text: string[] = [];
    const r = await run(fixture('lwp_park'), { stdout: 'pipe', stderr: 'pipe', trace: { text: (l) => text.push(l), collect: true } });
    expect(r.exitCode).toBe(0);
    const tag = /^\[pid (\d+)(?: lwp (\d+))?\] /;
    const others = text.filter((l) => tag.exec(l)?.[2] !== undefined);
    expect(others.length).toBeGreaterThan(0); // the threads' calls carry "lwp L"
    const pid = Number(tag.exec(text[0]!)![1]);
    expect(others.every((l) => Number(tag.exec(l)![2]) !== pid)).toBe(true); // the first LWP's id is the pid: untagged
    // Every "<... name resumed>" follows an "<unfinished ...>" of the same call on the same LWP.
    const open = new Map<string, string>();
    for (const l of text) {
      const t = tag.exec(l)![0];
      const u = /^\[[^\]]*\] (\w+)\(.*<unfinished \.\.\.>$/.exec(l);
      if (u) open.set(t, u[1]!);
      const m = /^\[[^\]]*\] <\.\.\. (\w+) resumed>/.exec(l);
      if (m) {
        expect(open.get(t), l).toBe(m[1]);
        open.delete(t);
      }
    }
    const calls = r.trace!.filter((e): e is SyscallTraceEvent => e.type === 'syscall');
    expect(new Set(calls.map((e) => e.lwp)).size).toBeGreaterThan(1); // JSON events carry the LWP
  });
});

describe('argument decoding', () => {
  it('every descriptor argument has a decoder or is listed as raw; every format names a descriptor argument', () => {
    expect(decoderGaps(ALL_SYSCALLS)).toEqual([]);
    expect(Object.keys(CALL_FORMATS)).toContain('__socket30'); // not 'socket', which no descriptor is called
    for (const reason of Object.values(RAW_ARGS)) expect(reason.length).toBeGreaterThan(0);
  });

  it('the completeness check catches a syscall added without decoders, a stale format and a stale raw entry', () => {
    const added = [...ALL_SYSCALLS, { name: 'frobnicate', args: [{ name: 'fd', type: 'fd' as const }, { name: 'flags', type: 'int' as const }, { name: 'buf', type: 'ptr' as const }] }];
    expect(decoderGaps(added)).toEqual([
      expect.stringMatching(/^frobnicate\(flags: int\) has no decoder: add one to CALL_FORMATS in src\/trace\/calls\.ts/),
      expect.stringMatching(/^frobnicate\(buf: ptr\) has no decoder/),
    ]);
    expect(decoderGaps(ALL_SYSCALLS, { ...CALL_FORMATS, socket: { args: {} } })).toEqual([
      'CALL_FORMATS.socket names no syscall descriptor (the descriptor\'s NetBSD name is the key)',
    ]);
    expect(decoderGaps(ALL_SYSCALLS, { ...CALL_FORMATS, bind: { args: { ...CALL_FORMATS.bind!.args, addr: () => ({ text: '' }) } } })).toEqual([
      'CALL_FORMATS.bind.addr is not an argument of bind',
    ]);
    expect(decoderGaps(ALL_SYSCALLS, CALL_FORMATS, { 'bind.name': 'raw on purpose', 'bind.nope': 'x' })).toEqual([
      "RAW_ARGS['bind.name'] has a decoder now: remove it from RAW_ARGS",
      "RAW_ARGS['bind.nope'] names no descriptor argument",
    ]);
    const { openat: _dropped, ...withoutOpenat } = CALL_FORMATS;
    expect(decoderGaps(ALL_SYSCALLS, withoutOpenat).map((g) => g.split(' ')[0])).toEqual([
      'openat(fd:', 'openat(path:', 'openat(oflags:', 'openat(mode:', // the *at calls' directory descriptor too (AT_FDCWD)
    ]);
  });

  it('decodes files, sockets, kevent, poll/select, times and LWP calls exactly; bad pointers as their address', () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'nbemu-tdec-'));
    const r = nbemu(['--trace', fixture('trace_decode'), dir]);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.stdout).not.toMatch(/not ok/);
    expect(r.stdout).toMatch(/^1\.\.59$/m);
    expect(r.status).toBe(0);
    const t = lines(r.stderr).filter((l) => !l.includes('write(1, '));
    expect(t).toEqual([
      `[pid 2] chdir("${dir}") = 0`,
      '[pid 2] umask(077) = 022',
      '[pid 2] umask(022) = 077',
      '[pid 2] openat(AT_FDCWD, "f", O_RDWR|O_CREAT|O_TRUNC, 0644) = 3',
      '[pid 2] write(3, "abc\\n", 4) = 4',
      '[pid 2] lseek(3, 1, SEEK_SET) = 1',
      expect.stringMatching(/^\[pid 2\] fstatat\(AT_FDCWD, "f", \{st_dev=\d+, st_ino=\d+, st_mode=S_IFREG\|0644, st_nlink=1, st_uid=\d+, st_gid=\d+, st_rdev=0, st_size=4, st_blksize=\d+, st_blocks=\d+, st_mtim=\{tv_sec=\d+, tv_nsec=\d+\}\}, AT_SYMLINK_NOFOLLOW\) = 0$/),
      '[pid 2] faccessat(AT_FDCWD, "f", R_OK|W_OK, AT_EACCESS) = 0',
      '[pid 2] utimensat(AT_FDCWD, "f", [UTIME_OMIT, {tv_sec=1000000000, tv_nsec=5}], 0) = 0',
      '[pid 2] utimensat(AT_FDCWD, "f", [UTIME_NOW, UTIME_NOW], AT_SYMLINK_NOFOLLOW) = 0',
      '[pid 2] __utimes50("f", [{tv_sec=1, tv_usec=2}, {tv_sec=3, tv_usec=4}]) = 0',
      '[pid 2] fcntl(3, F_SETLK, {l_type=F_WRLCK, l_whence=SEEK_SET, l_start=0, l_len=0}) = 0',
      '[pid 2] fcntl(3, F_SETLK, {l_type=F_UNLCK, l_whence=SEEK_SET, l_start=0, l_len=0}) = 0',
      '[pid 2] flock(3, LOCK_EX|LOCK_NB) = 0',
      '[pid 2] flock(3, LOCK_UN) = 0',
      '[pid 2] mkdirat(AT_FDCWD, "d", 0750) = 0',
      '[pid 2] symlinkat("f", AT_FDCWD, "l") = 0',
      '[pid 2] readlinkat(AT_FDCWD, "l", "f", 64) = 1',
      '[pid 2] openat(AT_FDCWD, ".", O_RDONLY|O_DIRECTORY) = 4', // no mode without O_CREAT
      expect.stringMatching(/^\[pid 2\] __getdents30\(4, 0x[0-9a-f]+ \/\* 5 entries \*\/, 4096\) = \d+$/),
      '[pid 2] close(4) = 0',
      '[pid 2] unlinkat(AT_FDCWD, "d", AT_REMOVEDIR) = 0',
      '[pid 2] unlinkat(AT_FDCWD, "l", 0) = 0',
      '[pid 2] __stat50("f", 0x8) = -1 EFAULT (Bad address)',
      '[pid 2] openat(AT_FDCWD, 0x8, O_RDONLY) = -1 EFAULT (Bad address)',
      '[pid 2] utimensat(AT_FDCWD, "f", 0x8, 0) = -1 EFAULT (Bad address)',
      '[pid 2] __socket30(AF_LOCAL, SOCK_STREAM|SOCK_CLOEXEC, 0) = 4',
      '[pid 2] bind(4, {sun_len=8, sun_family=AF_LOCAL, sun_path="s.sock"}, 8) = 0',
      '[pid 2] listen(4, 5) = 0',
      '[pid 2] bind(4, 0x8, 8) = -1 EFAULT (Bad address)',
      '[pid 2] __socket30(AF_LOCAL, SOCK_STREAM, 0) = 5',
      '[pid 2] connect(5, {sun_len=8, sun_family=AF_LOCAL, sun_path="s.sock"}, 8) = 0',
      '[pid 2] accept(4, {sun_len=2, sun_family=AF_LOCAL}, [106 => 2]) = 6',
      '[pid 2] getsockname(4, {sun_len=8, sun_family=AF_LOCAL, sun_path="s.sock"}, [106 => 8]) = 0',
      '[pid 2] getsockname(4, 0x8, [106]) = -1 EFAULT (Bad address)',
      '[pid 2] setsockopt(6, SOL_SOCKET, SO_RCVTIMEO, {tv_sec=2, tv_usec=500000}, 16) = 0',
      '[pid 2] write(5, "hello", 5) = 5',
      '[pid 2] poll([{fd=6, events=POLLIN}, {fd=5, events=POLLOUT}], 2, 0) = 2 ([{fd=6, revents=POLLIN}, {fd=5, revents=POLLOUT}])',
      '[pid 2] poll(0x8, 1, 0) = -1 EFAULT (Bad address)',
      '[pid 2] __select50(7, [4 6], [5], NULL, {tv_sec=0, tv_usec=0}) = 2 (in [6], out [5])',
      '[pid 2] __select50(7, [4], NULL, NULL, {tv_sec=0, tv_usec=0}) = 0 (Timeout)',
      '[pid 2] kqueue1(O_CLOEXEC) = 7',
      '[pid 2] __kevent50(7, [{ident=6, filter=EVFILT_READ, flags=EV_ADD|EV_CLEAR, fflags=0, data=0, udata=0x1234}], 1, NULL, 0, NULL) = 0',
      '[pid 2] __kevent50(7, NULL, 0, [{ident=6, filter=EVFILT_READ, flags=EV_ADD|EV_CLEAR, fflags=0, data=5, udata=0x1234}], 4, {tv_sec=1, tv_nsec=0}) = 1',
      '[pid 2] __kevent50(7, [{ident=99, filter=EVFILT_READ, flags=EV_ADD, fflags=0, data=0, udata=NULL}, '
        + '{ident=SIGUSR1, filter=EVFILT_SIGNAL, flags=EV_ADD|EV_RECEIPT, fflags=0, data=0, udata=NULL}, '
        + '{ident=1, filter=EVFILT_TIMER, flags=EV_ADD|EV_ONESHOT|EV_RECEIPT, fflags=NOTE_USECONDS, data=1000, udata=NULL}], 3, '
        + '[{ident=99, filter=EVFILT_READ, flags=EV_ERROR, fflags=0, data=EBADF, udata=NULL}, '
        + '{ident=SIGUSR1, filter=EVFILT_SIGNAL, flags=EV_ERROR, fflags=0, data=0, udata=NULL}, '
        + '{ident=1, filter=EVFILT_TIMER, flags=EV_ERROR, fflags=0, data=0, udata=NULL}], 4, {tv_sec=0, tv_nsec=0}) = 3',
      '[pid 2] __kevent50(7, 0x8, 1, NULL, 0, NULL) = -1 EFAULT (Bad address)',
      '[pid 2] read(6, "hello", 64) = 5',
      '[pid 2] shutdown(5, SHUT_WR) = 0',
      // it sleeps (a tick at least): the remaining time is an out-parameter, shown when the call returns
      '[pid 2] __nanosleep50({tv_sec=0, tv_nsec=1000}, <unfinished ...>',
      '[pid 2] <... __nanosleep50 resumed>{tv_sec=0, tv_nsec=0}) = 0',
      '[pid 2] __nanosleep50({tv_sec=0, tv_nsec=1000000000}, NULL) = -1 EINVAL (Invalid argument)',
      '[pid 2] __nanosleep50(0x8, NULL) = -1 EFAULT (Bad address)',
      '[pid 2] clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=0, tv_nsec=0}, NULL) = 0',
      '[pid 2] __clock_getres50(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1}) = 0',
      '[pid 2] ___lwp_park60(CLOCK_MONOTONIC, TIMER_ABSTIME, {tv_sec=0, tv_nsec=0}, 0, 0x1234, NULL) = -1 ETIMEDOUT (Connection timed out)',
      '[pid 2] _lwp_setname(0, "tdec") = 0',
      '[pid 2] _lwp_getname(0, "tdec", 16) = 0',
      '[pid 2] _lwp_kill(99, SIGUSR1) = -1 ESRCH (No such process)',
      expect.stringMatching(/^\[pid 2\] __sigaction_sigtramp\(SIGALRM, \{sa_handler=0x[0-9a-f]+, sa_mask=\[\], sa_flags=0\}, NULL, 0x[0-9a-f]+, 2\) = 0$/),
      '[pid 2] __setitimer50(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=0, tv_usec=20000}}, NULL) = 0',
      '[pid 2] clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=2, tv_nsec=0}, <unfinished ...>',
      // the signal ends it as the kernel does: EINTR is the value, the carry clear; rmtp holds the rest
      expect.stringMatching(/^\[pid 2\] <\.\.\. clock_nanosleep resumed>\{tv_sec=1, tv_nsec=\d+\}\) = 4 \(EINTR\)$/),
      '[pid 2] --- SIGALRM {si_signo=SIGALRM, si_code=SI_TIMER, si_pid=0, si_uid=0} ---',
      expect.stringMatching(/^\[pid 2\] setcontext\(\{uc_flags=_UC_SIGMASK\|_UC_CPU\|_UC_FPU\|_UC_CLRSTACK\|_UC_TLSBASE, uc_link=NULL, uc_sigmask=\[\], uc_stack=\{ss_sp=NULL, ss_size=0, ss_flags=0\}, uc_mcontext=\{rip=0x[0-9a-f]+, rsp=0x[0-9a-f]+, _mc_tlsbase=0x0\}\}\) = \?$/),
      '[pid 2] close(6) = 0',
      '[pid 2] close(5) = 0',
      '[pid 2] close(4) = 0',
      '[pid 2] close(7) = 0',
      '[pid 2] close(3) = 0',
      '[pid 2] exit(0) = ?',
      '[pid 2] +++ exited with 0 +++',
    ]);
  });

  it('marks out-parameters, decodes them after the call, keeps what an in/out length went in with', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'nbemu-tdec-'));
    const r = await run(fixture('trace_decode'), { argv: ['trace_decode', dir], stdout: 'pipe', trace: true });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.exitCode).toBe(0);
    const accept = expectSyscall(r, 'accept', { result: 6 });
    expect(accept.args.map((a) => [a.name, a.out === true])).toEqual([['s', false], ['name', true], ['anamelen', true]]);
    expect(accept.args[1]!.value).toEqual({ sun_len: 2, sun_family: 'AF_LOCAL' });
    expect(accept.args[2]).toMatchObject({ text: '[106 => 2]', value: 2 });
    const bad = expectSyscall(r, 'getsockname', { errno: 'EFAULT' });
    expect(bad.args[1]).toMatchObject({ text: '0x8', out: true });
    expect(bad.args[1]!.value).toBeUndefined(); // not written: no value
    expect(bad.args[2]).toMatchObject({ text: '[106]', value: 106 });
    const ev = expectSyscall(r, '__kevent50', { result: 3 });
    expect(ev.args[3]!.value).toMatchObject([{ ident: 99, filter: 'EVFILT_READ', flags: 'EV_ERROR', data: 9 }, { ident: 30 }, { ident: 1 }]);
    expectSyscall(r, 'openat', { args: { fd: 'AT_FDCWD', path: 'f', oflags: /O_CREAT/, mode: 0o644 } });
    const dotOpen = expectSyscall(r, 'openat', { args: { path: '.' } });
    expect(dotOpen.args[3]).toMatchObject({ name: 'mode', hidden: true }); // in the JSON, not in the line
    expectSyscall(r, '__getdents30', { out: { buf: (v) => Array.isArray(v) && v.map((e: { d_name: string }) => e.d_name).sort().join(' ') === '. .. d f l' } });
    expectSyscall(r, '__select50', { args: { in: [4, 6], ou: [5], ex: 'NULL' }, result: 2 });
  });

  it('shows mmap\'s offset from the user stack and hides the padding word', () => {
    const t = lines(nbemu(['--trace=mmap', fixture('mem_advise')]).stderr);
    expect(t.length).toBeGreaterThan(0);
    expect(t.every((l) => /^\[pid 2\] mmap\((NULL|0x[0-9a-f]+), \d+, [A-Z_|0-9]+, [A-Z_|()0-9]+, -?\d+, -?\d+\) = /.test(l) || l.includes('+++'))).toBe(true);
  });

  it('leaves no argument of a Go program\'s calls undecoded', async () => {
    const dir = fs.mkdtempSync(join(os.tmpdir(), 'nbemu-tdec-go-'));
    const r = await run(fixture('go_sockets'), { argv: [fixture('go_sockets'), dir], stdout: 'pipe', stderr: 'pipe', trace: true });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.stdout.toString()).not.toMatch(/not ok/);
    expect(r.exitCode).toBe(0);
    const calls = r.trace!.filter((e): e is SyscallTraceEvent => e.type === 'syscall');
    const names = new Set(calls.map((e) => e.name));
    for (const n of ['__socket30', 'bind', 'listen', 'connect', 'paccept', '__kevent50', '___lwp_park60', '__nanosleep50', 'sendmsg', 'recvmsg']) expect(names).toContain(n);
    const undecoded: string[] = [];
    for (const e of calls) {
      for (const a of e.args) {
        if (a.hidden || RAW_ARGS[`${e.name}.${a.name}`]) continue;
        if (!hasDecoder(e.name, a.name) && !(a.type === 'fd' && !e.name.endsWith('at'))) undecoded.push(`${e.line}: ${a.name} has no decoder`);
        // a pointer the call read or wrote, shown as a bare address although the call succeeded
        else if (e.errno === null && e.complete && a.type === 'ptr' && !isOpaque(e.name, a.name) && /^0x[0-9a-f]+$/.test(a.text)) undecoded.push(`${e.line}: ${a.name} left raw`);
      }
    }
    expect(undecoded).toEqual([]);
    expectSyscall(r, 'bind', { args: { name: { sun_family: 'AF_LOCAL', sun_path: /nbemu-go-sockets\.sock$/ } }, result: 0 });
    expectSyscall(r, 'paccept', { out: { name: { sun_family: 'AF_LOCAL' } }, args: { flags: 'SOCK_NONBLOCK|SOCK_CLOEXEC' } });
    expectSyscall(r, '__kevent50', { args: { changelist: /^\[\{ident=\d+, filter=EVFILT_READ, flags=EV_ADD\|EV_CLEAR, fflags=0, data=0, udata=0x[0-9a-f]+\}/ } });
    expectSyscall(r, '___lwp_park60', { args: { clock_id: 'CLOCK_MONOTONIC' } });
    expectSyscall(r, '__nanosleep50', { args: { rqtp: /^\{tv_sec=0, tv_nsec=\d+\}$/ } });
  });
});
