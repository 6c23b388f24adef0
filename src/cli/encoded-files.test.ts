/**
 * The CLI opens files as bytes: a file written with encodings is refused
 * with one line that says so (the store's own message asks to open it with
 * those encodings, which no CLI option can), and the file is left as it was.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { MultiStore } from '../store/multistore.js';
import { assertOneLineError, runMultistore } from '../test-support/cli-process.js';
import { tempDir } from '../test-support/store-setups.js';

let dir: ReturnType<typeof tempDir>;
let db: string;

before(async () => {
  dir = tempDir('multistore-encoded-cli-');
  db = join(dir.path, 'encoded.db');
  const store = MultiStore.open({ path: db, keyEncoding: 'ordered', valueEncoding: 'json' });
  store.commit([{ type: 'set', key: ['user', 1], value: { name: 'Ada' } }]);
  await store.close();
});

after(() => dir.cleanup());

const REFUSAL =
  /keyEncoding 'ordered' and valueEncoding 'json'.*the multistore CLI opens files without encodings/;

it('shell, changes and demo refuse a file written with encodings, saying the CLI cannot open it', async () => {
  for (const args of [
    ['shell', '--db', db],
    ['changes', '--db', db],
    ['demo', '--db', db, '--commits', '1'],
  ]) {
    const result = runMultistore(args, { input: 'scan\n' });
    assertOneLineError(result, REFUSAL);
    assert.equal(result.status, 2, args.join(' '));
  }
  const store = MultiStore.open({ path: db, keyEncoding: 'ordered', valueEncoding: 'json' });
  try {
    assert.deepEqual(store.get(['user', 1])?.value, { name: 'Ada' }, 'the file is untouched');
  } finally {
    await store.close();
  }
});
