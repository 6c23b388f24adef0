/**
 * The request log: drop requests acknowledged by a commit and not yet
 * applied, kept by the tier beside the data so that a crash loses none.
 *
 * A commit that makes drop requests (drop deltas, or writes to retention
 * tables) encodes them as ONE record, under the next sequence number, and
 * hands it to `tier.set` with its writes: the requests are durable exactly
 * when the commit is. A flush hands `tier.drop` the sequence numbers of the
 * records it applied, so they are forgotten exactly when their erasures are
 * durable. Opening the storage decodes the records left (only those: the
 * cost of recovery is the number of requests pending at the crash, never the
 * size of the data) and queues their requests again, in order:
 *
 * ```
 *   commit v=7 (2 requests)  ─► tier.set(7, writes, observe, { log: [#12: a keep 1, b drop <5] })
 *   commit v=8 (1 request)   ─► tier.set(8, writes, observe, { log: [#13: c keep 1] })
 *   flush of #12 and #13     ─► tier.drop(pairs, { forget: [12, 13] })
 *   crash before the flush   ─► open: readLog() = #12, #13 ─► the same 3 requests, queued again
 * ```
 *
 * A record is forgotten once every one of its requests is applied. A request
 * that is not (its key could not be read or erased: logged and counted as a
 * failure) keeps its record, rewritten to hold the requests left, so it is
 * tried again at the next open; so does a request a later flush will apply
 * (the log tracks each record's requests not applied yet).
 *
 * A record costs about one byte per request beside its key: the ceiling and
 * commit version are shared by the whole record, table names are written
 * once, and consecutive requests with the same table and constraints (the
 * retention requests of a commit, one per key it wrote) form one run:
 *
 * ```
 *   record   := 0x01 ceiling commitVersion nameCount (name)* runCount (run)*
 *   name     := length utf8-bytes
 *   run      := flags table [upToVersion] [keepLastVersions] keyCount (keyLength key-bytes)*
 *   flags    := bit 0 upToVersion given, bit 1 keepLastVersions given,
 *               bit 2 pendingVersion = commitVersion
 * ```
 *
 * with every number an unsigned LEB128 varint (versions are safe integers,
 * so at most 8 bytes). A record that does not decode is a damaged file:
 * `TIER_IO`.
 *
 * A commit with range drops (range-drops.ts) writes layout 2: layout 1's
 * fields, then its range drops, each with its progress:
 *
 * ```
 *   record   := 0x02 ceiling commitVersion nameCount (name)* runCount (run)* rangeCount (range)*
 *   range    := flags [upToVersion] [keepLastVersions] [startKey] [endKey]
 *               writtenCount (keyLength key-bytes)* [cursorTable [lastKey]]
 *   flags    := bit 0 upToVersion given, bit 1 keepLastVersions given,
 *               bits 2-3 start, bits 4-5 end (0 open, 1 included, 2 excluded),
 *               bit 6 a cursor (a table name index), bit 7 the cursor has a last key
 * ```
 *
 * A range drop stays in its record until its last page is applied, and
 * every step that takes a page of it rewrites the record with the range's
 * new cursor, in the tier step that applies the page: the keys before the
 * cursor are either applied (durably, in that step) or, when held back by a
 * snapshot or failed, written into the record as per-key requests of their
 * own. After a crash the range resumes at its cursor; a page applied twice
 * erases nothing more (a request only ever erases what its constraints
 * select at or below its ceiling).
 *
 * @module
 */

import { binaryStringToBytes, bytesToBinaryString } from '../common/bytes.js';
import { TierIoError } from '../common/errors.js';
import type { Bound, LogRecord } from '../tier/tier.js';
import type { DropRequest } from './drop-batch.js';
import type { RangeDrop, RangeDropCursor, RangeDropSpec } from './range-drops.js';

/** The first byte of every record: its layout (2: with range drops). */
const RECORD_LAYOUT = 1;
const RANGE_LAYOUT = 2;

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder('utf-8', { fatal: true });

const UP_TO = 1;
const KEEP = 2;
const PENDING = 4;
const CURSOR = 64;
const LAST_KEY = 128;
const BOUND_KINDS = ['unbounded', 'included', 'excluded'] as const;

