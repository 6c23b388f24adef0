/**
 * The crash checker itself: it passes an intact file and names each kind of
 * damage a crash could do (a lost acknowledged write, a partly visible commit,
 * a wrong value, an acknowledgement beyond the file's latest version). The
 * damage is made by hand through a raw SQLite tier, so these tests do not
 * depend on where a SIGKILL lands.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { utf8 } from '../../common/bytes.js';
import { MultiStore } from '../../store/multistore.js';
import { tempDir } from '../../test-support/store-setups.js';
import { SqliteTier } from '../../tier/sqlite/sqlite-tier.js';
import type { TierWrite } from '../../tier/tier.js';
import { checkAfterCrash } from './check.js';
import type { ChildLife } from './child-run.js';
import { CrashModel } from './model.js';
import { CRASH_TABLE_DECLARATIONS, commitDeltas, workloadCommit } from './workload.js';

const SEED = 4242;

function lifeOf(startVersion: number | undefined, acked: readonly number[]): ChildLife {
  return {
    startVersion,
    acked,
    finished: false,
    killed: true,
    timedOut: false,
    exitCode: null,
    signal: 'SIGKILL',
    spawnError: undefined,
    killedAfterMs: 0,
    parked: 0,
    garbage: [],
    stderr: '',
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

function withTier(path: string, action: (tier: SqliteTier) => void): void {
  const tier = SqliteTier.open(path);
  try {
    action(tier);
  } finally {
    tier.close();
  }
}

describe('crash checker', () => {
  let dir: ReturnType<typeof tempDir>;
  let path: string;
  let model: CrashModel;

  beforeEach(async () => {
    dir = tempDir('multistore-check-');
    path = join(dir.path, 'crash.db');
    model = new CrashModel(SEED);
    await commitRange(path, 1, 60);
    const first = await checkAfterCrash(path, model, lifeOf(0, range(1, 60)));
    assert.deepEqual(first.problems, []);
    assert.equal(first.latest, 60);
    assert.equal(model.version, 61, 'the check committed version 61');
  });

  afterEach(() => dir.cleanup());

  it('passes an intact file, with or without the in-flight commit', async () => {
    const noChild = await checkAfterCrash(path, model, lifeOf(undefined, []));
    assert.deepEqual(noChild.problems, []);
    assert.equal(noChild.inFlight, 'absent');
    await commitRange(path, 63, 64);
    const inFlight = await checkAfterCrash(path, model, lifeOf(62, [63]));
    assert.deepEqual(inFlight.problems, []);
    assert.equal(inFlight.latest, 64, 'commit 64 made it although unacknowledged');
    assert.equal(model.version, 65);
    assert.equal(inFlight.inFlight, 'visible');
  });

  it('grouped commits: a burst written but not acknowledged passes, beyond the bound it is reported', async () => {
    await commitRange(path, 62, 66);
    const grouped = await checkAfterCrash(path, model, lifeOf(61, [62]), 24);
    assert.deepEqual(grouped.problems, []);
    assert.equal(grouped.latest, 66);
    assert.equal(grouped.inFlight, 'visible');
    await commitRange(path, 68, 70);
    const plain = await checkAfterCrash(path, model, lifeOf(67, [68]), 1);
    assert.ok(
      plain.problems.some((p) => p.includes('more than 1 commit(s) after the last ack 68')),
      plain.problems.join('\n'),
    );
  });

  it('grouped commits: one in flight partly visible is reported', async () => {
    await commitRange(path, 62, 63);
    const writes = new Map<string, TierWrite[]>([
      ['latest', [{ key: utf8('r1/marker'), value: utf8('partial') }]],
    ]);
    withTier(path, (tier) => tier.set(64, writes));
    const report = await checkAfterCrash(path, model, lifeOf(61, [62]), 24);
    assert.ok(
      report.problems.some((p) => p.startsWith('commit 64 is partly visible')),
      report.problems.join('\n'),
    );
  });

  it('reports an acknowledged write that is gone', async () => {
    withTier(path, (tier) =>
      tier.drop(new Map([['history', [{ key: utf8('h/marker'), version: 61 }]]])),
    );
    const report = await checkAfterCrash(path, model, lifeOf(61, []));
    assert.ok(
      report.problems.some((p) => p.includes('h/marker@61 (history) is missing')),
      report.problems.join('\n'),
    );
  });

  it('reports a commit visible in one table only', async () => {
    const commit = workloadCommit(SEED, 62);
    const writes = new Map<string, TierWrite[]>([
      ['latest', [{ key: utf8('r1/marker'), value: utf8('partial') }]],
    ]);
    withTier(path, (tier) => tier.set(62, writes));
    const report = await checkAfterCrash(path, model, lifeOf(61, []));
    const partial = report.problems.find((p) => p.startsWith('commit 62 is partly visible'));
    assert.ok(partial, report.problems.join('\n'));
    assert.ok(partial.includes(`1 of ${commit.writes.length} writes`));
  });

  it('reports a wrong value and an acknowledgement beyond the latest version', async () => {
    withTier(path, (tier) =>
      tier.set(30, new Map([['multi', [{ key: utf8('m/marker'), value: utf8('garbage') }]]])),
    );
    const report = await checkAfterCrash(path, model, lifeOf(61, [62, 63]));
    const problems = report.problems.join('\n');
    assert.ok(problems.includes('m/marker@30 (multi) holds a wrong value'), problems);
    assert.ok(
      problems.includes('acknowledged commits lost: latest version 61 < last ack 63'),
      problems,
    );
  });

  it('reports a child that started on another version', async () => {
    const report = await checkAfterCrash(path, model, lifeOf(7, []));
    assert.ok(
      report.problems.some((p) => p.includes('child found latest version 7 at open, expected 61')),
    );
  });
});

/** Versions from..to as a child would commit them. */
async function commitRange(path: string, from: number, to: number): Promise<void> {
  const store = MultiStore.open({ path, tables: CRASH_TABLE_DECLARATIONS });
  for (let version = from; version <= to; version++)
    store.commit(commitDeltas(SEED, workloadCommit(SEED, version)), version);
  await store.close();
}
