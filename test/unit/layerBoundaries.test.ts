import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The architecture's layer rules are lint, not hope: probe files placed in each layer with a forbidden import must
 * make the real ESLint run fail, and a probe with an allowed import must pass. All probes are linted in one run
 * (type-aware linting loads the whole project once).
 */
const root = join(__dirname, '..', '..');

const probes: { name: string; folder: string; source: string; allowed?: boolean; rule?: RegExp }[] = [
  { name: 'domain → botbuilder', folder: 'domain', source: "import { TurnContext } from 'botbuilder';\nexport type X = TurnContext;\n" },
  { name: 'domain → ioredis', folder: 'domain', source: "import Redis from 'ioredis';\nexport const x = Redis;\n" },
  { name: 'domain → node:fs', folder: 'domain', source: "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n" },
  { name: 'domain → bot/', folder: 'domain', source: "import { createLogger } from '../bot/logger';\nexport const x = createLogger;\n" },
  { name: 'domain → process.env', folder: 'domain', source: 'export const x = process.env.SECRET;\n' },
  { name: 'adapters → botbuilder', folder: 'adapters', source: "import { TurnContext } from 'botbuilder';\nexport type X = TurnContext;\n" },
  { name: 'cards → ioredis', folder: 'cards', source: "import Redis from 'ioredis';\nexport const x = Redis;\n" },
  { name: 'dialogs → ioredis', folder: 'dialogs', source: "import Redis from 'ioredis';\nexport const x = Redis;\n" },
  {
    name: 'dialogs → adapters/',
    folder: 'dialogs',
    source: "import { MemoryConversationRefStore } from '../adapters/memory/memoryConversationRefStore';\nexport const x = MemoryConversationRefStore;\n",
  },
  // Issue 16: a floating promise killed the process (TeamsNotifications.notify); lint refuses the whole class.
  {
    name: 'R22: bot/ floating promise',
    folder: 'bot',
    source: 'async function send(): Promise<void> {}\nexport function handler(): void {\n  send();\n}\n',
    rule: /^@typescript-eslint\/no-floating-promises:/,
  },
  {
    name: 'R22: domain/ floating promise (then without a rejection handler)',
    folder: 'domain',
    source: 'export function later(p: Promise<number>): void {\n  p.then((n) => n + 1);\n}\n',
    rule: /^@typescript-eslint\/no-floating-promises:/,
  },
  {
    name: 'R22: bot/ promise where a value is expected (misused promise)',
    folder: 'bot',
    source: 'export function check(p: Promise<boolean>): number {\n  return p ? 1 : 0;\n}\nexport const onEvent = (cb: () => void): void => cb();\nonEvent(async () => {});\n',
    rule: /^@typescript-eslint\/no-misused-promises:/,
  },
  { name: 'domain → domain (allowed)', folder: 'domain', source: "import { SsprError } from './errors';\nexport const x = SsprError;\n", allowed: true },
];

type LintResult = { filePath: string; messages: { severity: number; ruleId: string | null; message: string }[] };
const results = new Map<string, string[]>();

beforeAll(() => {
  const files = probes.map((p, i) => join(root, p.folder, `__layerProbe${process.pid}_${i}.ts`));
  probes.forEach((p, i) => writeFileSync(files[i]!, p.source));
  try {
    const run = spawnSync(process.execPath, [join(root, 'node_modules/eslint/bin/eslint.js'), '-f', 'json', ...files], {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    const out = JSON.parse(run.stdout) as LintResult[];
    for (const r of out) {
      const i = files.indexOf(r.filePath);
      results.set(probes[i]!.name, r.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`));
    }
  } finally {
    for (const f of files) rmSync(f, { force: true });
  }
}, 180_000);

describe('layer boundaries (architecture.md)', () => {
  test.each(probes.filter((p) => !p.allowed).map((p) => [p.name, p.rule ?? /no-restricted-(imports|properties|globals)/] as const))('%s fails lint', (name, rule) => {
    const errors = results.get(name) ?? [];
    expect(errors.some((e) => rule.test(e))).toBe(true);
  });

  test('an allowed import in domain/ passes', () => {
    expect(results.get('domain → domain (allowed)')).toEqual([]);
  });
});
