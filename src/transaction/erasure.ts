/**
 * Erasing history without lying: which versions a drop may erase now, which
 * must wait for open snapshots, and what readers are refused afterwards.
 *
 * A drop request selects versions of one key (the drop rules: `upToVersion`,
 * `keepLastVersions`, pending version, ceiling). Erasing them changes what
 * some reads answer: at version V a key shows its newest version at or below
 * V, so when that version is erased the read would silently fall back to an
 * older one, or to nothing. History must answer correctly or refuse, so each
 * key carries a **horizon**, the versions whose reads an erasure changed:
 *
 * ```
 *   key "doc":   v1 "a"   v5 "b"   v9 "c"          drop upToVersion 9 erases v1, v5
 *                |--------|--------|-------->
 *   before:   -  a  a  a  b  b  b  b  c  c
 *   after:    -  !  !  !  !  !  !  !  c  c        horizon [1, 9): VERSION_TOO_OLD, oldest readable 9
 *   version:  0  1  2  3  5  6  7  8  9  10       below 1 the key did not exist: still absent
 * ```
 *
 * ## One rule: erase a prefix
 *
 * An erasure only ever removes the **oldest** stored versions of a key, never
 * a version newer than one it keeps. Erasing v5 while keeping v1 would make
 * reads at 5..8 answer "a", a value that was not current then: an older value
 * coming back. So whatever a request keeps (its `keepLastVersions`, its pending
 * version, a version an open snapshot reads) caps it: the request erases the
 * versions below the lowest version it must keep, and never the ones above.
 * With a prefix erased, the versions a read may no longer trust form one
 * interval `[erasedFrom, readableFrom)`: from the oldest erased version up to
 * the oldest survivor. Reads below `erasedFrom` are untouched (the key did not
 * exist yet), reads from `readableFrom` on see exactly what they saw before.
 *
 * ## Deleting
 *
 * A request that erases every version it judges (a drop without constraints,
 * or constraints that leave nothing) also deletes the key: it is absent from
 * the drop's commit version on (until a later write), and reads below that
 * version are refused. This is the only way an erasure changes a read from
 * `readableFrom` on, and it is what the request asked for.
 *
 * ## Snapshots
 *
 * An open snapshot (a transaction, a range iterator, a commit in progress)
 * must keep reading what it read, and must not start failing. So an erasure
 * may not put an open snapshot inside the refused interval, nor delete a
 * version a snapshot at or above the commit version reads. Because the
 * interval only grows upward from the oldest erased version, only the lowest
 * snapshot at or above `erasedFrom` matters; it caps the prefix:
 *
 * ```
 *   versions 1 3 5 7 9, request "keep 1" wants 1 3 5 7, snapshot open at 6 (reads v5)
 *   erase now: 1 3            horizon [1, 5)    (6 must stay readable: 5 must survive)
 *   wait:      5 7            until the snapshot at 6 ends (the request is parked)
 * ```
 *
 * A snapshot already inside the key's old interval reads nothing there anyway
 * (it is refused), so it does not hold erasures back. Snapshots opened after
 * a request is parked are honoured too: the store plans a parked request again
 * against the snapshots open at that time.
 *
 * Everything here is pure: plain numbers in, plain numbers out.
 *
 * @module
 */

/** Versions of one key whose reads an erasure changed: `[erasedFrom, readableFrom)`. */
export interface Horizon {
  /** The oldest erased version: reads below it are untouched. */
  readonly erasedFrom: number;
  /** The oldest version that can be read again (greater than `erasedFrom`). */
  readonly readableFrom: number;
}

/**
 * Whether a read at `version` must be refused: the oldest readable version
 * (for `VERSION_TOO_OLD`), or `undefined` when the read may go ahead.
 */
export function refusedAt(horizon: Horizon | undefined, version: number): number | undefined {
  if (horizon === undefined) return undefined;
  return version >= horizon.erasedFrom && version < horizon.readableFrom
    ? horizon.readableFrom
    : undefined;
}

/** The open snapshots, as erasure planning asks about them. */
export interface OpenSnapshots {
  /** The lowest version at or above `version` that an open snapshot reads at, or `undefined`. */
  atOrAbove(version: number): number | undefined;
}

/** A sorted list of snapshot versions as {@link OpenSnapshots} (tests, models). */
export function snapshotsAt(versions: Iterable<number>): OpenSnapshots {
  const sorted = [...versions].sort((a, b) => a - b);
  return { atOrAbove: (version) => sorted.find((snapshot) => snapshot >= version) };
}

/** No snapshot is open. */
export const NO_SNAPSHOTS: OpenSnapshots = Object.freeze({ atOrAbove: () => undefined });

