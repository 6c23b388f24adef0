/**
 * Memory stays bounded under a tight synchronous loop of 1,000,000 commits to
 * a retention table (keepLastVersions 1, 1,000 keys round-robin, one set per
 * commit), event-loop mode, memory tier.
 *
 * The loop runs in a child process (memory-loop.ts) started with
 * `--expose-gc`, so that the heap is measured after a full collection and
 * nothing of the test runner is counted. The data itself is 1,000 keys x 1
 * version; the bound allowed for growth (64 MB) is generous on purpose: a
 * leak of even 64 bytes per commit would exceed it. The measured figures are
 * printed as diagnostics; time decides nothing.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { LoopReport } from './memory-loop.js';

const COMMITS = 1_000_000;
const KEYS = 1_000;
const WARM_UP = 10_000;
const MAILBOX_CAPACITY = 256;
const GROWTH_BOUND = 64 * 1024 * 1024;
const BUS_CAPACITY = 10_000;

const CHILD = fileURLToPath(new URL('./memory-loop.js', import.meta.url));

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

it(`memory stays bounded over ${COMMITS.toLocaleString('en')} synchronous commits to a keepLastVersions 1 table`, async (t) => {
  const child = spawnSync(process.execPath, ['--expose-gc', CHILD, String(COMMITS), String(KEYS)], {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024,
  });
  assert.equal(child.status, 0, child.stderr);
  const report = JSON.parse(child.stdout) as LoopReport;
  const heapGrowth = report.heapAfter - report.heapBefore;
  const bufferGrowth = report.buffersAfter - report.buffersBefore;
  t.diagnostic(
    `heap before ${mb(report.heapBefore)}, after ${mb(report.heapAfter)}, growth ${mb(heapGrowth)}`,
  );
  t.diagnostic(
    `array buffers before ${mb(report.buffersBefore)}, after ${mb(report.buffersAfter)}, growth ${mb(bufferGrowth)}`,
  );
  t.diagnostic(
    `loop ${(report.loopMs / 1000).toFixed(1)} s (${Math.round((COMMITS / report.loopMs) * 1000)} commits/s), final flush ${report.flushMs.toFixed(1)} ms`,
  );
  t.diagnostic(
    `drop worker: ${report.requests} requests, ${report.entriesDropped} versions dropped, backpressure ${report.backpressure}; events delivered ${report.eventsDelivered}, shed ${report.eventsShed}`,
  );

  assert.ok(heapGrowth + bufferGrowth < GROWTH_BOUND, `grew ${mb(heapGrowth + bufferGrowth)}`);
  // The mailbox bound held: once it was full, every further request was applied by its sender.
  assert.ok(
    report.backpressure >= COMMITS - MAILBOX_CAPACITY,
    `backpressure ${report.backpressure}`,
  );
  assert.equal(report.requests, WARM_UP + COMMITS, 'one retention drop request per commit');
  assert.equal(report.failures, 0);
  assert.equal(report.entriesDropped, WARM_UP + COMMITS - KEYS, 'every superseded version dropped');
  assert.equal(report.keysWithOneVersion, KEYS, 'every key holds exactly one version');
  // Each loop (warm-up, measured) ran in one turn: the bus held at most its
  // capacity of the loop's events, shed the rest, and delivered a few more
  // (drop flushes) after it.
  assert.ok(report.eventsDelivered + report.eventsShed >= WARM_UP + COMMITS, 'an event per commit');
  assert.ok(
    report.eventsDelivered <= 2 * BUS_CAPACITY + 100,
    `delivered ${report.eventsDelivered}, shed ${report.eventsShed}`,
  );
  assert.equal(report.currentCount, KEYS);
  assert.equal(report.historicalCount, 0);
});
