/**
 * What the README says is, and is not, Node-only ("Platforms and CommonJS").
 *
 * - Statically: the modules `multistore-kv` loads import no Node built-in and no
 *   package but `@opentelemetry/api`, `sorted-btree`, and the encodings'
 *   `ordered-binary` and `msgpackr/pack` (msgpackr's plain entry), and the core's
 *   modules (every one of them but the SQLite tier's, which only run once a
 *   SQLite tier is opened) name no Node global (`Buffer`, `process`,
 *   `setImmediate`, `require`) except through a `globalThis` lookup.
 * - At run time: with `Buffer`, `process`, `setImmediate` and `global`
 *   deleted, the package loads and a store runs in both modes (commits,
 *   retention drops, ranges, statistics, flush, close); opening a SQLite tier
 *   fails with `TIER_IO`.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';

const dist = dirname(fileURLToPath(import.meta.url));
const entry = join(dist, 'index.js');

/** The relative and bare specifiers a compiled module imports (comments aside). */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
  const pattern =
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...code.matchAll(pattern)].map((match) => (match[1] ?? match[2]) as string);
}

/** Every module reachable from `start` by static or literal dynamic imports, and the packages named. */
function moduleGraph(start: string): { files: string[]; packages: string[] } {
  const files = new Set<string>([start]);
  const packages = new Set<string>();
  for (const file of files) {
    for (const specifier of importsOf(file)) {
      if (specifier.startsWith('.')) files.add(resolve(dirname(file), specifier));
      else packages.add(specifier);
    }
  }
  return {
    files: [...files].map((file) => relative(dist, file)).sort(),
    packages: [...packages].sort(),
  };
}

it('importing multistore loads no Node built-in, and the core names no Node global', () => {
  const { files, packages } = moduleGraph(entry);
  assert.deepEqual(packages, [
    '@opentelemetry/api',
    'msgpackr/pack',
    'ordered-binary',
    'sorted-btree',
  ]);
  const core = files.filter((file) => !file.startsWith(join('tier', 'sqlite')));
  assert.ok(core.includes(join('tier', 'memory', 'memory-tier.js')));
  const nodeGlobal = /(?<![.\w$])(Buffer|process|setImmediate|require|__dirname)\b(?!\s*:)/;
  const offenders = core.filter((file) => {
    const code = readFileSync(join(dist, file), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\/\/.*$/gm, '')
      .replace(/(['"`])(?:\\.|(?!\1)[^\\])*\1/g, '""');
    return nodeGlobal.test(code);
  });
  assert.deepEqual(offenders, [], 'modules naming a Node global directly');
});

it('the package runs a store with no Node global left (Buffer, process, setImmediate)', () => {
  const script = `
    const log = console.log.bind(console);
    for (const name of ['Buffer', 'setImmediate', 'clearImmediate', 'process', 'global']) {
      delete globalThis[name];
    }
    log(typeof Buffer, typeof process, typeof setImmediate);
    const { MultiStore, MockClock } = await import(${JSON.stringify(new URL('./index.js', import.meta.url).href)});
    for (const actorMode of ['inline', 'event-loop']) {
      const clock = new MockClock();
      const tables = [{ name: 's', prefix: 's:', retention: { keepLastVersions: 1 } }];
      const store = MultiStore.open({ actorMode, clock, tables });
      store.commit([{ type: 'set', key: 's:1', value: 'a' }], 1);
      store.commit([{ type: 'set', key: 's:1', value: 'bb' }, { type: 'set', key: 'x', value: 'y' }], 2);
      await store.flush();
      const keys = [...store.range({}, { reverse: true })].map((e) => new TextDecoder().decode(e.key));
      log(actorMode, store.versions('s:1').length, keys.join(','), store.stats().total.currentCount, clock.pendingTimers);
      await store.close();
    }
    try { MultiStore.open({ tier: 'sqlite' }); } catch (error) { log(error.code); }`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(
    child.stdout,
    'undefined undefined undefined\ninline 1 x,s:1 2 0\nevent-loop 1 x,s:1 2 0\nTIER_IO\n',
  );
});
