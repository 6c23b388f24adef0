/**
 * A child process of the multi-process test: `pg-workload.ts` as a command.
 *
 * @module
 */

import { flusher, reader, writer } from './pg-workload.js';

const [role, url, schema, ...rest] = process.argv.slice(2);
if (url === undefined || schema === undefined)
  throw new Error('usage: pg-child ROLE URL SCHEMA ...');
if (role === 'writer') await writer(url, schema, rest[0] as string, Number(rest[1]));
else if (role === 'reader') await reader(url, schema, Number(rest[0]), rest[1] as string);
else if (role === 'flusher') await flusher(url, schema, Number(rest[0]));
else throw new Error(`unknown role ${role}`);
