import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import { InspectableTier as ModelTier } from '../test-support/tier-model.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { openTier } from '../tier/factory.js';
import { parseScript } from './parser.js';
import { type BlockFailure, runBlocks, type TierKind } from './runner.js';
import { createTierRunner } from './tier-runner.js';

async function runOn(tier: AbstractTier, text: string, pageSize?: number): Promise<BlockFailure[]> {
  const context = { file: 'inline', tierKind: 'memory' as TierKind, openTier: () => tier };
  const runner = createTierRunner(context, pageSize === undefined ? {} : { pageSize });
  try {
    return await runBlocks(parseScript(text, 'inline'), runner);
  } finally {
    await runner.close();
  }
}

const BASICS = `
set a=1
set b=2
delete b
set "c\\xff"=3
---
ok
ok
ok
ok

get a
get b
get zz
contains a
contains b
contains zz
---
"a" => "1"
"b" => None
"zz" => None
true
false
false

scan
---
"a" => "1"
"b" => None
"c\\xff" => "3"

range a..c
range "b..=c\\xff"
---
"a" => "1"
"b" => None
"b" => None
"c\\xff" => "3"

count_entries
count_tombstones
storage_size
---
entries: 2
tombstones: 1
size: 3

drop a
drop nothing
get a
storage_size
---
ok
ok
"a" => None
size: 2
`;

const TABLES = `
set a=1 table=source:1
set a=2
---
ok
ok

get a table=source:1
get a
---
"a" => "1"
"a" => "2"

use_table operator:3
scan
set x=9
scan table=source:1
---
ok
ok
"a" => "1"

scan
clear_table
scan
scan table=multi
---
"x" => "9"
ok
"a" => "2"
`;

describe('tier runner', () => {
  for (const kind of ['memory', 'sqlite'] as const) {
    it(`runs writes, reads, ranges, counts and drops on the ${kind} tier`, async () => {
      assert.deepEqual(await runOn(openTier({ kind }), BASICS), []);
    });

    it(`gives the same output in pages of one key on the ${kind} tier`, async () => {
      assert.deepEqual(await runOn(openTier({ kind }), BASICS, 1), []);
      assert.deepEqual(await runOn(openTier({ kind }), TABLES, 1), []);
    });

    it(`selects tables with table= and use_table on the ${kind} tier`, async () => {
      assert.deepEqual(await runOn(openTier({ kind }), TABLES), []);
    });
  }

  it('drops every stored version of a key, not just the newest', async () => {
    const tier = new ModelTier();
    const failures = await runOn(
      tier,
      'set a=1\nset a=2\ndelete a\nset b=1\ndrop a\n---\nok\nok\nok\nok\nok\n',
    );
    assert.deepEqual(failures, []);
    assert.deepEqual(tier.inspect('multi', utf8('a')), []);
    assert.deepEqual(tier.inspect('multi', utf8('b')), [4]);
  });

  it('writes each change at the next version, starting at 1', async () => {
    const tier = new ModelTier();
    await runOn(tier, 'set a=1\nset a=2\ndelete a\n---\nok\nok\nok\n');
    assert.deepEqual(tier.inspect('multi', utf8('a')), [3, 2, 1]);
  });

  it('reads scans and counts page by page through the cursor', async () => {
    const tier = new ModelTier();
    const sets = Array.from({ length: 7 }, (_, i) => `set k${i}=v`).join('\n');
    const script = `${sets}\n---\n${'ok\n'.repeat(7)}\nstorage_size\n---\nsize: 7\n`;
    assert.deepEqual(await runOn(tier, script, 2), []);
    assert.equal(tier.pageCalls, 4, 'seven keys in pages of two take four reads');
  });

  it('rejects bad arguments with the line', async () => {
    const failures = await runOn(
      new ModelTier(),
      'set a=1\n---\nok\n\nget a version=1\n---\nok\n\nrange ab\n---\nok\n',
    );
    assert.deepEqual(
      failures.map((f) => f.actual),
      [
        ['error: inline:5: get: unknown argument version=1 (allowed: table)'],
        ['error: inline:9: range: expected a range like a..b, a..=b, a.., ..b or .., got ab'],
      ],
    );
  });

  it('closes its tier', async () => {
    const tier = new ModelTier();
    await runOn(tier, 'scan\n---\nok\n');
    assert.equal(tier.closed, true);
  });
});
