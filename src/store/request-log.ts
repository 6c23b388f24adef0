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
 * @module
 */

import { TierIoError } from '../common/errors.js';
import type { LogRecord } from '../tier/tier.js';
import type { DropRequest } from './drop-batch.js';

/** The first byte of every record: its layout. */
const RECORD_LAYOUT = 1;

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder('utf-8', { fatal: true });

const UP_TO = 1;
const KEEP = 2;
const PENDING = 4;

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
  /** Per record, its requests not applied yet, in their order. */
  readonly #outstanding = new Map<number, DropRequest[]>();

  /** Take over the records kept in the tier; returns their requests, in order. */
  recover(records: readonly LogRecord[]): DropRequest[] {
    const requests: DropRequest[] = [];
    for (const record of records) {
      const decoded = decodeRecord(record);
      this.#outstanding.set(record.seq, decoded);
      this.#next = Math.max(this.#next, record.seq + 1);
      for (const request of decoded) requests.push(request);
    }
    return requests;
  }

  /** Reserve the next sequence number (the requests of its record carry it). */
  reserve(): number {
    return this.#next++;
  }

  /**
   * The record of `requests`: one commit's (or one sweep page's), all with
   * the same reserved `seq`, ceiling and commit version. They are tracked as
   * not applied until a flush settles them.
   */
  record(requests: readonly DropRequest[]): LogRecord {
    const seq = (requests[0] as DropRequest).seq;
    this.#outstanding.set(seq, requests.slice());
    return { seq, bytes: encodeRecord(requests) };
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
   * `notApplied`, or outside this flush). Call `settled()` once the tier has
   * taken it.
   */
  settle(
    requests: readonly DropRequest[],
    notApplied: ReadonlySet<DropRequest>,
  ): { forget: number[]; log: LogRecord[]; settled(): void } {
    const applied = new Map<number, number>();
    for (const request of requests) {
      if (!notApplied.has(request)) applied.set(request.seq, (applied.get(request.seq) ?? 0) + 1);
    }
    const forget: number[] = [];
    const log: LogRecord[] = [];
    const left = new Map<number, DropRequest[]>();
    for (const [seq, count] of applied) {
      const outstanding = this.#outstanding.get(seq) ?? [];
      // The usual flush applies whole records: nothing to filter.
      const remaining =
        count === outstanding.length ? [] : remainder(outstanding, requests, notApplied);
      left.set(seq, remaining);
      if (remaining.length === 0) forget.push(seq);
      else log.push({ seq, bytes: encodeRecord(remaining) });
    }
    const settled = () => {
      for (const [seq, remaining] of left) {
        if (remaining.length === 0) this.#outstanding.delete(seq);
        else this.#outstanding.set(seq, remaining);
      }
    };
    return { forget, log, settled };
  }
}

/** The requests of `outstanding` that this flush did not apply. */
function remainder(
  outstanding: readonly DropRequest[],
  requests: readonly DropRequest[],
  notApplied: ReadonlySet<DropRequest>,
): DropRequest[] {
  const flushed = new Set(requests);
  return outstanding.filter((request) => !flushed.has(request) || notApplied.has(request));
}

/** The requests of kept records, in order (decoding only; for tests and tools). */
export function recoverRequests(records: readonly LogRecord[]): DropRequest[] {
  return new RequestLog().recover(records);
}

/** Encode requests sharing one ceiling and commit version. */
export function encodeRecord(requests: readonly UnloggedRequest[]): Uint8Array {
  const first = requests[0];
  if (first === undefined) throw new RangeError('a record holds at least one request');
  const names: string[] = [];
  const index = new Map<string, number>();
  let size = 32;
  for (const request of requests) {
    if (!index.has(request.table)) {
      index.set(request.table, names.length);
      names.push(request.table);
      size += 8 + request.table.length * 3;
    }
    size += 24 + request.key.length;
  }
  const out = new ByteWriter(size);
  out.byte(RECORD_LAYOUT);
  out.number(first.ceiling);
  out.number(first.commitVersion);
  out.number(names.length);
  for (const name of names) out.bytes(ENCODER.encode(name));
  const runs = runsOf(requests);
  out.number(runs.length);
  for (const [start, end] of runs) {
    writeRunHeader(out, requests[start] as UnloggedRequest, index, end - start);
    for (let i = start; i < end; i++) out.bytes((requests[i] as UnloggedRequest).key);
  }
  return out.finish();
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

/** Decode one record into its requests (each carrying the record's `seq`). */
export function decodeRecord(record: LogRecord): DropRequest[] {
  const input = new ByteReader(record.bytes, record.seq);
  if (input.byte() !== RECORD_LAYOUT) input.fail('unknown record layout');
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
  input.end();
  return requests;
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
