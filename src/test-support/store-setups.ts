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
import { describe } from 'node:test';
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

/** UTF-8 text of bytes, for assertions. */
export function text(bytes: Uint8Array | undefined): string | undefined {
  return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
}
