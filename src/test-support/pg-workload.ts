/**
 * The workload of the multi-process test's child processes (`pg-child.ts`
 * runs it) on the PostgreSQL store.
 *
 * ```
 *   node pg-child.js writer <url> <schema> <id> <commits>
 *     commits "w<id>:<i>" = "<id>:<i>" and "shared:counter" = "<id>:<i>", one commit each;
 *     prints one JSON line per acknowledged commit: { key, version }
 *   node pg-child.js reader <url> <schema> <target> <stop file>
 *     reads the latest version V, then every "w" key as of V, until V reaches <target>
 *     (or the stop file exists: the writers are done, a broken oracle may never get there);
 *     prints one JSON line per check: { version, versions } (the versions of the "w" keys it saw)
 *   node pg-child.js flusher <url> <schema> <batch size>
 *     applies the stored drop requests (racing the other flushers), in batches of <batch size>;
 *     prints one JSON line: { erased, applied } (what this process's flush did)
 * ```
 *
 * Readers rely on the workload's shape: every commit writes exactly one new
 * "w" key, so the keys visible at V must carry exactly the versions 1..V.
 *
 * @module
 */

import { existsSync } from 'node:fs';
import { connect } from '../postgres/index.js';

/** The tables every child (and the parent) connects with. */
export const CHILD_TABLES = [
  { name: 'shared', prefix: 'shared:', retention: { keepLastVersions: 2 } },
] as const;

/** Commit `commits` times (see the module documentation); prints each acknowledgement. */
export async function writer(
  url: string,
  schema: string,
  id: string,
  commits: number,
): Promise<void> {
  const store = await connect({
    postgres: { connectionString: url, schema, maxConnections: 2 },
    tables: CHILD_TABLES,
  });
  try {
    for (let i = 0; i < commits; i++) {
      const key = `w${id}:${String(i).padStart(4, '0')}`;
      const value = `${id}:${i}`;
      const version = await store.commit([
        { type: 'set', key, value },
        { type: 'set', key: 'shared:counter', value },
      ]);
      process.stdout.write(`${JSON.stringify({ key, version })}\n`);
    }
  } finally {
    await store.close();
  }
}

/** Check what the latest version shows until it reaches `target`; prints each check. */
export async function reader(
  url: string,
  schema: string,
  target: number,
  stopFile: string,
): Promise<void> {
  const store = await connect({
    postgres: { connectionString: url, schema, maxConnections: 2 },
    tables: CHILD_TABLES,
  });
  try {
    for (let version = 0; version < target && !existsSync(stopFile); ) {
      version = await store.latest();
      const versions: number[] = [];
      for await (const entry of store.range({ prefix: 'w' }, { version })) {
        versions.push(entry.version);
      }
      process.stdout.write(`${JSON.stringify({ version, versions })}\n`);
    }
  } finally {
    await store.close();
  }
}

/** Apply the stored drop requests once; prints what this process erased and applied. */
export async function flusher(url: string, schema: string, batchSize: number): Promise<void> {
  const store = await connect({
    postgres: { connectionString: url, schema, maxConnections: 2 },
    tables: CHILD_TABLES,
    dropWorker: { batchSize, flushIntervalMs: 3_600_000 },
  });
  try {
    await store.flush();
    const stats = store.dropWorkerStats();
    const line = { erased: stats.entriesDropped, applied: stats.requestsApplied };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  } finally {
    await store.close();
  }
}
