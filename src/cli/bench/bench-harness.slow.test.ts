/**
 * The benchmark harness end to end with a tiny N: every workload, every
 * implementation, both tiers, one round, real child processes (about 45 of
 * them, 20-35 s). A slow test (`npm run test:slow`): it prints a line on
 * stderr as each child starts. No timing is asserted: only the shape of what
 * is reported. The harness's quick parts are tested in bench.test.ts.
 */

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type BenchOutput, benchCommand } from './command.js';
import type { BenchReport } from './harness.js';
import { TIERS, WORKLOADS } from './plan.js';

function captured(): BenchOutput & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    progress: false,
    progressLine: (line) => process.stderr.write(`${line}\n`),
  };
}

describe('bench harness (N = 200, one round, child processes)', () => {
  it('reports every workload on both tiers, with ratios, and writes the JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-test-'));
    try {
      const jsonFile = join(dir, 'figures.json');
      const output = captured();
      const status = await benchCommand(
        { tier: 'all', ops: 200, rounds: 1, scanKeys: 100, json: jsonFile },
        output,
      );
      assert.equal(status, 0, output.errors.join('\n'));

      const report = JSON.parse(await readFile(jsonFile, 'utf8')) as BenchReport;
      assert.equal(report.n, 200);
      assert.equal(report.rounds, 1);
      assert.match(report.node, /^v\d+/);
      for (const tier of TIERS) {
        for (const workload of WORKLOADS) {
          const group = report.groups.find((g) => g.tier === tier && g.workload === workload);
          assert.ok(group, `${workload} on ${tier} is missing`);
          assert.ok(
            Number.isFinite(group.ratio) && group.ratio > 0,
            `${workload} ${tier} ratio ${group.ratio}`,
          );
          assert.equal(typeof group.met, 'boolean');
          for (const run of group.runs) {
            assert.equal(run.rounds.length, 1);
            assert.ok(run.medianOpsPerSec > 0);
          }
        }
      }
      const w7 = report.groups.filter((g) => g.workload === 'W7');
      for (const group of w7)
        assert.deepEqual(group.runs.find((run) => run.retention)?.versionsPerKey, {
          min: 1,
          max: 1,
        });
      const sqliteLabels = report.groups
        .find((g) => g.tier === 'sqlite' && g.workload === 'W1')
        ?.runs.map((r) => r.label);
      assert.deepEqual(sqliteLabels, [
        'multistore-sqlite',
        'better-sqlite3',
        'lmdb',
        'lmdb-nosync',
      ]);

      const table = output.lines.join('\n');
      for (const workload of WORKLOADS) assert.match(table, new RegExp(`^${workload} `, 'm'));
      assert.match(table, /^memory tier: .*N = 200$/m);
      assert.match(table, /^sqlite tier: .*N = 200$/m);
      assert.match(table, /figures written to /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