/** What a record holds: per-key requests, and range drops with their progress. */
export type LoggedDrop = DropRequest | RangeDrop;

/** A range drop as a record keeps it, to be resumed at open. */
export interface DecodedRange {
  readonly spec: RangeDropSpec;
  readonly cursor: RangeDropCursor | undefined;
  readonly seq: number;
}

function isRange(entry: LoggedDrop): entry is RangeDrop {
  return 'spec' in entry;
}

/** A request before it has a sequence number. */
export type UnloggedRequest = Omit<DropRequest, 'seq'>;

/**
 * The records a store has in its tier's log, and the requests of each that
 * are not applied yet. A flush may apply part of a record (a request that
 * fails; with transactions, one held back for an open snapshot, whose
 * remaining requests a later flush applies): the log rewrites the record to
 * hold what is left, under the same `seq`, and forgets it once nothing is.
 */
export class RequestLog {
  #next = 1;
  /** Per record, its requests not applied yet (and its range drops not done), in their order. */
  readonly #outstanding = new Map<number, LoggedDrop[]>();
  /** The records that hold (or held) a range drop: their expanded requests settle by hand. */
  readonly #ranged = new Set<number>();

  /**
   * Take over the records kept in the tier; returns their requests, in
   * order, each range drop as `resume` rebuilds it.
   */
  recover(
    records: readonly LogRecord[],
    resume: (range: DecodedRange) => RangeDrop = noRanges,
  ): LoggedDrop[] {
    const entries: LoggedDrop[] = [];
    for (const record of records) {
      const decoded = decodeEntries(record);
      const resumed: LoggedDrop[] = [...decoded.requests, ...decoded.ranges.map(resume)];
      if (decoded.ranges.length > 0) this.#ranged.add(record.seq);
      this.#outstanding.set(record.seq, resumed);
      this.#next = Math.max(this.#next, record.seq + 1);
      for (const entry of resumed) entries.push(entry);
    }
    return entries;
  }

  /** Reserve the next sequence number (the requests of its record carry it). */
  reserve(): number {
    return this.#next++;
  }

  /**
   * The record of `entries`: one commit's (or one sweep page's), all with
   * the same reserved `seq`, ceiling and commit version. They are tracked as
   * not applied until a flush settles them.
   */
  record(entries: readonly LoggedDrop[]): LogRecord {
    const seq = (entries[0] as LoggedDrop).seq;
    this.#outstanding.set(seq, entries.slice());
    if (entries.some(isRange)) this.#ranged.add(seq);
    return { seq, bytes: encodeEntries(entries) };
  }

  /** {@link reserve} and {@link record} for requests built without a seq. */
  append(requests: readonly UnloggedRequest[]): { requests: DropRequest[]; record: LogRecord } {
    const seq = this.reserve();
    const numbered = requests.map((request) => ({ ...request, seq }));
    return { requests: numbered, record: this.record(numbered) };
  }

