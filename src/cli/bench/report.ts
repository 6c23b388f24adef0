/**
 * The benchmark report as text: one table of figures per tier, the targets,
 * the footprints, and what was missing.
 *
 * ```
 *   sqlite tier: median ops/s of 5 rounds (others 1), N = 100,000
 *   workload        shape    multistore  better-sqlite3  ratio     lmdb  ...  hyperbee
 *   W1 insert       shallow      24,800          26,860   0.92  339,000  ...     9,231
 *   W6 drop         deep         10,310          15,167   0.68   ...              n/a
 *
 *   targets: ratio of medians (ours / peer), higher is better
 *   comparison               workload    target  shallow    deep
 *   sqlite / better-sqlite3  W1 insert   >= 0.9  0.92 pass  0.88 miss
 *   sqlite grouped durable / lmdb (durable)   W1 insert  >= 0.5  0.09 miss  0.08 miss
 *     SQLite's ceiling: better-sqlite3-group / lmdb  W1 insert  none  0.21  0.19
 *
 *   bytes per stored version (each shape's history, N versions)
 *   implementation     measure  shallow  deep
 *   multistore-memory  heap         412   350
 * ```
 *
 * The rows of W7, W9 and W10 compare multistore with itself: the first
 * column is a `keepLastVersions: 1` table (W7) or transactions (W9, W10),
 * the second a plain table or plain commits. A run that was not
 * measured shows `missing` (not loaded) or `n/a` (cannot do the workload),
 * with the reasons listed under the tables. A reference ratio (targets.ts)
 * is printed indented under the target it explains, its target `none`:
 * it is not counted among the targets met. The JSON file (`--json`) holds
 * the full {@link BenchReport}: every round, not only medians.
 *
 * @module
 */

import { IMPLEMENTATIONS, implementation } from './catalog.js';
import type { BenchReport, FootprintFigures, GroupFigures, RunFigures } from './figures.js';
import { SELF_COMPARED, type ShapeId, type TierId, WORKLOAD_TITLES } from './plan.js';
import type { TargetResult } from './targets.js';

/** The report as printable lines. */
export function formatReport(report: BenchReport): string[] {
  const lines: string[] = [];
  for (const tier of report.tiers) {
    const groups = report.groups.filter((group) => group.tier === tier);
    if (groups.length > 0) lines.push(...formatTier(tier, groups, report), '');
  }
  if (report.targets.length > 0) lines.push(...formatTargets(report), '');
  if (report.footprints.length > 0) lines.push(...formatFootprints(report), '');
  lines.push(...legend(report));
  return lines;
}

function formatTier(tier: TierId, groups: readonly GroupFigures[], report: BenchReport): string[] {
  const compared = groups.filter((group) => !SELF_COMPARED.includes(group.workload));
  const peer = (compared[0] ?? groups[0])?.runs[1]?.label;
  // Every other peer of any group (a variant is measured on some workloads only), in catalog order.
  const otherRuns = compared.flatMap((group) => group.runs.slice(2));
  otherRuns.sort((a, b) => IMPLEMENTATIONS.indexOf(a.impl) - IMPLEMENTATIONS.indexOf(b.impl));
  const others = [...new Set(otherRuns.map((run) => run.label))];
  const header = ['workload', 'shape', 'multistore', peer ?? 'plain', 'ratio', ...others];
  const rows = groups.map((group) => [
    `${group.workload} ${group.title}`,
    group.shape,
    cell(group.runs[0]),
    cell(group.runs[1]),
    group.ratio === null ? '-' : group.ratio.toFixed(2),
    ...others.map((label) =>
      cell(
        group.runs.find((run) => run.label === label),
        '',
      ),
    ),
  ]);
  const rounds =
    report.otherPeerRounds !== report.rounds && others.length > 0
      ? `${plural(report.rounds, 'round')} (others ${report.otherPeerRounds})`
      : plural(report.rounds, 'round');
  const title = `${tier} tier: median ops/s of ${rounds}, N = ${count(report.n)}`;
  return [title, ...alignColumns([header, ...rows], 2)];
}

function formatTargets(report: BenchReport): string[] {
  const header = ['comparison', 'workload', 'target', ...report.shapes];
  const rows: string[][] = [];
  for (const result of report.targets) {
    const key = [result.comparison, `${result.workload} ${WORKLOAD_TITLES[result.workload]}`];
    let row = rows.find((r) => r[0] === key[0] && r[1] === key[1]);
    if (row === undefined) {
      row = [...key, `>= ${result.target.toFixed(1)}`, ...report.shapes.map(() => '')];
      rows.push(row);
    }
    row[3 + report.shapes.indexOf(result.shape)] = targetCell(result);
  }
  placeReferences(rows, report);
  const met = report.targets.filter((t) => t.status === 'pass').length;
  const judged = report.targets.filter((t) => t.status !== 'n/a').length;
  return [
    `targets: ratio of medians (ours / peer), higher is better; ${met} of ${judged} met`,
    ...alignColumns([header, ...rows], 3),
  ];
}

