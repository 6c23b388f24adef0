/**
 * The transaction calls of one fuzz case: each predicted (input by
 * fuzz-predict-tx.ts, state by fuzz-tx-model.ts) and judged, and what they
 * read compared with the store model.
 *
 * Drops must be applied by the store and by the model against the same open
 * snapshots, so the case settles (flushes both) before any call that opens,
 * moves or ends a snapshot while drops are pending or parked, and after one
 * that ends a snapshot while drops are parked (the store then applies them
 * at once or on the next turn, the model at the settle).
 *
 * @module
 */

import assert from 'node:assert/strict';
import { bytesToBinaryString } from '../../common/bytes.js';
import type { MockClock } from '../../runtime/clock.js';
import type { MultiStore } from '../../store/multistore.js';
import type { Transaction, TransactionEntry } from '../../store/transaction.js';
import type { KeyModelDelta, StoreModel } from '../../test-support/store-model.js';
import { judge } from './fuzz-judge.js';
import {
  acceptedBytes,
  asOfOptionsOf,
  beginOptionsOf,
  dropOptionsOf,
  rangeSpecOf,
  txRangeOptionsOf,
  versionOf,
} from './fuzz-materialize.js';
import { ACCEPT, firstFault, type Prediction, reject } from './fuzz-predict.js';
import { isWrite, predictBegin, predictTransaction, predictTxInput } from './fuzz-predict-tx.js';
import type { FuzzTally, Method } from './fuzz-tally.js';
import {
  acceptedRange,
  nextVersion,
  rangeTest,
  type TxModel,
  type TxState,
} from './fuzz-tx-model.js';
import type { TxCallSpec, TxOpSpec } from './fuzz-tx-specs.js';
import { materialize } from './hostile-values.js';

/** What the transaction calls share with the rest of the case. */
export interface TxContext {
  readonly store: MultiStore;
  readonly model: StoreModel;
  readonly tally: FuzzTally;
  readonly txs: TxModel;
  readonly clock: MockClock | undefined;
  /** Flush the store and the model (with the open snapshots). */
  settle(): Promise<void>;
  /** Remember a key the case used. */
  track(key: Uint8Array): void;
}

/** Run one transaction call. */
export async function runTxCall(ctx: TxContext, spec: TxCallSpec): Promise<void> {
  switch (spec.m) {
    case 'begin':
      return begin(ctx, spec.slot, spec);
    case 'tx': {
      // An operation on an empty slot begins there first (slot 1: serializable).
      if (ctx.txs.slots[spec.slot] === undefined) {
        const options = spec.slot === 0 ? undefined : { isolation: { str: 'serializable' } };
        await begin(ctx, spec.slot, { m: 'begin', slot: spec.slot, options });
      }
      const state = ctx.txs.slots[spec.slot];
      if (state !== undefined) await txCall(ctx, state, spec.call);
      return;
    }
    case 'transaction':
      return transaction(ctx, spec);
    case 'advance':
      if (ctx.clock === undefined) return;
      await around(ctx, () => ctx.clock?.advanceMillis(spec.ms));
      return;
    case 'race':
      await race(ctx, spec.slot);
  }
}

/**
 * A plain automatic commit of a key the slot's open transaction wrote, then
 * the transaction's commit (which must conflict).
 */
async function race(ctx: TxContext, slot: 0 | 1): Promise<void> {
  const state = ctx.txs.slots[slot];
  const written = state === undefined || state.ended ? undefined : [...state.writes.values()][0];
  if (written === undefined) return;
  const latest = ctx.model.latestVersion;
  const delta: KeyModelDelta = { type: 'set', key: written.key, value: Uint8Array.of(0x72) };
  const done = judge(ctx.tally, 'commit', nextVersion(latest), () =>
    ctx.store.commit([{ type: 'set', key: written.key, value: Uint8Array.of(0x72) }]),
  );
  if (!done.ok) return;
  ctx.model.commit([delta], latest + 1);
  ctx.txs.recordCommit(latest + 1, [delta]);
  if (state !== undefined) await txCall(ctx, state, { op: 'commit', version: undefined });
}

/** Roll back every open transaction and settle (the end of a case). */
export async function endAll(ctx: TxContext): Promise<void> {
  for (const state of ctx.txs.slots) {
    if (state === undefined || state.ended) continue;
    state.tx.rollback();
    state.ended = true;
  }
  await ctx.settle();
}

