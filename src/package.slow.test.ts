/**
 * The package as npm ships it, installed where a user would install it.
 *
 * `npm pack` makes the tarball (multistore-kv-VERSION.tgz); a scratch strict
 * TypeScript project in a temporary folder installs it (`npm install
 * --ignore-scripts --prefer-offline`, so it works offline from npm's cache;
 * the native SQLite driver, which the skipped install script would compile,
 * is taken from this repository's own build of the same version). No
 * node_modules may sit above the scratch folder (it would lend the scratch
 * project packages a fresh one lacks). Then, against the installed package
 * only:
 *
 * - the tarball holds only what runs: no test, source map, test helper or
 *   harness, and every import of a shipped file resolves to a shipped file, a
 *   dependency, an optional peer, or a Node built-in;
 * - every document the README links to, or a shipped file cites
 *   (docs/architecture.md), is shipped too;
 * - each entry (`multistore-kv`, `multistore-kv/tier`, `multistore-kv/tier-test`,
 *   `multistore-kv/postgres`) exports exactly the values and types the README's "Package entries"
 *   section lists;
 * - the README's TypeScript snippets type-check (strict, NodeNext, with the
 *   repository's TypeScript) and print what the README says;
 * - CommonJS works as the README says: `require('multistore-kv')`, `import()`,
 *   and TypeScript compiled to CommonJS;
 * - the installed `multistore` command prints its version and runs the
 *   README's shell snippet;
 * - the installed `multistore bench` reports the peers that are not
 *   installed (the optional ones) as missing and measures the rest;
 * - better-sqlite3 is an optional dependency: before its native module is
 *   there (the skipped install script), opening a SQLite tier is `TIER_IO`
 *   saying how to build it; a memory-only install (`--omit=optional`, which
 *   is also what npm leaves when the driver's build fails) runs the memory
 *   tier, library and command, and answers the SQLite tier with `TIER_IO`
 *   saying how to install the driver.
 */

import assert from 'node:assert/strict';
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import ts from 'typescript';
import { postgresAvailable } from './postgres/cluster.js';
import {
  documentedEntries,
  REPO_ROOT,
  readmeText,
  snippetFile,
  snippets,
  typeScriptSnippets,
} from './test-support/readme-snippets.js';

const root = mkdtempSync(join(tmpdir(), 'multistore-package-'));
const project = join(root, 'project');
const installed = join(project, 'node_modules', 'multistore-kv');
const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
let packedFiles: string[] = [];
let tarballPath = '';
/** What opening a SQLite tier printed before the native driver was put in place. */
let unbuiltDriver = '';

/** A memory store, then a SQLite one: prints the memory store's value and `CODE: message` or `opened`. */
const MEMORY_THEN_SQLITE = `
import { MultiStore } from 'multistore-kv';
const memory = MultiStore.open();
memory.commit([{ type: 'set', key: 'k', value: 'v' }], 1);
console.log(new TextDecoder().decode(memory.get('k')?.value));
await memory.close();
try {
  await MultiStore.open({ tier: 'sqlite' }).close();
  console.log('opened');
} catch (error) {
  console.log(\`\${error.code}: \${error.message}\`);
}`;

/** CommonJS code that uses the package: loaded by require, by import(), and typed (.cts). */
const COMMONJS_USE = `
const store = MultiStore.open();
store.commit([{ type: 'set', key: 'k', value: 'v' }], 1);
console.log(new TextDecoder().decode(store.get('k')?.value), typeof AbstractTier);
store.close().then(() => console.log('closed'));`;

/** The environment of a child npm or node: ours, minus the npm variables of the running script. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
  );
}

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, {
    cwd: project,
    encoding: 'utf8',
    env: childEnv(),
    ...options,
  });
  const output = `${String(result.stdout)}${String(result.stderr)}`;
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed:\n${output}`);
  return String(result.stdout);
}

const node = (args: readonly string[], options?: SpawnSyncOptions) =>
  run(process.execPath, args, options);

/**
 * A node_modules folder above the scratch folder (say /tmp/node_modules)
 * would resolve packages that the scratch install left out (the optional
 * driver, the bench's peers), which a user's fresh project does not have:
 * refuse to test in such a place, saying so, rather than fail obscurely.
 */