/**
 * The reference ratios as rows right after the rows of the target each
 * explains (at the end when that target is not in the run), indented under
 * it, with no threshold and no verdict.
 */
function placeReferences(rows: string[][], report: BenchReport): void {
  const referenceRows: { readonly beside: string; readonly row: string[] }[] = [];
  for (const result of report.references) {
    const key = [
      `  ${result.comparison}`,
      `${result.workload} ${WORKLOAD_TITLES[result.workload]}`,
    ];
    let entry = referenceRows.find(({ row }) => row[0] === key[0] && row[1] === key[1]);
    if (entry === undefined) {
      entry = { beside: result.beside, row: [...key, 'none', ...report.shapes.map(() => '')] };
      referenceRows.push(entry);
    }
    entry.row[3 + report.shapes.indexOf(result.shape)] = result.ratio?.toFixed(2) ?? 'n/a';
  }
  for (const beside of new Set(referenceRows.map((entry) => entry.beside))) {
    const mine = referenceRows.filter((entry) => entry.beside === beside).map(({ row }) => row);
    const last = rows.findLastIndex((row) => row[0] === beside);
    rows.splice(last === -1 ? rows.length : last + 1, 0, ...mine);
  }
}

function targetCell(result: TargetResult): string {
  if (result.ratio === null) return 'n/a';
  return `${result.ratio.toFixed(2)} ${result.status}`;
}

function formatFootprints(report: BenchReport): string[] {
  const impls = [...new Set(report.footprints.map((f) => f.impl))];
  const header = ['implementation', 'measure', ...report.shapes];
  const rows = impls.map((impl) => {
    const storage = implementation(impl).storage;
    const figure = (shape: ShapeId) => {
      const found = report.footprints.find((f) => f.impl === impl && f.shape === shape);
      return found === undefined ? '-' : footprintCell(found, storage);
    };
    const measure = storage === 'heap' ? 'heap' : storage === 'server' ? 'server' : 'disk';
    return [impl, measure, ...report.shapes.map(figure)];
  });
  return [
    'bytes per stored version (each shape holding its history: about N versions)',
    ...alignColumns([header, ...rows], 2),
  ];
}

function footprintCell(figures: FootprintFigures, storage: 'heap' | 'files' | 'server'): string {
  if (figures.status !== 'measured') return figures.status;
  const bytes = storage === 'heap' ? figures.heapBytesPerVersion : figures.diskBytesPerVersion;
  return count(Math.round(bytes));
}

function legend(report: BenchReport): string[] {
  const lines = [
    'ratio = multistore / the main peer (W7: keepLastVersions: 1 table / plain table; W9, W10: transactions / plain commits).',
    `W5 counts entries returned by scans of up to ${count(report.sizes.shallow?.scanKeys ?? report.sizes.deep?.scanKeys ?? 0)} keys, W6 keys whose older versions were dropped (timed until flush).`,
    `shapes: ${report.shapes.map((shape) => shapeText(report, shape)).join('; ')}.`,
    "heap: V8 heap and array buffers retained; disk: allocated file bytes after close; server: the tables and indexes of the subject's schema (pg_total_relation_size).",
  ];
  if (report.references.length > 0) {
    lines.push(
      'target none: a ratio shown under the target it explains, judged by no threshold and not counted among the targets met.',
    );
  }
  for (const { impl, reason } of report.missing) lines.push(`missing: ${impl} (${reason})`);
  for (const note of notApplicable(report)) lines.push(`n/a: ${note}`);
  lines.push(
    `Node ${report.node}, ${report.cpus.count} CPUs, wall time ${formatDuration(report.wallTimeMs)}.`,
  );
  return lines;
}

function shapeText(report: BenchReport, shape: ShapeId): string {
  const sizes = report.sizes[shape];
  return sizes === undefined
    ? shape
    : `${shape} ${count(sizes.keys)} keys x ${sizes.depth} versions`;
}

/** The distinct reasons of runs that are not applicable. */
function notApplicable(report: BenchReport): string[] {
  const notes = new Set<string>();
  for (const group of report.groups) {
    for (const run of group.runs) {
      if (run.status === 'n/a') notes.add(`${run.label} ${group.workload}: ${run.reason}`);
    }
  }
  return [...notes];
}

function cell(run: RunFigures | undefined, absent = '-'): string {
  if (run === undefined) return absent;
  return run.status === 'measured' ? count(Math.round(run.medianOpsPerSec)) : run.status;
}

/** Pad every column to its widest cell: the first `textColumns` left-aligned, figures right. */
function alignColumns(rows: readonly string[][], textColumns: number): string[] {
  const widths: number[] = [];
  for (const row of rows)
    for (const [i, text] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, text.length);
  return rows.map((row) =>
    row
      .map((text, i) =>
        i < textColumns ? text.padEnd(widths[i] ?? 0) : text.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

function plural(value: number, word: string): string {
  return `${value} ${word}${value === 1 ? '' : 's'}`;
}

function count(value: number): string {
  return value.toLocaleString('en-US');
}

/** `1m 23s` or `4.2s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
}
