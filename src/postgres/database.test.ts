/**
 * The pool's error rule against the real driver (node-postgres) and a fake
 * server in this process that says goodbye (`FATAL 57P01`, what a server
 * sends every connection at a fast shutdown) in the same socket read as the
 * message that makes the pool hand a client over. The driver then emits the
 * goodbye as an `error` event before a `connect()` promise's holder can
 * listen; it must surface as `TIER_IO`, never as an uncaught exception.
 * (The real-server version of this is fault.test.ts, where the timing is luck.)
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import pg from 'pg';
import { isStoreError } from '../common/errors.js';
import { Database } from './database.js';

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(4 + body.length, 1);
  return Buffer.concat([head, body]);
}

const AUTHENTICATION_OK = message('R', Buffer.from([0, 0, 0, 0]));
const READY = message('Z', Buffer.from('I'));
const SELECT_DONE = message('C', Buffer.from('SELECT 0\0'));
const GOODBYE = message(
  'E',
  Buffer.from('SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0'),
);

/** What the fake server answers, each in one write, closing the connection after a goodbye. */
interface Script {
  readonly startup: Buffer;
  readonly query: Buffer;
}

/** A server speaking just enough of the protocol: a startup, then simple queries. */
async function fakeServer(script: Script): Promise<{ server: Server; port: number }> {
  const server = createServer((socket: Socket) => {
    let pending = Buffer.alloc(0);
    let started = false;
    const answer = (reply: Buffer) => {
      if (reply.includes(GOODBYE)) socket.end(reply);
      else socket.write(reply);
    };
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const offset = started ? 1 : 0; // the startup message has no type byte
        if (pending.length < offset + 4) return;
        const size = offset + pending.readInt32BE(offset);
        if (pending.length < size) return;
        const type = started ? String.fromCharCode(pending[0] as number) : 'startup';
        pending = pending.subarray(size);
        if (type === 'startup') answer(script.startup);
        else if (type === 'Q') answer(script.query);
        started = true;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

describe('a client handed over in the same read as the server goodbye', () => {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  let cleanup: (() => Promise<void>) | undefined;

  async function open(script: Script): Promise<Database> {
    const { server, port } = await fakeServer(script);
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'u', database: 'd', max: 1 });
    const db = new Database(pool, true, () => {});
    uncaught.length = 0;
    process.on('uncaughtException', onUncaught);
    cleanup = async () => {
      process.removeListener('uncaughtException', onUncaught);
      await db.close();
      await new Promise((resolve) => server.close(resolve));
    };
    return db;
  }

  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('fails a transaction on a new client (its startup ends with the goodbye) as TIER_IO', async () => {
    const db = await open({
      startup: Buffer.concat([AUTHENTICATION_OK, READY, GOODBYE]),
      query: READY,
    });
    await assert.rejects(
      db.transaction((sql) => sql.query('SELECT 1')),
      (error) => isStoreError(error, 'TIER_IO') && error.cause instanceof Error,
    );
    assert.deepEqual(uncaught, [], 'nothing escaped as an uncaught exception');
  });

  it('fails a transaction waiting for the client a finished query gives back as TIER_IO', async () => {
    const db = await open({
      startup: Buffer.concat([AUTHENTICATION_OK, READY]),
      query: Buffer.concat([SELECT_DONE, READY, GOODBYE]),
    });
    // The pool's one client runs the query; the transaction waits for it and
    // is handed it as the query's ReadyForQuery is read, the goodbye behind it.
    const read = db.sql.query('SELECT 1');
    const transaction = db.transaction((sql) => sql.query('SELECT 1'));
    assert.deepEqual((await read).rows, []);
    await assert.rejects(transaction, (error) => isStoreError(error, 'TIER_IO'));
    assert.deepEqual(uncaught, [], 'nothing escaped as an uncaught exception');
  });
});
