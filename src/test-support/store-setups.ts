/**
 * The store configurations every store test runs under: each tier in each
 * actor mode. A suite written once calls {@link forEachStoreSetup} and gets one
 * `describe` per combination.
 *
 * @module
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { ActorMode } from '../runtime/actor.js';
import { MultiStore, type StoreFor } from '../store/multistore.js';
import type { MultiStoreOptions } from '../store/options.js';

/** One tier/mode combination. */
export interface StoreSetup {
  readonly tier: 'memory' | 'sqlite';
  readonly actorMode: ActorMode;
  /** Open a fresh store of this setup (extra options merged in; encodings type it). */
  open<const O extends SetupOptions = { readonly keyEncoding?: undefined }>(
    options?: O,
  ): StoreFor<O>;
}

/** What a test adds to a setup's options. */
type SetupOptions = Omit<MultiStoreOptions, 'tier' | 'actorMode'>;

/** Every tier x actor mode. */
export const STORE_SETUPS: readonly StoreSetup[] = (['memory', 'sqlite'] as const).flatMap((tier) =>
  (['event-loop', 'inline'] as const).map((actorMode) => ({
    tier,
    actorMode,
    open: <const O extends SetupOptions>(options?: O) =>
      MultiStore.open({ ...options, tier, actorMode }) as unknown as StoreFor<O>,
  })),
);

/** Run `suite` once per setup, inside a `describe` named after it. */
export function forEachStoreSetup(suite: (setup: StoreSetup) => void): void {
  for (const setup of STORE_SETUPS) {
    describe(`${setup.tier} tier, ${setup.actorMode} mode`, () => suite(setup));
  }
}

/** Resolves after `count` event-loop turns (never a timed sleep). */
export async function turns(count = 10): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A temporary directory, removed by the returned cleanup. */
export function tempDir(prefix = 'multistore-'): { readonly path: string; cleanup(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
}

/** A test file's temporary folder of store files (see {@link tempFiles}). */
export interface TempFiles {
  /** The folder (made before the file's tests, removed after them). */
  readonly path: string;
  /** A path in the folder no earlier call returned. */
  fresh(): string;
}

/**
 * A temporary folder for the files of one test file's stores: registers the
 * `before` that makes it and the `after` that removes it, so each test file
 * need not repeat them; `fresh()` names `<stem>-<n>.db` files in it.
 */
export function tempFiles(prefix: string, stem: string): TempFiles {
  let dir: ReturnType<typeof tempDir> | undefined;
  let counter = 0;
  before(() => {
    dir = tempDir(prefix);
  });
  after(() => dir?.cleanup());
  const folder = (): string => {
    if (dir === undefined) throw new Error('tempFiles: its folder exists only while the tests run');
    return dir.path;
  };
  return {
    get path() {
      return folder();
    },
    fresh: () => join(folder(), `${stem}-${++counter}.db`),
  };
}

/** UTF-8 text of bytes, for assertions. */
export function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}
