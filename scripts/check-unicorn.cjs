#!/usr/bin/env node
// npm preinstall: make sure the Unicorn CPU engine (headers + library) is present before
// node-gyp tries to compile the binding, so a user never sees a raw compiler error first.
// Silent when Unicorn is found. On Debian/Ubuntu as root it installs libunicorn-dev itself.
'use strict';
const { spawnSync } = require('child_process');
const { aptInstall } = require('./system-packages.cjs');

const MESSAGE =
  'nbemu needs the Unicorn CPU engine (headers and library). Install it with: ' +
  'apt-get install libunicorn-dev pkg-config (Debian/Ubuntu) or brew install unicorn pkg-config (macOS), ' +
  'then run npm install again.';

// binding.gyp takes its compiler and linker flags from pkg-config, so pkg-config must know
// Unicorn: a bare header without unicorn.pc would still fail in the build.
function found() {
  try {
    return spawnSync('pkg-config', ['--exists', 'unicorn'], { stdio: 'ignore' }).status === 0;
  } catch {
    return false;
  }
}

function main() {
  if (found()) return 0;
  if (aptInstall(['libunicorn-dev', 'pkg-config'], 'Unicorn not found') && found()) return 0;
  console.error(MESSAGE);
  return 1;
}

process.exit(main());
