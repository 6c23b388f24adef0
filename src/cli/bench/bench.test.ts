/**
 * The benchmark harness end to end with a tiny N (every workload, every
 * implementation, both shapes, one round, real child processes), plus its
 * pure parts: sizes, data, plan, targets and the report. No timing is
 * asserted anywhere: only the shape of what is reported.
 */

import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command, CommanderError } from 'commander';
import { addBenchCommand, type BenchOutput, benchCommand } from './command.js';
import { historyData, insertData, updateData } from './data.js';
import { type BenchReport, type GroupFigures, median, type RunFigures } from './figures.js';
import { parseWorkloads, planGroups, SHAPES, TIERS, WORKLOADS } from './plan.js';
import { formatReport } from './report.js';
import { sizesFor } from './sizes.js';
import { evaluateReferences, evaluateTargets } from './targets.js';

/** A report of the SQLite tier on the deep shape at N = 100, with the given figures. */
function sqliteDeepReport(
  figures: Pick<BenchReport, 'workloads' | 'missing' | 'groups' | 'footprints' | 'targets'> &
    Partial<Pick<BenchReport, 'references'>>,
): BenchReport {
  return {
    date: '',
    node: 'v20',
    platform: 'linux x64',
    cpus: { count: 2, model: '' },
    n: 100,
    rounds: 1,
    otherPeerRounds: 1,
    seed: 1,
    tiers: ['sqlite'],
    shapes: ['deep'],
    sizes: { deep: sizesFor(100, 'deep') },
    wallTimeMs: 1000,
    references: [],
    ...figures,
  };
}

function captured(): BenchOutput & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return {
    lines,
    errors,
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    terminal: false,
  };
}

const everything = {
  tiers: TIERS,
  shapes: SHAPES,
  workloads: WORKLOADS,
  rounds: 1,
  otherRounds: 1,
};