/** Settle before a call that changes the open snapshots, and after it if drops were held back. */
async function around<T>(ctx: TxContext, call: () => T): Promise<T> {
  if (ctx.model.pendingKeys().size > 0 || ctx.model.parkedCount > 0) await ctx.settle();
  const result = call();
  if (ctx.model.parkedCount > 0) await ctx.settle();
  return result;
}

async function begin(
  ctx: TxContext,
  slot: 0 | 1,
  spec: Extract<TxCallSpec, { m: 'begin' }>,
): Promise<void> {
  const previous = ctx.txs.slots[slot];
  if (previous !== undefined && !previous.ended) {
    await around(ctx, () => previous.tx.rollback());
    previous.ended = true;
  }
  const latest = ctx.model.latestVersion;
  const options = beginOptionsOf(spec.options, latest, ctx.clock === undefined);
  const prediction = predictBegin(spec.options, latest);
  const began = await around(ctx, () =>
    judge(ctx.tally, 'begin', prediction, () => ctx.store.begin(options as never)),
  );
  if (!began.ok) return;
  const { readOnly, isolation, maxAgeMs } = (options ?? {}) as Record<string, unknown>;
  const version = asOfOf(options, latest);
  const tx = began.value;
  assert.equal(tx.version, version, 'the transaction reads at its asOf or the latest version');
  ctx.txs.slots[slot] = ctx.txs.begin({
    tx,
    readOnly: readOnly === true,
    serializable: isolation === 'serializable',
    base: Math.min(version, latest),
    version,
    maxAgeMs: maxAgeMs as number | undefined,
    openedAt: ctx.clock?.nowMillis() ?? 0,
  });
}

async function transaction(
  ctx: TxContext,
  spec: Extract<TxCallSpec, { m: 'transaction' }>,
): Promise<void> {
  const latest = ctx.model.latestVersion;
  const options = beginOptionsOf(spec.options, latest, ctx.clock === undefined);
  const write =
    'junk' in spec.fn
      ? undefined
      : { key: materialize(spec.fn.key) as Uint8Array, value: materialize(spec.fn.value) };
  const fn = write === undefined ? materialize((spec.fn as { junk: never }).junk) : undefined;
  // Read off the spec: a junk options object (a throwing Proxy) has no readOnly to read.
  const record =
    spec.options !== undefined && !('value' in spec.options) ? spec.options : undefined;
  const readOnly = record?.readOnly !== undefined && materialize(record.readOnly) === true;
  // Each attempt begins as of the same version: a conflict holds for every retry.
  // (Read only once the options are known to be accepted: a junk one may throw.)
  const base = () => Math.min(asOfOf(options, latest), latest);
  const prediction = firstFault(
    () => predictTransaction(spec.fn, spec.options, latest),
    () =>
      readOnly && write !== undefined
        ? reject('TRANSACTION_READ_ONLY', 'fn writes in a read-only transaction')
        : ACCEPT,
    () =>
      write === undefined ? ACCEPT : ctx.txs.transactionCommit(base(), [written(write)], ctx.model),
    () => (write === undefined ? ACCEPT : nextVersion(latest)),
  );
  const run = (tx: Transaction) => {
    if (write !== undefined) tx.set(write.key, write.value as Uint8Array);
    return 'done';
  };
  const outcome = await around(ctx, () =>
    judge(ctx.tally, 'transaction', prediction, () =>
      ctx.store.transaction((write === undefined ? fn : run) as never, options as never),
    ),
  );
  if (!outcome.ok || write === undefined) return;
  const delta = written(write);
  ctx.track(delta.key);
  const version = latest + 1;
  ctx.model.commit([delta], version);
  ctx.txs.recordCommit(version, [delta], base());
  assert.equal(ctx.store.latestVersion, version, 'transaction() committed at the next version');
}

/** The version a transaction begun with accepted `options` reads at. */
function asOfOf(options: unknown, latest: number): number {
  const { asOf } = (options ?? {}) as Record<string, unknown>;
  // `+ 0`: a version of -0 is 0 (the store normalises it).
  return asOf === undefined ? latest : (asOf as number) + 0;
}

/** The write of a transaction() fn, as a model delta. */
function written(write: { key: Uint8Array; value: unknown }): KeyModelDelta {
  return {
    type: 'set',
    key: acceptedBytes(write.key, 'key'),
    value: acceptedBytes(write.value, 'value'),
  };
}

