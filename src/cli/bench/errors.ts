/**
 * The benchmark's own failure: a child process failed, a check did not hold
 * (a key kept more versions than allowed, implementations disagree on what
 * they read), or the command line was unusable.
 *
 * It is a CLI concern, not a store error, so it is no {@link StoreError} and
 * adds no code to the library's public list; the command prints its message
 * as one line and exits non-zero.
 *
 * @module
 */

/** A benchmark run that cannot produce trustworthy figures. */
export class BenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchError';
  }
}
