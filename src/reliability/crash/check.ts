/**
 * After a crash: reopen the file and compare it with the model.
 *
 * ```
 *   reopen ─► latest L: lastAcked <= L <= lastAcked + inFlight (1; grouped commits: a burst)
 *          ─► the drop requests recovered from the log (how many: the report)
 *          ─► verify(): the figures the file keeps equal a recount of its data
 *          ─► model.advanceTo(L)
 *          ─► every key of every table vs the model (must / maybe / unknown, values)
 *          ─► this child's acknowledged commits read back at their versions
 *          ─► in flight (after lastAcked): L all of its writes at its version, L+1 none
 *             (those below L: the model's, above)
 *          ─► flush: every key holds exactly what applying every acknowledged drop
 *             leaves, statistics equal a recount, verify() again
 *          ─► commit L+1, read it back, close
 * ```
 *
 * Which stored versions a check may demand, and which it must tolerate as
 * erased by a drop that may or may not have run before the crash, is the
 * rule documented in model.ts.
 *
 * Every finding is a plain sentence in {@link CheckReport.problems}. A finding
 * that leaves the model unable to follow the file (the latest version went
 * backwards) or the file locked in this process (a flush or close that never
 * resolves) is `fatal`: the harness stops there instead of piling up noise.
 *
 * @module
 */

import { equalBytes, fromUtf8 } from '../../common/bytes.js';
import { MultiStore, type StoredVersion } from '../../store/multistore.js';
import { checkAfterFlush, checkVerify } from './check-flush.js';
import type { ChildLife } from './child-run.js';
import { describeError, Findings, settled } from './findings.js';
import type { CrashModel, KeyModel } from './model.js';
import {
  CRASH_TABLE_DECLARATIONS,
  commitDeltas,
  keysOf,
  valueFor,
  WORKLOAD_TABLES,
  workloadCommit,
} from './workload.js';

/** The outcome of one reopen check. */
export interface CheckReport {
  /** The latest version found at reopen (undefined if the reopen failed). */
  readonly latest: number | undefined;
  /** Whether commits after the last acknowledged one were found in the file. */
  readonly inFlight: 'absent' | 'visible' | 'none';
  /** Drop requests the reopened store found pending in the file's log. */
  readonly recovered: number;
  readonly problems: readonly string[];
  /** The run cannot go on (see the module documentation). */
  readonly fatal: boolean;
}

/**
 * Reopen `path` after `life` ended and check it against `model` (advanced in
 * place). `inFlight`: how many commits may be written and not acknowledged
 * (1 for plain commits, a burst for grouped ones).
 */
export async function checkAfterCrash(
  path: string,
  model: CrashModel,
  life: ChildLife,
  inFlight = 1,
): Promise<CheckReport> {
  const findings = new Findings();
  let store: MultiStore;
  try {
    store = MultiStore.open({ path, tables: CRASH_TABLE_DECLARATIONS });
  } catch (error) {
    findings.add(`reopen failed: ${describeError(error)}`);
    return {
      latest: undefined,
      inFlight: 'none',
      recovered: 0,
      problems: findings.list,
      fatal: true,
    };
  }
  const latest = store.latestVersion;
  const recovered = store.dropWorkerStats().requests;
  let found: CheckReport['inFlight'] = 'none';
  try {
    found = await checkOpenStore(store, model, life, inFlight, findings);
  } catch (error) {
    findings.add(`check threw: ${describeError(error)}`);
  } finally {
    await closeStore(store, findings);
  }
  return { latest, inFlight: found, recovered, problems: findings.list, fatal: findings.fatal };
}

async function checkOpenStore(
  store: MultiStore,
  model: CrashModel,
  life: ChildLife,
  inFlight: number,
  findings: Findings,
): Promise<CheckReport['inFlight']> {
  const previous = model.version;
  const latest = store.latestVersion;
  const lastAcked = checkAcknowledgements(life, previous, findings);
  const floor = Math.max(previous, lastAcked);
  if (latest < previous) {
    findings.add(`latest version ${latest} is below ${previous}, checked before this child`);
    findings.fatal = true;
    return 'none';
  }
  if (latest < lastAcked)
    findings.add(`acknowledged commits lost: latest version ${latest} < last ack ${lastAcked}`);
  if (latest > floor + inFlight)
    findings.add(
      `latest version ${latest}: more than ${inFlight} commit(s) after the last ack ${floor}`,
    );
  checkVerify(store, 'after reopen', findings);
  model.advanceTo(latest);
  checkStoredState(store, model, findings);
  checkAcknowledgedReads(store, model, previous, Math.min(lastAcked, latest), findings);
  // The commits in flight below the latest are the model's (checkStoredState:
  // a later one's drops may have erased some of their writes); the latest
  // must be whole and the next one absent.
  let found: CheckReport['inFlight'] = 'absent';
  for (const version of [latest, latest + 1]) {
    if (version <= floor) continue;
    if (checkInFlight(store, model.seed, version, latest, findings) === 'visible')
      found = 'visible';
  }
  await checkAfterFlush(store, model, findings);
  checkNewCommit(store, model, findings);
  return found;
}

