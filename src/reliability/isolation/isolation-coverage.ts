/**
 * What the randomized isolation test reached: counters summed over the runs
 * of a setup. The suite asserts that each interesting one was reached, so
 * that a generator that stopped reaching conflicts, parked drops or refusals
 * cannot leave the checks vacuous.
 *
 * @module
 */

/** What the generator reached, summed over runs (the test asserts each is reached). */
export interface Coverage {
  runs: number;
  commits: number;
  writeConflicts: number;
  readConflicts: number;
  writeSkewsCommitted: number;
  parkedSeen: number;
  versionTooOld: number;
  /** Explicit writes below a deletion of their key, refused (the drop rule, step 6). */
  writesUnderDeletion: number;
  snapshotViolations: number;
  expired: number;
  reopened: number;
  /** Commits a drop-only commit from before the transaction began may or may not have failed. */
  dropOnlyConflicts: number;
  /** Plain commits holding a range drop. */
  rangeDrops: number;
  /** Transactions that conflicted with a range drop (and with nothing else). */
  rangeDropConflicts: number;
}

/** A fresh coverage tally. */
export function emptyCoverage(): Coverage {
  return {
    runs: 0,
    commits: 0,
    writeConflicts: 0,
    readConflicts: 0,
    writeSkewsCommitted: 0,
    parkedSeen: 0,
    versionTooOld: 0,
    writesUnderDeletion: 0,
    snapshotViolations: 0,
    expired: 0,
    reopened: 0,
    dropOnlyConflicts: 0,
    rangeDrops: 0,
    rangeDropConflicts: 0,
  };
}