function assertNoInheritedNodeModules(): void {
  for (let dir = dirname(root); ; dir = dirname(dir)) {
    const inherited = join(dir, 'node_modules');
    assert.ok(
      !existsSync(inherited),
      `${inherited} exists above the scratch project, so packages it does not install would ` +
        'still resolve there: remove it, or point TMPDIR at a folder without one above it',
    );
    if (dirname(dir) === dir) return;
  }
}

before(() => {
  assertNoInheritedNodeModules();
  mkdirSync(project);
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', root], { cwd: REPO_ROOT }),
  ) as { filename: string; files: { path: string }[] }[];
  const [tarball] = packed;
  assert.ok(tarball !== undefined, 'npm pack made a tarball');
  packedFiles = tarball.files.map((file) => file.path).sort();
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
  );
  tarballPath = join(root, tarball.filename);
  const install = ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--prefer-offline'];
  run('npm', [...install, tarballPath]);
  unbuiltDriver = node(['--input-type=module', '-e', MEMORY_THEN_SQLITE]);
  provideNativeDriver();
  compileScratchSources();
});

after(() => rmSync(root, { recursive: true, force: true }));

/** Copy this repository's build of better-sqlite3 into the scratch install (same version only). */
function provideNativeDriver(): void {
  const ours = join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  const theirs = join(project, 'node_modules', 'better-sqlite3');
  const version = (dir: string) =>
    (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(version(theirs), version(ours), 'the installed driver is the one built here');
  cpSync(
    join(ours, 'build', 'Release', 'better_sqlite3.node'),
    join(theirs, 'build', 'Release', 'better_sqlite3.node'),
  );
}

describe('the packed package', () => {
  it('installs by its name, multistore-kv, with the ES module import the README shows typed', () => {
    assert.match(tarballPath, /\/multistore-kv-\d+\.\d+\.\d+\.tgz$/);
    const scratch = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    assert.deepEqual(Object.keys(scratch.dependencies), ['multistore-kv']);
    const install = typeScriptSnippets().find((snippet) =>
      snippet.code.startsWith("import { MultiStore } from 'multistore-kv';"),
    );
    assert.ok(install !== undefined, "the Install section's snippet is among the compiled ones");
    const compiled = join(project, 'out', 'src', snippetFile(install).replace(/\.ts$/, '.js'));
    assert.match(readFileSync(compiled, 'utf8'), /^import \{ MultiStore \} from 'multistore-kv';/m);
  });

  it('ships only what runs', () => {
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'dist/index.js',
      'dist/index.d.ts',
    ]) {
      assert.ok(packedFiles.includes(needed), `${needed} is shipped`);
    }
    const unwanted = /\.test\.|\.map$|^dist\/(test-support|reliability)\/|^src\//;
    assert.deepEqual(
      packedFiles.filter((file) => unwanted.test(file)),
      [],
    );
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
    };
    const allowed = new Set([
      ...Object.keys(manifest.dependencies),
      ...Object.keys(manifest.optionalDependencies),
      ...Object.keys(manifest.peerDependencies),
    ]);
    const problems: string[] = [];
    for (const file of packedFiles.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
      for (const specifier of importsOf(readFileSync(join(installed, file), 'utf8'))) {
        if (specifier.startsWith('.')) {
          const target = relative(installed, resolve(dirname(join(installed, file)), specifier));
          const shipped =
            packedFiles.includes(target) || packedFiles.includes(target.replace(/\.js$/, '.d.ts'));
          if (!shipped) problems.push(`${file} imports ${specifier}, which is not shipped`);
        } else if (!isBuiltin(specifier) && !allowed.has(packageOf(specifier))) {
          problems.push(`${file} imports ${specifier}, which is not a dependency`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  it('ships every document that the README links to or a shipped file cites', () => {
    const cited = new Set<string>();
    for (const file of packedFiles.filter((f) => /\.(md|js|d\.ts)$/.test(f))) {
      const text = readFileSync(join(installed, file), 'utf8');
      const links = file.endsWith('.md') ? text.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g) : [];
      for (const link of links) {
        cited.add(relative(installed, resolve(dirname(join(installed, file)), link[1] as string)));
      }
      for (const path of text.matchAll(/\b(docs\/[\w.-]+\.md)\b/g)) cited.add(path[1] as string);
    }
    assert.ok(cited.has('docs/architecture.md'), 'the README links the architecture');
    assert.deepEqual(
      [...cited].filter((path) => !packedFiles.includes(path)),
      [],
      'cited but not shipped',
    );
  });

  it('each entry exports exactly what the README lists', () => {
    const documented = documentedEntries();
    assert.deepEqual(
      documented.map((entry) => entry.specifier),
      ['multistore-kv', 'multistore-kv/tier', 'multistore-kv/tier-test', 'multistore-kv/postgres'],
    );
    const probe = documented.map(
      (entry) =>
        `console.log(JSON.stringify(Object.keys(await import('${entry.specifier}')).sort()));`,
    );
    const values = node(['--input-type=module', '-e', probe.join('\n')])
      .trim()
      .split('\n');
    const types = exportedNames(documented.map((entry) => entry.specifier));
    for (const [i, entry] of documented.entries()) {
      assert.deepEqual(JSON.parse(values[i] ?? '[]'), entry.values, `${entry.specifier}: values`);
      const everything = [...entry.values, ...entry.types].sort();
      assert.deepEqual(types[i], everything, `${entry.specifier}: values and types`);
    }
  });

  it("runs the README's TypeScript snippets, type-checked, with the README's output", () => {
    for (const snippet of typeScriptSnippets()) {
      const output = node([
        join(project, 'out', 'src', snippetFile(snippet).replace(/\.ts$/, '.js')),
      ]);
      if (snippet.output !== undefined) {
        assert.equal(output, snippet.output, `README line ${snippet.line}`);
      }
    }
  });

  it('loads from CommonJS: require, import(), and TypeScript compiled to CommonJS', () => {
    const typed = join(project, 'out', 'cjs', 'typed.cjs');
    assert.match(readFileSync(typed, 'utf8'), /require\("multistore-kv"\)/);
    for (const file of [
      join(project, 'cjs', 'required.cjs'),
      join(project, 'cjs', 'imported.cjs'),
      typed,
    ]) {
      const result = spawnSync(process.execPath, [file], {
        cwd: project,
        encoding: 'utf8',
        env: childEnv(),
      });
      assert.equal(result.status, 0, `${file}: ${result.stderr}`);
      assert.equal(result.stdout, 'v function\nclosed\n', file);
      assert.equal(result.stderr, '', `${file} warns nothing`);
    }
  });

  it("runs the installed multistore command (the README's shell snippet)", () => {
    const bin = join(project, 'node_modules', '.bin', 'multistore');
    assert.ok(existsSync(bin), 'npm linked the bin');
    const { version } = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      version: string;
    };
    assert.equal(run(bin, ['--version']), `${version}\n`);
    const piped = snippets(readmeText()).filter(
      (s) => s.language === 'sh' && s.code.includes('| npx multistore'),
    );
    assert.ok(piped.length > 0);
    for (const snippet of piped) {
      const output = run('bash', [
        '-c',
        snippet.code.replaceAll('npx multistore', JSON.stringify(bin)),
      ]);
      if (snippet.output !== undefined) assert.equal(output, snippet.output);
    }
  });
});

describe('the SQLite driver, an optional dependency', () => {
  it('is optional in the manifest, and the only optional dependency', () => {
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      optionalDependencies: Record<string, string>;
    };
    assert.deepEqual(Object.keys(manifest.optionalDependencies), ['better-sqlite3']);
    assert.equal(manifest.dependencies['better-sqlite3'], undefined);
  });

  it('answers TIER_IO with how to build it while its native module is missing', () => {
    const [value, error] = unbuiltDriver.trim().split('\n');
    assert.equal(value, 'v', 'the memory tier works meanwhile');
    assert.match(error ?? '', /^TIER_IO: the SQLite driver's native module cannot be loaded/);
    assert.match(error ?? '', /npm rebuild better-sqlite3/);
  });

  describe('a memory-only install (npm install --omit=optional)', () => {
    const memoryOnly = join(root, 'memory-only');
    const inMemoryOnly = { cwd: memoryOnly };
    before(() => {
      mkdirSync(memoryOnly);
      writeFileSync(
        join(memoryOnly, 'package.json'),
        JSON.stringify({ name: 'memory-only', private: true, type: 'module' }),
      );
      const install = ['install', '--no-audit', '--no-fund', '--omit=optional', '--prefer-offline'];
      run('npm', [...install, tarballPath], inMemoryOnly);
    });

    it('installs without the driver', () => {
      assert.ok(existsSync(join(memoryOnly, 'node_modules', 'multistore-kv', 'package.json')));
      assert.equal(existsSync(join(memoryOnly, 'node_modules', 'better-sqlite3')), false);
    });

    it('runs the memory tier and answers the SQLite tier with TIER_IO and how to install it', () => {
      const [value, error] = node(['--input-type=module', '-e', MEMORY_THEN_SQLITE], inMemoryOnly)
        .trim()
        .split('\n');
      assert.equal(value, 'v');
      assert.match(error ?? '', /^TIER_IO: the SQLite driver is not installed: better-sqlite3 is/);
      assert.match(error ?? '', /npm install better-sqlite3@\^12/);
    });

    it('runs the multistore command on memory, and says in one line why --db cannot', () => {
      const bin = join(memoryOnly, 'node_modules', '.bin', 'multistore');
      assert.equal(
        run('bash', ['-c', `printf 'set a=1\\nget a\\n' | ${bin} shell`], inMemoryOnly),
        '"a" => "1"\n',
      );
      const db = spawnSync(bin, ['shell', '--db', join(memoryOnly, 'x.db')], {
        ...inMemoryOnly,
        encoding: 'utf8',
        input: '',
        env: childEnv(),
      });
      assert.equal(db.status, 2);
      assert.match(db.stderr, /^multistore: the SQLite driver is not installed: .*\n$/);
    });

    it('runs store scripts on the memory tier by default, saying in one line why not SQLite', () => {
      const bin = join(memoryOnly, 'node_modules', '.bin', 'multistore');
      const folder = join(memoryOnly, 'scripts', 'store');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, 'one'), 'set a=1\nget a\n---\n"a" => "1"\n');
      // The default run also takes PostgreSQL when a server can be started here
      // (outside CI, where a missing one is an error, it says why not instead).
      const byDefault = spawnSync(bin, ['run', folder], {
        ...inMemoryOnly,
        encoding: 'utf8',
        env: { ...childEnv(), CI: '' },
      });
      assert.equal(byDefault.status, 0, byDefault.stdout + byDefault.stderr);
      const withPostgres = postgresAvailable();
      assert.match(
        byDefault.stderr,
        withPostgres
          ? /^multistore run: the sqlite tier is not run: the SQLite driver is not installed: .*\n$/
          : /^multistore run: the sqlite tier is not run: the SQLite driver is not installed: .*\nmultistore run: the postgres tier is not run: .*\n$/,
      );
      assert.equal(
        byDefault.stdout,
        withPostgres
          ? 'memory: 1 passed, 0 failed, 0 excluded\npostgres: 1 passed, 0 failed, 0 excluded\n2 passed, 0 failed, 0 excluded\n'
          : 'memory: 1 passed, 0 failed, 0 excluded\n1 passed, 0 failed, 0 excluded\n',
      );
      const asked = spawnSync(bin, ['run', '--tier', 'sqlite', folder], {
        ...inMemoryOnly,
        encoding: 'utf8',
        env: childEnv(),
      });
      assert.equal(asked.status, 2);
      assert.match(asked.stderr, /^multistore run: the SQLite driver is not installed: .*\n$/);
      assert.equal(asked.stdout, '');
    });
  });
});

