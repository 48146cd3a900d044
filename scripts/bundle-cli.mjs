// Bundle the compiled CLI (dist/src/cli.js and everything it imports, elfy included) into one
// file, dist/src/cli.bundle.mjs, with esbuild (a devDependency): Node loads one module instead of
// about ninety, which takes 45-50 ms off every `nbemu` start. bin/nbemu.js uses the bundle only
// when it is at least as new as dist/src/cli.js, so a `tsc` run without this step is never
// shadowed by an old bundle. The bundle sits beside cli.js so that the paths the code finds from
// import.meta.url (package.json, the native binding) stay the same.
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  console.error('bundle-cli: esbuild is not installed (a devDependency); bin/nbemu.js loads dist/src/cli.js instead');
  process.exit(0);
}
await esbuild.build({
  entryPoints: [join(root, 'dist', 'src', 'cli.js')],
  outfile: join(root, 'dist', 'src', 'cli.bundle.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
});
