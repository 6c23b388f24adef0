import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { postgresAvailable } from '../postgres/cluster.js';
import { EXIT_USAGE, type Output, runCommand } from './run-command.js';

/** The repository root (this file runs from dist/cli/). */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const MAIN = join(REPO, 'dist', 'cli', 'main.js');
/** This repository's own tier scripts (the shared suite is not always beside a clone). */
const TIER_SCRIPTS = join('conformance', 'tier');

function multistore(...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, ...args], { cwd: REPO, encoding: 'utf8' });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

function assertOneLineError(result: SpawnSyncReturns<string>, pattern: RegExp): void {
  assert.notEqual(result.status, 0);
  const errors = lines(result.stderr);
  assert.equal(errors.length, 1, result.stderr);
  assert.match(errors[0] ?? '', pattern);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
}

let scratch: string;

/** Without `--tier`, every tier that can run here: PostgreSQL too when a server can be started (always in CI). */
const ALL_TIERS = postgresAvailable() ? ['memory', 'sqlite', 'postgres'] : ['memory', 'sqlite'];

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'multistore-cli-test-'));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe('multistore run', () => {
  it("passes the repository's tier scripts on every tier", () => {
    const result = multistore('run', TIER_SCRIPTS);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.deepEqual(lines(result.stdout).slice(-1 - ALL_TIERS.length), [
      ...ALL_TIERS.map((tier) => `${tier}: 1 passed, 0 failed, 0 excluded`),
      `${ALL_TIERS.length} passed, 0 failed, 0 excluded`,
    ]);
  });

  it('runs one tier when asked, and lists passing files with --verbose', () => {
    const result = multistore('run', '--tier', 'sqlite', '--verbose', TIER_SCRIPTS);
    assert.equal(result.status, 0);
    const out = lines(result.stdout);
    assert.equal(out.filter((line) => line.startsWith('PASS [sqlite] ')).length, 1);
    assert.deepEqual(out.slice(-2), [
      'sqlite: 1 passed, 0 failed, 0 excluded',
      '1 passed, 0 failed, 0 excluded',
    ]);
  });

  it('prints a failing file with its diff and exits 1', () => {
    const file = join(scratch, 'tier', 'wrong');
    mkdirSync(join(scratch, 'tier'), { recursive: true });
    writeFileSync(file, 'set a=1\n---\nok\n\nget a\n---\n"a" => "2"\n');
    const result = multistore('run', '--tier', 'memory', file);
    assert.equal(result.status, 1);
    assert.deepEqual(lines(result.stdout), [
      `FAIL [memory] ${file}`,
      `  at ${file}:5`,
      '    > get a',
      '  --- expected',
      '  +++ actual',
      '  -  "a" => "2"',
      '  +  "a" => "1"',
      'memory: 0 passed, 1 failed, 0 excluded',
      '0 passed, 1 failed, 0 excluded',
    ]);
  });

  it('runs store scripts through the store runner and reports a mismatch', () => {
    mkdirSync(join(scratch, 'store'), { recursive: true });
    const good = join(scratch, 'store', 'good');
    writeFileSync(good, 'set a=1\n---\nok\n\nget a\n---\n"a" => "1"\n');
    assert.equal(
      lines(multistore('run', good).stdout).at(-1),
      `${ALL_TIERS.length} passed, 0 failed, 0 excluded`,
    );
    const bad = join(scratch, 'store', 'bad');
    writeFileSync(bad, 'get a\n---\n"a" => "1"\n');
    const result = multistore('run', '--tier', 'memory', bad);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /FAIL \[memory\] /);
    assert.match(result.stdout, /"a" => None/);
    assert.equal(lines(result.stdout).at(-1), '0 passed, 1 failed, 0 excluded');
  });

  it('runs in a store script whatever the shell runs, named transactions included, with the same output', () => {
    const session = [
      'set a=1',
      'set a=2 version=5',
      'remove a',
      'get a',
      'get a version=1',
      'get never',
      'versions a',
      'versions never',
      'count_versions a',
      'drop a up_to_version=5',
      'flush',
      'versions a',
      't1: begin',
      't2: begin readonly',
      't1: set b=1 c=2',
      't1: get b',
      'get b',
      't1: scan',
      't1: commit',
      't2: contains b',
      't2: version',
      't2: rollback',
      'versions b',
      'stats',
      'stats_totals',
    ];
    const shell = spawnSync(process.execPath, [MAIN, 'shell'], {
      cwd: REPO,
      encoding: 'utf8',
      input: `${session.join('\n')}\n`,
    });
    assert.equal(shell.status, 0, shell.stderr);
    assert.match(shell.stdout, /^"a"@6 => None$/m, 'the shell printed what it should');
    assert.match(shell.stdout, /^t1: "b" => "1"$/m, 'and ran the transactions');
    assert.match(shell.stdout, /^"b"@8 => "1"$/m, 'whose commit took the next version');
    mkdirSync(join(scratch, 'store'), { recursive: true });
    const script = join(scratch, 'store', 'pasted-session');
    writeFileSync(script, `${session.join('\n')}\n---\n${shell.stdout}`);
    const result = multistore('run', script);
    assert.equal(result.status, 0, result.stdout);
    assert.equal(lines(result.stdout).at(-1), `${ALL_TIERS.length} passed, 0 failed, 0 excluded`);
  });

  it('prints the package version with --version', () => {
    const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const result = multistore(flag);
      assert.equal(result.status, 0);
      assert.equal(result.stdout, `${manifest.version}\n`);
    }
  });

  it('exits non-zero with one line for a missing path or a folder without scripts', () => {
    assertOneLineError(
      multistore('run', join(scratch, 'nope')),
      /^multistore run: no such file or directory: /,
    );
    mkdirSync(join(scratch, 'empty'));
    assertOneLineError(
      multistore('run', join(scratch, 'empty')),
      /^multistore run: no script files under /,
    );
  });

  it('rejects bad arguments with one line and no stack trace', () => {
    assertOneLineError(multistore('run', '--tier', 'disk', TIER_SCRIPTS), /--tier.*disk/);
    assertOneLineError(multistore('run'), /missing required argument 'paths'/);
    assertOneLineError(
      multistore('run', '--frobnicate', TIER_SCRIPTS),
      /unknown option '--frobnicate'/,
    );
  });

  it('shows help', () => {
    const result = multistore('run', '--help');
    assert.equal(result.status, 0);
    assert.match(result.stdout, /Usage: multistore run \[options\] <paths\.\.\.>/);
    assert.match(result.stdout, /--tier <tier>/);
    assert.match(result.stdout, /'!command' must fail/);
  });
});

