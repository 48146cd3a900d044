// Microbenchmark of guest stores and loads. The loop `mov [rdi], rbx` (or `mov rbx, [rdi]`);
// `add rdi, rsi; add rbx, 1; sub rcx, 1; jnz` runs N iterations through the classic API
// (emu_start to a final hlt) and through TrapCpu (the loop ends in a syscall trap), with the data
// mapped by mem_map_ptr (as the kernel maps guest memory) or by mem_map; "one page" keeps rdi on
// one word, "stream" walks 32 MiB with an 8-byte stride (a TLB fill every 512 accesses).
// Run after building: node bench/store-loop.mjs [N] [runs]   (NBEMU_NO_FAST_STORES=1 to compare)
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const native = require(join(root, 'build', 'Release', 'nbemu_unicorn.node'));

const UC_ARCH_X86 = 4, UC_MODE_64 = 8, UC_PROT_ALL = 7, UC_PROT_RW = 3;
const UC_X86_REG_RBX = 21, UC_X86_REG_RCX = 22, UC_X86_REG_RDI = 39, UC_X86_REG_RIP = 41, UC_X86_REG_RSI = 43;
const TRAP_SYSCALL = 1;
const N = Number(process.argv[2] ?? 2_000_000);
const RUNS = Number(process.argv[3] ?? 5);
const CODE = 0x400000, DATA = 0x10000000, DATA_LEN = 32 << 20;

// 48 89 1f mov [rdi], rbx | 48 8b 1f mov rbx, [rdi] ; 48 01 f7 add rdi, rsi ; 48 83 c3 01 add rbx, 1 ;
// 48 83 e9 01 sub rcx, 1 ; 75 f0 jnz 0 ; then f4 (hlt) or 0f 05 (syscall)
const body = (load) => [0x48, load ? 0x8b : 0x89, 0x1f, 0x48, 0x01, 0xf7, 0x48, 0x83, 0xc3, 0x01, 0x48, 0x83, 0xe9, 0x01, 0x75, 0xf0];

function engine(ptr, load, tail) {
  const uc = new native.Unicorn(UC_ARCH_X86, UC_MODE_64);
  const code = new Uint8Array([...body(load), ...tail]);
  if (ptr) {
    const cb = new ArrayBuffer(0x1000);
    new Uint8Array(cb).set(code);
    uc.mem_map_ptr(CODE, 0x1000, UC_PROT_ALL, cb);
    uc.mem_map_ptr(DATA, DATA_LEN, UC_PROT_RW, new ArrayBuffer(DATA_LEN));
  } else {
    uc.mem_map(CODE, 0x1000, UC_PROT_ALL);
    uc.mem_write(CODE, code);
    uc.mem_map(DATA, DATA_LEN, UC_PROT_RW);
  }
  return { uc, len: code.length };
}

function setup(uc, n, stride) {
  uc.reg_write(UC_X86_REG_RDI, DATA + 0x100);
  uc.reg_write(UC_X86_REG_RSI, stride);
  uc.reg_write(UC_X86_REG_RCX, n);
  uc.reg_write(UC_X86_REG_RBX, 0);
  uc.reg_write(UC_X86_REG_RIP, CODE);
}

function classic(ptr, load, n, stride) {
  const { uc, len } = engine(ptr, load, [0xf4]);
  setup(uc, 1000, 0);
  uc.emu_start(CODE, CODE + len - 1);
  setup(uc, n, stride);
  const t0 = process.hrtime.bigint();
  uc.emu_start(CODE, CODE + len - 1);
  const dt = Number(process.hrtime.bigint() - t0);
  uc.close();
  return dt / n;
}

let info;
function trap(ptr, load, n, stride) {
  const { uc } = engine(ptr, load, [0x0f, 0x05]);
  const cpu = new native.TrapCpu(uc);
  info = cpu.fastStores;
  setup(uc, 1000, 0);
  if (cpu.run(0) !== TRAP_SYSCALL) throw new Error('no syscall trap');
  setup(uc, n, stride);
  const t0 = process.hrtime.bigint();
  const kind = cpu.run(0);
  const dt = Number(process.hrtime.bigint() - t0);
  if (kind !== TRAP_SYSCALL) throw new Error(`trap kind ${kind}`);
  cpu.dispose();
  uc.close();
  return dt / n;
}

const best = (f) => Math.min(...Array.from({ length: RUNS }, f));
for (const [name, f] of [['classic', classic], ['TrapCpu', trap]]) {
  for (const ptr of [true, false]) {
    for (const stride of [0, 8]) {
      for (const load of [false, true]) {
        const n = stride ? Math.min(N, DATA_LEN / stride - 64) : N;
        const ns = best(() => f(ptr, load, n, stride));
        console.log(`${name.padEnd(8)} ${(ptr ? 'mem_map_ptr' : 'mem_map').padEnd(12)} ${stride ? 'stream  ' : 'one page'} ${load ? 'load ' : 'store'}: ${ns.toFixed(2).padStart(7)} ns/iteration (best of ${RUNS}, ${n} iterations)`);
      }
    }
  }
}
console.log('TrapCpu fastStores:', JSON.stringify(info));
