#!/usr/bin/env node
// Fetch esbuild's NetBSD/amd64 build (npm package @esbuild/netbsd-x64, a static Go executable)
// for the version of esbuild installed in node_modules, and print the path of its binary.
//
// npm will not install that package on another OS (its "os"/"cpu" fields), so this takes the
// tarball with `npm pack`, checks its sha512 against the integrity package-lock.json records for
// it (esbuild lists every platform package as an optional dependency, so the lock file has it;
// `npm view ... dist.integrity` if not), and unpacks bin/esbuild with tar. The result is cached in
// node_modules/.cache/nbemu/esbuild-netbsd-x64-<version>/, so the registry is asked only once.
//
// Used by test/esbuild.test.ts and the esbuild benchmark (bench/run.ts). Any failure is one line
// on stderr and exit status 1. `--host` prints the host's esbuild binary instead (the one the
// NetBSD build is compared with: node_modules/esbuild's native executable for this platform).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const PKG = '@esbuild/netbsd-x64';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

class FetchError extends Error {}

/** The version of the esbuild installed in node_modules (the host's): the NetBSD build must match. */
function installedEsbuildVersion() {
  const file = path.join(root, 'node_modules', 'esbuild', 'package.json');
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')).version;
  } catch {
    throw new FetchError(`esbuild is not installed (no ${path.relative(root, file)}): run npm install first`);
  }
}

/** npm itself: the npm running this script (npm test) when there is one, else npm on PATH. */
function npmCommand() {
  const cli = process.env.npm_execpath;
  if (cli && /npm-cli\.js$/.test(cli)) return [process.execPath, [cli]];
  return ['npm', []];
}

// A few quick retries rather than npm's default of 10 s to 60 s back-offs (over a minute before an
// unreachable registry is reported).
const RETRIES = ['--fetch-retries=2', '--fetch-retry-mintimeout=1000', '--fetch-retry-maxtimeout=4000'];