const METHOD: Readonly<Record<TxOpSpec['op'], Method>> = {
  get: 'tx.get',
  contains: 'tx.contains',
  range: 'tx.range',
  set: 'tx.set',
  unset: 'tx.unset',
  remove: 'tx.remove',
  drop: 'tx.drop',
  asOf: 'tx.asOf',
  commit: 'tx.commit',
  rollback: 'tx.rollback',
};

async function txCall(ctx: TxContext, state: TxState, call: TxOpSpec): Promise<void> {
  const method = METHOD[call.op];
  const latest = ctx.model.latestVersion;
  if (call.op === 'rollback') {
    await around(ctx, () => judge(ctx.tally, method, ACCEPT, () => state.tx.rollback()));
    state.ended = true;
    return;
  }
  const before = firstFault(
    () => ctx.txs.usable(state),
    () =>
      state.readOnly && isWrite(call)
        ? reject('TRANSACTION_READ_ONLY', `${call.op} in a read-only transaction`)
        : ACCEPT,
    () => predictTxInput(call, latest),
  );
  if (call.op === 'commit' || call.op === 'asOf') {
    await around(ctx, () => changeSnapshot(ctx, state, call, before, latest));
    return;
  }
  // Reads refused or not: the store and the model must hold the same horizons.
  if (ctx.model.pendingKeys().size > 0) await ctx.settle();
  operate(ctx, state, call, before);
}

/** `commit` and `asOf`: calls that end or move the transaction's snapshot. */
function changeSnapshot(
  ctx: TxContext,
  state: TxState,
  call: Extract<TxOpSpec, { op: 'commit' | 'asOf' }>,
  before: Prediction,
  latest: number,
): void {
  const version = call.version === undefined ? undefined : versionOf(call.version, latest);
  if (call.op === 'asOf') {
    const options = asOfOptionsOf(call.options);
    const moved = judge(ctx.tally, 'tx.asOf', before, () =>
      state.tx.asOf(version as number, options as never),
    );
    if (!moved.ok) return;
    const exclusive = (options as { exclusive?: unknown } | undefined)?.exclusive === true;
    const at = (version as number) + 0;
    state.version = exclusive && at > 0 ? at - 1 : at;
    state.beforeAll = exclusive && at === 0;
    assert.equal(state.tx.version, state.version, 'asOf moved the read version');
    return;
  }
  const prediction = firstFault(
    () => before,
    () => ctx.txs.commit(state, version as number | undefined, ctx.model),
  );
  const usable = ctx.txs.usable(state).accept;
  const committed = judge(ctx.tally, 'tx.commit', prediction, () =>
    state.tx.commit(version as number | undefined),
  );
  // A commit ends the transaction, whatever its outcome, once it got past the usable check.
  if (usable) state.ended = true;
  if (!committed.ok || committed.value === undefined) return;
  const deltas = ctx.txs.deltasOf(state);
  const expected = version === undefined ? latest + 1 : (version as number) + 0;
  assert.equal(committed.value, expected, 'the version the commit took');
  ctx.model.commit(deltas, committed.value);
  ctx.txs.recordCommit(committed.value, deltas, state.readOnly ? undefined : state.base);
}

/** Reads and buffered writes. */
function operate(
  ctx: TxContext,
  state: TxState,
  call: Exclude<TxOpSpec, { op: 'commit' | 'asOf' | 'rollback' }>,
  before: Prediction,
): void {
  const method = METHOD[call.op];
  switch (call.op) {
    case 'get':
    case 'contains':
      read(ctx, state, call, before);
      return;
    case 'range':
      range(ctx, state, call, before);
      return;
    default: {
      const key = materialize(call.key);
      const value = 'value' in call ? materialize(call.value) : undefined;
      const options = call.op === 'drop' ? dropOptionsOf(call.options) : undefined;
      const done = judge(ctx.tally, method, before, () => {
        if (call.op === 'drop') state.tx.drop(key as Uint8Array, options as never);
        else if (call.op === 'remove') state.tx.remove(key as Uint8Array);
        else state.tx[call.op](key as Uint8Array, value as Uint8Array);
      });
      if (done.ok) buffer(ctx, state, call.op, key, value, options);
    }
  }
}

