// Microbenchmark of the TrapCpu fast path: a guest loop `mov eax, 20; syscall; jmp back`
// driven from JS, 1M iterations. Run after building: node bench/unicorn-trap.mjs
// (needs dist/ from tsc, or falls back to loading the addon directly).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const native = require(join(root, 'build', 'Release', 'nbemu_unicorn.node'));

const UC_ARCH_X86 = 4, UC_MODE_64 = 8, UC_PROT_ALL = 7, UC_X86_REG_RIP = 41;
const TRAP_SYSCALL = 1, TRAP_RESULT_FLAGS = 12, TRAP_RESULT_RAX = 13;
const N = Number(process.argv[2] ?? 1_000_000);
const slice = Number(process.argv[3] ?? 0);

const uc = new native.Unicorn(UC_ARCH_X86, UC_MODE_64);
const base = 0x400000;
uc.mem_map(base, 0x1000, UC_PROT_ALL);
// 0: mov eax, 20 ; 5: syscall ; 7: jmp 0 (eb f7)
uc.mem_write(base, new Uint8Array([0xb8, 20, 0, 0, 0, 0x0f, 0x05, 0xeb, 0xf7]));
uc.reg_write(UC_X86_REG_RIP, base);
const cpu = new native.TrapCpu(uc);
const u32 = cpu.u32;

function loop(n) {
  let i = 0;
  while (i < n && cpu.run(slice) === TRAP_SYSCALL) {
    // getpid-like: result = 1234, no error
    u32[2 * TRAP_RESULT_RAX] = 1234;
    u32[2 * TRAP_RESULT_RAX + 1] = 0;
    u32[2 * TRAP_RESULT_FLAGS] = 1;
    i++;
  }
  return i;
}

loop(10_000); // warm up
const t0 = process.hrtime.bigint();
const done = loop(N);
const t1 = process.hrtime.bigint();
const ns = Number(t1 - t0) / done;
console.log(`${done} syscall traps (slice=${slice}us): ${ns.toFixed(1)} ns per iteration`);
console.log(JSON.stringify(cpu.fastStores));
cpu.dispose();
uc.close();
