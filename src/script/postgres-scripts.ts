/**
 * Scripts on the `postgres` tier: one server per run, one schema per script.
 *
 * ```
 *   first postgres script of a run ─► testServer(): MULTISTORE_PG_URL, or a private cluster
 *   each script ─► schema "script_<pid>_<n>" ─► runner: connect (store) | tables (tier runner)
 *               ─► afterwards: DROP SCHEMA ... CASCADE
 *   end of the run ─► the private cluster is stopped and removed
 * ```
 *
 * The PostgreSQL modules (and the driver) load only when a run reaches the
 * `postgres` tier.
 *
 * @module
 */

import type { PostgresTarget } from './runner.js';

/** A run's access to PostgreSQL; {@link PostgresScripts.close} once the run is over. */
export class PostgresScripts {
  #server: Promise<{ url: string; close(): Promise<void> }> | undefined;
  #count = 0;

  /** True when a server can be reached or started (`MULTISTORE_PG_URL`, or the binaries). */
  static async available(): Promise<boolean> {
    const { postgresAvailable } = await import('../postgres/cluster.js');
    return postgresAvailable();
  }

  /**
   * A target for one script: a fresh schema. `dispose` drops it and closes
   * what the target opened (the runner closes its own store first).
   */
  async target(): Promise<{ target: PostgresTarget; dispose(): Promise<void> }> {
    const { url } = await this.#serverOnce();
    const { scriptSchema } = await import('./postgres-tier.js');
    this.#count++;
    return scriptSchema(url, `script_${process.pid}_${this.#count}`);
  }

  /** Stop the private cluster, if one was started. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await (await server).close();
  }

  #serverOnce() {
    this.#server ??= import('../postgres/cluster.js').then(({ testServer }) => testServer());
    return this.#server;
  }
}