/** Run `work` with `CI` set to `value` (unset for `undefined`), then restore it. */
async function withCi<T>(value: string | undefined, work: () => Promise<T>): Promise<T> {
  const before = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.CI;
    else process.env.CI = before;
  }
}

describe('multistore run without the SQLite driver (a memory-only install)', () => {
  const NOT_INSTALLED = 'the SQLite driver is not installed: install better-sqlite3';
  const NO_SERVER = 'PostgreSQL is not installed';
  /** No SQLite driver; PostgreSQL as `postgres` says (missing by default, to keep these runs embedded). */
  const noDriver = { sqlite: () => NOT_INSTALLED, postgres: async () => NO_SERVER };
  const STORE_SCRIPTS = join(REPO, 'conformance', 'store', 'language');

  function collect(): { out: string[]; err: string[]; output: Output } {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, output: { out: (line) => out.push(line), err: (line) => err.push(line) } };
  }

  it('runs the memory tier by default and says in one line per tier why not SQLite, nor PostgreSQL', async () => {
    const { out, err, output } = collect();
    const status = await withCi(undefined, () => runCommand([STORE_SCRIPTS], {}, output, noDriver));
    assert.equal(status, 0, out.join('\n'));
    assert.deepEqual(err, [
      `multistore run: the sqlite tier is not run: ${NOT_INSTALLED}`,
      `multistore run: the postgres tier is not run: ${NO_SERVER}`,
    ]);
    assert.equal(out.filter((line) => line.includes('sqlite')).length, 0, out.join('\n'));
    assert.match(out.at(-2) ?? '', /^memory: \d+ passed, 0 failed, 0 excluded$/);
  });

  it('refuses an explicit SQLite tier with one line, running nothing', async () => {
    for (const tier of ['sqlite', 'all'] as const) {
      const { out, err, output } = collect();
      const status = await runCommand([STORE_SCRIPTS], { tier }, output, noDriver);
      assert.equal(status, EXIT_USAGE);
      assert.deepEqual(err, [`multistore run: ${NOT_INSTALLED}`]);
      assert.deepEqual(out, []);
    }
  });

  it('runs both embedded tiers by default when the driver is installed, saying why not PostgreSQL', async () => {
    const { out, err, output } = collect();
    const drivers = { sqlite: () => undefined, postgres: async () => NO_SERVER };
    const status = await withCi(undefined, () => runCommand([STORE_SCRIPTS], {}, output, drivers));
    assert.equal(status, 0, out.join('\n'));
    assert.deepEqual(err, [`multistore run: the postgres tier is not run: ${NO_SERVER}`]);
    assert.match(out.at(-3) ?? '', /^memory: \d+ passed/);
    assert.match(out.at(-2) ?? '', /^sqlite: \d+ passed/);
  });
});

describe('multistore run without PostgreSQL', () => {
  const NO_SERVER = 'PostgreSQL is not installed (no initdb found)';
  const noServer = { sqlite: () => undefined, postgres: async () => NO_SERVER };
  const SCRIPTS = join(REPO, 'conformance', 'tier');
  const quiet = (): { out: string[]; err: string[]; output: Output } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, output: { out: (line) => out.push(line), err: (line) => err.push(line) } };
  };

  it('refuses --tier postgres and --tier all in one line, running nothing', async () => {
    for (const tier of ['postgres', 'all'] as const) {
      const { out, err, output } = quiet();
      const status = await runCommand([SCRIPTS], { tier }, output, noServer);
      assert.equal(status, EXIT_USAGE);
      assert.deepEqual(err, [`multistore run: ${NO_SERVER}`]);
      assert.deepEqual(out, []);
    }
  });

  it('refuses the default run under CI=true instead of skipping the tier', async () => {
    const { out, err, output } = quiet();
    const status = await withCi('true', () => runCommand([SCRIPTS], {}, output, noServer));
    assert.equal(status, EXIT_USAGE);
    assert.deepEqual(err, [`multistore run: ${NO_SERVER}`]);
    assert.deepEqual(out, []);
  });
});