/** The fixed terms of one drop request. */
export interface ErasureTerms {
  /** Versions above this one were written after the request: never judged. */
  readonly ceiling: number;
  /** The version of the commit that made the request (a deletion takes effect there). */
  readonly commitVersion: number;
  /** The version its own commit wrote the key at, if it did: always kept. */
  readonly pendingVersion?: number | undefined;
}

/** One request against one key's current state. */
export interface ErasureInput extends ErasureTerms {
  /** The key's stored versions, newest first, without duplicates. */
  readonly stored: readonly number[];
  /** The versions the drop rules select (others, and any above the ceiling, are ignored). */
  readonly requested: Iterable<number>;
  /** The key's horizon before this request. */
  readonly horizon: Horizon | undefined;
  readonly snapshots: OpenSnapshots;
}

/** What one request does now. */
export interface ErasurePlan {
  /** Versions to erase now, ascending: always the oldest stored versions. */
  readonly erase: readonly number[];
  /** The key's horizon once they are erased. */
  readonly horizon: Horizon | undefined;
  /** True when this completes a deletion: absent from the commit version on. */
  readonly deleted: boolean;
  /**
   * When part of the request must wait, the open snapshot version holding it
   * back; the request is complete once the watermark rises above it and it is
   * planned again. `undefined` when nothing waits.
   */
  readonly blockedBy: number | undefined;
  /** Selected versions this request may never erase: newer than a version it keeps. */
  readonly kept: readonly number[];
}

/** Plan one request; see the module documentation. */
export function planErasure(input: ErasureInput): ErasurePlan {
  const scope = scopeOf(input);
  const { want, full, kept } = scope;
  const none: ErasurePlan = {
    erase: [],
    horizon: input.horizon,
    deleted: false,
    blockedBy: undefined,
    kept,
  };
  if (want.length === 0) return none;
  const { refusalCap: cap, deleteBlockedBy } = limitsOf(input, scope);
  let count = want.length;
  let blockedBy: number | undefined;
  if (full && deleteBlockedBy !== undefined) {
    blockedBy = deleteBlockedBy;
    count--;
  }
  if (cap !== undefined && count > 0 && readableFromAfter(input, scope, count) > cap) {
    blockedBy = blockedBy === undefined ? cap : Math.min(blockedBy, cap);
    while (count > 0 && readableFromAfter(input, scope, count) > cap) count--;
  }
  if (count === 0) return { ...none, blockedBy };
  const erase = want.slice(0, count);
  return {
    erase,
    horizon: horizonAfter(
      input.horizon,
      erase[0] as number,
      readableFromAfter(input, scope, count),
    ),
    deleted: full && count === want.length,
    blockedBy,
    kept,
  };
}

/** Which versions a request may erase at most, before snapshots are considered. */
interface Scope {
  /** The stored versions at or below the ceiling, ascending. */
  readonly judged: readonly number[];
  /** The selected versions below every version the request keeps, ascending (a prefix of `judged`). */
  readonly want: readonly number[];
  /** True when `want` is every judged version (the request deletes the key). */
  readonly full: boolean;
  /** The lowest judged version the request keeps (`Infinity` when none). */
  readonly keepFrom: number;
  /** The lowest stored version above the ceiling (`Infinity` when none). */
  readonly laterFrom: number;
  readonly kept: readonly number[];
}

/**
 * O(versions judged), not O(versions stored): the judged versions are the
 * tail of the (descending) stored list, found by a binary search, so a key
 * with a long history costs each request only what it looks at.
 */
function scopeOf(input: ErasureInput): Scope {
  const { ceiling, pendingVersion, stored } = input;
  const first = firstAtOrBelow(stored, ceiling);
  const judged: number[] = [];
  for (let index = stored.length - 1; index >= first; index--) judged.push(stored[index] as number);
  const selected = selectionOf(input.requested, judged);
  const laterFrom = first > 0 ? (stored[first - 1] as number) : Number.POSITIVE_INFINITY;
  let keepFrom =
    pendingVersion !== undefined && pendingVersion <= ceiling
      ? pendingVersion
      : Number.POSITIVE_INFINITY;
  // Ascending: the first judged version not selected is the lowest one kept.
  for (let at = 0; at < judged.length; at++) {
    if (selected[at] === 0) {
      keepFrom = Math.min(keepFrom, judged[at] as number);
      break;
    }
  }
  let wanted = 0;
  while (wanted < judged.length && (judged[wanted] as number) < keepFrom) wanted++;
  const kept: number[] = [];
  for (let at = wanted; at < judged.length; at++) {
    const version = judged[at] as number;
    if (version > keepFrom && selected[at] === 1) kept.push(version);
  }
  const want = judged.slice(0, wanted);
  return { judged, want, full: keepFrom === Number.POSITIVE_INFINITY, keepFrom, laterFrom, kept };
}

