// The README's list of supported system calls, generated from the syscall table (the same
// descriptors that drive dispatch), so the documentation cannot drift from the code.
// `npm run docs` writes it into README.md; test/docs.test.ts fails when the two differ.

import type { SyscallDescriptor } from '../kernel/syscall.js';

export const TABLE_BEGIN = '<!-- syscalls:begin -->';
export const TABLE_END = '<!-- syscalls:end -->';

/** Make text safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
}

/** One row per descriptor, by number: number, name, class, support, arguments (`name: type`). */
export function renderSyscallTable(descriptors: readonly SyscallDescriptor[]): string {
  const rows = [...descriptors].sort((a, b) => a.number - b.number).map((d) => {
    const support = d.support.level === 'full' ? 'full' : `partial: ${d.support.missing}`;
    const args = d.args.length ? `\`${d.args.map((a) => `${a.name}: ${a.type}`).join(', ')}\`` : '—';
    return `| ${d.number} | \`${d.name}\` | ${d.class} | ${cell(support)} | ${cell(args)} |`;
  });
  return ['| number | name | class | support | arguments |', '|---:|---|---|---|---|', ...rows].join('\n') + '\n';
}

/** The text between the markers (exclusive), or null when the markers are missing or out of order. */
export function extractSyscallTable(readme: string): string | null {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) return null;
  return readme.slice(begin + TABLE_BEGIN.length, end).replace(/^\r?\n/, '');
}

/** The README with the text between the markers replaced by the table. Throws without markers. */
export function replaceSyscallTable(readme: string, table: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${TABLE_BEGIN} … ${TABLE_END} section`);
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${table}${readme.slice(end)}`;
}
