/**
 * Findings of the crash checker: bounded lists of plain sentences, and the
 * hang guard for the store's promises.
 *
 * A flush or close that never resolves leaves the file locked by this
 * process, so later iterations could not even open it: such a hang is marked
 * `fatal` and the harness stops.
 *
 * @module
 */

/** How long a flush or close may take before the check calls it a hang. */
export const HANG_TIMEOUT_MS = 60_000;

const MAX_PROBLEMS = 25;

/** Collects findings (bounded). */
export class Findings {
  readonly list: string[] = [];
  fatal = false;

  /** Record one finding (past the bound, only a note that more were left out). */
  add(message: string): void {
    if (this.list.length < MAX_PROBLEMS) this.list.push(message);
    else if (this.list.length === MAX_PROBLEMS) this.list.push('... more problems omitted');
  }
}

/** Await `promise` with a hang guard; a hang is fatal (the file stays locked in this process). */
export async function settled(
  promise: Promise<void>,
  what: string,
  findings: Findings,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), HANG_TIMEOUT_MS);
  });
  try {
    if ((await Promise.race([promise, hang])) === 'hang') {
      findings.add(`${what} did not resolve within ${HANG_TIMEOUT_MS} ms`);
      findings.fatal = true;
      return false;
    }
    return true;
  } catch (error) {
    findings.add(`${what} failed: ${describeError(error)}`);
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/** A one-line description of a thrown value (a StoreError's code first). */
export function describeError(error: unknown): string {
  if (error instanceof Error)
    return `${(error as { code?: string }).code ?? error.name}: ${error.message}`;
  return String(error);
}
