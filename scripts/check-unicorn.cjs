#!/usr/bin/env node
// npm preinstall: make sure the Unicorn CPU engine (headers + library) is present before
// node-gyp tries to compile the binding, so a user never sees a raw compiler error first.
// Silent when Unicorn is found. On Debian/Ubuntu as root it installs libunicorn-dev itself.
'use strict';
const fs = require('fs');
const { spawnSync } = require('child_process');

const MESSAGE =
  'nbemu needs the Unicorn CPU engine (headers and library). Install it with: ' +
  'apt-get install libunicorn-dev pkg-config (Debian/Ubuntu) or brew install unicorn pkg-config (macOS), ' +
  'then run npm install again.';

function pkgConfigHasUnicorn() {
  try {
    const r = spawnSync('pkg-config', ['--exists', 'unicorn'], { stdio: 'ignore' });
    return r.status === 0;
  } catch {
    return false;
  }
}

// binding.gyp takes its compiler and linker flags from pkg-config, so pkg-config must know
// Unicorn: a bare header without unicorn.pc would still fail in the build.
function found() {
  return pkgConfigHasUnicorn();
}

function isDebianLike() {
  if (process.platform !== 'linux') return false;
  if (fs.existsSync('/etc/debian_version')) return true;
  try {
    const osr = fs.readFileSync('/etc/os-release', 'utf8');
    return /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osr);
  } catch {
    return false;
  }
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

function main() {
  if (found()) return 0;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isDebianLike() && isRoot) {
    console.error('nbemu: Unicorn not found; installing libunicorn-dev and pkg-config with apt-get...');
    if (run('apt-get', ['update']) && run('apt-get', ['install', '-y', 'libunicorn-dev', 'pkg-config']) && found()) {
      return 0;
    }
  }
  console.error(MESSAGE);
  return 1;
}

process.exit(main());