/** The acks must continue the file's history one by one; returns the last one (or `previous`). */
function checkAcknowledgements(life: ChildLife, previous: number, findings: Findings): number {
  if (life.startVersion !== undefined && life.startVersion !== previous)
    findings.add(`child found latest version ${life.startVersion} at open, expected ${previous}`);
  let expected = (life.startVersion ?? previous) + 1;
  for (const version of life.acked) {
    if (version !== expected) {
      findings.add(`child acknowledged version ${version}, expected ${expected}`);
      break;
    }
    expected++;
  }
  return life.acked.at(-1) ?? previous;
}

/** Every key of every table against the model; forgets `maybe` versions found erased. */
function checkStoredState(store: MultiStore, model: CrashModel, findings: Findings): void {
  for (const table of WORKLOAD_TABLES) {
    for (const key of keysOf(table)) {
      const keyModel = model.key({ table, key });
      const stored = store.versions(key);
      const present = new Set<number>();
      for (const entry of stored) {
        present.add(entry.version);
        const problem = storedVersionProblem(model.seed, keyModel, entry);
        if (problem !== undefined) findings.add(problem);
      }
      for (const [version, expected] of keyModel.versions) {
        if (present.has(version)) continue;
        if (expected.must) findings.add(`${key}@${version} (${table.name}) is missing`);
        else keyModel.versions.delete(version);
      }
    }
  }
  checkNoStrayKeys(store, findings);
}

function storedVersionProblem(
  seed: number,
  keyModel: KeyModel,
  entry: StoredVersion,
): string | undefined {
  const where = `${keyModel.key}@${entry.version} (${keyModel.table.name})`;
  const expected = keyModel.versions.get(entry.version);
  if (expected === undefined) return `${where} is stored but was never written (or was erased)`;
  if (expected.tombstone)
    return entry.value === undefined ? undefined : `${where} should be a tombstone`;
  if (entry.value === undefined) return `${where} is a tombstone, expected a value`;
  return equalBytes(entry.value, valueFor(seed, entry.version, keyModel.key))
    ? undefined
    : `${where} holds a wrong value: ${fromUtf8(entry.value)}`;
}

/** Live keys outside the workload's key space would be corruption. */
function checkNoStrayKeys(store: MultiStore, findings: Findings): void {
  const known = new Set(WORKLOAD_TABLES.flatMap((table) => keysOf(table)));
  for (const entry of store.range()) {
    const key = fromUtf8(entry.key);
    if (!known.has(key)) findings.add(`unknown key ${JSON.stringify(key)} is live`);
  }
}

/** Each write of each acknowledged commit in (from, to] reads back at its version, unless droppable. */
function checkAcknowledgedReads(
  store: MultiStore,
  model: CrashModel,
  from: number,
  to: number,
  findings: Findings,
): void {
  for (let version = from + 1; version <= to; version++) {
    for (const write of workloadCommit(model.seed, version).writes) {
      if (model.key(write).versions.get(version)?.must !== true) continue;
      const problem = readBackProblem(store, model.seed, write.key, version, write.kind !== 'set');
      if (problem !== undefined) findings.add(`acknowledged commit ${version}: ${problem}`);
    }
  }
}

function readBackProblem(
  store: MultiStore,
  seed: number,
  key: string,
  version: number,
  tombstone: boolean,
): string | undefined {
  const entry = store.get(key, version);
  if (tombstone) return entry === undefined ? undefined : `${key} should be absent at ${version}`;
  if (entry === undefined) return `${key} is not readable at ${version}`;
  if (entry.version !== version) return `${key} reads version ${entry.version} at ${version}`;
  return equalBytes(entry.value, valueFor(seed, version, key))
    ? undefined
    : `${key} reads a wrong value at ${version}`;
}

/** The commit after the last ack: every write at its version, or none (across tables). */
function checkInFlight(
  store: MultiStore,
  seed: number,
  version: number,
  latest: number,
  findings: Findings,
): CheckReport['inFlight'] {
  const writes = workloadCommit(seed, version).writes;
  const found = writes.filter((write) =>
    store.versions(write.key).some((entry) => entry.version === version),
  );
  const persisted = latest >= version;
  if (found.length !== (persisted ? writes.length : 0)) {
    const where = found.map((write) => write.key).join(', ');
    findings.add(
      `commit ${version} is partly visible: ${found.length} of ${writes.length} writes (${where}), latest ${latest}`,
    );
  }
  return persisted ? 'visible' : 'absent';
}

/** The store takes the next workload commit and reads it back. */
function checkNewCommit(store: MultiStore, model: CrashModel, findings: Findings): void {
  const version = store.latestVersion + 1;
  const commit = workloadCommit(model.seed, version);
  store.commit(commitDeltas(model.seed, commit), version);
  model.apply(commit);
  if (store.latestVersion !== version)
    findings.add(`after committing ${version} the latest version is ${store.latestVersion}`);
  for (const write of commit.writes) {
    const problem = readBackProblem(store, model.seed, write.key, version, write.kind !== 'set');
    if (problem !== undefined) findings.add(`new commit ${version} after reopen: ${problem}`);
  }
}

async function closeStore(store: MultiStore, findings: Findings): Promise<void> {
  await settled(store.close(), 'close', findings);
}
