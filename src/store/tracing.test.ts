import assert from 'node:assert/strict';
import { it } from 'node:test';
import { recordSpans } from '../test-support/span-recorder.js';
import { MultiStore } from './multistore.js';

const exporter = recordSpans();

it('traces commits and drop batches through @opentelemetry/api', async () => {
  const store = MultiStore.open();
  store.commit(
    [
      { type: 'set', key: 'a', value: '1' },
      { type: 'set', key: 'b', value: '2' },
    ],
    1,
  );
  store.commit([{ type: 'set', key: 'a', value: '3' }], 2);
  store.commit(
    [
      { type: 'drop', key: 'a', keepLastVersions: 1 },
      { type: 'drop', key: 'b' },
    ],
    3,
  );
  await store.flush();
  await store.close();
  const spans = exporter.getFinishedSpans();
  const commits = spans.filter((span) => span.name === 'store.commit');
  assert.equal(commits.length, 3);
  assert.equal(commits[0]?.attributes.version, 1);
  const batches = spans.filter((span) => span.name === 'drop.process_batch');
  assert.equal(batches.length, 1);
  assert.equal(batches[0]?.attributes.num_requests, 2);
  assert.equal(batches[0]?.attributes.total_dropped, 2);
});
