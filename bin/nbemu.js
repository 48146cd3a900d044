#!/usr/bin/env node
// The nbemu command: a thin shim over the compiled CLI, built by `npm install`. It loads the
// one-file bundle of it (scripts/bundle-cli.mjs: faster to start) when that is at least as new
// as dist/src/cli.js, and dist/src/cli.js itself otherwise.
import { statSync } from 'node:fs';

const mtime = (rel) => {
  try {
    return statSync(new URL(rel, import.meta.url)).mtimeMs;
  } catch {
    return -1;
  }
};
const bundle = mtime('../dist/src/cli.bundle.mjs');
const { main } = await import(bundle >= 0 && bundle >= mtime('../dist/src/cli.js') ? '../dist/src/cli.bundle.mjs' : '../dist/src/cli.js');

process.exitCode = main(process.argv.slice(2));
