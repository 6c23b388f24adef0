/**
 * The demo's closing report: plain text tables for stdout.
 *
 * ```
 *                              this run        total
 *   commits                      15,000       30,000
 *   conflicts retried               112          230
 *   ...
 *   conflicts: 112 transactions ran again after the other worker committed first,
 *     e.g. worker 1 lost "history:user:00007" to the commit at v41 and committed at v43
 *   table     prefix    retention  versions stored  current bytes  historical bytes
 *   history   history:  every      ...
 *
 *   time travel on "history:user:00007" (684 versions stored, v13,001..v30,000)
 *     read at v13,001 -> written at v13,001: {"user":7,"seq":13001,...}
 * ```
 *
 * Figures are read after `flush`, so the stored versions and bytes are exact.
 *
 * @module
 */

import type { StorageFigures } from '../../stats/figures.js';
import type { DemoResult, TimeTravelRead } from './run.js';
import { DEMO_TABLES, HISTORY_WINDOW } from './workload.js';

/** Longest value shown in a time-travel line. */
const VALUE_WIDTH = 72;

/** The report's lines. */
export function formatDemoReport(result: DemoResult): string[] {
  return [
    ...summaryTable(result),
    '',
    ...conflictLines(result),
    '',
    ...tableTable(result),
    '',
    ...timeTravelLines(result.timeTravel),
  ];
}

function summaryTable(result: DemoResult): string[] {
  const continuing = result.previous !== undefined || result.startVersion > 0;
  const both = (run: number, total: number) => (continuing ? [num(run), num(total)] : [num(run)]);
  const one = (value: string) => (continuing ? [value, ''] : [value]);
  const stored = totalStored(result.stats.total);
  const worker = result.dropWorker;
  const rows = [
    ['', ...(continuing ? ['this run', 'total'] : ['this run'])],
    ['commits', ...both(result.run.commits, result.total.commits)],
    ['versions written', ...both(result.run.versionsWritten, result.total.versionsWritten)],
    ['drop deltas committed', ...both(result.run.dropDeltas, result.total.dropDeltas)],
    ['conflicts retried', ...both(result.run.conflictsRetried, result.total.conflictsRetried)],
    ['commits/s', ...one(num(Math.round(result.run.commits / result.elapsedSeconds)))],
    ['elapsed', ...one(`${result.elapsedSeconds.toFixed(1)} s`)],
    ['versions stored', ...one(num(stored))],
    ['drops applied (versions erased)', ...one(num(worker.entriesDropped))],
    ['drop-worker requests', ...one(num(worker.requests))],
    ['drop-worker batches', ...one(num(worker.batches))],
    ['drop-worker backpressure', ...one(num(worker.backpressure))],
    ['drop-worker failures', ...one(num(worker.failures))],
  ];
  return alignRows(rows);
}

/** What the workers' conflicts were, with the first one as an example. */
function conflictLines(result: DemoResult): string[] {
  const retried = result.run.conflictsRetried;
  const head =
    `conflicts: ${num(retried)} transaction${retried === 1 ? '' : 's'} ran again after the ` +
    `other worker committed a key ${retried === 1 ? 'it' : 'they'} wrote first (nothing of a ` +
    'conflicting commit is written; the retry reads the new state)';
  const first = result.conflict;
  if (first === undefined) return [head];
  const key = first.key === undefined ? 'a key' : `"${first.key}"`;
  return [
    head,
    `  e.g. worker ${first.worker} lost ${key} to the commit at v${num(first.wonBy)}, ` +
      `then committed at v${num(first.retriedAt)}`,
  ];
}

function tableTable(result: DemoResult): string[] {
  const rows = [
    ['table', 'prefix', 'keeps', 'versions stored', 'current bytes', 'historical bytes'],
  ];
  for (const [name, figures] of tablesInOrder(result.stats.tables)) {
    rows.push([name, ...describeTable(name), ...figureCells(figures)]);
  }
  rows.push(['total', '', '', ...figureCells(result.stats.total)]);
  return alignRows(rows, 3);
}

/** `multi` first, then the demo's tables as declared, then any other. */
function tablesInOrder(
  tables: Readonly<Record<string, StorageFigures>>,
): [string, StorageFigures][] {
  const order = ['multi', ...DEMO_TABLES.map((table) => table.name)];
  const rank = (name: string) => (order.includes(name) ? order.indexOf(name) : order.length);
  return Object.entries(tables).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

function describeTable(name: string): [string, string] {
  const declared = DEMO_TABLES.find((table) => table.name === name);
  if (declared === undefined) return ['(other keys)', 'every version'];
  const keep = declared.retention?.keepLastVersions;
  return [String(declared.prefix), keep === undefined ? 'every version' : `last ${keep}`];
}

function figureCells(figures: StorageFigures): string[] {
  return [
    num(totalStored(figures)),
    bytes(figures.currentKeyBytes + figures.currentValueBytes),
    bytes(figures.historicalKeyBytes + figures.historicalValueBytes),
  ];
}

function timeTravelLines(travel: DemoResult['timeTravel']): string[] {
  const newest = travel.storedVersions[0];
  const oldest = travel.storedVersions.at(-1);
  if (newest === undefined || oldest === undefined) {
    return [`time travel on "${travel.key}": no version stored yet (run more commits)`];
  }
  return [
    `time travel on "${travel.key}" (${num(travel.storedVersions.length)} versions stored, ` +
      `v${num(oldest)}..v${num(newest)}; a ${num(HISTORY_WINDOW)}-version window, trimmed by periodic drops)`,
    ...travel.reads.map(readLine),
  ];
}

function readLine(read: TimeTravelRead): string {
  if (read.writtenAt === undefined || read.value === undefined) {
    return `  read at v${num(read.readAt)} -> None`;
  }
  const value =
    read.value.length > VALUE_WIDTH ? `${read.value.slice(0, VALUE_WIDTH - 3)}...` : read.value;
  return `  read at v${num(read.readAt)} -> written at v${num(read.writtenAt)}: ${value}`;
}

function totalStored(figures: StorageFigures): number {
  return figures.currentCount + figures.historicalCount;
}

/** Left-align the first `leftColumns` columns (text), right-align the others (figures). */
function alignRows(rows: readonly (readonly string[])[], leftColumns = 1): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, column) =>
        column < leftColumns
          ? cell.padEnd(widths[column] ?? 0)
          : cell.padStart(widths[column] ?? 0),
      )
      .join('   ')
      .trimEnd(),
  );
}

function num(value: number): string {
  return value.toLocaleString('en-US');
}

/** Bytes in binary units, about three significant figures. */
function bytes(value: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let scaled = value;
  let unit = 0;
  while (scaled >= 1024 && unit < units.length - 1) {
    scaled /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} B`;
  const digits = scaled < 10 ? 2 : scaled < 100 ? 1 : 0;
  return `${scaled.toFixed(digits)} ${units[unit]}`;
}
