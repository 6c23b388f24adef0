/**
 * Readers in other processes beside one writer: two child processes open the
 * file read-only while a third commits to it, and read ranges (each spanning
 * many page reads), single keys and statistics as fast as they can. A reader
 * must never see a partial commit: every range shows one commit, the
 * statistics always describe whole commits, the latest version never goes
 * backwards (workload.ts). Afterwards the file verifies clean.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MultiStore } from '../../store/multistore.js';
import { tempDir } from '../../test-support/store-setups.js';

const WRITER = fileURLToPath(new URL('./writer-child.js', import.meta.url));
const READER = fileURLToPath(new URL('./reader-child.js', import.meta.url));
const READ_MS = 1500;

interface ReaderReport {
  readonly ranges: number;
  readonly gets: number;
  readonly stats: number;
  readonly versionsSeen: number;
  readonly violations: readonly string[];
}

/** Spawn a child; resolve with its whole stdout once it exits 0 (reject otherwise). */
function finished(child: ChildProcess, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${what} exited ${code}: ${err}`)),
    );
  });
}

it('two reader processes beside a writing process never see a partial commit', async () => {
  const dir = tempDir('multistore-processes-');
  try {
    const path = join(dir.path, 'shared.db');
    const writer = spawn(process.execPath, [WRITER, path], { stdio: ['pipe', 'pipe', 'pipe'] });
    const writerDone = finished(writer, 'writer');
    await new Promise<void>((resolve) => writer.stdout?.once('data', () => resolve()));
    const readers = [1, 2].map((n) =>
      finished(spawn(process.execPath, [READER, path, String(READ_MS)]), `reader ${n}`),
    );
    const reports = (await Promise.all(readers)).map((out) => JSON.parse(out) as ReaderReport);
    writer.stdin?.end('stop\n');
    const done = /done (\d+)/.exec(await writerDone);
    const latest = Number(done?.[1]);
    for (const [index, report] of reports.entries()) {
      assert.deepEqual(report.violations, [], `reader ${index + 1}`);
      assert.ok(report.ranges > 10, `reader ${index + 1} read ${report.ranges} ranges`);
      assert.ok(
        report.versionsSeen > 1,
        `reader ${index + 1} saw the writer move on (${report.versionsSeen} versions)`,
      );
    }
    const store = MultiStore.open({ path, readOnly: true });
    try {
      assert.equal(store.latestVersion, latest);
      assert.deepEqual(store.verify(), []);
    } finally {
      await store.close();
    }
  } finally {
    dir.cleanup();
  }
});