/**
 * Which of the ascending `judged` versions `requested` selects (1) or not
 * (0); requested versions not judged are ignored. The drop rules list theirs
 * newest first, a subset of the judged ones: one merge, no set; any other
 * listing goes through a set.
 */
function selectionOf(requested: Iterable<number>, judged: readonly number[]): Uint8Array {
  const selected = new Uint8Array(judged.length);
  if (Array.isArray(requested)) {
    let at = judged.length - 1;
    let merged = true;
    for (const version of requested as readonly number[]) {
      while (at >= 0 && (judged[at] as number) > version) at--;
      if (at < 0 || judged[at] !== version) {
        merged = false;
        break;
      }
      selected[at] = 1;
      at--;
    }
    if (merged) return selected;
    selected.fill(0);
  }
  const set = new Set(requested);
  for (let at = 0; at < judged.length; at++) selected[at] = set.has(judged[at] as number) ? 1 : 0;
  return selected;
}

/** The snapshots that cap the request. */
interface Limits {
  /**
   * The lowest open snapshot that the refused interval could reach (at or
   * above its start, not already refused): `readableFrom` must stay at or
   * below it.
   */
  readonly refusalCap: number | undefined;
  /** A snapshot at or above the commit version that reads a judged version (blocks deleting). */
  readonly deleteBlockedBy: number | undefined;
}

function limitsOf(input: ErasureInput, scope: Scope): Limits {
  const old = input.horizon;
  const erasedFrom =
    old === undefined
      ? (scope.want[0] as number)
      : Math.min(old.erasedFrom, scope.want[0] as number);
  const refusalCap = lowestOutside(input.snapshots, erasedFrom, old);
  let deleteBlockedBy: number | undefined;
  if (scope.full) {
    const from = Math.max(input.commitVersion, scope.judged[0] as number);
    const reader = lowestOutside(input.snapshots, from, old);
    if (reader !== undefined && reader < scope.laterFrom) deleteBlockedBy = reader;
  }
  return { refusalCap, deleteBlockedBy };
}

/** The lowest snapshot at or above `from`, skipping those already refused by `old`. */
function lowestOutside(
  snapshots: OpenSnapshots,
  from: number,
  old: Horizon | undefined,
): number | undefined {
  const first = snapshots.atOrAbove(from);
  if (first === undefined || refusedAt(old, first) === undefined) return first;
  return snapshots.atOrAbove((old as Horizon).readableFrom);
}

/**
 * The oldest readable version once the first `count` wanted versions are
 * erased: the next stored version, the version the request keeps, or (when
 * everything judged goes) the commit version, where the deletion takes effect.
 */
function readableFromAfter(input: ErasureInput, scope: Scope, count: number): number {
  const next =
    count < scope.want.length
      ? (scope.want[count] as number)
      : scope.full
        ? input.commitVersion
        : scope.keepFrom;
  const old = input.horizon;
  return old === undefined ? next : Math.max(old.readableFrom, next);
}

function horizonAfter(
  old: Horizon | undefined,
  oldestErased: number,
  readableFrom: number,
): Horizon | undefined {
  const erasedFrom = old === undefined ? oldestErased : Math.min(old.erasedFrom, oldestErased);
  // A deletion at or below every erased version leaves nothing to refuse: it is all "absent".
  if (readableFrom <= erasedFrom) return old;
  return { erasedFrom, readableFrom };
}

