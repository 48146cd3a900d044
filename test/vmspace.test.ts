// The address space over shared memory (src/kernel/vmspace.ts with src/kernel/vnpager.ts):
// shared file mappings in two engines, cut up at random by protect and unmap and joined by new
// mappings of overlapping file ranges (which move the pages into merged windows), must keep the
// CPU's view, the kernel's view and the file the same bytes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAP_INHERIT_SHARE, PAGE_SIZE, PROT_NONE, PROT_READ, PROT_WRITE } from '../src/kernel/constants.js';
import { VmSpace, type Region } from '../src/kernel/vmspace.js';
import { VnodeObject } from '../src/kernel/vnpager.js';
import { UC_ARCH_X86, UC_MODE_64, UC_X86_REG_RAX, UC_X86_REG_RDI, Unicorn } from '../src/unicorn/index.js';

const P = PAGE_SIZE;
const CODE = 0x10000;
const STORE = [0x48, 0x89, 0x07, 0xf4]; // mov [rdi], rax; hlt
const NPAGES = 24;

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function engine(): { uc: Unicorn; vm: VmSpace } {
  const uc = new Unicorn(UC_ARCH_X86, UC_MODE_64);
  const vm = new VmSpace(uc);
  vm.map(CODE, P, 7, 'text');
  vm.poke(CODE, Uint8Array.from(STORE));
  cleanup.push(() => {
    vm.destroy();
    uc.close();
  });
  return { uc, vm };
}

describe('VmSpace over shared file pages', () => {
  it('random protect/unmap/map of shared file mappings in two engines: CPU, kernel and file agree', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nbemu-vms-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'f');
    const model = Buffer.alloc(NPAGES * P);
    for (let i = 0; i < model.length; i++) model[i] = (i * 13) & 0xff;
    fs.writeFileSync(file, model);
    const fd = fs.openSync(file, 'r+');
    cleanup.push(() => fs.closeSync(fd));
    const st = fs.fstatSync(fd, { bigint: true });
    const obj = VnodeObject.forFile({ fd, hostPath: file, lockKey: `${st.dev}:${st.ino}` }, true);

    let seed = 4242;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const spaces = [engine(), engine()];
    const mapShared = (vm: VmSpace, first: number, count: number): void => {
      const len = count * P;
      const at = vm.findSpace(len, 0);
      const bytes = obj.pages(first * P, len, true);
      vm.map(at, len, PROT_READ | PROT_WRITE, 'file', {
        inherit: MAP_INHERIT_SHARE, bytes, vobj: obj, foff: first * P, shared: true, avail: obj.availAt(at, len, first * P),
      });
    };
    const fileRegions = (vm: VmSpace): Region[] => vm.mappings.filter((r) => r.vobj === obj);

    let stores = 0;
    for (let round = 0; round < 12; round++) {
      for (let op = 0; op < 10; op++) {
        const { vm } = spaces[rnd(2)]!;
        const regions = fileRegions(vm);
        const kind = regions.length === 0 ? 0 : rnd(3);
        if (kind === 0) {
          const first = rnd(NPAGES);
          mapShared(vm, first, 1 + rnd(NPAGES - first));
          continue;
        }
        const r = regions[rnd(regions.length)]!;
        const pages = (r.end - r.start) / P;
        const a = rnd(pages);
        const n = 1 + rnd(pages - a);
        if (kind === 1) vm.unmap(r.start + a * P, n * P);
        else vm.protect(r.start + a * P, n * P, [PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE][rnd(3)]!);
      }
      // A store through the CPU in every writable page; every view of that file byte must show it.
      for (const { uc, vm } of spaces) {
        for (const r of fileRegions(vm)) {
          if (!(r.prot & PROT_WRITE)) continue;
          for (let page = r.start; page < r.end; page += P) {
            const addr = page + 8 * rnd(P / 8);
            const foff = r.foff + (addr - r.start);
            const value = BigInt(++stores) * 0x0101010101n;
            uc.reg_write(UC_X86_REG_RAX, value);
            uc.reg_write(UC_X86_REG_RDI, addr);
            uc.emu_start(CODE, 0);
            model.writeBigUInt64LE(value, foff);
            for (const other of spaces) {
              for (const q of fileRegions(other.vm)) {
                if (q.foff > foff || q.foff + (q.end - q.start) < foff + 8 || q.prot === PROT_NONE) continue;
                const at = q.start + (foff - q.foff);
                expect(Buffer.from(other.vm.read(at, 8)).readBigUInt64LE(0)).toBe(value); // the kernel's view
                expect(other.uc.mem_read(at, 8).readBigUInt64LE(0)).toBe(value); // the CPU's view
              }
            }
            expect(Buffer.from(obj.pages(foff, 8, false)).readBigUInt64LE(0)).toBe(value); // the object's pages
          }
        }
      }
    }
    expect(stores).toBeGreaterThan(50);
    for (const { vm } of spaces) vm.destroy(); // the last mapping gone: every changed byte in the file
    expect(fs.readFileSync(file).equals(model)).toBe(true);
  });
});

