/**
 * Every implementation does the same work on every workload and shape: the
 * checksums of what each one read agree, in this process, with tiny sizes
 * (the harness checks the same across child processes, at any size). The
 * PostgreSQL tier's subjects work on one private cluster for the whole file
 * (or `MULTISTORE_PG_URL`); where neither can be had they are left out.
 */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { postgresAvailable, type TestServer, testServer } from '../../../postgres/cluster.js';
import { IMPLEMENTATIONS, implementation, measuredOn } from '../catalog.js';
import { UPDATE_PREFIX } from '../data.js';
import { SHAPES, WORKLOADS } from '../plan.js';
import { sizesFor } from '../sizes.js';
import { type Measurement, runWorkload } from '../workloads.js';
import { openSubject } from './open.js';

const SELF_COMPARED: readonly string[] = ['W7', 'W9', 'W10'];

/** The runs of each workload: W7 with and without retention, W9/W10 with and without transactions. */
function variantsOf(workload: string) {
  const plain = { label: 'plain', retention: false, transactional: false };
  if (workload === 'W7') return [{ ...plain, label: 'retention', retention: true }, plain];
  if (workload === 'W9' || workload === 'W10')
    return [{ ...plain, label: 'transactions', transactional: true }, plain];
  return [plain];
}

describe('bench subjects agree on every workload (N = 200, in process)', () => {
  let server: TestServer | undefined;
  before(async () => {
    if (postgresAvailable()) server = await testServer();
  });
  after(async () => {
    await server?.close();
  });

  for (const shape of SHAPES) {
    for (const workload of WORKLOADS) {
      it(`${workload} on the ${shape} shape`, async () => {
        const sizes = sizesFor(200, shape, 100);
        const root = await mkdtemp(join(tmpdir(), 'bench-subjects-'));
        const seen = new Map<string, Measurement>();
        try {
          for (const impl of IMPLEMENTATIONS) {
            if (!measuredOn(impl, workload)) continue;
            if (implementation(impl).unsupported?.[workload] !== undefined) continue;
            if (implementation(impl).tier === 'postgres' && server === undefined) continue;
            // W7, W9 and W10 compare multistore with itself (retention, transactions).
            if (SELF_COMPARED.includes(workload) && !impl.startsWith('multistore-')) continue;
            for (const variant of variantsOf(workload)) {
              const { retention, transactional } = variant;
              const dir = await mkdtemp(join(root, `${impl}-`));
              const table =
                workload === 'W7'
                  ? { prefix: UPDATE_PREFIX, keepLastVersions: retention ? 1 : undefined }
                  : undefined;
              const subject = await openSubject(impl, {
                dir,
                transactional,
                ...(server !== undefined && { postgresUrl: server.url }),
                ...(table && { table }),
              });
              try {
                const context = { sizes, seed: 7, retention, transactional };
                const measured = await runWorkload(workload, subject, context);
                if (workload === 'W10') {
                  assert.equal(
                    measured.conflicts === 0,
                    !transactional,
                    'conflicts in transactions only',
                  );
                }
                seen.set(`${impl} ${variant.label}`, measured);
              } finally {
                await subject.close();
              }
            }
          }
        } finally {
          await rm(root, { recursive: true, force: true });
        }
        const [first] = seen.values();
        assert.ok(first !== undefined && first.ops > 0);
        for (const [impl, measured] of seen) {
          assert.equal(measured.checksum, first.checksum, `${impl} read what the others read`);
          assert.equal(measured.ops, first.ops, `${impl} did as many operations`);
        }
      });
    }
  }
});
