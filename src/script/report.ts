/**
 * Turning results into text a person can act on.
 *
 * A failing file shows each failing block with its location, its commands and
 * a line diff of expected (`-`) against actual (`+`) output:
 *
 * ```
 *   FAIL [sqlite] conformance/reference/tier/drop/parity/01_parity
 *     at conformance/reference/tier/drop/parity/01_parity:31
 *       > storage_size
 *       > count_entries
 *     --- expected
 *     +++ actual
 *        size: 2
 *     -  entries: 1
 *     +  entries: 2
 * ```
 *
 * A file that could not run at all (malformed, no runner) shows one error
 * line instead. A script listed in the exclusion file that failed as expected
 * shows one line with its reason, on every run:
 *
 * ```
 *   EXCLUDED [memory] txn-conformance/reference/multi/x: why we decided against it
 * ```
 *
 * The run ends with one summary line per tier and the combined
 * `N passed, N failed, N excluded` line, always last.
 *
 * @module
 */

import type { FileResult } from './run.js';
import type { ScriptTierKind } from './runner.js';

/** Passed/failed/excluded file counts. */
export interface Tally {
  readonly passed: number;
  readonly failed: number;
  readonly excluded: number;
}

/** The report of one failing or excluded file (empty for a passing one). */
export function formatFailure(result: FileResult): string[] {
  if (result.passed) return [];
  if (result.excluded !== undefined) {
    return [`EXCLUDED [${result.tierKind}] ${result.file}: ${result.excluded}`];
  }
  const lines = [`FAIL [${result.tierKind}] ${result.file}`];
  for (const error of result.errors) lines.push(`  error: ${error}`);
  for (const block of result.failures) {
    lines.push(`  at ${result.file}:${block.line}`);
    for (const command of block.commands) lines.push(`    > ${command}`);
    lines.push('  --- expected', '  +++ actual');
    for (const line of diffLines(block.expected, block.actual)) lines.push(`  ${line}`);
  }
  return lines;
}

/** `memory: 23 passed, 0 failed, 0 excluded` per tier, then the same over all. */
export function formatSummary(
  results: readonly FileResult[],
  tiers: readonly ScriptTierKind[],
): string[] {
  const lines = tiers.map((tier) => {
    const tally = tallyOf(results.filter((result) => result.tierKind === tier));
    return `${tier}: ${formatTally(tally)}`;
  });
  lines.push(formatTally(tallyOf(results)));
  return lines;
}

/** Count passed, failed and excluded results. */
export function tallyOf(results: readonly FileResult[]): Tally {
  const passed = results.filter((result) => result.passed).length;
  const excluded = results.filter((result) => result.excluded !== undefined).length;
  return { passed, failed: results.length - passed - excluded, excluded };
}

function formatTally(tally: Tally): string {
  return `${tally.passed} passed, ${tally.failed} failed, ${tally.excluded} excluded`;
}

/**
 * A line diff: `   line` in both, `-  line` only expected, `+  line` only
 * actual. Uses a longest common subsequence, fine for block-sized outputs.
 */
export function diffLines(expected: readonly string[], actual: readonly string[]): string[] {
  const common = lcsTable(expected, actual);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < expected.length || j < actual.length) {
    if (i < expected.length && j < actual.length && expected[i] === actual[j]) {
      out.push(`   ${expected[i++]}`);
      j++;
    } else if (i < expected.length && (j >= actual.length || dropExpectedFirst(common, i, j))) {
      out.push(`-  ${expected[i++]}`);
    } else {
      out.push(`+  ${actual[j++]}`);
    }
  }
  return out;
}

/** On a mismatch, print the expected line first unless that loses common lines. */
function dropExpectedFirst(common: number[][], i: number, j: number): boolean {
  return cell(common, i + 1, j) >= cell(common, i, j + 1);
}

/** `table[i][j]`: length of the longest common subsequence of `a[i..]` and `b[j..]`. */
function lcsTable(a: readonly string[], b: readonly string[]): number[][] {
  const table = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      const row = table[i] as number[];
      row[j] =
        a[i] === b[j]
          ? cell(table, i + 1, j + 1) + 1
          : Math.max(cell(table, i + 1, j), cell(table, i, j + 1));
    }
  }
  return table;
}

function cell(table: number[][], i: number, j: number): number {
  return table[i]?.[j] ?? 0;
}
