/**
 * A private, throw-away PostgreSQL cluster for tests, the conformance run and
 * the bench.
 *
 * ```
 *   startCluster()
 *     mkdtemp (owned by the postgres user when we are root)
 *     initdb -D dir --auth=trust -U postgres          (as postgres when root)
 *     pg_ctl start -o "-p <free port> -k dir -c listen_addresses=127.0.0.1"
 *   -> { url: postgresql://postgres@127.0.0.1:<port>/postgres, stop, start, remove }
 *   remove(): pg_ctl stop -m immediate, rm -rf dir (also on process exit)
 * ```
 *
 * The server refuses to run as root, so a root process runs the binaries as
 * the `postgres` user through `runuser`. Binaries come from `PATH`, else from
 * Debian's `/usr/lib/postgresql/<major>/bin`. `MULTISTORE_PG_URL` replaces
 * all of this with an existing server ({@link testServer}).
 *
 * @module
 */

import { execFile, spawnSync } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A running (or stopped) private cluster. */
export interface LocalCluster {
  /** Connection string of its `postgres` database. */
  readonly url: string;
  /** The loopback port it listens on. */
  readonly port: number;
  /** Stop the server (fast shutdown); the data stays. */
  stop(): Promise<void>;
  /** Start it again on the same port. */
  start(): Promise<void>;
  /** Stop it and delete its folder. Harmless twice. */
  remove(): Promise<void>;
}

/** A server for tests: `MULTISTORE_PG_URL`'s, or a private cluster started here. */
export interface TestServer {
  readonly url: string;
  /** The private cluster, when one was started (undefined with `MULTISTORE_PG_URL`). */
  readonly cluster: LocalCluster | undefined;
  /** Remove the private cluster, if any. */
  close(): Promise<void>;
}

/** Where `initdb` and `pg_ctl` live, or `undefined` when PostgreSQL is not installed. */
export function findPostgresBin(): string | undefined {
  const candidates = (process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const version of versions) candidates.push(`/usr/lib/postgresql/${version}/bin`);
  } catch {
    // No Debian layout: PATH alone.
  }
  for (const dir of candidates) {
    try {
      accessSync(join(dir, 'initdb'), constants.X_OK);
      accessSync(join(dir, 'pg_ctl'), constants.X_OK);
      return dir;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** True when tests can reach a server: `MULTISTORE_PG_URL` is set or the binaries are here. */
export function postgresAvailable(): boolean {
  return process.env.MULTISTORE_PG_URL !== undefined || findPostgresBin() !== undefined;
}

/** The server tests use: `MULTISTORE_PG_URL` when set, else a private cluster. */
export async function testServer(): Promise<TestServer> {
  const url = process.env.MULTISTORE_PG_URL;
  if (url !== undefined && url !== '') {
    return { url, cluster: undefined, close: async () => {} };
  }
  const cluster = await startCluster();
  return { url: cluster.url, cluster, close: () => cluster.remove() };
}

/** Start a private cluster in a temporary folder on a free loopback port. */
export async function startCluster(): Promise<LocalCluster> {
  const bin = findPostgresBin();
  if (bin === undefined) {
    throw new Error(
      'PostgreSQL binaries (initdb, pg_ctl) not found: install PostgreSQL or set MULTISTORE_PG_URL',
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'multistore-pg-'));
  const owner = asRoot() ? postgresUser() : undefined;
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const port = await freePort();
  const run = (tool: string, args: string[]) => runTool(join(bin, tool), args, owner !== undefined);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`;
  const startArgs = ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'];
  let removed = false;
  const stopNow = () => {
    if (removed) return;
    removed = true;
    const command = join(bin, 'pg_ctl');
    const args = ['-D', data, '-m', 'immediate', '-w', 'stop'];
    if (owner !== undefined) spawnSync('runuser', ['-u', 'postgres', '--', command, ...args]);
    else spawnSync(command, args);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stopNow);
  // Killed by a signal (a test runner's timeout): remove the cluster, then die of it.
  const onSignal = (signal: NodeJS.Signals) => {
    stopNow();
    process.kill(process.pid, signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, onSignal);
  try {
    await run('initdb', ['-D', data, '--auth=trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
    await run('pg_ctl', startArgs);
  } catch (error) {
    stopNow();
    throw error;
  }
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    stop: () => run('pg_ctl', ['-D', data, '-m', 'fast', '-w', 'stop']),
    start: () => run('pg_ctl', startArgs),
    remove: async () => {
      process.removeListener('exit', stopNow);
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeListener(signal, onSignal);
      stopNow();
    },
  };
}

function asRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => {
    const result = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
    const value = Number(result.stdout.trim());
    if (result.status !== 0 || !Number.isInteger(value)) {
      throw new Error('running as root, but there is no postgres user to run the server as');
    }
    return value;
  };
  return { uid: id('-u'), gid: id('-g') };
}

function runTool(command: string, args: string[], asPostgres: boolean): Promise<void> {
  const [file, argv] = asPostgres
    ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
    : [command, args];
  return new Promise((resolve, reject) => {
    execFile(file, argv, { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else
        reject(
          new Error(`${command} ${args.join(' ')} failed: ${stderr || stdout}`, { cause: error }),
        );
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
