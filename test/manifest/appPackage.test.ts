import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import { PNG } from 'pngjs';
import {
  DEFAULT_CONFIG_FILE,
  MANIFEST_VERSION,
  ManifestSchemas,
  REPO_ROOT,
  applyEnvOverrides,
  buildLocalization,
  buildManifest,
  buildPackage,
  checkIcons,
  parseManifestConfig,
  renderIcons,
  schemaDir,
  validateLocalization,
  validateManifest,
  writePackage,
  type JsonObject,
  type ManifestConfig,
  type Problem,
} from '../../scripts/lib/appPackage';

 
type Loose = any;

const example = (): Record<string, Loose> => JSON.parse(readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
const at = (problems: readonly Problem[], path: string): Problem[] => problems.filter((p) => p.path === path);

function solidPng(size: number, rgba: [number, number, number, number]): Buffer {
  const png = new PNG({ width: size, height: size });
  for (let i = 0; i < png.data.length; i += 4) png.data.set(rgba, i);
  return PNG.sync.write(png);
}

function checked(raw: unknown, mode: 'development' | 'production' = 'development'): ManifestConfig {
  const r = parseManifestConfig(raw, mode);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('; '));
  return r.value;
}

let schemas: ManifestSchemas;
let work: string;

beforeAll(() => {
  // Compiled once, from the files inside node_modules: no network is involved.
  schemas = new ManifestSchemas();
  work = mkdtempSync(join(tmpdir(), 'sspr-manifest-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the example configuration', () => {
  test('Issue 5 acceptance 1: produces dist-style appPackage.zip whose contents validate against the official v1.30 schema', async () => {
    const outFile = join(work, 'example', 'appPackage.zip');
    const result = await buildPackage({ config: example(), mode: 'production', outFile, schemas });
    expect(result).toMatchObject({ ok: true, outFile });

    const zip = await JSZip.loadAsync(readFileSync(outFile));
    const names = Object.keys(zip.files).sort();
    expect(names).toEqual(['color.png', 'manifest.json', 'nl.json', 'outline.png']);

    // Validate what is inside the zip with validators compiled independently from the shipped schema files.
    const fresh = new ManifestSchemas();
    const manifest = JSON.parse(await zip.file('manifest.json')!.async('string'));
    expect(fresh.manifest(manifest)).toBe(true);
    expect(validateManifest(manifest, { mode: 'production', schemas: fresh })).toEqual([]);
    const nl = JSON.parse(await zip.file('nl.json')!.async('string'));
    expect(validateLocalization('nl.json', nl, fresh)).toEqual([]);
    const icons = {
      color: await zip.file('color.png')!.async('nodebuffer'),
      outline: await zip.file('outline.png')!.async('nodebuffer'),
    };
    expect(checkIcons(icons)).toEqual([]);
    expect(PNG.sync.read(icons.color)).toMatchObject({ width: 192, height: 192 });
    expect(PNG.sync.read(icons.outline)).toMatchObject({ width: 32, height: 32 });

    expect(manifest.manifestVersion).toBe(MANIFEST_VERSION);
    expect(manifest.$schema).toBe(
      `https://developer.microsoft.com/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.schema.json`,
    );
  });

  test('the manifest has the personal bot, its commands, the Security info tab, SSO and valid domains', () => {
    const cfg = checked(example(), 'production');
    const m = buildManifest(cfg) as Record<string, Loose>;
    expect(m.id).toBe(cfg.teamsAppId);
    expect(m.bots).toHaveLength(1);
    const bot = m.bots[0];
    expect(bot).toMatchObject({ botId: cfg.botId, scopes: ['personal', 'team'], supportsFiles: false });
    const titles = (scope: string): string[] =>
      bot.commandLists.find((l: Loose) => l.scopes.includes(scope)).commands.map((c: Loose) => c.title);
    expect(titles('personal')).toEqual(['reset', 'unlock', 'security info', 'help']);
    expect(titles('team')).toEqual(['handoff', 'verify']);
    expect(m.staticTabs[0]).toMatchObject({
      entityId: 'securityInfo',
      name: 'Security info',
      contentUrl: 'https://sspr.contoso.example/app/security-info/',
      scopes: ['personal'],
    });
    // Keeping the chat next to the custom tab.
    expect(m.staticTabs.map((t: Loose) => t.entityId)).toContain('conversations');
    expect(m.webApplicationInfo).toEqual({
      id: cfg.sso.appId,
      resource: `api://sspr.contoso.example/${cfg.sso.appId}`,
    });
    expect(m.validDomains).toEqual(['sspr.contoso.example']);
    expect(m.localizationInfo).toEqual({
      defaultLanguageTag: 'en-US',
      additionalLanguages: [{ languageTag: 'nl-NL', file: 'nl.json' }],
    });
  });

  test('nl.json carries the Dutch names, descriptions, tab name and command descriptions (titles stay the bot keywords)', () => {
    const nl = buildLocalization(checked(example()), 'nl');
    expect(nl['name.short']).toBe('Wachtwoordassistent');
    expect(nl['staticTabs[0].name']).toBe('Beveiligingsgegevens');
    expect(nl['bots[0].commandLists[0].commands[1].description']).toMatch(/ontgrendel/i);
    expect(Object.keys(nl).some((k) => k.endsWith('.title'))).toBe(false);
  });

  test('development: http://localhost is accepted, and validDomains/SSO follow the host with its port', () => {
    const raw = example();
    raw.publicBaseUrl = 'http://localhost:3978/';
    delete raw.sso.resource;
    const cfg = checked(raw, 'development');
    const m = buildManifest(cfg) as Record<string, Loose>;
    expect(m.validDomains).toEqual(['localhost:3978']);
    expect(m.staticTabs[0].contentUrl).toBe('http://localhost:3978/app/security-info/');
    expect(m.webApplicationInfo.resource).toBe(`api://localhost:3978/${cfg.sso.appId}`);
    expect(validateManifest(m, { mode: 'development', schemas })).toEqual([]);
    // …and the same manifest is refused for production, naming the field.
    const prod = validateManifest(m, { mode: 'production', schemas });
    expect(at(prod, 'staticTabs[0].contentUrl')[0]?.message).toMatch(/https/);
  });

  test('environment overrides replace configuration values', () => {
    const raw = applyEnvOverrides(example(), {
      TEAMS_APP_ID: '11111111-2222-4333-8444-555555555555',
      PUBLIC_BASE_URL: 'https://reset.fabrikam.example',
      SSO_RESOURCE: 'api://reset.fabrikam.example/0b7e2f4a-1c3d-4e5f-8a9b-c0d1e2f3a4b5',
      TEAMS_APP_VERSION: '1.0.1',
      MicrosoftAppId: '',
    });
    const cfg = checked(raw, 'production');
    expect(cfg).toMatchObject({
      teamsAppId: '11111111-2222-4333-8444-555555555555',
      publicBaseUrl: 'https://reset.fabrikam.example',
      version: '1.0.1',
      botId: example().botId,
    });
  });
});

describe('broken configurations are refused with the field named', () => {
  async function refused(raw: unknown, mode: 'development' | 'production', icons?: { color: Buffer; outline: Buffer }) {
    const outFile = join(work, `refused-${Math.random().toString(36).slice(2)}.zip`);
    const r = await buildPackage({ config: raw, mode, outFile, schemas, ...(icons ? { icons } : {}) });
    if (r.ok) throw new Error('expected the package to be refused');
    expect(existsSync(outFile)).toBe(false);
    return r.problems;
  }

  test('missing Teams app id', async () => {
    const raw = example();
    delete raw.teamsAppId;
    const problems = await refused(raw, 'development');
    expect(at(problems, 'teamsAppId')).toEqual([{ file: 'config', path: 'teamsAppId', message: 'is required' }]);
  });

  test('bad GUID for the bot id', async () => {
    const raw = example();
    raw.botId = '0b7e2f4a-1c3d-4e5f-8a9b';
    const problems = await refused(raw, 'development');
    expect(at(problems, 'botId')[0]?.message).toMatch(/must be a GUID/);
  });

  test('an http URL in production (accepted for localhost in development)', async () => {
    const raw = example();
    raw.developer.privacyUrl = 'http://localhost:8080/privacy';
    expect(parseManifestConfig(raw, 'development').ok).toBe(true);
    const problems = await refused(raw, 'production');
    expect(at(problems, 'developer.privacyUrl')[0]?.message).toBe('must use https in production');
  });

  test('an http URL to a real host, even in development', async () => {
    const raw = example();
    raw.publicBaseUrl = 'http://sspr.contoso.example';
    const problems = await refused(raw, 'development');
    expect(at(problems, 'publicBaseUrl')[0]?.message).toMatch(/https/);
  });

  test('name too long (short > 30, full > 100)', async () => {
    const raw = example();
    raw.name.en.short = 'Password Reset Assistant for Teams';
    raw.name.nl.full = 'x'.repeat(101);
    const problems = await refused(raw, 'development');
    expect(at(problems, 'name.en.short')[0]?.message).toBe('must be at most 30 characters (got 34)');
    expect(at(problems, 'name.nl.full')[0]?.message).toBe('must be at most 100 characters (got 101)');
  });

  test('SSO resource that does not match the public host and SSO app id', async () => {
    const raw = example();
    raw.sso.resource = 'api://elsewhere.example/0b7e2f4a-1c3d-4e5f-8a9b-c0d1e2f3a4b5';
    const problems = await refused(raw, 'production');
    expect(at(problems, 'sso.resource')[0]?.message).toContain(
      'api://sspr.contoso.example/0b7e2f4a-1c3d-4e5f-8a9b-c0d1e2f3a4b5',
    );
  });

  test('wrong icon size', async () => {
    const good = renderIcons();
    const problems = await refused(example(), 'production', {
      color: solidPng(96, [31, 95, 168, 255]),
      outline: good.outline,
    });
    expect(problems).toEqual([{ file: 'color.png', path: '', message: 'must be 192×192 pixels (got 96×96)' }]);
    expect(checkIcons({ color: good.color, outline: solidPng(48, [255, 255, 255, 0]) }).map((p) => p.message)).toEqual(
      expect.arrayContaining(['must be 32×32 pixels (got 48×48)']),
    );
  });

  test('non-transparent outline icon', async () => {
    const good = renderIcons();
    const problems = await refused(example(), 'production', {
      color: good.color,
      outline: solidPng(32, [31, 95, 168, 255]),
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'outline.png' });
    expect(problems[0]!.message).toMatch(
      /white on a transparent background; 1024 pixels are neither \(first at x=0, y=0/,
    );
  });

  test('an outline icon with white on a non-white half-transparent pixel, or fully empty, is refused too', () => {
    const good = renderIcons();
    const png = PNG.sync.read(good.outline);
    png.data.set([0, 0, 0, 128], (5 * 32 + 7) * 4);
    const bad = checkIcons({ color: good.color, outline: PNG.sync.write(png) });
    expect(bad[0]?.message).toContain('first at x=7, y=5: rgba(0,0,0,128)');
    expect(checkIcons({ color: good.color, outline: solidPng(32, [0, 0, 0, 0]) })[0]?.message).toBe(
      'is fully transparent',
    );
    expect(checkIcons({ color: Buffer.from('not a png'), outline: good.outline })).toEqual([
      { file: 'color.png', path: '', message: 'is not a readable PNG image' },
    ]);
  });
});

describe('validateManifest against the official schema', () => {
  const base = (): Record<string, Loose> => buildManifest(checked(example(), 'production')) as Record<string, Loose>;

  test('names the manifest field for schema errors: missing id, bad botId, long name, unknown property', () => {
    const m = base();
    delete m.id;
    m.bots[0].botId = 'not-a-guid';
    m.name.short = 'x'.repeat(31);
    m.bots[0].colour = 'blue';
    const problems = validateManifest(m, { mode: 'production', schemas });
    expect(at(problems, 'id')[0]?.message).toBe('is required');
    expect(at(problems, 'bots[0].botId')[0]?.message).toBe('must be a GUID');
    expect(at(problems, 'name.short')[0]?.message).toBe('must be at most 30 characters');
    expect(at(problems, 'bots[0]')[0]?.message).toBe('has an unknown property "colour"');
  });

  test('an older manifestVersion is not the one this schema accepts', () => {
    const m = base();
    m.manifestVersion = '1.17';
    expect(at(validateManifest(m, { schemas }), 'manifestVersion')).toHaveLength(1);
  });

  test('every http URL in production is named, and page hosts must be in validDomains', () => {
    const m = base();
    m.developer.termsOfUseUrl = 'http://it.contoso.example/terms';
    m.staticTabs[0].contentUrl = 'https://pages.elsewhere.example/app/security-info.html';
    m.webApplicationInfo.resource = 'api://sspr.contoso.example/11111111-2222-4333-8444-555555555555';
    const problems = validateManifest(m, { mode: 'production', schemas });
    expect(at(problems, 'developer.termsOfUseUrl')[0]?.message).toBe('must use https in production');
    expect(at(problems, 'staticTabs[0].contentUrl')[0]?.message).toBe(
      'host "pages.elsewhere.example" is not listed in validDomains',
    );
    expect(at(problems, 'webApplicationInfo.resource')[0]?.message).toBe('must end with webApplicationInfo.id');
  });

  test('the localization file is checked against the official Localization schema', () => {
    const nl: JsonObject = { ...buildLocalization(checked(example()), 'nl') };
    nl['name.short'] = 'x'.repeat(31);
    nl['bots[0].commandLists[0].commands[99].description'] = 'no such command slot';
    const problems = validateLocalization('nl.json', nl, schemas);
    // maxLength sits next to a $ref in that schema; Ajv applies both, as the official validator does.
    expect(at(problems, 'name.short')[0]?.message).toBe('must be at most 30 characters');
    expect(at(problems, '')[0]?.message).toBe(
      'has an unknown property "bots[0].commandLists[0].commands[99].description"',
    );
  });

  test('the schemas are read from @microsoft/app-manifest inside node_modules', () => {
    expect(schemaDir()).toBe(
      join(REPO_ROOT, 'node_modules', '@microsoft', 'app-manifest', 'build', 'json-schemas', 'teams', 'v1.30'),
    );
  });
});

describe('writePackage', () => {
  test('puts every file at the root of the zip and is reproducible', async () => {
    const cfg = checked(example());
    const files = {
      manifest: buildManifest(cfg),
      localizations: { 'nl.json': buildLocalization(cfg, 'nl') },
      icons: renderIcons(),
    };
    const a = await writePackage(join(work, 'a', 'appPackage.zip'), files);
    const b = await writePackage(join(work, 'b', 'appPackage.zip'), files);
    expect(a.equals(b)).toBe(true);
    const zip = await JSZip.loadAsync(a);
    expect(Object.values(zip.files).every((f) => !f.name.includes('/') && !f.dir)).toBe(true);
  });
});

describe('npm run manifest (the command)', () => {
  const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(tsx, [join(REPO_ROOT, 'scripts', 'manifest.ts'), ...args], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      timeout: 60_000,
    });

  test('writes the package from the example configuration and exits 0', () => {
    const out = join(work, 'cli', 'appPackage.zip');
    const r = run(['--out', out, '--production']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`manifest v${MANIFEST_VERSION}`);
    expect(existsSync(out)).toBe(true);
  });

  test('exits non-zero and names each broken field (SSPR_MODE=production makes http refused)', () => {
    const raw = example();
    delete raw.teamsAppId;
    raw.publicBaseUrl = 'http://localhost:3978';
    delete raw.sso.resource;
    const cfgFile = join(work, 'broken.json');
    writeFileSync(cfgFile, JSON.stringify(raw));
    const out = join(work, 'cli-broken', 'appPackage.zip');
    const r = run(['--config', cfgFile, '--out', out], { SSPR_MODE: 'production' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('config teamsAppId: is required');
    expect(r.stderr).toContain('config publicBaseUrl: must use https in production');
    expect(existsSync(out)).toBe(false);
  });
});
