/**
 * The benchmark harness end to end with a tiny N (every workload, every
 * implementation, one round, real child processes), plus its pure parts.
 * No timing is asserted anywhere: only the shape of what is reported.
 */

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { addBenchCommand, type BenchOutput, benchCommand } from './command.js';
import { historyData, insertData, updateData } from './data.js';
import { type BenchReport, median } from './harness.js';
import { planGroups, referencesInstalled, sizesFor, TIERS, WORKLOADS } from './plan.js';

function captured(): BenchOutput & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    progress: false,
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

  it('refuses a --json file in a folder that does not exist, before running anything', async () => {
    const output = captured();
    const status = await benchCommand(
      { tier: 'memory', json: '/nonexistent-folder/x.json' },
      output,
    );
    assert.equal(status, 1);
    assert.equal(output.errors.length, 1);
    assert.match(output.errors[0] ?? '', /does not exist/);
  });
});

describe('bench command line', () => {
  function parse(args: string[]): string {
    const program = new Command('multistore').exitOverride();
    let written = '';
    program.configureOutput({ writeErr: (text) => (written += text), writeOut: () => {} });
    addBenchCommand(program, captured());
    program.commands[0]?.exitOverride().configureOutput({ writeErr: (text) => (written += text) });
    assert.throws(() => program.parse(['node', 'multistore', 'bench', ...args]), CommanderError);
    return written;
  }

  it('rejects an unknown tier in one line', () => {
    const message = parse(['--tier', 'disk']);
    assert.equal(message.trim().split('\n').length, 1);
    assert.match(message, /Allowed choices are memory, sqlite, all/);
  });

  it('rejects a non-numeric N in one line', () => {
    const message = parse(['--ops', 'many']);
    assert.equal(message.trim().split('\n').length, 1);
    assert.match(message, /positive integer/);
  });
});

describe('bench data and plan', () => {
  it('derives the same bytes from the same seed, and different bytes from another', () => {
    const sizes = sizesFor(2000);
    assert.deepEqual(insertData(sizes, 7).batches[3], insertData(sizes, 7).batches[3]);
    assert.notDeepEqual(insertData(sizes, 7).keys[0], insertData(sizes, 8).keys[0]);
  });

  it('writes commits of distinct keys with 16-byte keys and 100-byte values', () => {
    const sizes = sizesFor(4000);
    const history = historyData(sizes, 1);
    assert.equal(insertData(sizes, 1).batches.length, 40);
    assert.equal(updateData(sizes, 1).batches.length, 40);
    assert.equal(history.keys.length, 1000, 'W5 needs 1,000 consecutive keys');
    assert.equal(history.batches.length, 20, '20 versions per key, in commits of 1,000');
    for (const data of [insertData(sizes, 1), updateData(sizes, 1), history]) {
      for (const batch of data.batches) {
        const distinct = new Set(batch.keys.map((key) => Buffer.from(key).toString('hex')));
        assert.equal(distinct.size, data === history ? 1000 : 100);
        assert.ok(batch.keys.every((key) => key.length === 16));
        assert.ok(batch.values.every((value) => value.length === 100));
      }
    }
  });

  it('plans ours first and the peer second in every group', () => {
    for (const group of planGroups(TIERS)) {
      assert.equal(group.runs[0]?.role, 'ours');
      assert.equal(group.runs[1]?.role, 'peer');
    }
  });

  it('plans the lmdb references only where lmdb is installed', () => {
    assert.equal(referencesInstalled(), true, 'lmdb is a development dependency here');
    const roles = (withReferences: boolean) =>
      planGroups(['sqlite'], withReferences).flatMap((g) => g.runs.map((run) => run.role));
    assert.ok(roles(true).includes('reference'));
    assert.ok(!roles(false).includes('reference'));
  });

  it('takes the median of odd and even counts', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
});