  /**
   * What a flush of `requests` tells the tier: forget the records left with
   * nothing to apply, rewrite those that still hold requests (the ones in
   * `notApplied`, or outside this flush). `stepped` are the range drops the
   * flush took a page of: their records are rewritten with their new
   * cursor, holding the requests of that page not applied (held back or
   * failed), or forgotten once nothing is left. Call `settled()` once the
   * tier has taken it.
   */
  settle(
    requests: readonly DropRequest[],
    notApplied: ReadonlySet<DropRequest>,
    stepped: readonly RangeDrop[] = [],
  ): { forget: number[]; log: LogRecord[]; settled(): void } {
    const applied = new Map<number, number>();
    for (const request of requests) {
      if (!notApplied.has(request)) applied.set(request.seq, (applied.get(request.seq) ?? 0) + 1);
    }
    const touched = new Set(applied.keys());
    for (const range of stepped) touched.add(range.seq);
    for (const request of notApplied) if (this.#ranged.has(request.seq)) touched.add(request.seq);
    const flushed = new Set(requests);
    const forget: number[] = [];
    const log: LogRecord[] = [];
    const left = new Map<number, LoggedDrop[]>();
    for (const seq of touched) {
      const outstanding = this.#outstanding.get(seq) ?? [];
      // The usual flush applies whole records: nothing to filter.
      const remaining =
        !this.#ranged.has(seq) && applied.get(seq) === outstanding.length
          ? []
          : remainder(seq, outstanding, requests, flushed, notApplied);
      left.set(seq, remaining);
      if (remaining.length === 0) forget.push(seq);
      else log.push({ seq, bytes: encodeEntries(remaining) });
    }
    const settled = () => {
      for (const [seq, remaining] of left) {
        if (remaining.length > 0) this.#outstanding.set(seq, remaining);
        else {
          this.#outstanding.delete(seq);
          this.#ranged.delete(seq);
        }
      }
    };
    return { forget, log, settled };
  }
}

function noRanges(): never {
  throw new TierIoError('the drop log holds a range drop where none can be resumed', undefined);
}

/**
 * What record `seq` still holds after a flush: its requests this flush did
 * not apply, its range drops not finished (at their new cursor), and the
 * requests of this flush expanded from them that were not applied.
 */
function remainder(
  seq: number,
  outstanding: readonly LoggedDrop[],
  requests: readonly DropRequest[],
  flushed: ReadonlySet<DropRequest>,
  notApplied: ReadonlySet<DropRequest>,
): LoggedDrop[] {
  const remaining = outstanding.filter((entry) =>
    isRange(entry) ? !entry.finished : !flushed.has(entry) || notApplied.has(entry),
  );
  const kept = new Set(outstanding);
  for (const request of requests) {
    if (request.seq === seq && notApplied.has(request) && !kept.has(request))
      remaining.push(request);
  }
  return remaining;
}

/** The requests of kept records, in order (decoding only; for tests and tools). */
export function recoverRequests(records: readonly LogRecord[]): DropRequest[] {
  return records.flatMap((record) => decodeEntries(record).requests);
}

/** The range drops of kept records, in order, with their cursors (for tests and tools). */
export function recoverRanges(records: readonly LogRecord[]): DecodedRange[] {
  return records.flatMap((record) => decodeEntries(record).ranges);
}

/** Encode a record's entries (one commit's: one ceiling and commit version). */
function encodeEntries(entries: readonly LoggedDrop[]): Uint8Array {
  const requests: DropRequest[] = [];
  const ranges: RangeDrop[] = [];
  for (const entry of entries) {
    if (isRange(entry)) ranges.push(entry);
    else requests.push(entry);
  }
  return encodeRecord(requests, ranges);
}

/** Encode requests (and range drops, at their cursors) sharing one ceiling and commit version. */
export function encodeRecord(
  requests: readonly UnloggedRequest[],
  ranges: readonly RangeDrop[] = [],
): Uint8Array {
  const first = requests[0] ?? ranges[0]?.spec;
  if (first === undefined) throw new RangeError('a record holds at least one request');
  const names: string[] = [];
  const index = new Map<string, number>();
  let size = 32;
  const name = (table: string) => {
    if (index.has(table)) return;
    index.set(table, names.length);
    names.push(table);
    size += 8 + table.length * 3;
  };
  for (const request of requests) {
    name(request.table);
    size += 24 + request.key.length;
  }
  for (const range of ranges) {
    const cursor = range.cursor;
    if (cursor !== undefined) name(cursor.table);
  }
  const out = new ByteWriter(size);
  out.byte(ranges.length > 0 ? RANGE_LAYOUT : RECORD_LAYOUT);
  out.number(first.ceiling);
  out.number(first.commitVersion);
  out.number(names.length);
  for (const table of names) out.bytes(ENCODER.encode(table));
  const runs = runsOf(requests);
  out.number(runs.length);
  for (const [start, end] of runs) {
    writeRunHeader(out, requests[start] as UnloggedRequest, index, end - start);
    for (let i = start; i < end; i++) out.bytes((requests[i] as UnloggedRequest).key);
  }
  if (ranges.length === 0) return out.finish();
  out.number(ranges.length);
  for (const range of ranges) writeRange(out, range, index);
  return out.finish();
}

/** A range drop: its constraints, bounds, the keys its commit wrote, its cursor. */
function writeRange(out: ByteWriter, range: RangeDrop, index: ReadonlyMap<string, number>): void {
  const { spec } = range;
  const cursor = range.cursor;
  let flags = BOUND_KINDS.indexOf(spec.start.kind) << 2;
  flags |= BOUND_KINDS.indexOf(spec.end.kind) << 4;
  if (spec.upToVersion !== undefined) flags |= UP_TO;
  if (spec.keepLastVersions !== undefined) flags |= KEEP;
  if (cursor !== undefined) flags |= CURSOR;
  if (cursor?.lastKey !== undefined) flags |= LAST_KEY;
  out.byte(flags);
  if (spec.upToVersion !== undefined) out.number(spec.upToVersion);
  if (spec.keepLastVersions !== undefined) out.number(spec.keepLastVersions);
  if (spec.start.kind !== 'unbounded') out.bytes(spec.start.key);
  if (spec.end.kind !== 'unbounded') out.bytes(spec.end.key);
  out.number(spec.written.size);
  for (const id of spec.written) out.bytes(binaryStringToBytes(id));
  if (cursor === undefined) return;
  out.number(index.get(cursor.table) as number);
  if (cursor.lastKey !== undefined) out.bytes(cursor.lastKey);
}

/** Read what {@link writeRange} wrote. */
function readRange(
  input: ByteReader,
  names: readonly string[],
  header: { readonly ceiling: number; readonly commitVersion: number; readonly seq: number },
): DecodedRange {
  const flags = input.byte();
  const upToVersion = flags & UP_TO ? input.number() : undefined;
  const keepLastVersions = flags & KEEP ? input.number() : undefined;
  const start = readBound(input, (flags >> 2) & 3);
  const end = readBound(input, (flags >> 4) & 3);
  const written = new Set<string>();
  for (let count = input.number(); count > 0; count--)
    written.add(bytesToBinaryString(input.bytes()));
  let cursor: RangeDropCursor | undefined;
  if (flags & CURSOR) {
    const table = names[input.number()] ?? input.fail('a range drop names no table');
    cursor = { table, lastKey: flags & LAST_KEY ? input.bytes().slice() : undefined };
  }
  const { ceiling, commitVersion, seq } = header;
  const spec = { start, end, upToVersion, keepLastVersions, ceiling, commitVersion, written };
  return { spec, cursor, seq };
}

function readBound(input: ByteReader, kind: number): Bound {
  const name = BOUND_KINDS[kind] ?? input.fail('a range bound of unknown kind');
  return name === 'unbounded' ? { kind: name } : { kind: name, key: input.bytes().slice() };
}

/** `[start, end)` index pairs of consecutive requests with the same table and constraints. */
function runsOf(requests: readonly UnloggedRequest[]): [number, number][] {
  const runs: [number, number][] = [];
  let start = 0;
  for (let i = 1; i <= requests.length; i++) {
    const a = requests[start] as UnloggedRequest;
    const b = requests[i];
    const same =
      b !== undefined &&
      b.table === a.table &&
      b.upToVersion === a.upToVersion &&
      b.keepLastVersions === a.keepLastVersions &&
      b.pendingVersion === a.pendingVersion;
    if (same) continue;
    runs.push([start, i]);
    start = i;
  }
  return runs;
}

function writeRunHeader(
  out: ByteWriter,
  request: UnloggedRequest,
  index: ReadonlyMap<string, number>,
  count: number,
): void {
  const { upToVersion, keepLastVersions, pendingVersion } = request;
  let flags = 0;
  if (upToVersion !== undefined) flags |= UP_TO;
  if (keepLastVersions !== undefined) flags |= KEEP;
  if (pendingVersion !== undefined) flags |= PENDING;
  out.byte(flags);
  out.number(index.get(request.table) as number);
  if (upToVersion !== undefined) out.number(upToVersion);
  if (keepLastVersions !== undefined) out.number(keepLastVersions);
  out.number(count);
}

/** Decode one record into its requests (each carrying the record's `seq`); range drops aside. */
export function decodeRecord(record: LogRecord): DropRequest[] {
  return decodeEntries(record).requests;
}

/** Decode one record: its requests and its range drops (each carrying the record's `seq`). */
function decodeEntries(record: LogRecord): { requests: DropRequest[]; ranges: DecodedRange[] } {
  const input = new ByteReader(record.bytes, record.seq);
  const layout = input.byte();
  if (layout !== RECORD_LAYOUT && layout !== RANGE_LAYOUT) input.fail('unknown record layout');
  const ceiling = input.number();
  const commitVersion = input.number();
  const names: string[] = [];
  for (let count = input.number(); count > 0; count--) names.push(input.text());
  const requests: DropRequest[] = [];
  for (let runs = input.number(); runs > 0; runs--) {
    const flags = input.byte();
    const table = names[input.number()] ?? input.fail('a request names no table');
    const upToVersion = flags & UP_TO ? input.number() : undefined;
    const keepLastVersions = flags & KEEP ? input.number() : undefined;
    const pendingVersion = flags & PENDING ? commitVersion : undefined;
    for (let count = input.number(); count > 0; count--) {
      const key = input.bytes().slice();
      const seq = record.seq;
      requests.push({
        table,
        key,
        upToVersion,
        keepLastVersions,
        pendingVersion,
        ceiling,
        commitVersion,
        seq,
      });
    }
  }
  const ranges: DecodedRange[] = [];
  if (layout === RANGE_LAYOUT) {
    const header = { ceiling, commitVersion, seq: record.seq };
    for (let count = input.number(); count > 0; count--)
      ranges.push(readRange(input, names, header));
  }
  input.end();
  return { requests, ranges };
}

/** Appends bytes and varints to a buffer that grows as needed. */
class ByteWriter {
  #buffer: Uint8Array;
  #length = 0;

