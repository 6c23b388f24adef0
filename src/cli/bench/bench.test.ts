/**
 * The quick parts of the benchmark: argument checks, data, plan, medians.
 * The harness end to end (every workload in child processes) is a slow test:
 * bench-harness.slow.test.ts. No timing is asserted anywhere.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { addBenchCommand, type BenchOutput, benchCommand } from './command.js';
import { historyData, insertData, updateData } from './data.js';
import { median } from './harness.js';
import { planGroups, referencesInstalled, sizesFor, TIERS } from './plan.js';

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

describe('bench harness', () => {
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