describe('PROT_NONE memory', () => {
  const engineRegions = (uc: Unicorn): [number, number, number][] =>
    uc.mem_regions().map((r) => [Number(r.begin), Number(r.end) + 1, r.perms]);

  it('stays out of the engine: a reservation, pieces mapped over it, mprotect in and out', () => {
    const { uc, vm } = engine();
    const base = 0x4000_0000;
    const len = 64 * 1024 * 1024;
    vm.map(base, len, PROT_NONE, 'anon'); // the Go runtime's arena reservation
    expect(engineRegions(uc)).toEqual([[CODE, CODE + P, 7]]);
    // mmap MAP_FIXED of a piece: the kernel replaces that part of the entry
    vm.unmap(base + 16 * P, 4 * P);
    vm.map(base + 16 * P, 4 * P, PROT_READ | PROT_WRITE, 'anon');
    expect(engineRegions(uc)).toEqual([[CODE, CODE + P, 7], [base + 16 * P, base + 20 * P, PROT_READ | PROT_WRITE]]);
    // the CPU stores there; the piece leaves the engine at PROT_NONE and comes back intact
    uc.reg_write(UC_X86_REG_RAX, 0x1122334455667788n);
    uc.reg_write(UC_X86_REG_RDI, base + 17 * P + 8);
    uc.emu_start(CODE, 0);
    vm.protect(base + 16 * P, 4 * P, PROT_NONE);
    expect(engineRegions(uc)).toEqual([[CODE, CODE + P, 7]]);
    expect(() => vm.read(base + 17 * P + 8, 8)).toThrow(); // copyin: EFAULT
    expect(vm.fault(base + 17 * P + 8, 'read')).toBe('accerr'); // SIGSEGV/SEGV_ACCERR, not MAPERR
    expect(vm.fault(base - P, 'read')).toBeUndefined(); // outside every entry: SEGV_MAPERR
    vm.protect(base + 17 * P, P, PROT_READ);
    expect(engineRegions(uc)).toEqual([[CODE, CODE + P, 7], [base + 17 * P, base + 18 * P, PROT_READ]]);
    expect(uc.mem_read(base + 17 * P + 8, 8).readBigUInt64LE(0)).toBe(0x1122334455667788n);
    expect(Buffer.from(vm.read(base + 17 * P + 8, 8)).readBigUInt64LE(0)).toBe(0x1122334455667788n);
    // a PROT_NONE piece unmapped and the whole reservation unmapped: nothing left in the engine
    vm.unmap(base, len);
    expect(engineRegions(uc)).toEqual([[CODE, CODE + P, 7]]);
    expect(vm.mappings.map((r) => r.name)).toEqual(['text']);
  });
});
