/**
 * The README's code blocks, as the tests that run them read them.
 *
 * Every fenced block is a {@link Snippet} with its language, its line, and
 * the ```text block right after it (its expected output), if any. Both the
 * README test (against the built tree) and the package test (against the
 * packed, installed package) use this one reading.
 *
 * @module
 */

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One fenced code block of the README. */
export interface Snippet {
  readonly language: string;
  readonly code: string;
  readonly line: number;
  /** The ```text block right after it, if any. */
  readonly output: string | undefined;
}

/** The repository root (this file is dist/test-support/readme-snippets.js). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The README's text. */
export function readmeText(): string {
  return readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
}

/** Every fenced block of `text`, in order. */
export function snippets(text: string): Snippet[] {
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

/**
 * The file a TypeScript snippet is saved as: the name its first line gives
 * (`// file: array-tier.ts`, so that later snippets can import it as
 * `./array-tier.js`), else `snippet-<line>.ts`.
 */
export function snippetFile(snippet: Snippet): string {
  const named = /^\/\/ file: ([\w.-]+\.ts)\n/.exec(snippet.code)?.[1];
  return named ?? `snippet-${snippet.line}.ts`;
}

/** The README's TypeScript snippets. */
export function typeScriptSnippets(): Snippet[] {
  return snippets(readmeText()).filter((snippet) => snippet.language === 'ts');
}

/** One entry of the "Package entries" section: its names, values and types apart. */
export interface DocumentedEntry {
  /** `multistore-kv`, `multistore-kv/tier`, ... */
  readonly specifier: string;
  readonly values: readonly string[];
  readonly types: readonly string[];
}

/**
 * The entries the README's "Package entries" section documents: under each
 * heading `### \`specifier\``, the backticked names of its `Values:` and
 * `Types:` lines.
 */
export function documentedEntries(text = readmeText()): DocumentedEntry[] {
  const section = text.split(/^## /m).find((part) => part.startsWith('Package entries'));
  if (section === undefined) throw new Error('the README has no "Package entries" section');
  return section
    .split(/^### /m)
    .slice(1)
    .map((part) => {
      const specifier = /^`([^`]+)`/.exec(part)?.[1] ?? '';
      const names = (label: string) => {
        const line = part.split('\n').find((l) => l.startsWith(`${label}:`)) ?? '';
        return [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string).sort();
      };
      return { specifier, values: names('Values'), types: names('Types') };
    });
}
