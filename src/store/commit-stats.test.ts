/**
 * The statistics record of one commit (commit-stats.ts): what each write
 * observed becomes, and how a trim of the commit's own step joins it (a
 * version the commit moved to historical and trimmed: one drop `current`).
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import type { StatsEntry } from '../event/events.js';
import { StatsEventBuilder, statsObserver } from './commit-stats.js';

const text = (e: StatsEntry) =>
  `${e.table} ${new TextDecoder().decode(e.key)}@${e.version}:${e.category}:${e.valueBytes}`;

/** A builder whose commit at 9 wrote `keys` (each over a current value at 5 of 1 byte, in table `t`). */
function written(keys: readonly string[]): StatsEventBuilder {
  const stats = new StatsEventBuilder();
  const observe = statsObserver(stats, 9);
  for (const key of keys) {
    observe('t', { key: utf8(key), value: utf8('xy') }, { version: 5, valueBytes: 1 }, undefined);
  }
  return stats;
}

it('a trimmed version the commit moved becomes one drop current, whatever order the keys are trimmed in and whichever array of the key the trim reports', () => {
  const stats = written(['a', 'b', 'c', 'd']);
  // Out of write order, with fresh arrays of the same bytes, and one key not trimmed (b).
  stats.trimmed('t', utf8('d'), [{ version: 5, valueBytes: 1 }]);
  stats.trimmed('t', utf8('a'), [
    { version: 2, valueBytes: 3 },
    { version: 5, valueBytes: 1 },
  ]);
  stats.trimmed('t', utf8('c'), [{ version: 5, valueBytes: 1 }]);
  const event = stats.build(9);
  assert.deepEqual(event.drops.map(text), [
    't d@5:current:1',
    't a@2:historical:3',
    't a@5:current:1',
    't c@5:current:1',
  ]);
  assert.deepEqual(
    event.moves.map(text),
    ['t b@5:historical:1'],
    'the untrimmed key keeps its move',
  );
  assert.equal(event.writes.length, 4);
});

it('a trim of a key the commit did not move, or of another table, or of a version the move is not about, drops historical and leaves the moves', () => {
  const stats = written(['a', 'b']);
  stats.trimmed('u', utf8('a'), [{ version: 5, valueBytes: 1 }]);
  stats.trimmed('t', utf8('z'), [{ version: 4, valueBytes: 0 }]);
  stats.trimmed('t', utf8('b'), [{ version: 3, valueBytes: 2 }]);
  const event = stats.build(9);
  assert.deepEqual(event.drops.map(text), [
    'u a@5:historical:1',
    't z@4:historical:0',
    't b@3:historical:2',
  ]);
  assert.deepEqual(event.moves.map(text), ['t a@5:historical:1', 't b@5:historical:1']);
});

it('a commit whose every move is trimmed reports no moves, and one with none taken reports them all', () => {
  const all = written(['a', 'b']);
  all.trimmed('t', utf8('a'), [{ version: 5, valueBytes: 1 }]);
  all.trimmed('t', utf8('b'), [{ version: 5, valueBytes: 1 }]);
  assert.deepEqual(all.build(9).moves, []);
  assert.equal(all.empty, false);
  assert.deepEqual(written(['a', 'b']).build(9).moves.map(text), [
    't a@5:historical:1',
    't b@5:historical:1',
  ]);
});
