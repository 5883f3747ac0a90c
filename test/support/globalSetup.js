// Makes sure the real servers the suite starts are installed. Installs them with apt-get when running as root,
// otherwise fails with the exact command to run. Never skips.
const { execSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');

const needs = [
  { bin: 'redis-server', pkg: 'redis-server' },
  { bin: 'slapd', pkg: 'slapd', paths: ['/usr/sbin/slapd'] },
  { bin: 'ldapsearch', pkg: 'ldap-utils' },
  { bin: 'chromium', pkg: 'chromium', paths: ['/usr/bin/chromium'] },
];

function has(n) {
  if ((n.paths || []).some((p) => fs.existsSync(p))) return true;
  return spawnSync('sh', ['-c', `command -v ${n.bin}`], { stdio: 'ignore' }).status === 0;
}

module.exports = async function globalSetup() {
  // One directory per jest run for servers shared by all workers (the Samba DC, test/support/samba.ts);
  // globalTeardown.js stops what was started in it. Workers inherit this environment.
  process.env.SSPR_TEST_RUN_DIR = fs.mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'sspr-run-'));
  const missing = needs.filter((n) => !has(n));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => m.pkg))].join(' ');
  const cmd = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y ${pkgs}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0) {
    console.log(`\n[test setup] installing ${pkgs} …`);
    execSync(cmd, { stdio: 'inherit' });
    const still = missing.filter((n) => !has(n));
    if (still.length === 0) return;
  }
  throw new Error(`The test suite needs ${pkgs}. Install them with:\n  sudo sh -c '${cmd}'`);
};