describe('the installed multistore bench', () => {
  it('reports the peers that are not installed as missing and runs the rest', () => {
    const bin = join(project, 'node_modules', '.bin', 'multistore');
    const json = join(root, 'bench.json');
    const options = ['--tier', 'sqlite', '--shape', 'deep', '--workloads', 'W3', '--ops', '100'];
    const output = run(bin, ['bench', ...options, '--rounds', '1', '--quiet', '--json', json]);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      missing: { impl: string; reason: string }[];
      groups: { runs: { label: string; status: string }[] }[];
    };
    const optional = ['lmdb', 'lmdb-nosync', 'classic-level', 'hyperbee'];
    assert.deepEqual(
      report.missing.map((entry) => entry.impl),
      optional,
    );
    assert.deepEqual(
      report.groups[0]?.runs.map((r) => [r.label, r.status]),
      [
        ['multistore-sqlite', 'measured'],
        ['better-sqlite3', 'measured'],
        ['multistore-sqlite-exclusive', 'measured'],
        ['better-sqlite3-exclusive', 'measured'],
        ...optional.map((label) => [label, 'missing']),
      ],
    );
    assert.match(
      output,
      /^W3 get latest +deep +[\d,]+ +[\d,]+ +\d+\.\d\d +[\d,]+ +[\d,]+( +missing){4}$/m,
    );
    assert.match(output, /^missing: hyperbee \(Cannot find package 'hyperbee'/m);
  });
});

