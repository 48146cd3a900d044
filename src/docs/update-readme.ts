// `npm run docs`: write the table of supported system calls (ALL_SYSCALLS) into README.md,
// between <!-- syscalls:begin --> and <!-- syscalls:end -->. With --check, change nothing and
// exit 1 when the README is out of date.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ALL_SYSCALLS } from '../../syscalls/index.js';
import { extractSyscallTable, renderSyscallTable, replaceSyscallTable } from './syscall-table.js';

/** The repository root: the nearest directory above this file holding package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('update-readme: no package.json above this file');
    dir = up;
  }
  return dir;
}

function main(args: string[]): number {
  const check = args.includes('--check');
  const readmePath = path.join(repoRoot(), 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const table = renderSyscallTable(ALL_SYSCALLS);
  if (check) {
    if (extractSyscallTable(readme) === table) return 0;
    process.stderr.write('README.md: the syscall table is out of date; run `npm run docs`\n');
    return 1;
  }
  const updated = replaceSyscallTable(readme, table);
  if (updated !== readme) fs.writeFileSync(readmePath, updated);
  process.stdout.write(`README.md: ${ALL_SYSCALLS.length} system calls${updated === readme ? ' (unchanged)' : ''}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
