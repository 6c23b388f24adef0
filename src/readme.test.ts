/**
 * The README's snippets run, and print what the README says they print.
 *
 * Every ```ts block is transpiled (TypeScript's `transpileModule`), its
 * `from 'multistore-kv'` imports (and the `multistore-kv/tier`,
 * `multistore-kv/tier-test` subpaths) pointed at the built tree, and run as an
 * ES module in a child process, in README order (a snippet that starts with
 * `// file: name.ts` is saved under that name, for later ones to import); every ```sh block that pipes into
 * `npx multistore` runs with the built CLI. When a ```text block follows a
 * snippet, the snippet's output must equal it. (package.slow.test.ts runs the same
 * snippets against the packed and installed package, type-checked.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { STORE_LANGUAGE } from './script/store-session.js';
import { TRANSACTION_LANGUAGE } from './script/txn-commands.js';
import { readmeText, type Snippet, snippetFile, snippets } from './test-support/readme-snippets.js';

const readme = readmeText();
/** Each package entry and the built module it stands for. */
const ENTRIES: Readonly<Record<string, string>> = {
  'multistore-kv': new URL('./index.js', import.meta.url).href,
  'multistore-kv/tier': new URL('./tier/index.js', import.meta.url).href,
  'multistore-kv/tier-test': new URL('./tier-test/index.js', import.meta.url).href,
  'multistore-kv/postgres': new URL('./postgres/index.js', import.meta.url).href,
};
const cli = fileURLToPath(new URL('./cli/main.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'multistore-readme-'));
writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }\n');
after(() => rmSync(scratch, { recursive: true, force: true }));

function runTypeScript(snippet: Snippet): string {
  const { outputText } = ts.transpileModule(snippet.code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(scratch, snippetFile(snippet).replace(/\.ts$/, '.js'));
  const code = outputText.replace(
    /from '(multistore[\w-]*(?:\/[\w-]+)?)'/g,
    (_whole, entry: string) => {
      const target = ENTRIES[entry];
      assert.ok(target !== undefined, `README line ${snippet.line} imports unknown entry ${entry}`);
      return `from '${target}'`;
    },
  );
  writeFileSync(file, code);
  const run = spawnSync(process.execPath, [file], { encoding: 'utf8', cwd: scratch });
  assert.equal(run.status, 0, `README line ${snippet.line} failed:\n${run.stderr}${run.stdout}`);
  return run.stdout;
}

function runShell(snippet: Snippet): string {
  const command = snippet.code.replaceAll('npx multistore', `node ${JSON.stringify(cli)}`);
  const run = spawnSync('bash', ['-c', command], { encoding: 'utf8', cwd: scratch });
  assert.equal(run.status, 0, `README line ${snippet.line} failed:\n${run.stderr}`);
  return run.stdout;
}

describe('README snippets', () => {
  const all = snippets(readme);
  const typescript = all.filter((s) => s.language === 'ts');
  const piped = all.filter((s) => s.language === 'sh' && s.code.includes('| npx multistore'));

  it('has snippets to check', () => {
    assert.ok(typescript.length >= 4, 'the API tour has its TypeScript snippets');
    assert.ok(piped.length >= 1, 'the CLI section pipes into the shell');
  });

  it('names the package by its published name wherever code loads or installs it', () => {
    const code = all.map((snippet) => snippet.code).join('\n');
    const loaded = [
      ...code.matchAll(/(?:from |require\(|import\()'([^']+)'/g),
      ...code.matchAll(/npm install ([\w-]+)/g),
    ].map((match) => match[1] as string);
    const ours = loaded.filter((name) => name.startsWith('multistore'));
    assert.ok(ours.length >= 10, 'the README loads the package in many places');
    assert.deepEqual(
      ours.filter((name) => !/^multistore-kv(\/tier|\/tier-test|\/postgres)?$/.test(name)),
      [],
      'every one is multistore-kv or one of its subpaths',
    );
  });

  it('documents every command of the store language, and no other', () => {
    const section = readme
      .split(/^### /m)
      .find((part) => part.startsWith('The store command language'));
    assert.ok(section !== undefined, 'the README has the section');
    const rows = section.split('\n').filter((line) => line.startsWith('| `'));
    const documented = rows.flatMap((row) =>
      [...(row.split(' | ')[0] ?? '').matchAll(/`(\w+)/g)].map((match) => match[1] as string),
    );
    assert.deepEqual(documented.sort(), Object.keys(STORE_LANGUAGE).sort());
  });

  it('documents every named-transaction command of the shell and store scripts', () => {
    const paragraph = readme
      .split('\n\n')
      .find((part) => part.startsWith('A line starting with a name and a colon'));
    assert.ok(paragraph !== undefined, 'the README has the paragraph');
    const words = new Set([...paragraph.matchAll(/`(?:NAME: )?(\w+)/g)].map((m) => m[1]));
    assert.deepEqual(
      Object.keys(TRANSACTION_LANGUAGE).filter((name) => !words.has(name)),
      [],
      'every transaction command is named',
    );
  });

  for (const snippet of typescript) {
    it(`runs the TypeScript snippet at line ${snippet.line}`, () => {
      const output = runTypeScript(snippet);
      if (snippet.output !== undefined) assert.equal(output, snippet.output);
    });
  }

  for (const snippet of piped) {
    it(`runs the shell snippet at line ${snippet.line}`, () => {
      const output = runShell(snippet);
      if (snippet.output !== undefined) assert.equal(output, snippet.output);
    });
  }
});
