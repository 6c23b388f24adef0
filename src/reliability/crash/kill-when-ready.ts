/**
 * The crash tests' way to stop a child at a chosen point: it prints a line
 * starting with `ready` when the state to crash in is on disk, and is killed
 * (SIGKILL) as soon as that line arrives, with no chance to close anything.
 *
 * @module
 */

import { spawn } from 'node:child_process';

/**
 * Run `node script ...args` until it prints its `ready` line, SIGKILL it, and
 * resolve with that line once the child is gone; reject (naming `what`) if it
 * ends any other way.
 */
export function killWhenReady(
  script: string,
  args: readonly string[],
  what: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let ready: string | undefined;
    // Only a hang guard: a healthy child is ready in well under a second.
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const line = /^ready .*$/m.exec(out)?.[0];
      if (line !== undefined && ready === undefined) {
        ready = line;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      if (ready !== undefined && signal === 'SIGKILL') resolve(ready);
      else reject(new Error(`${what} ended without ready (${code ?? signal}): ${err}`));
    });
  });
}
