/**
 * The README's snippets run, and print what the README says they print.
 *
 * Every ```ts block is transpiled (TypeScript's `transpileModule`), its
 * `from 'multistore'` imports pointed at the built package, and run as an ES
 * module in a child process; every ```sh block that pipes into
 * `npx multistore` runs with the built CLI. When a ```text block follows a
 * snippet, the snippet's output must equal it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const entry = new URL('./index.js', import.meta.url).href;
const cli = fileURLToPath(new URL('./cli/main.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'multistore-readme-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Snippet {
  readonly language: string;
  readonly code: string;
  readonly line: number;
  /** The ```text block right after it, if any. */
  readonly output: string | undefined;
}

function snippets(text: string): Snippet[] {
  const blocks = [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```\n/gm)];
  return blocks.map((block, i) => {
    const next = blocks[i + 1];
    const end = (block.index ?? 0) + block[0].length;
    const adjacent = next?.[1] === 'text' && text.slice(end, next.index).trim() === '';
    const line = text.slice(0, block.index).split('\n').length;
    return {
      language: block[1] ?? '',
      code: block[2] ?? '',
      line,
      output: adjacent ? next?.[2] : undefined,
    };
  });
}

function runTypeScript(snippet: Snippet): string {
  const { outputText } = ts.transpileModule(snippet.code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  });
  const file = join(scratch, `snippet-${snippet.line}.mjs`);
  writeFileSync(file, outputText.replaceAll("from 'multistore'", `from '${entry}'`));
  const run = spawnSync(process.execPath, [file], { encoding: 'utf8', cwd: scratch });
  assert.equal(run.status, 0, `README line ${snippet.line} failed:\n${run.stderr}`);
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
