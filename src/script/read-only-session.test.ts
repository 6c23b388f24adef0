/**
 * A script session on a read-only store, beside a writer that erases history
 * while the session runs.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MockClock } from '../runtime/clock.js';
import { MultiStore } from '../store/multistore.js';
import { tempDir } from '../test-support/store-setups.js';
import type { ScriptStore } from './script-store.js';
import { STORE_LANGUAGE, StoreSession } from './store-session.js';
import { parseCommandLine } from './words.js';

/**
 * `store` as the session sees it, whose writer commits and erases right after
 * the session asks for the latest version: the race of another process's
 * drop flush between the session's look at the file and its read.
 */
function racing(store: MultiStore, race: () => void): ScriptStore {
  let looks = 0;
  return new Proxy(store, {
    get(target, name) {
      const member = Reflect.get(target, name, target);
      // The first look is the session's start; the second, the command's.
      if (name === 'latestVersion' && ++looks === 2) race();
      return typeof member === 'function' ? member.bind(target) : member;
    },
  }) as unknown as ScriptStore;
}

describe('a script session on a read-only store', () => {
  for (const command of ['prefix live:', 'get live:1', 'scan']) {
    it(`\`${command}\` without version= reads the latest in its own snapshot, even after the writer erased the version seen before`, async () => {
      const dir = tempDir();
      const path = join(dir.path, 'race.db');
      const clock = new MockClock();
      const tables = [{ name: 'live', prefix: 'live:', retention: { keepLastVersions: 1 } }];
      const dropWorker = { batchSize: 1000, flushIntervalMs: 50 };
      const writer = MultiStore.open({ path, tables, actorMode: 'inline', clock, dropWorker });
      for (let v = 1; v <= 3; v++) writer.commit([{ type: 'set', key: 'live:1', value: `v${v}` }]);
      clock.advanceMillis(50);
      const reader = MultiStore.open({ path, readOnly: true });
      try {
        const session = new StoreSession(
          racing(reader, () => {
            writer.commit([{ type: 'set', key: 'live:1', value: 'v4' }]);
            clock.advanceMillis(50); // the writer's drop worker erases v3
          }),
          'race',
          STORE_LANGUAGE,
          'remove',
        );
        const lines = await session.execute(parseCommandLine(command, 1, 'race'));
        assert.deepEqual(lines, ['"live:1" => "v4"']);
        assert.deepEqual(
          writer.versions('live:1').map((entry) => entry.version),
          [4],
          'v3 was erased before the read',
        );
      } finally {
        await reader.close();
        await writer.close();
        dir.cleanup();
      }
    });
  }
});
