/**
 * What the isolation harness knows while it runs a history: the serial model,
 * the store under test, the open transaction slots as the model sees them,
 * and the rules every step shares (which snapshots are open, what a read may
 * answer, how a generated write becomes a concrete one).
 *
 * ```
 *   HarnessState ── model (serial truth) ── slots[0..3] (open transactions) ── store
 *        ▲ shared by
 *   TransactionSteps (in a slot)   PlainSteps (outside)   Checks   CommitLog
 * ```
 *
 * @module
 */

import type { MockClock } from '../../runtime/clock.js';
import type { MultiStore } from '../../store/multistore.js';
import type { Transaction } from './isolation-calls.js';
import type { Coverage } from './isolation-coverage.js';
import {
  type Answers,
  HistoryModel,
  inModelRange,
  type Key,
  type ModelRange,
  type ModelRangeDrop,
  type ModelWrite,
  type Own,
} from './isolation-model.js';
import {
  KEYS,
  type Op,
  RANGES,
  type RangeDropOp,
  RETENTION_PREFIX,
  SLOTS,
  type WriteOp,
} from './isolation-ops.js';

/** One open transaction as the model sees it. */
export interface Slot {
  readonly tx: Transaction;
  readonly readOnly: boolean;
  readonly serializable: boolean;
  readonly base: number | undefined;
  read: number;
  /** Requests committed before the snapshot at `read` was taken. */
  known: number;
  /** Commits in the log when it began. */
  readonly beganAt: number;
  readonly openedAt: number;
  readonly maxAgeMs: number | undefined;
  readonly own: Map<Key, Own & { readonly type: 'set' | 'remove' | 'unset' }>;
  readonly drops: ModelWrite[];
  readonly readKeys: Set<Key>;
  readonly readRanges: ModelRange[];
  /** Keys read from the snapshot (any isolation), for the write-skew tally. */
  readonly observed: Set<Key>;
  /** `key@version` -> the first stable answer read there. */
  readonly seen: Map<string, string>;
}

/** How the harness opens (and reopens) its store. */
export interface StoreOpener {
  (): MultiStore;
  /** True when closing and reopening keeps the data (a SQLite file). */
  readonly durable: boolean;
}

/** The maxAgeMs of the transactions odd slots begin on their own. */
export const IMPLICIT_MAX_AGE_MS = 10;
/** How many versions back `settle` reads every key. */
export const SETTLE_DEPTH = 4;

/** The state of one run; see the module documentation. */
export class HarnessState {
  readonly model = new HistoryModel((key) => (key.startsWith(RETENTION_PREFIX) ? 1 : undefined));
  readonly slots: (Slot | undefined)[] = new Array(SLOTS).fill(undefined);
  store: MultiStore;
  #values = 0;

  constructor(
    readonly open: StoreOpener,
    readonly clock: MockClock,
    readonly coverage: Coverage,
  ) {
    this.store = open();
  }

  /** True once the slot's transaction is older than its maxAgeMs. */
  expired(slot: Slot): boolean {
    return slot.maxAgeMs !== undefined && this.clock.nowMillis() - slot.openedAt > slot.maxAgeMs;
  }

  /** The highest version an open snapshot reads at or began at (`except` left out). */
  highestOpen(except?: number): number | undefined {
    let highest: number | undefined;
    for (const [index, slot] of this.slots.entries()) {
      if (slot === undefined || index === except || this.expired(slot)) continue;
      const high = Math.max(slot.read, slot.base ?? 0, 0);
      highest = highest === undefined ? high : Math.max(highest, high);
    }
    return highest;
  }

  /** What the slot's snapshot may answer for `key`. */
  answers(slot: Slot, key: Key): Answers {
    return this.model.answers(key, slot.read, slot.known);
  }

  /** A generated write made concrete: a fresh value, versions resolved against the latest. */
  resolveWrite(w: WriteOp): ModelWrite {
    switch (w.type) {
      case 'set':
        return { type: 'set', key: w.key, value: String(++this.#values) };
      case 'unset':
        return { type: 'unset', key: w.key, value: 'u' };
      case 'remove':
        return { type: 'remove', key: w.key };
      case 'drop':
        return {
          type: 'drop',
          key: w.key,
          ...(w.upToAhead === undefined
            ? {}
            : { upToVersion: Math.max(0, this.model.latest + w.upToAhead) }),
          ...(w.keepLastVersions === undefined ? {} : { keepLastVersions: w.keepLastVersions }),
        };
    }
  }
}

/** A generated range drop made concrete: its range, the test's keys inside it, versions resolved. */
export function resolveRangeDrop(w: RangeDropOp, latest: number): ModelRangeDrop {
  const range = RANGES[w.range] as ModelRange;
  return {
    range,
    keys: KEYS.filter((key) => inModelRange(key, range)),
    ...(w.upToAhead === undefined ? {} : { upToVersion: Math.max(0, latest + w.upToAhead) }),
    ...(w.keepLastVersions === undefined ? {} : { keepLastVersions: w.keepLastVersions }),
  };
}

/** The version a generated `asOf` names, `undefined` for the latest. */
export function resolveAsOf(
  asOf: Extract<Op, { op: 'begin' }>['asOf'],
  latest: number,
): number | undefined {
  if (asOf === 'latest') return undefined;
  return 'back' in asOf ? Math.max(0, latest - asOf.back) : latest + asOf.ahead;
}

/** The writes a transaction commits: its buffer in key order, then its drops. */
export function writesOf(slot: Slot): ModelWrite[] {
  const keys = [...slot.own.keys()].sort();
  const writes: ModelWrite[] = keys.map((key) => {
    const own = slot.own.get(key) as Own & { type: 'set' | 'remove' | 'unset' };
    if (own.type === 'remove') return { type: 'remove', key };
    return { type: own.type, key, value: own.value ?? 'u' };
  });
  return [...writes, ...slot.drops];
}

/** The one answer a key the transaction wrote itself gives. */
export function ownAnswers(own: Own): Answers {
  return new Set([own.value === undefined ? 'absent' : `v:${own.value}`]);
}