/** The index of the first version at or below `version` in descending `stored` (its length if none). */
function firstAtOrBelow(stored: readonly number[], version: number): number {
  let low = 0;
  let high = stored.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((stored[middle] as number) > version) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The outcome of several requests for one key, applied in commit order. */
export interface KeyErasures<R> {
  /** Versions to erase now, ascending. */
  readonly erase: readonly number[];
  /** The key's horizon afterwards. */
  readonly horizon: Horizon | undefined;
  /** The first request that must wait and every request after it (they wait behind it). */
  readonly parked: readonly R[];
  /** The snapshot version the first parked request waits for. */
  readonly blockedBy: number | undefined;
  /**
   * The highest version at which these erasures changed the key's history:
   * an erased version, or the commit version of a deletion they completed
   * (a state change no write records); `undefined` when nothing was erased.
   */
  readonly erasedTop: number | undefined;
}

/**
 * Apply `requests` (one key's, in commit order) one after the other: each is
 * planned against what the previous ones left. Once one must wait, it and the
 * ones after it are parked, so that a key's requests always take effect in
 * commit order. `select` gives the versions a request selects from a list of
 * stored versions (newest first): the drop rules.
 *
 * A request erases the oldest versions, the tail of the list, so what it
 * leaves is the list cut short: a hot key with thousands of requests costs
 * O(versions + requests x the versions each judges), not O(requests x
 * versions), provided `select` itself looks only at the versions judged.
 */
export function planKeyErasures<R extends ErasureTerms>(
  stored: readonly number[],
  requests: readonly R[],
  select: (request: R, stored: readonly number[]) => Iterable<number>,
  horizon: Horizon | undefined,
  snapshots: OpenSnapshots,
): KeyErasures<R> {
  const remaining = stored.slice();
  let current = horizon;
  const erase: number[] = [];
  let top: number | undefined;
  for (let index = 0; index < requests.length; index++) {
    const request = requests[index] as R;
    const plan = planErasure({
      ceiling: request.ceiling,
      commitVersion: request.commitVersion,
      pendingVersion: request.pendingVersion,
      stored: remaining,
      requested: select(request, remaining),
      horizon: current,
      snapshots,
    });
    if (plan.erase.length > 0) {
      // The erased versions are the oldest ones: the end of the descending list.
      remaining.length -= plan.erase.length;
      for (const version of plan.erase) erase.push(version);
      top = Math.max(top ?? 0, plan.erase[plan.erase.length - 1] as number);
      if (plan.deleted) top = Math.max(top, request.commitVersion);
    }
    current = plan.horizon;
    if (plan.blockedBy !== undefined) {
      return {
        erase: erase.sort((a, b) => a - b),
        horizon: current,
        parked: requests.slice(index),
        blockedBy: plan.blockedBy,
        erasedTop: top,
      };
    }
  }
  return {
    erase: erase.sort((a, b) => a - b),
    horizon: current,
    parked: [],
    blockedBy: undefined,
    erasedTop: top,
  };
}

/** What {@link planKeyPrefix} found: the oldest `count` stored versions go. */
export interface PrefixErasures {
  /** How many of the oldest stored versions the requests erase (0: none). */
  readonly count: number;
  /** The key's horizon afterwards. */
  readonly horizon: Horizon | undefined;
  /** As {@link KeyErasures.erasedTop}. */
  readonly erasedTop: number | undefined;
}

/**
 * {@link planKeyErasures} in O(requests) instead of O(versions), for the
 * common case, or `undefined` when it does not apply (the caller then plans
 * with {@link planKeyErasures}): every request judges every version left (its
 * ceiling at or above the newest), has no pending version, selects the
 * oldest versions left (`selectOldest` says how many of the first `length`
 * entries of `stored`, newest first), and no open snapshot holds any of it
 * back. The outcome is then exactly what {@link planKeyErasures} gives, with
 * nothing parked: each request erases the oldest versions it selects, which
 * it can since it keeps none below them.
 */
export function planKeyPrefix<R extends ErasureTerms>(
  stored: readonly number[],
  requests: readonly R[],
  selectOldest: (request: R, stored: readonly number[], length: number) => number,
  horizon: Horizon | undefined,
  snapshots: OpenSnapshots,
): PrefixErasures | undefined {
  let length = stored.length;
  let current = horizon;
  let top: number | undefined;
  for (const request of requests) {
    if (request.pendingVersion !== undefined) return undefined;
    if (length === 0) continue;
    if (request.ceiling < (stored[0] as number)) return undefined;
    const count = selectOldest(request, stored, length);
    if (count === 0) continue;
    const oldest = stored[length - 1] as number;
    const full = count === length;
    // The oldest survivor, or where the deletion takes effect (readableFromAfter).
    const next = full ? request.commitVersion : (stored[length - 1 - count] as number);
    const readableFrom = current === undefined ? next : Math.max(current.readableFrom, next);
    const erasedFrom = current === undefined ? oldest : Math.min(current.erasedFrom, oldest);
    // limitsOf: a snapshot that would be refused, or would lose what it reads, holds it back.
    const cap = lowestOutside(snapshots, erasedFrom, current);
    if (cap !== undefined && readableFrom > cap) return undefined;
    if (
      full &&
      lowestOutside(snapshots, Math.max(request.commitVersion, oldest), current) !== undefined
    )
      return undefined;
    current = horizonAfter(current, oldest, readableFrom);
    top = Math.max(top ?? 0, stored[length - count] as number);
    if (full) top = Math.max(top, request.commitVersion);
    length -= count;
  }
  return { count: stored.length - length, horizon: current, erasedTop: top };
}
