/**
 * Counting what the API fuzz did: cases, calls, and every outcome per method.
 *
 * The tally serves two ends: the diagnostic line the lead quotes (how many
 * cases and calls a run made, how many were rejected and with which code),
 * and a coverage check, so that a generator that silently stopped producing
 * wrong input (or valid input) fails the test instead of passing vacuously.
 *
 * @module
 */

import assert from 'node:assert/strict';

/** The public entry points the fuzz calls. */
export type Method =
  | 'open'
  | 'commit'
  | 'get'
  | 'contains'
  | 'versions'
  | 'range'
  | 'flush'
  | 'stats'
  | 'dropWorkerStats'
  | 'close'
  | 'begin'
  | 'transaction'
  | 'tx.get'
  | 'tx.contains'
  | 'tx.range'
  | 'tx.set'
  | 'tx.unset'
  | 'tx.remove'
  | 'tx.drop'
  | 'tx.asOf'
  | 'tx.commit'
  | 'tx.rollback';

/** `ok`, a StoreError code, or `hostile` (the caller's own error passed through). */
export type Outcome = string;

/** Counts of one fuzz run. */
export class FuzzTally {
  cases = 0;
  calls = 0;
  readonly #outcomes = new Map<Method, Map<Outcome, number>>();

  record(method: Method, outcome: Outcome): void {
    this.calls++;
    let byOutcome = this.#outcomes.get(method);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      this.#outcomes.set(method, byOutcome);
    }
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
  }

  /** How often `method` ended with `outcome` (any outcome when omitted). */
  count(method: Method, outcome?: Outcome): number {
    const byOutcome = this.#outcomes.get(method);
    if (byOutcome === undefined) return 0;
    if (outcome !== undefined) return byOutcome.get(outcome) ?? 0;
    return [...byOutcome.values()].reduce((a, b) => a + b, 0);
  }

  /** Calls that ended with anything but `ok`. */
  rejected(method: Method): number {
    return this.count(method) - this.count(method, 'ok');
  }

  /** Every code seen, over all methods. */
  codes(): Set<Outcome> {
    const codes = new Set<Outcome>();
    for (const byOutcome of this.#outcomes.values())
      for (const outcome of byOutcome.keys()) if (outcome !== 'ok') codes.add(outcome);
    return codes;
  }

  /** One line per method: `commit: 1234 ok, 456 INVALID_DELTA, ...`. */
  summary(): string[] {
    const lines = [`${this.cases} cases, ${this.calls} calls`];
    for (const [method, byOutcome] of this.#outcomes) {
      const parts = [...byOutcome].sort((a, b) => b[1] - a[1]).map(([o, n]) => `${n} ${o}`);
      lines.push(`  ${method}: ${parts.join(', ')}`);
    }
    return lines;
  }

  /** Every method ran, succeeded, and (when it takes input) was rejected; every code showed up. */
  assertCoverage(
    methods: readonly Method[],
    rejecting: readonly Method[],
    codes: readonly string[],
  ): void {
    for (const method of methods)
      assert.ok(this.count(method, 'ok') > 0, `${method} never succeeded`);
    for (const method of rejecting)
      assert.ok(this.rejected(method) > 0, `${method} was never rejected`);
    const seen = this.codes();
    for (const code of codes) assert.ok(seen.has(code), `no call was rejected with ${code}`);
  }
}