function buffer(
  ctx: TxContext,
  state: TxState,
  op: 'set' | 'unset' | 'remove' | 'drop',
  key: unknown,
  value: unknown,
  options: unknown,
): void {
  const bytes = acceptedBytes(key, 'key');
  ctx.track(bytes);
  const id = bytesToBinaryString(bytes);
  if (op === 'drop') {
    const { upToVersion, keepLastVersions } = (options ?? {}) as Record<string, number | undefined>;
    state.drops.push({ type: 'drop', key: bytes, upToVersion, keepLastVersions });
    return;
  }
  if (op === 'remove') state.writes.set(id, { type: 'remove', key: bytes });
  else state.writes.set(id, { type: op, key: bytes, value: acceptedBytes(value, 'value') });
}

function read(
  ctx: TxContext,
  state: TxState,
  call: Extract<TxOpSpec, { op: 'get' | 'contains' }>,
  before: Prediction,
): void {
  const key = materialize(call.key);
  let prediction = before;
  let own: KeyModelDelta | undefined;
  let bytes: Uint8Array | undefined;
  if (before.accept) {
    bytes = acceptedBytes(key, 'key');
    own = state.writes.get(bytesToBinaryString(bytes));
    const refused =
      own === undefined && !state.beforeAll && ctx.model.refusal(bytes, state.version);
    if (refused) prediction = reject('VERSION_TOO_OLD', 'erased history at its version');
    // A serializable read records the key even when it is refused.
    if (own === undefined) state.readKeys.add(bytesToBinaryString(bytes));
  }
  const got = judge(ctx.tally, METHOD[call.op], prediction, () =>
    call.op === 'get' ? state.tx.get(key as Uint8Array) : state.tx.contains(key as Uint8Array),
  );
  if (!got.ok || bytes === undefined) return;
  ctx.track(bytes);
  const want = own !== undefined ? ownValue(own) : snapshotValue(ctx, state, bytes);
  if (call.op === 'contains') {
    assert.equal(got.value, want !== undefined, 'tx.contains');
    return;
  }
  const entry = got.value as TransactionEntry | undefined;
  assert.deepEqual(entry?.value && [...entry.value], want && [...want], 'tx.get');
}

function ownValue(own: KeyModelDelta): Uint8Array | undefined {
  return own.type === 'set' ? own.value : undefined;
}

function snapshotValue(ctx: TxContext, state: TxState, key: Uint8Array): Uint8Array | undefined {
  if (state.beforeAll) return undefined;
  return ctx.model.get(key, state.version)?.value;
}

function range(
  ctx: TxContext,
  state: TxState,
  call: Extract<TxOpSpec, { op: 'range' }>,
  before: Prediction,
): void {
  const spec = rangeSpecOf(call.spec);
  const options = txRangeOptionsOf(call.options);
  let prediction = before;
  if (before.accept) {
    const bounds = acceptedRange(spec);
    state.ranges.push(rangeTest(bounds));
    const reverse = (options as { reverse?: unknown } | undefined)?.reverse === true;
    const read = ctx.model.rangeRead(
      bounds.start,
      bounds.end,
      bounds.endInclusive,
      state.version,
      reverse,
    );
    if (!state.beforeAll && read.refused !== undefined)
      prediction = reject('VERSION_TOO_OLD', 'a range over erased history at its version');
  }
  const got = judge(ctx.tally, 'tx.range', prediction, () => [
    ...state.tx.range(spec as never, options as never),
  ]);
  if (!got.ok) return;
  const bounds = acceptedRange(spec);
  const inRange = rangeTest(bounds);
  const reverse = (options as { reverse?: unknown } | undefined)?.reverse === true;
  const snapshot = state.beforeAll
    ? []
    : ctx.model.rangeRead(bounds.start, bounds.end, bounds.endInclusive, state.version, reverse)
        .entries;
  const merged = new Map<string, Uint8Array>();
  for (const entry of snapshot) merged.set(bytesToBinaryString(entry.key), entry.value);
  for (const [id, own] of state.writes) {
    if (!inRange(id)) continue;
    if (own.type === 'set') merged.set(id, own.value);
    else merged.delete(id);
  }
  const ids = [...merged.keys()].sort();
  if (reverse) ids.reverse();
  assert.deepEqual(
    got.value.map((e) => [bytesToBinaryString(e.key), [...e.value]]),
    ids.map((id) => [id, [...(merged.get(id) as Uint8Array)]]),
    'tx.range',
  );
}
