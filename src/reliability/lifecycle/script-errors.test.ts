/**
 * Malformed store scripts through `multistore run`, end to end: the error
 * names the file and the line, the run fails (exit 1, `0 passed, 1 failed`),
 * and nothing passes.
 *
 * The parser's own tests (src/script/parser.test.ts) pin each malformation on
 * a string, run.test.ts pins a malformed file through `runScripts` with the
 * tier runner, and runner.test.ts pins unknown commands and arguments with a
 * fake runner. What they leave out, and this file covers: the real CLI on
 * scripts of the store runner (a folder named `store`), for every kind of
 * malformation, and a block whose expected output is the very error text.
 */

import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../test-support/store-setups.js';

/** The repository root (this file runs from dist/reliability/lifecycle/). */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = join(REPO, 'dist', 'cli', 'main.js');

let scratch: ReturnType<typeof tempDir>;
let storeDir: string;

before(() => {
  scratch = tempDir('multistore-script-errors-');
  storeDir = join(scratch.path, 'store');
  mkdirSync(storeDir);
});

after(() => scratch.cleanup());

function script(name: string, text: string): string {
  const file = join(storeDir, name);
  writeFileSync(file, text);
  return file;
}

function run(file: string): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [MAIN, 'run', '--tier', 'memory', file], {
    cwd: REPO,
    encoding: 'utf8',
  });
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line !== '');
}

/** The run failed the one file, naming `file:line`, and passed nothing. */
function assertFailsAt(result: SpawnSyncReturns<string>, file: string, line: number): string[] {
  const out = lines(result.stdout);
  assert.equal(result.status, 1, result.stdout + result.stderr);
  assert.equal(out[0], `FAIL [memory] ${file}`);
  assert.ok(
    out.some((text) => text.includes(`${file}:${line}`)),
    `names ${file}:${line}:\n${result.stdout}`,
  );
  assert.ok(!out.some((text) => text.startsWith('PASS')), 'nothing passes');
  assert.deepEqual(out.slice(-2), [
    'memory: 0 passed, 1 failed, 0 excluded',
    '0 passed, 1 failed, 0 excluded',
  ]);
  return out;
}

const GOOD_BLOCK = 'set a=1\n---\nok\n\n';

describe('multistore run on malformed store scripts', () => {
  it('fails an unterminated quote at its line', () => {
    const file = script('quote', `${GOOD_BLOCK}get "a\n---\n"a" => "1"\n`);
    const out = assertFailsAt(run(file), file, 5);
    assert.ok(out.some((text) => /error: .*:5: column 5: unterminated quote/.test(text)));
  });

  it("fails commands without a '---' line at the block's first line", () => {
    const file = script('separator', `${GOOD_BLOCK}# no separator\nget a\nget b\n`);
    const out = assertFailsAt(run(file), file, 6);
    assert.ok(out.some((text) => /error: .*:6: block has no '---' line/.test(text)));
  });

  it('fails a --- with no expected output at its line', () => {
    const file = script('no-output', `${GOOD_BLOCK}get a\n---\n`);
    assertFailsAt(run(file), file, 6);
  });

  it('fails an unknown command at its line', () => {
    const file = script('command', `${GOOD_BLOCK}frob a\n---\nok\n`);
    const out = assertFailsAt(run(file), file, 5);
    assert.ok(out.some((text) => /error: .*:5: unknown command 'frob'/.test(text)));
  });

  it('fails an unknown argument at its line, even when the rest of the block is right', () => {
    const file = script('argument', `${GOOD_BLOCK}get a frob=1\n---\n"a" => "1"\n`);
    const out = assertFailsAt(run(file), file, 5);
    assert.ok(out.some((text) => /error: .*:5: get: unknown argument frob=1/.test(text)));
  });

  it('fails a script that ends inside an open batch, at the line of the batch', () => {
    const file = script('open-batch', `${GOOD_BLOCK}batch version=7\nset b=2\n---\nok\n`);
    const out = assertFailsAt(run(file), file, 5);
    assert.ok(
      out.some((text) => /error: .*:5: .*batch.*never committed/.test(text)),
      out.join('\n'),
    );
  });

  it('never passes a block whose expected output is its own error text', () => {
    const probe = script('echoed', 'frob a\n---\nok\n');
    const error = lines(run(probe).stdout).find((text) => text.includes('error: '));
    assert.ok(error !== undefined);
    const expected = error.replace(/^\s*\+\s*/, '');
    assert.match(expected, /^error: .*:1: unknown command 'frob'/);
    script('echoed', `frob a\n---\n${expected}\n`);
    assertFailsAt(run(probe), probe, 1);
  });

  it('fails the malformed file and still passes a good one beside it', () => {
    const good = script('good', `${GOOD_BLOCK}get a\n---\n"a" => "1"\n`);
    const bad = script('bad', `${GOOD_BLOCK}get 'a\n---\nok\n`);
    const result = spawnSync(process.execPath, [MAIN, 'run', '--tier', 'memory', good, bad], {
      cwd: REPO,
      encoding: 'utf8',
    });
    assert.equal(result.status, 1);
    const out = lines(result.stdout);
    assert.ok(out.includes(`FAIL [memory] ${bad}`));
    assert.ok(out.some((text) => text.includes(`${bad}:5`)));
    assert.ok(!out.some((text) => text.includes(`FAIL [memory] ${good}`)));
    assert.deepEqual(out.slice(-2), [
      'memory: 1 passed, 1 failed, 0 excluded',
      '1 passed, 1 failed, 0 excluded',
    ]);
  });
});