describe('bench harness (tiny N, one round, child processes)', () => {
  it('runs a selection in children: figures, target, footprints, JSON and one progress line per child', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-test-'));
    try {
      const jsonFile = join(dir, 'figures.json');
      const output = captured();
      const status = await benchCommand(
        {
          tier: 'memory',
          shape: 'shallow',
          workloads: ['W3'],
          ops: 200,
          rounds: 1,
          scanKeys: 100,
          json: jsonFile,
        },
        output,
      );
      assert.equal(status, 0, output.errors.join('\n'));
      const report = JSON.parse(await readFile(jsonFile, 'utf8')) as BenchReport;
      assert.deepEqual(
        report.groups.map((g) => [g.workload, g.tier, g.shape, g.runs.map((r) => r.status)]),
        [['W3', 'memory', 'shallow', ['measured', 'measured']]],
      );
      assert.deepEqual(
        report.targets.map((t) => [t.comparison, t.workload, t.shape]),
        [['memory / sorted-btree', 'W3', 'shallow']],
      );
      assert.deepEqual(
        report.footprints.map((f) => [f.impl, f.status]),
        [
          ['multistore-memory', 'measured'],
          ['sorted-btree', 'measured'],
        ],
      );
      const table = output.lines.join('\n');
      assert.match(table, /^W3 get latest +shallow +[\d,]+ +[\d,]+ +\d+\.\d\d$/m);
      assert.match(
        table,
        /^memory \/ sorted-btree +W3 get latest +>= 1\.0 +\d+\.\d\d (pass|miss)$/m,
      );
      assert.match(table, /^multistore-memory +heap +[\d,]+$/m);
      assert.deepEqual(
        output.errors.map((line) => line.replace(/: \d+\.\ds$/, ': <t>')),
        [
          'bench [1/4] W3 shallow memory multistore-memory round 1/1: <t>',
          'bench [2/4] W3 shallow memory sorted-btree round 1/1: <t>',
          'bench [3/4] footprint shallow multistore-memory: <t>',
          'bench [4/4] footprint shallow sorted-btree: <t>',
        ],
      );
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

  it('prints no progress with --quiet', async () => {
    const output = captured();
    const status = await benchCommand(
      {
        tier: 'memory',
        shape: 'deep',
        workloads: ['W3'],
        ops: 100,
        rounds: 1,
        scanKeys: 100,
        quiet: true,
      },
      output,
    );
    assert.equal(status, 0);
    assert.deepEqual(output.errors, []);
    assert.match(output.lines.join('\n'), /^W3 get latest +deep /m);
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
    assert.match(message, /Allowed choices are memory, sqlite, postgres, all/);
  });

  it('rejects an unknown shape and an unknown workload in one line', () => {
    assert.match(parse(['--shape', 'wide']), /Allowed choices are shallow, deep, all/);
    const message = parse(['--workloads', 'W1,W99']);
    assert.equal(message.trim().split('\n').length, 1);
    assert.match(message, /expected workloads among W1, W2/);
  });

  it('rejects a non-numeric N in one line', () => {
    const message = parse(['--ops', 'many']);
    assert.equal(message.trim().split('\n').length, 1);
    assert.match(message, /positive integer/);
  });

  it('reads a workload list in any case and order, or all', () => {
    assert.deepEqual(parseWorkloads('w3,W1'), ['W1', 'W3']);
    assert.deepEqual(parseWorkloads('all'), [...WORKLOADS]);
    assert.equal(parseWorkloads('W1,'), undefined);
  });
});

describe('bench sizes, data and plan', () => {
  it('gives both shapes about N versions: 5,000 x 20 and 1,000 x 100 at N = 100,000', () => {
    const shallow = sizesFor(100_000, 'shallow');
    const deep = sizesFor(100_000, 'deep');
    assert.deepEqual([shallow.keys, shallow.depth, shallow.historyVersions], [5000, 20, 100]);
    assert.deepEqual([deep.keys, deep.depth, deep.historyVersions], [1000, 100, 100]);
    assert.equal(deep.historyEntries, 100_000);
    assert.equal(deep.scanKeys, 1000);
  });

  it('keeps small runs small: the deep shape shrinks with N, its scans with its keys', () => {
    const quick = sizesFor(10_000, 'deep');
    assert.deepEqual([quick.keys, quick.historyEntries, quick.scanKeys], [100, 10_000, 100]);
    const tiny = sizesFor(200, 'deep');
    assert.deepEqual([tiny.keys, tiny.historyBatch, tiny.updateBatch], [2, 2, 2]);
    assert.equal(sizesFor(200, 'shallow').keys, 1000, 'the shallow shape keeps 1,000 keys to scan');
    assert.equal(sizesFor(150_000, 'deep').keys, 1000, 'whole commits of 1,000 keys');
  });

  it('derives the same bytes from the same seed, and different bytes from another', () => {
    const sizes = sizesFor(2000, 'shallow');
    assert.deepEqual(insertData(sizes, 7, 1).batches[3], insertData(sizes, 7, 1).batches[3]);
    assert.notDeepEqual(insertData(sizes, 7, 1).keys[0], insertData(sizes, 8, 1).keys[0]);
  });

  it('writes commits of distinct keys with 16-byte keys and 100-byte values', () => {
    for (const shape of SHAPES) {
      const sizes = sizesFor(20_000, shape);
      const history = historyData(sizes, 1);
      assert.equal(history.keys.length, sizes.keys);
      assert.equal(history.batches.length, sizes.historyVersions);
      const inserts = insertData(sizes, 1, sizes.historyVersions + 1);
      assert.equal(inserts.batches[0]?.version, sizes.historyVersions + 1);
      for (const data of [inserts, updateData(sizes, 1), history]) {
        for (const batch of data.batches) {
          const distinct = new Set(batch.keys.map((key) => Buffer.from(key).toString('hex')));
          assert.equal(distinct.size, batch.keys.length);
          assert.ok(batch.keys.every((key) => key.length === 16));
          assert.ok(batch.values.every((value) => value.length === 100));
        }
      }
      const perKey = new Map<string, number>();
      for (const batch of updateData(sizes, 1).batches) {
        for (const key of batch.keys) {
          const hex = Buffer.from(key).toString('hex');
          perKey.set(hex, (perKey.get(hex) ?? 0) + 1);
        }
      }
      assert.deepEqual(new Set(perKey.values()), new Set([20_000 / sizes.keys]));
    }
  });

  it('plans ours first and the main peer second, the other peers with their own rounds', () => {
    for (const group of planGroups({ ...everything, rounds: 5, otherRounds: 2 })) {
      assert.equal(group.runs[0]?.role, 'ours');
      assert.equal(group.runs[1]?.role, 'peer');
      assert.equal(group.runs[0]?.rounds, 5);
      assert.equal(group.runs[1]?.rounds, 5);
      for (const run of group.runs.slice(2)) assert.equal(run.rounds, 2);
    }
  });

  it('plans Hyperbee W6 as not applicable, with the reason', () => {
    const w6 = planGroups({ ...everything, tiers: ['sqlite'], workloads: ['W6'] });
    for (const group of w6) {
      const hyperbee = group.runs.find((run) => run.impl === 'hyperbee');
      assert.match(hyperbee?.unsupported ?? '', /append-only/);
    }
  });

  it('lists a variant of ours only in the groups of the workloads it is measured on', () => {
    const variants: Record<string, readonly string[]> = {
      'multistore-sqlite-full': ['W1', 'W2'],
      'multistore-sqlite-group': ['W1', 'W2'],
      'multistore-sqlite-exclusive': ['W1', 'W2', 'W3', 'W4', 'W5', 'W6'],
      'better-sqlite3-exclusive': ['W1', 'W2', 'W3', 'W4', 'W5', 'W6'],
      'better-sqlite3-no-index': ['W1', 'W2', 'W6'],
      'better-sqlite3-group': ['W1', 'W2'],
    };
    for (const group of planGroups({ ...everything, tiers: ['sqlite'] })) {
      const labels = group.runs.map((run) => run.label);
      for (const [variant, workloads] of Object.entries(variants)) {
        const listed = labels.includes(variant);
        assert.equal(listed, workloads.includes(group.workload), `${variant}: ${labels.join()}`);
        if (listed) assert.equal(group.runs.find((run) => run.label === variant)?.role, 'other');
      }
      const notApplicable = group.runs.filter((run) => run.unsupported !== undefined);
      const expected = group.workload === 'W6' ? ['hyperbee'] : [];
      assert.deepEqual(
        notApplicable.map((run) => run.impl),
        expected,
      );
    }
  });

  it('takes the median of odd and even counts', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
});

describe('bench targets and report', () => {
  const measured = (label: string, role: RunFigures['role'], ops: number): RunFigures => ({
    impl: label as RunFigures['impl'],
    label,
    role,
    retention: false,
    status: 'measured',
    medianOpsPerSec: ops,
    rounds: [ops],
    ops: 100,
    elapsedMs: [1],
    childWallMs: [10],
    checksum: 1,
  });
  const group = (workload: 'W1' | 'W3', runs: RunFigures[]): GroupFigures => ({
    workload,
    title: workload === 'W1' ? 'insert' : 'get latest',
    tier: 'sqlite',
    shape: 'deep',
    runs,
    ratio: null,
  });
  const missingHyperbee: RunFigures = {
    impl: 'hyperbee',
    label: 'hyperbee',
    role: 'other',
    retention: false,
    status: 'missing',
    reason: "Cannot find package 'hyperbee'",
  };
  const groups = [
    group('W1', [
      measured('multistore-sqlite', 'ours', 90),
      measured('better-sqlite3', 'peer', 100),
      measured('multistore-sqlite-group', 'other', 90),
      measured('better-sqlite3-group', 'other', 120),
      measured('lmdb', 'other', 200),
      missingHyperbee,
    ]),
    group('W3', [
      measured('multistore-sqlite', 'ours', 95),
      measured('better-sqlite3', 'peer', 100),
      measured('lmdb', 'other', 100),
      missingHyperbee,
    ]),
  ];

  const selection = { tiers: ['sqlite'], shapes: ['deep'], workloads: ['W1', 'W3', 'W4'] } as const;

  it('passes a ratio at the target, misses one below it, and says why one is n/a', () => {
    const results = evaluateTargets(groups, selection);
    const find = (comparison: string, workload: string) =>
      results.find((r) => r.comparison === comparison && r.workload === workload);
    assert.equal(find('sqlite / better-sqlite3', 'W1')?.status, 'pass', '0.90 meets >= 0.9');
    assert.equal(find('sqlite / better-sqlite3', 'W3')?.status, 'pass');
    const durable = find('sqlite grouped durable / lmdb (durable)', 'W1');
    assert.equal(durable?.status, 'miss', '0.45 is below 0.5');
    assert.equal(durable?.ratio, 0.45, 'multistore-sqlite-group over lmdb');
    const hyperbee = find('sqlite / hyperbee', 'W1');
    assert.equal(hyperbee?.status, 'n/a');
    assert.match(hyperbee?.reason ?? '', /hyperbee: Cannot find package/);
    assert.equal(find('sqlite / better-sqlite3', 'W4')?.reason, 'not run');
    assert.equal(find('sqlite / better-sqlite3', 'W5'), undefined, 'outside the selection');
  });

  it('prints a missing peer as missing in its column and lists why', () => {
    const report = sqliteDeepReport({
      workloads: ['W1', 'W3'],
      missing: [{ impl: 'hyperbee', reason: "Cannot find package 'hyperbee'" }],
      groups,
      footprints: [{ impl: 'hyperbee', shape: 'deep', status: 'missing', reason: 'not installed' }],
      targets: evaluateTargets(groups, selection),
    });
    const text = formatReport(report).join('\n');
    assert.match(text, /^W1 insert +deep +90 +100 +- +90 +120 +200 +missing$/m);
    assert.match(
      text,
      /^sqlite grouped durable \/ lmdb \(durable\) +W1 insert +>= 0\.5 +0\.45 miss$/m,
    );
    assert.match(text, /^hyperbee +disk +missing$/m);
    assert.match(text, /^missing: hyperbee \(Cannot find package 'hyperbee'\)$/m);
  });

  it('prints the reference ratios under the durable target, with no verdict, counted among no targets', () => {
    const references = evaluateReferences(groups, selection);
    assert.deepEqual(
      references.map((r) => [r.comparison, r.workload, r.ratio]),
      [
        ["SQLite's ceiling: better-sqlite3-group / lmdb", 'W1', 0.6],
        ["the store's cost: sqlite grouped / better-sqlite3-group", 'W1', 0.75],
      ],
      'W1 only: W3 is not among their workloads, W4 outside the groups',
    );
    const targets = evaluateTargets(groups, selection);
    const report = sqliteDeepReport({
      workloads: ['W1', 'W3'],
      missing: [],
      groups,
      footprints: [],
      targets,
      references,
    });
    const lines = formatReport(report);
    const durable = lines.findIndex((line) => line.startsWith('sqlite grouped durable / lmdb'));
    assert.match(
      lines[durable + 1] ?? '',
      /^ {2}SQLite's ceiling: better-sqlite3-group \/ lmdb +W1 insert +none +0\.60$/,
    );
    assert.match(
      lines[durable + 2] ?? '',
      /^ {2}the store's cost: sqlite grouped \/ better-sqlite3-group +W1 insert +none +0\.75$/,
    );
    // sqlite / better-sqlite3 W1 and W3 pass, the durable target's W1 misses; the rest are n/a.
    assert.match(lines.join('\n'), /^targets: .*; 2 of 3 met$/m);
    assert.match(lines.join('\n'), /^target none: /m);
  });

  it('says why a reference ratio is missing: its peer not run', () => {
    const withoutRaw = [
      group('W1', [
        measured('multistore-sqlite', 'ours', 90),
        measured('better-sqlite3', 'peer', 100),
        measured('multistore-sqlite-group', 'other', 90),
        measured('lmdb', 'other', 200),
      ]),
    ];
    const [ceiling] = evaluateReferences(withoutRaw, selection);
    assert.deepEqual([ceiling?.ratio, ceiling?.reason], [null, 'not run']);
  });

  it('gives a variant measured on a later workload only its column, and its own target', () => {
    const w6 = (runs: RunFigures[]): GroupFigures => ({
      ...group('W1', runs),
      workload: 'W6',
      title: 'drop',
    });
    const variantGroups = [
      group('W3', [
        measured('multistore-sqlite', 'ours', 80),
        measured('better-sqlite3', 'peer', 100),
        measured('multistore-sqlite-exclusive', 'other', 90),
        measured('better-sqlite3-exclusive', 'other', 100),
        measured('lmdb', 'other', 300),
      ]),
      w6([
        measured('multistore-sqlite', 'ours', 70),
        measured('better-sqlite3', 'peer', 100),
        measured('multistore-sqlite-exclusive', 'other', 75),
        measured('better-sqlite3-exclusive', 'other', 100),
        measured('better-sqlite3-no-index', 'other', 190),
        measured('lmdb', 'other', 300),
      ]),
    ];
    const chosen = { tiers: ['sqlite'], shapes: ['deep'], workloads: ['W3', 'W6'] } as const;
    const targets = evaluateTargets(variantGroups, chosen);
    const exclusive = targets.filter(
      (t) => t.comparison === 'sqlite exclusive / better-sqlite3 exclusive',
    );
    assert.deepEqual(
      exclusive.map((t) => [t.workload, t.ratio, t.status]),
      [
        ['W3', 0.9, 'pass'],
        ['W6', 0.75, 'miss'],
      ],
    );
    const report = sqliteDeepReport({
      workloads: ['W3', 'W6'],
      missing: [],
      groups: variantGroups,
      footprints: [],
      targets,
    });
    const lines = formatReport(report);
    assert.match(
      lines[1] ?? '',
      /^workload +shape +multistore +better-sqlite3 +ratio +multistore-sqlite-exclusive +better-sqlite3-exclusive +better-sqlite3-no-index +lmdb$/,
    );
    const text = lines.join('\n');
    assert.match(text, /^W3 get latest +deep +80 +100 +- +90 +100 +300$/m);
    assert.match(text, /^W6 drop +deep +70 +100 +- +75 +100 +190 +300$/m);
  });
});
