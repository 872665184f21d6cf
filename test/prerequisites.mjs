#!/usr/bin/env node
// `npm test`'s pretest step: the suite needs a C compiler, pkg-config and librdkafka-dev
// (the Kafka tests build librdkafka's mock cluster), kcat (a third-party producer: every
// compression codec is checked as librdkafka writes it), Debian's python3 with pandas (the
// Python client is tested with and without it; python3-pandas installs about 75 MB with
// numpy on a Debian that has python3), Debian's chromium (the HTML report is checked in a
// real browser), promtool (Debian's prometheus: /metrics is linted) and Debian's
// prometheus-alertmanager (alerts are posted to a real Alertmanager). A missing one is
// installed when this process can (root and
// apt-get); otherwise one line names the exact command, and the tests do not run at all:
// a missing prerequisite never turns into silently skipped tests.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Debian package → how to tell it is there. */
const PREREQUISITES = [
  { pkg: 'gcc', present: () => onPath('gcc') },
  { pkg: 'pkg-config', present: () => onPath('pkg-config') },
  { pkg: 'librdkafka-dev', present: () => mockHeaderPresent() },
  { pkg: 'kcat', present: () => onPath('kcat') },
  { pkg: 'python3', present: () => fs.existsSync(DEBIAN_PYTHON) },
  { pkg: 'python3-pandas', present: () => pythonImports('pandas') },
  { pkg: 'chromium', present: () => onPath('chromium') },
  // promtool lints /metrics as Prometheus reads it. Debian ships it only in `prometheus`
  // (19 MB download, 96 MB installed with the server, which is not started here).
  { pkg: 'prometheus', present: () => onPath('promtool') },
  // A real Alertmanager judges what the Alertmanager channel posts (one 11 MB package).
  { pkg: 'prometheus-alertmanager', present: () => onPath('prometheus-alertmanager') },
];

/** Debian's interpreter (the Python client's tests run it, not whatever python3 is on PATH). */
const DEBIAN_PYTHON = '/usr/bin/python3';

function pythonImports(module) {
  return spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0;
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** rdkafka_mock.h, where pkg-config says librdkafka's headers are (Debian: /usr/include). */
function mockHeaderPresent() {
  let includeDir = '/usr/include';
  if (onPath('pkg-config')) {
    const result = spawnSync('pkg-config', ['--variable=includedir', 'rdkafka'], {
      encoding: 'utf8',
    });
    if (result.status !== 0) return false;
    includeDir = result.stdout.trim() || includeDir;
  }
  return fs.existsSync(`${includeDir}/librdkafka/rdkafka_mock.h`);
}

function missingPackages() {
  return PREREQUISITES.filter((prerequisite) => !prerequisite.present()).map((p) => p.pkg);
}

function canInstall() {
  return process.getuid?.() === 0 && onPath('apt-get');
}

function main() {
  const missing = missingPackages();
  if (missing.length === 0) return 0;
  const install = ['apt-get', 'install', '-y', '--no-install-recommends', ...missing];
  if (!canInstall()) {
    process.stderr.write(
      `npm test needs ${missing.join(', ')}: run \`sudo apt-get update && sudo ${install.join(' ')}\`, then npm test again\n`,
    );
    return 1;
  }
  process.stderr.write(`npm test: installing ${missing.join(', ')} (${install.join(' ')})\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync(install[0], [...install.slice(1), '-qq'], { stdio: 'inherit', env });
  } catch {
    process.stderr.write(`npm test: \`${install.join(' ')}\` failed; install them and retry\n`);
    return 1;
  }
  const still = missingPackages();
  if (still.length > 0) {
    process.stderr.write(`npm test: still missing after apt-get: ${still.join(', ')}\n`);
    return 1;
  }
  return 0;
}

process.exitCode = main();
