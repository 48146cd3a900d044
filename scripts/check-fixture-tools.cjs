#!/usr/bin/env node
// npm pretest / bench: the fixtures are built by the host toolchain — gcc and make for the C
// programs (static NetBSD executables), Go for the Go programs (GOOS=netbsd). Silent when all
// are present. On Debian/Ubuntu as root the missing ones are installed with apt-get; anywhere
// else this names the packages and fails, rather than letting make fail half-way.
'use strict';
const { aptInstall, hasCommand } = require('./system-packages.cjs');

const TOOLS = [
  { cmd: 'gcc', pkg: 'gcc' },
  { cmd: 'make', pkg: 'make' },
  { cmd: 'go', pkg: 'golang-go' },
];

function missing() {
  return TOOLS.filter((t) => !hasCommand(t.cmd));
}

function main() {
  let lack = missing();
  if (lack.length === 0) return 0;
  if (aptInstall(lack.map((t) => t.pkg), `the fixtures need ${lack.map((t) => t.cmd).join(', ')}`)) lack = missing();
  if (lack.length === 0) return 0;
  console.error(
    `nbemu: building the test fixtures needs ${lack.map((t) => t.cmd).join(', ')}. ` +
      `Install ${lack.map((t) => t.pkg).join(' ')} (Debian/Ubuntu: apt-get install ${lack.map((t) => t.pkg).join(' ')}; ` +
      'macOS: xcode-select --install, brew install make go), then run npm test again.',
  );
  return 1;
}

process.exit(main());