function npm(args, cwd) {
  const [cmd, pre] = npmCommand();
  const r = spawnSync(cmd, [...pre, ...args, ...RETRIES, '--json'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new FetchError(`cannot run npm (${r.error.message})`);
  return r;
}

/** npm's own explanation of a failure (its --json error summary), on one line. */
function npmReason(r) {
  try {
    const e = JSON.parse(`${r.stdout}`).error;
    if (e?.summary) return `${e.summary}`.replace(/\s+/g, ' ').trim();
  } catch {
    /* not JSON: use the error lines */
  }
  const lines = `${r.stderr}`.split('\n').map((l) => l.replace(/^npm (error|ERR!)\s*/, '').trim());
  const useful = lines.filter((l) => l && !/^A complete log of this run/.test(l) && !/^npm warn/.test(l));
  return useful.slice(0, 3).join('; ') || `exit status ${r.status}`;
}

/** The sha512 integrity the project expects for PKG@version: package-lock.json's, else the registry's. */
function expectedIntegrity(version) {
  try {
    const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
    const entry = lock.packages?.[`node_modules/${PKG}`];
    if (entry?.version === version && typeof entry.integrity === 'string' && entry.integrity.startsWith('sha512-')) {
      return { integrity: entry.integrity, from: 'package-lock.json' };
    }
  } catch {
    /* no lock file: ask the registry */
  }
  const r = npm(['view', `${PKG}@${version}`, 'dist.integrity'], root);
  let integrity = '';
  try {
    integrity = r.status === 0 ? `${JSON.parse(`${r.stdout}`)}` : '';
  } catch {
    /* not JSON */
  }
  if (r.status !== 0 || !integrity.startsWith('sha512-')) {
    throw new FetchError(`cannot get the integrity of ${PKG}@${version} from the npm registry: ${npmReason(r)}`);
  }
  return { integrity, from: 'the registry' };
}

function sha512Integrity(file) {
  return `sha512-${createHash('sha512').update(fs.readFileSync(file)).digest('base64')}`;
}

/** The path of the NetBSD esbuild binary, fetched and unpacked if it is not cached yet. */
export function fetchEsbuildNetbsd() {
  const version = installedEsbuildVersion();
  const cacheDir = path.join(root, 'node_modules', '.cache', 'nbemu', `esbuild-netbsd-x64-${version}`);
  const binary = path.join(cacheDir, 'esbuild');
  const stamp = path.join(cacheDir, 'integrity');
  const { integrity, from } = expectedIntegrity(version);
  try {
    if (fs.readFileSync(stamp, 'utf8').trim() === integrity && fs.statSync(binary).isFile()) return binary;
  } catch {
    /* not cached yet */
  }

  fs.mkdirSync(path.dirname(cacheDir), { recursive: true });
  // Work in a private directory and rename it into place at the end, so two runs at once (test
  // workers, a benchmark) never see half a binary.
  const work = fs.mkdtempSync(path.join(path.dirname(cacheDir), `.fetch-${version}-`));
  try {
    const r = npm(['pack', `${PKG}@${version}`, '--pack-destination', work], work);
    if (r.status !== 0) throw new FetchError(`cannot fetch ${PKG}@${version} from the npm registry (npm pack): ${npmReason(r)}`);
    const tarball = fs.readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new FetchError(`npm pack ${PKG}@${version} left no tarball in ${work}`);
    const got = sha512Integrity(path.join(work, tarball));
    if (got !== integrity) {
      throw new FetchError(`${PKG}@${version}: the tarball's integrity ${got} is not ${integrity} (from ${from})`);
    }
    const t = spawnSync('tar', ['-xzf', tarball, 'package/bin/esbuild'], { cwd: work, encoding: 'utf8' });
    if (t.error || t.status !== 0) {
      throw new FetchError(`cannot unpack bin/esbuild from ${tarball}: ${t.error?.message ?? `${t.stderr}`.trim()}`);
    }
    const out = path.join(work, 'out');
    fs.mkdirSync(out);
    fs.renameSync(path.join(work, 'package', 'bin', 'esbuild'), path.join(out, 'esbuild'));
    fs.chmodSync(path.join(out, 'esbuild'), 0o755);
    fs.writeFileSync(path.join(out, 'integrity'), `${integrity}\n`);
    fs.rmSync(cacheDir, { recursive: true, force: true });
    try {
      fs.renameSync(out, cacheDir);
    } catch (e) {
      // Someone else put it in place first: theirs was verified the same way.
      if (!fs.existsSync(binary)) throw e;
    }
    return binary;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The host's native esbuild of node_modules/esbuild, found the way esbuild's own lib/main.js finds
 * it (the platform package @esbuild/<os>-<cpu>), not its bin/esbuild (a Node shim until its
 * postinstall replaces it), so that timings are of esbuild alone.
 */
export function hostEsbuild() {
  const version = installedEsbuildVersion();
  const req = createRequire(path.join(root, 'node_modules', 'esbuild', 'package.json'));
  const platformPkg = `@esbuild/${process.platform}-${process.arch}`;
  try {
    const pkgVersion = req(`${platformPkg}/package.json`).version;
    if (pkgVersion !== version) throw new FetchError(`${platformPkg} is ${pkgVersion}, esbuild is ${version}`);
    return req.resolve(`${platformPkg}/bin/esbuild`);
  } catch (e) {
    if (e instanceof FetchError) throw e;
  }
  const bin = path.join(root, 'node_modules', 'esbuild', 'bin', 'esbuild');
  const head = fs.readFileSync(bin).subarray(0, 2).toString('latin1');
  if (head === '#!') throw new FetchError(`no native esbuild for ${process.platform}-${process.arch} (${platformPkg} is not installed)`);
  return bin;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(process.argv[2] === '--host' ? hostEsbuild() : fetchEsbuildNetbsd());
  } catch (e) {
    console.error(`fetch-esbuild-netbsd: ${e instanceof FetchError ? e.message : e?.stack ?? e}`);
    process.exit(1);
  }
}
