/**
 * The demo's application: a small web app that tracks its users.
 *
 * Each commit is one "tick" of the app: a handful of users do something, and
 * everything that tick changed is committed atomically at one version.
 *
 * ```
 *   key                      table     versions kept          written when
 *   user:00042               multi     every one              profile edited (15%), created, deleted (unset, 1%)
 *   history:user:00042       history   every one, until the   every action (the user's latest event)
 *                                      window drop erases it
 *   session:00042            sessions  1 (retention)          every action; removed on logout (5%)
 *   demo:totals:<worker>     demo      1 (retention)          every commit of that worker (its running totals)
 * ```
 *
 * Every {@link DROP_EVERY} commits a "compaction" rides along: drop deltas
 * `{ upToVersion: version - window }` for a rotating twentieth of the history
 * keys (each key is trimmed every 2,000 commits), so history older than the
 * window is erased by the drop worker, off the commit path. The sessions table needs no explicit drop: its retention
 * policy turns each session write into an implicit `keepLastVersions: 1` drop.
 *
 * One user (the "featured" user, {@link FEATURED_USER}) is active in about a
 * third of the commits, so its history key has plenty of versions to read back
 * in time. Values are JSON of realistic sizes (sessions ~150 B, events ~230 B,
 * profiles ~350 B). Everything is drawn from a seeded generator: a run is
 * reproducible from its seed (the version it starts at).
 *
 * @module
 */

import { SeededRandom } from '../../common/random.js';
import type { Delta } from '../../store/deltas.js';
import type { TableDeclaration } from '../../store/options.js';

/** The tables the demo declares (keys matching none live in `multi`). */
export const DEMO_TABLES: readonly TableDeclaration[] = Object.freeze([
  Object.freeze({ name: 'history', prefix: 'history:' }),
  Object.freeze({ name: 'sessions', prefix: 'session:', retention: { keepLastVersions: 1 } }),
  Object.freeze({ name: 'demo', prefix: 'demo:', retention: { keepLastVersions: 1 } }),
]);

/** The prefix of the keys holding the demo's running totals (one per worker, see workers.ts). */
export const TOTALS_KEY = 'demo:totals';

/** Users of the app. */
export const USER_COUNT = 5_000;
/** Users acting in one commit (plus, sometimes, the featured user). */
export const ACTIVE_PER_COMMIT = 6;
/** History older than this many versions is dropped. */
export const HISTORY_WINDOW = 2_000;
/** A compaction (drops of old history) rides along every this many commits. */
export const DROP_EVERY = 100;
/** The user whose history the report reads back in time. */
export const FEATURED_USER = 7;

const DROP_SLICES = 20;
const PAGES = ['/', '/search', '/cart', '/checkout', '/account', '/products/'] as const;
const EVENTS = ['page_view', 'search', 'add_to_cart', 'purchase', 'review', 'login'] as const;
const PLANS = ['free', 'plus', 'pro', 'team'] as const;
const EPOCH_MS = Date.UTC(2025, 0, 1);

/** Reads the value of a key at the latest version (the app reads before it edits). */
export type LatestReader = (key: string) => Uint8Array | undefined;

/** What one commit wrote and asked to drop. */
export interface DemoCommit {
  readonly deltas: readonly Delta[];
  /** Set/unset/remove deltas: each stores one version. */
  readonly writes: number;
  /** Explicit drop deltas. */
  readonly drops: number;
}

/** Zero-padded user id, so keys sort by user. */
export function userId(user: number): string {
  return String(user).padStart(5, '0');
}

/** The history key of a user. */
export function historyKey(user: number): string {
  return `history:user:${userId(user)}`;
}

/** Generates the deltas of each commit of the demo app. */
export class DemoWorkload {
  readonly #random: SeededRandom;
  readonly #read: LatestReader;
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();
  #compactions = 0;

  constructor(seed: number, read: LatestReader) {
    this.#random = new SeededRandom(seed);
    this.#read = read;
  }