/** Every module specifier a JavaScript or declaration file imports or re-exports (comments aside). */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
  ];
  for (const pattern of patterns)
    for (const match of code.matchAll(pattern)) found.push(match[1] as string);
  return found;
}

/** The package a bare specifier names (`@scope/name/sub` -> `@scope/name`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
}

/**
 * Write the README snippets (src/) and the CommonJS files (cjs/) into the
 * project, and compile the TypeScript among them with the repository's tsc:
 * strict, NodeNext, Node's types from this repository.
 */
function compileScratchSources(): void {
  mkdirSync(join(project, 'src'));
  for (const snippet of typeScriptSnippets()) {
    writeFileSync(join(project, 'src', snippetFile(snippet)), snippet.code);
  }
  const cjs = join(project, 'cjs');
  mkdirSync(cjs);
  const load = (how: (entry: string) => string) =>
    `const { MultiStore } = ${how('multistore-kv')};\nconst { AbstractTier } = ${how('multistore-kv/tier')};\n`;
  writeFileSync(join(cjs, 'required.cjs'), load((e) => `require('${e}')`) + COMMONJS_USE);
  const imported = `(async () => {\n${load((e) => `await import('${e}')`)}${COMMONJS_USE}\n})();`;
  writeFileSync(join(cjs, 'imported.cjs'), imported);
  const typed =
    "import { MultiStore } from 'multistore-kv';\nimport { AbstractTier } from 'multistore-kv/tier';\n";
  writeFileSync(join(cjs, 'typed.cts'), typed + COMMONJS_USE);
  const compilerOptions = {
    rootDir: '.',
    outDir: 'out',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2023',
    lib: ['es2023', 'dom'],
    strict: true,
    noUncheckedIndexedAccess: true,
    types: ['node'],
    typeRoots: [join(REPO_ROOT, 'node_modules', '@types')],
    skipLibCheck: true,
  };
  const include = ['src', 'cjs/typed.cts'];
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include }));
  node([tsc, '-p', 'tsconfig.json']);
}

/** The names (values and types) each entry exports, as TypeScript resolves them from the project. */
function exportedNames(specifiers: readonly string[]): string[][] {
  const probe = join(project, 'exports-probe.ts');
  const imports = specifiers.map((s, i) => `import * as entry${i} from '${s}';\n`);
  writeFileSync(probe, `${imports.join('')}export {};\n`);
  // No Node types and no skipLibCheck: the shipped declarations must check on their own.
  const program = ts.createProgram([probe], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    noEmit: true,
    skipDefaultLibCheck: true,
    types: [],
  });
  const problems = ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  assert.deepEqual(problems, [], 'the declarations type-check without @types/node');
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(probe);
  assert.ok(source !== undefined);
  return source.statements.filter(ts.isImportDeclaration).map((declaration) => {
    const symbol = checker.getSymbolAtLocation(declaration.moduleSpecifier);
    assert.ok(symbol !== undefined, `TypeScript resolves ${declaration.moduleSpecifier.getText()}`);
    return checker
      .getExportsOfModule(symbol)
      .map((exported) => exported.name)
      .sort();
  });
}
