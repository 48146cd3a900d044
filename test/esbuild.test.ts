// esbuild's NetBSD build (npm package @esbuild/netbsd-x64, a static multi-threaded Go program)
// bundles fixtures/esbuild-sample under nbemu, through the CLI as a user runs it, and its output
// must be byte-identical to the host's esbuild of the same version (node_modules/esbuild, an exact
// devDependency). scripts/fetch-esbuild-netbsd.mjs fetches the NetBSD build with npm pack on first
// use (cached in node_modules/.cache/nbemu/).
//
// Both builds run from the sample's directory (esbuild prints and records paths relative to its
// working directory) and write to the same output path in turn, so even the metafile's paths
// agree. Go under Unicorn 2.0.1 is slow (every store takes a slow path): generous timeouts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchEsbuildNetbsd, hostEsbuild } from '../scripts/fetch-esbuild-netbsd.mjs';
import { nbemu, root } from './helpers.js';

const sample = path.join(root, 'fixtures', 'esbuild-sample');
const esbuildVersion: string = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
const TIMEOUT = 240_000;
const RUN_TIMEOUT = 180_000;

let netbsdEsbuild = '';
let host = '';
let tmp = '';

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every file the run left in the output directory, by name. */
  files: Record<string, Buffer>;
}

/** Run one esbuild (under nbemu or natively) in the sample's directory with an empty output directory. */
function runEsbuild(under: 'nbemu' | 'host', args: string[], outDir: string): Outcome {
  fs.rmSync(outDir, { recursive: true, force: true });
  let r: { status: number | null; stdout: string; stderr: string };
  if (under === 'nbemu') {
    r = nbemu([netbsdEsbuild, ...args], { cwd: sample, timeoutMs: RUN_TIMEOUT });
  } else {
    const h = spawnSync(host, args, { cwd: sample, encoding: 'utf8', timeout: RUN_TIMEOUT, input: '' });
    if (h.error) throw h.error;
    r = { status: h.status, stdout: h.stdout, stderr: h.stderr };
  }
  const files: Record<string, Buffer> = {};
  if (fs.existsSync(outDir)) for (const f of fs.readdirSync(outDir).sort()) files[f] = fs.readFileSync(path.join(outDir, f));
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, files };
}

/** Both builds on the same arguments, the host's first; returns [nbemu, host]. */
function both(args: string[], outDir: string): [Outcome, Outcome] {
  const h = runEsbuild('host', args, outDir);
  const n = runEsbuild('nbemu', args, outDir);
  return [n, h];
}

function expectSameFiles(n: Outcome, h: Outcome): void {
  expect(Object.keys(n.files)).toEqual(Object.keys(h.files));
  for (const name of Object.keys(h.files)) {
    // Compare as text first for a readable diff, then byte for byte.
    expect(n.files[name]!.toString('latin1'), name).toBe(h.files[name]!.toString('latin1'));
    expect(Buffer.compare(n.files[name]!, h.files[name]!), name).toBe(0);
  }
}

beforeAll(() => {
  netbsdEsbuild = fetchEsbuildNetbsd();
  host = hostEsbuild();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nbemu-esbuild-'));
}, TIMEOUT);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("esbuild's NetBSD build under nbemu", () => {
  it('is the same version as the host esbuild: npx nbemu <esbuild> --version', () => {
    const r = spawnSync('npx', ['--no', 'nbemu', netbsdEsbuild, '--version'], {
      cwd: root, encoding: 'utf8', timeout: RUN_TIMEOUT, input: '',
    });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${esbuildVersion}\n`);
    const h = spawnSync(host, ['--version'], { encoding: 'utf8' });
    expect(h.stdout).toBe(`${esbuildVersion}\n`);
  }, TIMEOUT);

  it('bundles the sample minified to ESM for es2017 with a source map and a metafile, byte for byte as the host does', () => {
    const out = path.join(tmp, 'min');
    const args = [
      'src/main.ts', '--bundle', '--format=esm', '--target=es2017', '--minify', '--sourcemap',
      `--metafile=${path.join(out, 'meta.json')}`, `--outfile=${path.join(out, 'main.mjs')}`, '--log-level=warning',
    ];
    const [n, h] = both(args, out);
    const msg = `nbemu status ${n.status}\n--- stderr\n${n.stderr}`;
    expect(h.status).toBe(0);
    expect(n.status, msg).toBe(0);
    expect(n.stderr).toBe(h.stderr);
    expect(n.stdout).toBe(h.stdout);
    expect(Object.keys(h.files)).toEqual(['main.mjs', 'main.mjs.map', 'meta.json']);
    expectSameFiles(n, h);
    // The metafile lists every module the bundle took, the package from node_modules included.
    const inputs = Object.keys(JSON.parse(h.files['meta.json']!.toString()).inputs).sort();
    expect(inputs).toEqual([
      'node_modules/tiny-pad/index.js', 'src/config.json', 'src/main.ts', 'src/registry.ts', 'src/shapes.ts',
      'src/util/format.ts', 'src/util/index.ts', 'src/util/math.ts',
    ]);
    // The bundle works: the lowered classes, private fields, generators and async iteration run.
    const run = spawnSync(process.execPath, [path.join(out, 'main.mjs')], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('esbuild-sample 1.4.0 (cm)\n');
    expect(run.stdout).toContain('async: circle rect square circle\n');
  }, TIMEOUT);

  it('bundles the sample unminified to CommonJS for node with lowered syntax, as the host does', () => {
    const out = path.join(tmp, 'cjs');
    const args = [
      'src/main.ts', '--bundle', '--format=cjs', '--platform=node', '--target=es2017', '--keep-names',
      '--legal-comments=inline', `--outfile=${path.join(out, 'main.cjs')}`, '--log-level=warning',
    ];
    const [n, h] = both(args, out);
    expect(h.status).toBe(0);
    expect(n.status, n.stderr).toBe(0);
    expect(n.stderr).toBe(h.stderr);
    expectSameFiles(n, h);
    const js = h.files['main.cjs']!.toString();
    // es2017 has no private fields, ??=, object spread or async generators: esbuild lowered them
    expect(js).not.toMatch(/#origin|\?\?=|for await/);
    expect(js).toContain('__privateGet');
  }, TIMEOUT);

  it('reports a syntax error with the same diagnostics and exit status as the host', () => {
    const out = path.join(tmp, 'syntax');
    const [n, h] = both(['broken/syntax-error.ts', '--bundle', `--outfile=${path.join(out, 'x.js')}`], out);
    expect(h.status).toBe(1);
    expect(h.stderr).toContain('broken/syntax-error.ts:4:16');
    expect(n.status).toBe(h.status);
    expect(n.stderr).toBe(h.stderr);
    expect(n.stdout).toBe(h.stdout);
    expect(n.files).toEqual({});
  }, TIMEOUT);

  it('reports unresolvable imports (a missing file, a missing package) as the host does', () => {
    const out = path.join(tmp, 'unresolved');
    const [n, h] = both(['broken/unresolved.ts', '--bundle', `--outfile=${path.join(out, 'y.js')}`], out);
    expect(h.status).toBe(1);
    expect(h.stderr).toContain('Could not resolve "./nowhere"');
    expect(h.stderr).toContain('Could not resolve "no-such-package"');
    expect(n.status).toBe(h.status);
    expect(n.stderr).toBe(h.stderr);
    expect(n.files).toEqual({});
  }, TIMEOUT);
});
