#!/usr/bin/env node
// The nbemu command: a thin shim over the compiled CLI (dist/src/cli.js, built by `npm install`).
import { main } from '../dist/src/cli.js';

process.exitCode = main(process.argv.slice(2));
