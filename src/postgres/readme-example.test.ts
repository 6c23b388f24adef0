/**
 * The README's two-process PostgreSQL example (the `// worker.mjs` block of
 * "PostgreSQL: one store, many processes") runs as written: two processes at
 * once on one schema, importing `multistore-kv/postgres` (pointed at the
 * built entry) with `DATABASE_URL` set to the test server. Its schema name is
 * replaced by one of this run's, dropped afterwards.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { readmeText, snippets } from '../test-support/readme-snippets.js';
import { postgresAvailable, type TestServer, testServer } from './cluster.js';
import { connect } from './index.js';

const ENTRY = new URL('./index.js', import.meta.url).href;

/** The example, ready to run from a scratch folder against `schema`. */
function workerCode(schema: string): string {
  const example = snippets(readmeText()).find(
    (snippet) => snippet.language === 'js' && snippet.code.startsWith('// worker.mjs'),
  );
  assert.ok(example !== undefined, 'the README has the worker.mjs example');
  assert.match(example.code, /from 'multistore-kv\/postgres'/);
  assert.match(example.code, /schema: 'app'/);
  return example.code
    .replace("from 'multistore-kv/postgres'", `from '${ENTRY}'`)
    .replace("schema: 'app'", `schema: '${schema}'`);
}

function runWorker(file: string, name: string, url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, name], {
      env: { ...process.env, DATABASE_URL: url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`worker ${name} exited ${code}: ${err}`));
    });
  });
}

describe("the README's two-process example", { skip: !postgresAvailable() }, () => {
  let server: TestServer;
  let scratch: string;
  before(async () => {
    server = await testServer();
    scratch = mkdtempSync(join(tmpdir(), 'multistore-readme-pg-'));
  });
  after(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await server?.close();
  });

  it('runs in two processes at once: unique versions, both counter increments kept', async () => {
    const schema = `readme_example_${process.pid}`;
    const file = join(scratch, 'worker.mjs');
    writeFileSync(file, workerCode(schema));
    const outputs = await Promise.all([
      runWorker(file, 'a', server.url),
      runWorker(file, 'b', server.url),
    ]);
    for (const [i, out] of outputs.entries()) {
      const name = i === 0 ? 'a' : 'b';
      const committed = [...out.matchAll(/^[ab] committed at (\d+)$/gm)].map((m) => Number(m[1]));
      const ranged = [...out.matchAll(/^(\d+)$/gm)].map((m) => Number(m[1]));
      assert.equal(committed.length, 3, out);
      assert.deepEqual(ranged.sort(), [...committed].sort(), `${name} reads back its own commits`);
    }
    const versions = outputs.flatMap((out) =>
      [...out.matchAll(/^[ab] committed at (\d+)$/gm)].map((match) => Number(match[1])),
    );
    assert.equal(new Set(versions).size, 6, 'no version given twice');
    const store = await connect({ postgres: { connectionString: server.url, schema } });
    try {
      const counter = await store.get('counter');
      assert.equal(new TextDecoder().decode(counter?.value), '2', 'neither increment lost');
    } finally {
      await store.close();
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
      await client.end();
    }
  });
});
