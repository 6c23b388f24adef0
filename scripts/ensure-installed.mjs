#!/usr/bin/env node
// Makes `npm start` and `npm test` work on a fresh clone: installs the
// dependencies (npm ci) when node_modules is missing or older than the lock
// file (or the SQLite driver was not built), then builds dist/ when it is
// missing or older than the sources.
// Uses only Node's standard library: it runs before anything is installed.
import { execSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const at = (...parts) => join(root, ...parts);
const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);

function newestIn(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function run(command) {
  console.error(`> ${command}`);
  execSync(command, { cwd: root, stdio: 'inherit' });
}

const installed = at('node_modules', '.package-lock.json');
const sqlite = at('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
if (!existsSync(sqlite) || mtime(installed) < mtime(at('package-lock.json'))) {
  run('npm ci');
}
// better-sqlite3 is optional for users of the package (npm skips it when its
// native build fails), but this repository's tests run the SQLite tier.
if (!existsSync(sqlite)) {
  console.error(
    'better-sqlite3 did not build (see the npm output above): the tests need it; ' +
      'install python3, make and a C++ compiler (what node-gyp needs), then run npm ci',
  );
  process.exit(1);
}

const built = at('dist', 'index.js');
const sourcesChanged = Math.max(newestIn(at('src')), mtime(at('tsconfig.json')));
if (process.argv.includes('--build') && mtime(built) < sourcesChanged) {
  run('npm run build');
}
