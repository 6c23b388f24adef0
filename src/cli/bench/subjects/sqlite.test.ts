/**
 * The raw SQLite peer's scan (a recursive skip scan, sqlite.ts) counts what
 * a plain model counts, on data the bench never generates: keys of 0x00 and
 * 0xff bytes, one key a prefix of another, empty and unbounded bounds, a
 * start at or past the end, versions below every write, and after `dropOld`.
 * The bench's own data (subjects.test.ts) only checks it on its shapes.
 */

import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { compareBytes } from '../../../common/bytes.js';
import { tempDir } from '../../../test-support/store-setups.js';
import type { WriteBatch } from '../data.js';
import type { ScanResult } from '../subject.js';
import { openRawSqlite, RAW_SQLITE_VARIANTS, type RawSqliteImpl } from './sqlite.js';

let dir: ReturnType<typeof tempDir>;
let runs = 0;

before(() => {
  dir = tempDir('multistore-raw-sqlite-scan-');
});
after(() => dir.cleanup());

/** Per key (hex), its versions: what the peer was given. */
type Model = Map<string, { key: Uint8Array; versions: Set<number> }>;

function modelScan(
  model: Model,
  start: Uint8Array,
  end: Uint8Array | undefined,
  version: number,
): ScanResult {
  let entries = 0;
  let versionSum = 0;
  for (const { key, versions } of model.values()) {
    if (compareBytes(key, start) < 0) continue;
    if (end !== undefined && compareBytes(key, end) >= 0) continue;
    const visible = [...versions].filter((v) => v <= version);
    if (visible.length === 0) continue;
    entries++;
    versionSum += Math.max(...visible);
  }
  return { entries, versionSum };
}

const edgeByte = fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff);
const bytes = (minLength: number) =>
  fc.array(edgeByte, { minLength, maxLength: 3 }).map((list) => Uint8Array.from(list));
const batches = fc.array(
  fc.uniqueArray(bytes(1), { minLength: 1, maxLength: 5, selector: String }),
  {
    minLength: 1,
    maxLength: 6,
  },
);
const scans = fc.array(fc.tuple(bytes(0), fc.option(bytes(0)), fc.integer({ min: 0, max: 8 })), {
  minLength: 1,
  maxLength: 6,
});

it('the raw SQLite peer scans what a model of its writes holds, on edge keys and bounds, before and after dropOld', () => {
  for (const impl of Object.keys(RAW_SQLITE_VARIANTS) as RawSqliteImpl[]) {
    fc.assert(
      fc.property(batches, scans, fc.boolean(), (written, asked, dropOld) => {
        const path = join(dir.path, `${++runs}`);
        mkdirSync(path);
        const subject = openRawSqlite(impl, { dir: path });
        try {
          const model: Model = new Map();
          written.forEach((keys, index) => {
            const batch: WriteBatch = {
              version: index + 1,
              keys,
              values: keys.map(() => Uint8Array.of(1)),
            };
            subject.write(batch);
            for (const key of keys) {
              const id = Buffer.from(key).toString('hex');
              const entry = model.get(id) ?? { key, versions: new Set<number>() };
              entry.versions.add(batch.version);
              model.set(id, entry);
            }
          });
          if (dropOld) {
            subject.dropOld?.(
              [...model.values()].map(({ key }) => key),
              written.length,
            );
            for (const entry of model.values())
              entry.versions = new Set([Math.max(...entry.versions)]);
          }
          for (const [start, end, version] of asked) {
            const bound = end ?? undefined;
            assert.deepEqual(
              subject.scan(start, bound, version),
              modelScan(model, start, bound, version),
              `${impl} scan [${start}, ${bound}) at ${version}`,
            );
          }
        } finally {
          void subject.close();
        }
      }),
      { numRuns: 30 },
    );
  }
});
