/**
 * W8 end to end with tiny files (N = 200: 2,000 and 20,000 versions), in
 * real child processes: both files built, each opened in fresh processes,
 * the get reading the version the build wrote, progress told for every
 * child. No timing is asserted.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { tempDir } from '../../test-support/store-setups.js';
import {
  formatOpenTime,
  type OpenTimeStep,
  openTimeChildren,
  openTimeSizes,
  readKeyVersion,
  runOpenTime,
} from './open-time.js';

it('W8 builds both files and opens each in fresh processes', async () => {
  const dir = tempDir('multistore-w8-');
  try {
    const steps: OpenTimeStep[] = [];
    const report = await runOpenTime({
      n: 200,
      rounds: 2,
      root: dir.path,
      onProgress: (step) => steps.push(step),
    });
    const done = steps.filter((step) => step.kind === 'done').map((step) => step.what);
    assert.deepEqual(done, [
      'W8 build 2,000 versions',
      'W8 open 2,000 versions round 1/2',
      'W8 open 2,000 versions round 2/2',
      'W8 build 20,000 versions',
      'W8 open 20,000 versions round 1/2',
      'W8 open 20,000 versions round 2/2',
    ]);
    assert.equal(done.length, openTimeChildren(200, 2), 'the progress plan counts every child');
    assert.equal(steps.length, 2 * done.length, 'each child told as it starts and as it ends');
    assert.deepEqual(openTimeSizes(200), [2000, 20_000]);
    assert.deepEqual(
      report.files.map((file) => [file.versions, file.rounds.length]),
      [
        [2000, 2],
        [20_000, 2],
      ],
    );
    for (const file of report.files) {
      assert.ok(file.medianMs > 0 && file.medianCpuMs > 0 && file.fileBytes > 0);
    }
    assert.equal(typeof report.met, 'boolean');
    const lines = formatOpenTime(report);
    assert.match(lines[0] ?? '', /^W8 open/);
    assert.equal(lines.length, 4);
  } finally {
    dir.cleanup();
  }
});

it('the version the get reads follows from the build: 20 versions a key, 50,000 writes a commit', () => {
  assert.equal(readKeyVersion(2000), 20);
  assert.equal(readKeyVersion(1_000_000), 20);
  assert.equal(readKeyVersion(10_000_000), 191);
});
