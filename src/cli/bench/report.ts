/**
 * The benchmark report as text: one table per tier, aligned by hand.
 *
 * ```
 *   sqlite tier: median ops/s of 5 rounds, N = 100,000
 *   workload            multistore  better-sqlite3  ratio  target          lmdb  lmdb-nosync
 *   W1 insert               95,000         100,000   0.95  >= 0.9       150,000      180,000
 *   W3 get latest           60,000         100,000   0.60  >= 0.8  !!    ...
 * ```
 *
 * `!!` marks a ratio below its target. W7's row compares multistore with
 * itself: the first column is a `keepLastVersions: 1` table, the second a
 * plain one. The JSON file (`--json`) holds the full {@link BenchReport}:
 * every round, not only medians.
 *
 * @module
 */

import type { BenchReport, GroupFigures, RunFigures } from './harness.js';
import type { TierId } from './plan.js';

const BELOW = '!!';
const OK = '';

const PEER_OF: Readonly<Record<TierId, string>> = Object.freeze({
  memory: 'sorted-btree',
  sqlite: 'better-sqlite3',
});

/** The report as printable lines. */
export function formatReport(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const tier of report.tiers) {
    const groups = report.groups.filter((group) => group.tier === tier);
    lines.push(...formatTier(tier, groups, report), '');
  }
  lines.push(...legend(report));
  return lines;
}

function formatTier(tier: TierId, groups: readonly GroupFigures[], report: BenchReport): string[] {
  const references = [
    ...new Set(
      groups.flatMap((group) =>
        group.runs.filter((run) => run.role === 'reference').map((run) => run.label),
      ),
    ),
  ];
  const header = ['workload', 'multistore', PEER_OF[tier], 'ratio', 'target', '', ...references];
  const rows = groups.map((group) => tierRow(group, references));
  const title = `${tier} tier: median ops/s of ${report.rounds} round${report.rounds === 1 ? '' : 's'}, N = ${formatCount(report.n)}`;
  return [title, ...alignColumns([header, ...rows])];
}

function tierRow(group: GroupFigures, references: readonly string[]): string[] {
  const ours = group.runs.find((run) => run.role === 'ours');
  const peer = group.runs.find((run) => run.role === 'peer');
  const reference = (label: string): string => {
    const run = group.runs.find((candidate) => candidate.label === label);
    return run === undefined ? '-' : formatOps(run);
  };
  return [
    `${group.workload} ${group.title}`,
    ours === undefined ? '-' : formatOps(ours),
    peer === undefined ? '-' : formatOps(peer),
    Number.isFinite(group.ratio) ? group.ratio.toFixed(2) : '-',
    `>= ${group.target.toFixed(1)}`,
    group.met ? OK : BELOW,
    ...references.map(reference),
  ];
}

function legend(report: BenchReport): string[] {
  const w7 = report.groups.filter((group) => group.workload === 'W7');
  const after = w7.map((group) => {
    const retention = group.runs.find((run) => run.retention)?.versionsPerKey;
    return `${group.tier} ${retention === undefined ? '?' : `${retention.min}..${retention.max}`}`;
  });
  return [
    `${BELOW} = ratio below target. ratio = multistore / peer (W7: retention / plain).`,
    `W5 counts entries returned by scans of ${formatCount(report.sizes.scanKeys)} keys, W6 keys whose older versions were dropped (timed until flush).`,
    `W7: first column a keepLastVersions: 1 table, second the same table without retention; versions per key after flush: ${after.join(', ') || '-'}.`,
    `lmdb figures are a reference, not a target. Node ${report.node}, ${report.cpus.count} CPUs, wall time ${formatDuration(report.wallTimeMs)}.`,
  ];
}

/** Pad every column to its widest cell: text left-aligned, figures right-aligned. */
function alignColumns(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === 0 || i === 4 || i === 5 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

function formatOps(run: RunFigures): string {
  return formatCount(Math.round(run.medianOpsPerSec));
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** `1m 23s` or `4.2s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}
