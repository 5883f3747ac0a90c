import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_POLICY } from '../../domain/policy/policy';
import { ENV_OVERRIDES, MANIFEST_VERSION, REPO_ROOT } from '../../scripts/lib/appPackage';

const guide = readFileSync(join(REPO_ROOT, 'docs', 'admin-guide.md'), 'utf8');
const configSource = readFileSync(join(REPO_ROOT, 'bot', 'config.ts'), 'utf8');

/** Section of the guide starting at the heading `## n.` up to the next `## `. */
function section(n: number): string {
  const start = guide.indexOf(`\n## ${n}. `);
  if (start < 0) throw new Error(`no section ${n}`);
  const end = guide.indexOf('\n## ', start + 1);
  return guide.slice(start, end < 0 ? undefined : end);
}

/** Names of the EnvSchema keys in bot/config.ts. */
function envNames(): string[] {
  const body = /const EnvSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(configSource)?.[1] ?? '';
  return [...body.matchAll(/^\s{2}(\w+):/gm)].map((m) => m[1]!);
}

function policyLeaves(node: unknown, prefix = ''): string[] {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return [prefix];
  return Object.entries(node).flatMap(([k, v]) => policyLeaves(v, prefix ? `${prefix}.${k}` : k));
}

describe('docs/admin-guide.md names only settings that exist, and all of them', () => {
  test('every environment variable of bot/config.ts is documented, and every documented one exists', () => {
    const known = envNames();
    expect(known.length).toBeGreaterThan(40);
    const documented = new Set(
      [...section(6).matchAll(/`([A-Za-z][A-Za-z0-9_]*)`/g)]
        .map((m) => m[1]!)
        .filter((n) => /^[A-Z][A-Z0-9_]+$|^Microsoft/.test(n)),
    );
    for (const name of known) expect([name, documented.has(name)]).toEqual([name, true]);
    for (const name of documented) expect([name, known.includes(name)]).toEqual([name, true]);
  });

  test('every variable named anywhere in the guide exists in bot/config.ts or the package command', () => {
    // MANIFEST_VERSION is the package command's constant, named where the guide explains the version choice.
    const known = new Set([...envNames(), ...Object.keys(ENV_OVERRIDES), 'MANIFEST_VERSION']);
    const named = [...guide.matchAll(/`([A-Z][A-Z0-9]*_[A-Z0-9_]+|Microsoft[A-Za-z]+)(?:=[^`]*)?`/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(40);
    for (const name of new Set(named)) expect([name, known.has(name)]).toEqual([name, true]);
  });

  test('every policy setting is documented with its default, and every documented setting exists', () => {
    const leaves = policyLeaves(DEFAULT_POLICY);
    const table = section(5);
    const firstCells = [...table.matchAll(/^\| ([^|]+) \|/gm)].map((m) => m[1]!);
    const documented = firstCells.flatMap((cell) => [...cell.matchAll(/`([a-zA-Z]+\.[a-zA-Z.]+)`/g)].map((m) => m[1]!));
    for (const leaf of leaves) expect([leaf, documented.includes(leaf)]).toEqual([leaf, true]);
    for (const d of documented) expect([d, leaves.includes(d)]).toEqual([d, true]);
  });

  test('the Teams client ids, the SSO scope and the manifest version of the package are the ones in the guide', () => {
    expect(guide).toContain('1fec8e78-bce4-4aaf-ab1b-5451cc387264');
    expect(guide).toContain('5e3ce6c0-2b1f-4285-8d4b-75ee78787346');
    expect(guide).toContain('access_as_user');
    expect(guide).toContain(`manifest **v${MANIFEST_VERSION}**`);
  });
});
