/**
 * `multistore changes --follow` as a child process, following a file that a
 * writer of this process keeps open and commits to: the child reads the
 * file read-only beside it, prints each commit as it reaches the file, and
 * stops by itself once it printed `--to`.
 *
 * The test commits the next version only once the child printed the
 * previous one, so what it prints is decided, not timed; the guard timeout
 * only turns a hung child into a failure.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { it } from 'node:test';
import { MultiStore } from '../store/multistore.js';
import { MULTISTORE_MAIN } from '../test-support/cli-process.js';
import { tempDir } from '../test-support/store-setups.js';

/** A hung child fails the test after this long (it never decides a pass). */
const GUARD_MS = 60_000;

it('follows a file another process writes, without that writer ever closing it', async () => {
  const dir = tempDir();
  const db = join(dir.path, 'followed.db');
  const writer = MultiStore.open({ path: db });
  try {
    writer.commit([{ type: 'set', key: 'k', value: 'v1' }]);
    const child = spawn(
      process.execPath,
      [MULTISTORE_MAIN, 'changes', '--db', db, '--follow', '--interval', '5', '--to', '3'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr += text;
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => resolve(code));
    });
    const guard = setTimeout(() => child.kill(), GUARD_MS);
    const lines: string[] = [];
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        lines.push(line);
        // Each commit only after the child printed the one before it.
        if (line === '"k"@1 => "v1"') writer.commit([{ type: 'set', key: 'k', value: 'v2' }]);
        if (line === '"k"@2 => "v2"') {
          writer.commit([
            { type: 'set', key: 'k', value: 'v3' },
            { type: 'remove', key: 'gone' },
          ]);
          // Above --to: never printed.
          writer.commit([{ type: 'set', key: 'k', value: 'v4' }]);
        }
      }
      assert.equal(await exited, 0, `the child stops by itself at --to\n${stderr}`);
    } finally {
      clearTimeout(guard);
      child.kill();
    }
    assert.deepEqual(lines, [
      '"k"@1 => "v1"',
      '"k"@2 => "v2"',
      '"gone"@3 => None',
      '"k"@3 => "v3"',
    ]);
    assert.equal(stderr, '');
    assert.equal(writer.latestVersion, 4, 'the writer kept the file open throughout');
  } finally {
    await writer.close();
    dir.cleanup();
  }
});
