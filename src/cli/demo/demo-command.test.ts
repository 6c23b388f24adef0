import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  assertOneLineError,
  nonEmptyLines,
  runMultistore,
} from '../../test-support/cli-process.js';

let scratch: string;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'multistore-demo-test-'));
});

after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** The cells of the report row starting with `label` (figures without their commas). */
function row(output: string, label: string): string[] {
  const line = nonEmptyLines(output).find((text) => text.startsWith(`${label}  `));
  assert.ok(line !== undefined, `no row '${label}' in:\n${output}`);
  return line
    .slice(label.length)
    .trim()
    .split(/\s{2,}/)
    .map((cell) => cell.replaceAll(',', ''));
}

function figure(output: string, label: string, column = 0): number {
  const value = Number(row(output, label)[column]);
  assert.ok(Number.isSafeInteger(value), `row '${label}' column ${column} is not a count`);
  return value;
}

function demo(args: string[], cwd = scratch) {
  const result = runMultistore(['demo', ...args], { cwd });
  assert.equal(result.status, 0, result.stderr);
  assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
  return result;
}

describe('multistore demo', () => {
  const file = () => join(scratch, 'demo.db');

  it('runs on a new file and prints every row of the report', () => {
    const { stdout, stderr } = demo(['--db', file(), '--commits', '200', '--seconds', '5']);
    assert.match(stdout, /SQLite file .*demo\.db: new store, starting at version 1/);
    for (const label of [
      'commits',
      'versions written',
      'versions stored',
      'drops applied (versions erased)',
      'drop-worker batches',
      'drop-worker backpressure',
      'conflicts retried',
      'commits/s',
    ]) {
      row(stdout, label);
    }
    for (const table of ['multi', 'history', 'sessions', 'demo', 'total']) row(stdout, table);
    assert.match(stdout, /time travel on "history:user:00007"/);
    const reads = nonEmptyLines(stdout).filter((line) => line.startsWith('  read at v'));
    assert.equal(reads.length, 3, stdout);
    for (const read of reads)
      assert.match(read, /read at v[\d,]+ -> written at v[\d,]+: \{"user":7/);
    assert.match(stderr, /^demo: 100% \(/m, 'plain progress lines when stderr is not a TTY');
  });

  it('stores exactly what it wrote minus what the drop worker erased', () => {
    const { stdout } = demo(['--db', join(scratch, 'exact.db'), '--commits', '150']);
    const written = figure(stdout, 'versions written');
    const erased = figure(stdout, 'drops applied (versions erased)');
    assert.ok(erased > 0, 'the sessions retention and demo:totals make the worker drop');
    assert.equal(figure(stdout, 'versions stored'), written - erased);
    assert.equal(figure(stdout, 'total'), written - erased);
  });

  it('commits through concurrent transactions and retries their conflicts', () => {
    const { stdout } = demo(['--memory', '--commits', '300', '--seconds', '10']);
    const retried = figure(stdout, 'conflicts retried');
    assert.ok(retried > 0, `two workers over a shared featured user must conflict:\n${stdout}`);
    assert.match(stdout, new RegExp(`conflicts: ${retried} transactions? ran again`));
    assert.match(
      stdout,
      /e\.g\. worker [01] lost "[^"]+" to the commit at v[\d,]+, then committed at v[\d,]+/,
    );
    assert.equal(figure(stdout, 'commits'), 300, 'every commit counted once, retries not');
  });

  it('continues from the stored version on a second run', () => {
    const path = join(scratch, 'continue.db');
    const first = demo(['--db', path, '--commits', '120']).stdout;
    assert.match(first, /new store, starting at version 1/);
    const firstRun = figure(first, 'commits');
    const storedBefore = figure(first, 'versions stored');
    const second = demo(['--db', path, '--commits', '120', '--seconds', '5']).stdout;
    assert.match(second, new RegExp(`continuing from version ${firstRun}\\b`));
    const secondRun = figure(second, 'commits', 0);
    assert.ok(firstRun > 0 && secondRun > 0);
    assert.equal(figure(second, 'commits', 1), firstRun + secondRun);
    assert.equal(
      figure(second, 'versions written', 1),
      figure(first, 'versions written') + figure(second, 'versions written', 0),
    );
    const written = figure(second, 'versions written', 0);
    const erased = figure(second, 'drops applied (versions erased)');
    assert.equal(figure(second, 'versions stored'), storedBefore + written - erased);
  });

  it('uses ./multistore-demo.db by default and nothing on disk with --memory', () => {
    const memoryDir = mkdtempSync(join(scratch, 'memory-'));
    const memory = demo(['--memory', '--commits', '100', '--seconds', '5'], memoryDir).stdout;
    assert.match(memory, /on the memory tier: new store/);
    row(memory, 'versions stored');
    assert.equal(existsSync(join(memoryDir, 'multistore-demo.db')), false);

    const defaultDir = mkdtempSync(join(scratch, 'default-'));
    const onFile = demo(['--commits', '50'], defaultDir).stdout;
    assert.match(onFile, /SQLite file \.\/multistore-demo\.db/);
    assert.equal(existsSync(join(defaultDir, 'multistore-demo.db')), true);
  });

  it('documents its options in --help', () => {
    const result = runMultistore(['demo', '--help']);
    assert.equal(result.status, 0);
    for (const option of ['--db <file>', '--memory', '--commits <n>', '--seconds <s>']) {
      assert.ok(result.stdout.includes(option), option);
    }
  });
});

describe('multistore demo: bad arguments', () => {
  const cases: [string[], RegExp][] = [
    [['demo', '--commits', '-3'], /--commits.*'-3' is invalid/],
    [['demo', '--commits', 'abc'], /--commits.*'abc' is invalid/],
    [['demo', '--commits', '0'], /--commits.*'0' is invalid/],
    [['demo', '--seconds', 'soon'], /--seconds.*'soon' is invalid/],
    [['demo', '--db', 'x.db', '--memory'], /cannot be used with option '--memory'/],
    [['demo', '--fast'], /unknown option '--fast'/],
    [['demo', '--db', join('no-such-dir', 'deeper', 'x.db')], /^multistore: .*no-such-dir/],
    [['xyzzy'], /unknown command 'xyzzy'/],
  ];
  for (const [args, pattern] of cases) {
    it(`rejects ${args.join(' ')} with one line`, () => {
      assertOneLineError(runMultistore(args, { cwd: scratch }), pattern);
    });
  }
});
