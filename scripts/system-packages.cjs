// Shared by the install-time checks: is this Debian/Ubuntu, are we root, install packages with
// apt-get. nbemu needs a few system packages (Unicorn for the binding; gcc, make and Go for the
// fixtures); on Debian as root the checks install what is missing, elsewhere they name it.
'use strict';
const fs = require('fs');
const { spawnSync } = require('child_process');

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

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0;
}

/** On Debian/Ubuntu as root: apt-get install the packages; false when not possible or it failed. */
function aptInstall(packages, why) {
  if (!isDebianLike() || !isRoot()) return false;
  console.error(`nbemu: ${why}; installing ${packages.join(' ')} with apt-get...`);
  return run('apt-get', ['update']) && run('apt-get', ['install', '-y', ...packages]);
}

/** Is `cmd` on the PATH? */
function hasCommand(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
  return r.status === 0;
}

module.exports = { aptInstall, hasCommand, isDebianLike, isRoot };
