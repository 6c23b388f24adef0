import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { resolveConnect } from './setup.js';

/** The error `work` throws, which must be a store error with `code`. */
function codeOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    assert.ok(isStoreError(error), String(error));
    return error.code;
  }
  assert.fail('no error thrown');
}

describe('connect options', () => {
  const postgres = { connectionString: 'postgresql://127.0.0.1:1/none' };

  it('refuses the embedded-only options by name (encodings, file, tier, actor mode)', () => {
    for (const [name, value] of [
      ['keyEncoding', 'utf8'],
      ['valueEncoding', 'json'],
      ['path', 'x.db'],
      ['tier', 'sqlite'],
      ['actorMode', 'inline'],
      ['synchronous', 'full'],
      ['readOnly', true],
      ['sqlite', {}],
    ] as const) {
      assert.throws(
        () => resolveConnect({ postgres, [name]: value }),
        (error: Error) =>
          isStoreError(error) &&
          error.code === 'INVALID_OPTIONS' &&
          error.message.includes(`does not take ${name}`) &&
          // The reason fits the option: encodings are about keys and values, the rest is not.
          /keys and values/.test(error.message) === name.endsWith('Encoding'),
        name,
      );
    }
  });

  it('refuses connect and postgres options that are not plain objects (an array, a Map), never reading them as empty', () => {
    for (const junk of [[], new Map([['schema', 'other']]), new Date(0)]) {
      for (const options of [junk, { postgres: junk }, { postgres, dropWorker: junk }]) {
        assert.throws(
          () => resolveConnect(options),
          (error: Error) =>
            isStoreError(error, 'INVALID_OPTIONS') && /must be a plain object/.test(error.message),
          `${Object.prototype.toString.call(junk)} in ${JSON.stringify(Object.keys(options))}`,
        );
      }
    }
  });

  it('refuses a bad postgres object, a pool beside a connection string, and a bad schema', () => {
    assert.equal(
      codeOf(() => resolveConnect({})),
      'INVALID_OPTIONS',
    );
    const pool = { connect: async () => undefined };
    assert.equal(
      codeOf(() => resolveConnect({ postgres: { ...postgres, pool } })),
      'INVALID_OPTIONS',
    );
    assert.equal(
      codeOf(() => resolveConnect({ postgres: { ...postgres, schema: '' } })),
      'INVALID_OPTIONS',
    );
    assert.equal(
      codeOf(() => resolveConnect({ postgres: { ...postgres, nope: 1 } })),
      'INVALID_OPTIONS',
    );
  });

  it('takes the store options it shares with the embedded store', () => {
    const config = resolveConnect({
      postgres: { ...postgres, schema: 'app', maxConnections: 3 },
      tables: [{ name: 's', prefix: 's:', retention: { keepLastVersions: 1 } }],
      dropWorker: { batchSize: 7 },
    });
    assert.equal(config.schema, 'app');
    assert.equal(config.maxConnections, 3);
    assert.equal(config.store.dropWorker.batchSize, 7);
    assert.deepEqual(
      config.store.tables.map((table) => table.name),
      ['multi', 's'],
    );
  });
});
