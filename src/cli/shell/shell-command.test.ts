import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utf8 } from '../../common/bytes.js';
import { MultiStore } from '../../store/multistore.js';
import {
  assertOneLineError,
  MULTISTORE_MAIN,
  nonEmptyLines,
  runMultistore,
} from '../../test-support/cli-process.js';
import { SqliteTier } from '../../tier/sqlite/sqlite-tier.js';
import { DEMO_TABLES } from '../demo/workload.js';

let scratch: string;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'multistore-shell-test-'));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function shell(input: string[], ...args: string[]) {
  return runMultistore(['shell', ...args], { input: `${input.join('\n')}\n`, cwd: scratch });
}

describe('multistore shell, fed through a pipe', () => {
  it('runs set/get/versions/drop/stats and prints only their output', () => {
    const result = shell([
      'set a=1',
      'set a=2',
      'set b=x',
      'get a',
      'get a version=1',
      'versions a',
      'drop a keep_last_versions=1',
      'count_versions a',
      'scan',
      'stats_totals',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.deepEqual(nonEmptyLines(result.stdout), [
      '"a" => "2"',
      '"a" => "1"',
      '"a"@2 => "2"',
      '"a"@1 => "1"',
      '"a" => 1 versions',
      '"a" => "2"',
      '"b" => "x"',
      'total_count: 2',
      'current_bytes: 24',
      'historical_bytes: 0',
      'total_bytes: 24',
    ]);
  });

  it('commits a batch as one version', () => {
    const result = shell([
      'set a=0',
      'batch',
      'set a=1',
      'set b=1',
      'remove c',
      'commit',
      'versions a',
      'versions b',
      'versions c',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(nonEmptyLines(result.stdout), [
      '"a"@2 => "1"',
      '"a"@1 => "0"',
      '"b"@2 => "1"',
      '"c"@2 => None',
    ]);
  });

  it('prints help, overall and per command', () => {
    const result = shell(['help', 'help drop']);
    assert.equal(result.status, 0, result.stderr);
    const out = nonEmptyLines(result.stdout);
    for (const command of ['set', 'get', 'drop', 'scan', 'range', 'versions', 'stats', 'quit']) {
      assert.ok(
        out.some((line) => line.trimStart().startsWith(`${command} `)),
        `help lists ${command}`,
      );
    }
    assert.ok(out.includes('drop KEY [up_to_version=V] [keep_last_versions=K] [version=N]'));
  });

  it('reports a bad command on stderr, goes on, and exits non-zero', () => {
    const result = shell(['set a=1', 'frobnicate a', 'get', 'get a', 'set "open=1']);
    assert.equal(result.status, 1);
    assert.deepEqual(nonEmptyLines(result.stdout), ['"a" => "1"']);
    assert.deepEqual(nonEmptyLines(result.stderr), [
      "error: line 2: unknown command 'frobnicate' (type help for the list)",
      'error: line 3: get: missing argument KEY',
      'error: line 5: column 5: unterminated quote "',
    ]);
  });

  it('stops at quit, and counts a batch left open as a failure', () => {
    const quit = shell(['set a=1', 'quit', 'frobnicate']);
    assert.equal(quit.status, 0, quit.stderr);
    const open = shell(['batch', 'set a=1']);
    assert.equal(open.status, 1);
    assert.match(open.stderr, /^error: the open batch was never committed/m);
  });

  it('keeps its writes in a --db file, with the tables stored in it, and applies pending drops on exit', async () => {
    const file = join(scratch, 'shell.db');
    // The file remembers its table declarations: the shell opens it without any.
    await MultiStore.open({ path: file, tables: DEMO_TABLES }).close();
    const first = shell(['set session:7=a', 'set session:7=b', 'set k=1'], '--db', file);
    assert.equal(first.status, 0, first.stderr);
    // Read the raw tier (no store, so no recovery at open): only close() can have dropped "a".
    const tier = SqliteTier.open(file);
    try {
      assert.deepEqual(
        tier.getAllVersions('sessions', utf8('session:7')).map((stored) => stored.version),
        [2],
      );
      assert.equal(tier.latestVersion(), 3);
    } finally {
      tier.close();
    }
    const again = shell(['get k', 'get session:7'], '--db', file);
    assert.deepEqual(nonEmptyLines(again.stdout), ['"k" => "1"', '"session:7" => "b"']);
  });
});

describe('multistore shell: output closed early', () => {
  it('finishes quietly when its stdout pipe closes (| head -1)', () => {
    const commands = join(scratch, 'many.txt');
    const lines = Array.from({ length: 5_000 }, (_, i) => `set k${i}=v\nget k${i}`);
    writeFileSync(commands, `${lines.join('\n')}\n`);
    const script = `"${process.execPath}" "${MULTISTORE_MAIN}" shell < "${commands}" | head -1; echo "status=\${PIPESTATUS[0]}" >&2`;
    const result = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(result.stdout, '"k0" => "v"\n');
    assert.equal(result.stderr, 'status=0\n');
  });
});

describe('multistore shell: bad arguments', () => {
  const cases: [string[], RegExp][] = [
    [['shell', '--db', 'x.db', '--memory'], /cannot be used with option '--memory'/],
    [['shell', '--verbose'], /unknown option '--verbose'/],
    [['shell', '--db', join('no-such-dir', 'x.db')], /^multistore: .*no-such-dir/],
  ];
  for (const [args, pattern] of cases) {
    it(`rejects ${args.join(' ')} with one line`, () => {
      assertOneLineError(runMultistore(args, { cwd: scratch }), pattern);
    });
  }
});