  /**
   * The deltas of the commit at `version` (without the totals key); `read`
   * (default: the reader given at construction) is how the app reads the
   * profiles it edits, e.g. through the transaction that will commit them.
   */
  next(version: number, read: LatestReader = this.#read): DemoCommit {
    const deltas: Delta[] = [];
    let writes = 0;
    for (const user of this.#activeUsers()) writes += this.#act(user, version, deltas, read);
    const drops = version % DROP_EVERY === 0 ? this.#compaction(version, deltas) : 0;
    return { deltas, writes, drops };
  }

  /** Distinct users for this tick (a key is written at most once per commit). */
  #activeUsers(): Set<number> {
    const users = new Set<number>();
    if (this.#random.chance(1 / 3)) users.add(FEATURED_USER);
    while (users.size < ACTIVE_PER_COMMIT) users.add(this.#random.below(USER_COUNT));
    return users;
  }

  /** One user's action: an event, a session touch, maybe a profile change. */
  #act(user: number, version: number, deltas: Delta[], read: LatestReader): number {
    const id = userId(user);
    deltas.push({ type: 'set', key: historyKey(user), value: this.#event(user, version) });
    if (this.#random.chance(0.05)) deltas.push({ type: 'remove', key: `session:${id}` });
    else deltas.push({ type: 'set', key: `session:${id}`, value: this.#session(user, version) });
    const profile = this.#profileChange(user, version, read);
    if (profile !== undefined) deltas.push(profile);
    return profile === undefined ? 2 : 3;
  }

  /** 15%: edit (or create) the profile; 1%: delete the account (unset carries the old value). */
  #profileChange(user: number, version: number, read: LatestReader): Delta | undefined {
    const roll = this.#random.next();
    if (roll >= 0.16) return undefined;
    const key = `user:${userId(user)}`;
    const current = read(key);
    if (roll < 0.01)
      return current === undefined ? undefined : { type: 'unset', key, value: current };
    const edits = current === undefined ? 0 : this.#editsOf(current) + 1;
    return { type: 'set', key, value: this.#profile(user, version, edits) };
  }

  #editsOf(profile: Uint8Array): number {
    const { edits } = JSON.parse(this.#decoder.decode(profile)) as { edits?: unknown };
    return typeof edits === 'number' ? edits : 0;
  }

  /** Drops of history older than the window, for a rotating slice of the users. */
  #compaction(version: number, deltas: Delta[]): number {
    const upToVersion = version - HISTORY_WINDOW;
    if (upToVersion <= 0) return 0;
    const slice = this.#compactions++ % DROP_SLICES;
    let drops = 0;
    for (let user = slice; user < USER_COUNT; user += DROP_SLICES) {
      deltas.push({ type: 'drop', key: historyKey(user), upToVersion });
      drops++;
    }
    return drops;
  }

  #event(user: number, version: number): Uint8Array {
    const type = this.#random.pick(EVENTS);
    const page = this.#random.pick(PAGES);
    return this.#json({
      user,
      seq: version,
      type,
      path: page.endsWith('/') && page.length > 1 ? `${page}${this.#random.below(90_000)}` : page,
      at: timestamp(version),
      referrer: this.#random.chance(0.3) ? 'https://search.example.com/?q=multistore' : null,
      device: this.#random.pick(['desktop', 'mobile', 'tablet']),
      ms: this.#random.below(900) + 20,
    });
  }

  #session(user: number, version: number): Uint8Array {
    return this.#json({
      user,
      token: this.#random.hex(32),
      lastSeen: timestamp(version),
      ip: `10.${this.#random.below(256)}.${this.#random.below(256)}.${this.#random.below(256)}`,
    });
  }

  #profile(user: number, version: number, edits: number): Uint8Array {
    const id = userId(user);
    return this.#json({
      user,
      name: `User ${id}`,
      email: `user${id}@example.com`,
      plan: this.#random.pick(PLANS),
      locale: this.#random.pick(['en-GB', 'fr-FR', 'de-DE', 'ja-JP', 'pt-BR']),
      bio: 'Likes time travel, tidy histories and small, well-kept storage engines.',
      tags: [this.#random.hex(4), this.#random.hex(4), this.#random.hex(4)],
      updatedAt: timestamp(version),
      edits,
    });
  }

  #json(value: unknown): Uint8Array {
    return this.#encoder.encode(JSON.stringify(value));
  }
}

/** The app's clock: one second per version, from 2025-01-01 (deterministic). */
function timestamp(version: number): string {
  return new Date(EPOCH_MS + version * 1_000).toISOString();
}