  constructor(size: number) {
    this.#buffer = new Uint8Array(size);
  }

  byte(value: number): void {
    this.#room(1);
    this.#buffer[this.#length++] = value;
  }

  /** A non-negative safe integer as an unsigned LEB128 varint. */
  number(value: number): void {
    this.#room(8);
    let rest = value;
    while (rest >= 0x80) {
      this.#buffer[this.#length++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#buffer[this.#length++] = rest;
  }

  /** A length, then the bytes. */
  bytes(bytes: Uint8Array): void {
    this.number(bytes.length);
    this.#room(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  finish(): Uint8Array {
    return this.#buffer.subarray(0, this.#length);
  }

  #room(needed: number): void {
    if (this.#length + needed <= this.#buffer.length) return;
    const grown = new Uint8Array(Math.max(this.#buffer.length * 2, this.#length + needed));
    grown.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = grown;
  }
}

/** Reads what {@link ByteWriter} wrote; any inconsistency is a damaged record (`TIER_IO`). */
class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #seq: number;
  #offset = 0;

  constructor(bytes: Uint8Array, seq: number) {
    this.#bytes = bytes;
    this.#seq = seq;
  }

  byte(): number {
    const value = this.#bytes[this.#offset++];
    return value ?? this.fail('the record ends early');
  }

  number(): number {
    let value = 0;
    let scale = 1;
    for (let length = 0; length < 8; length++) {
      const byte = this.byte();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) this.fail('a number is out of range');
        return value;
      }
      scale *= 0x80;
    }
    return this.fail('a number is too long');
  }

  bytes(): Uint8Array {
    const length = this.number();
    if (this.#offset + length > this.#bytes.length) this.fail('the record ends early');
    const bytes = this.#bytes.subarray(this.#offset, this.#offset + length);
    this.#offset += length;
    return bytes;
  }

  text(): string {
    const bytes = this.bytes();
    try {
      return DECODER.decode(bytes);
    } catch {
      return this.fail('a table name is not UTF-8');
    }
  }

  end(): void {
    if (this.#offset !== this.#bytes.length) this.fail('the record has trailing bytes');
  }

  fail(reason: string): never {
    throw new TierIoError(`drop log record ${this.#seq} is damaged: ${reason}`, undefined);
  }
}
