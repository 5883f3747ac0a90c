/**
 * The Teams app package: manifest from configuration, offline validation against the official JSON schema shipped in
 * @microsoft/app-manifest, icon rendering and checks, and the zip Teams admins upload. `scripts/manifest.ts` is the CLI.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv-draft-04';
import JSZip from 'jszip';
import { PNG } from 'pngjs';
import { Resvg } from '@resvg/resvg-js';
import { z } from 'zod';
import { t, type Locale } from '../../locales/index';
import { SsprError } from '../../domain/errors';

/**
 * Newest manifest schema that both @microsoft/app-manifest 1.1.2 ships and the Microsoft 365 app manifest reference
 * calls current (v1.30, August 2026). See docs/admin-guide.md, "Which manifest version".
 */
export const MANIFEST_VERSION = '1.30';

export const REPO_ROOT = resolve(__dirname, '..', '..');
export const MANIFEST_DIR = join(REPO_ROOT, 'manifest');
export const ICONS_DIR = join(MANIFEST_DIR, 'icons');
export const TEMPLATE_FILE = join(MANIFEST_DIR, 'manifest.template.json');
export const DEFAULT_CONFIG_FILE = join(MANIFEST_DIR, 'config.example.json');
export const DEFAULT_OUT_FILE = join(REPO_ROOT, 'dist', 'appPackage.zip');

export const ICON_SIZES = { color: 192, outline: 32 } as const;
/** File name of each additional language inside the package. */
export const LOCALIZATION_FILES: Readonly<Record<Exclude<Locale, 'en'>, { tag: string; file: string }>> = {
  nl: { tag: 'nl-NL', file: 'nl.json' },
};

export type PackageMode = 'development' | 'production';
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/** One thing wrong, naming the file and the field (JSON path) and what is wrong with it. */
export interface Problem {
  readonly file: string;
  readonly path: string;
  readonly message: string;
}
export const formatProblem = (p: Problem): string => `${p.file} ${p.path || '(root)'}: ${p.message}`;

/** Thrown only by the all-in-one {@link buildPackage} callers that want an exception; carries every problem. */
export class AppPackageError extends SsprError {
  constructor(readonly problems: readonly Problem[]) {
    super('config_invalid', `App package refused:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`, {
      expose: true,
    });
  }
}

// ---------- configuration ----------

const GUID = /^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$/;
const SEMVER = /^([0-9]|[1-9][0-9]*)\.([0-9]|[1-9][0-9]*)\.([0-9]|[1-9][0-9]*)$/;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const str = (what: string) =>
  z.string({ error: (iss) => (iss.input === undefined ? 'is required' : `must be ${what}`) }).trim();
const guid = () => str('a GUID').regex(GUID, { error: 'must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)' });
const text = (max: number) =>
  str('text')
    .min(1, { error: 'must not be empty' })
    .max(max, { error: (iss) => `must be at most ${max} characters (got ${String((iss.input as string).length)})` });
/** An http(s) URL acceptable in `mode` (see {@link urlSchemeProblem}). */
const url = (mode: PackageMode) =>
  str('an absolute URL').check((ctx) => {
    const why = urlSchemeProblem(ctx.value, mode);
    if (why) ctx.issues.push({ code: 'custom', message: why, input: ctx.value });
  });
const names = z.object({ short: text(30), full: text(100) }).strict();
const descriptions = z.object({ short: text(80), full: text(4000) }).strict();
const perLocale = <T extends z.ZodType>(schema: T) => z.object({ en: schema, nl: schema }).strict();

const configSchema = (mode: PackageMode) =>
  z
    .object({
      $schema: z.string().optional(),
      teamsAppId: guid(),
      botId: guid(),
      version: str('a version').regex(SEMVER, { error: 'must be a version like 1.0.0 (major.minor.patch)' }),
      publicBaseUrl: url(mode),
      sso: z.object({ appId: guid(), resource: str('an api:// URI').optional() }, { error: 'is required' }).strict(),
      developer: z
        .object(
          {
            name: text(32),
            websiteUrl: url(mode),
            privacyUrl: url(mode),
            termsOfUseUrl: url(mode),
            mpnId: str('a Partner Network id').max(10).optional(),
          },
          { error: 'is required' },
        )
        .strict(),
      accentColor: str('a colour').regex(/^#[0-9a-fA-F]{6}$/, { error: 'must be a colour like #1F5FA8' }),
      name: perLocale(names),
      description: perLocale(descriptions),
    })
    .strict();

/** The manifest configuration, checked. */
export interface ManifestConfig {
  readonly teamsAppId: string;
  readonly botId: string;
  readonly version: string;
  /** No trailing slash. */
  readonly publicBaseUrl: string;
  readonly sso: { readonly appId: string; readonly resource: string };
  readonly developer: {
    readonly name: string;
    readonly websiteUrl: string;
    readonly privacyUrl: string;
    readonly termsOfUseUrl: string;
    readonly mpnId?: string | undefined;
  };
  readonly accentColor: string;
  readonly name: Readonly<Record<Locale, { readonly short: string; readonly full: string }>>;
  readonly description: Readonly<Record<Locale, { readonly short: string; readonly full: string }>>;
}

/**
 * Environment variables the packaging command honours over the configuration file (all optional). The names are the
 * bot's own where the bot has one (bot/config.ts), so one environment can build the package and run the bot.
 */
export const ENV_OVERRIDES = {
  TEAMS_APP_ID: 'teamsAppId',
  MicrosoftAppId: 'botId',
  PUBLIC_BASE_URL: 'publicBaseUrl',
  SSO_APP_ID: 'sso.appId',
  SSO_RESOURCE: 'sso.resource',
  TEAMS_APP_VERSION: 'version',
} as const;

/** A copy of the raw configuration with the environment overrides applied (empty values are ignored). */
export function applyEnvOverrides(raw: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const copy = structuredClone(raw) as Record<string, unknown>;
  for (const [name, field] of Object.entries(ENV_OVERRIDES)) {
    const value = env[name]?.trim();
    if (!value) continue;
    const [head, leaf] = field.split('.') as [string, string | undefined];
    if (leaf === undefined) copy[head] = value;
    else {
      const inner = copy[head];
      copy[head] = { ...(inner !== null && typeof inner === 'object' ? inner : {}), [leaf]: value };
    }
  }
  return copy;
}

/** Check the raw configuration. URLs must be https in production; in development plain http only for localhost. */
export function parseManifestConfig(
  raw: unknown,
  mode: PackageMode,
): { ok: true; value: ManifestConfig } | { ok: false; problems: Problem[] } {
  const r = configSchema(mode).safeParse(raw);
  if (!r.success) {
    return {
      ok: false,
      problems: r.error.issues.map((i) => ({ file: 'config', path: dotted(i.path), message: i.message })),
    };
  }
  const c = r.data;
  const problems: Problem[] = [];
  const base = parseHttpUrl(c.publicBaseUrl);
  if (base && (base.search || base.hash)) {
    problems.push({ file: 'config', path: 'publicBaseUrl', message: 'must not have a query or fragment' });
  }
  const host = base?.host ?? '';
  const expectedResource = `api://${host}/${c.sso.appId}`;
  const resource = c.sso.resource ?? expectedResource;
  if (c.sso.resource !== undefined && resource !== expectedResource) {
    problems.push({
      file: 'config',
      path: 'sso.resource',
      message: `must be "${expectedResource}" (api://<host of publicBaseUrl>/<sso.appId>) for Teams SSO`,
    });
  }
  if (problems.length) return { ok: false, problems };
  return {
    ok: true,
    value: {
      ...c,
      publicBaseUrl: c.publicBaseUrl.replace(/\/+$/, ''),
      sso: { appId: c.sso.appId, resource },
    },
  };
}

function parseHttpUrl(value: string): URL | undefined {
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

/** Why an http(s) URL is not acceptable in this mode, or undefined. */
export function urlSchemeProblem(value: string, mode: PackageMode): string | undefined {
  const u = parseHttpUrl(value);
  if (!u) return 'must be an absolute http(s) URL';
  const local = LOCAL_HOSTS.has(u.hostname);
  if (mode === 'production') {
    if (u.protocol !== 'https:') return 'must use https in production';
    if (local) return 'must not point to localhost in production (Teams clients cannot reach it)';
    return undefined;
  }
  if (u.protocol !== 'https:' && !local)
    return 'must use https (plain http is allowed only for localhost, in development)';
  return undefined;
}

// ---------- manifest ----------

/** Fill the template (manifest/manifest.template.json) for one language. */
function fillTemplate(config: ManifestConfig, locale: Locale, template: Json = readTemplate()): JsonObject {
  const values: Record<string, string> = {
    manifestVersion: MANIFEST_VERSION,
    version: config.version,
    teamsAppId: config.teamsAppId,
    botId: config.botId,
    publicBaseUrl: config.publicBaseUrl,
    publicHost: new URL(config.publicBaseUrl).host,
    accentColor: config.accentColor,
    'developer.name': config.developer.name,
    'developer.websiteUrl': config.developer.websiteUrl,
    'developer.privacyUrl': config.developer.privacyUrl,
    'developer.termsOfUseUrl': config.developer.termsOfUseUrl,
    'name.short': config.name[locale].short,
    'name.full': config.name[locale].full,
    'description.short': config.description[locale].short,
    'description.full': config.description[locale].full,
    'sso.appId': config.sso.appId,
    'sso.resource': config.sso.resource,
  };
  const fill = (node: Json): Json => {
    if (typeof node === 'string') {
      return node.replace(/\{\{([^}]+)\}\}/g, (_m, key: string) => {
        if (key.startsWith('t:')) return t(locale, key.slice(2));
        const v = values[key];
        if (v === undefined) throw new SsprError('internal', `manifest template: unknown placeholder {{${key}}}`);
        return v;
      });
    }
    if (Array.isArray(node)) return node.map(fill);
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, fill(v)]));
    }
    return node;
  };
  const filled = fill(template) as JsonObject;
  if (config.developer.mpnId) (filled.developer as JsonObject).mpnId = config.developer.mpnId;
  return filled;
}

function readTemplate(): Json {
  return JSON.parse(readFileSync(TEMPLATE_FILE, 'utf8')) as Json;
}

/** The manifest.json object (default language en-US) for a checked configuration. */
export function buildManifest(config: ManifestConfig): JsonObject {
  return fillTemplate(config, 'en');
}

/**
 * The localization file for `locale` (nl.json): every manifest string that the Localization schema lets a language
 * file override, taken from the template filled in that language.
 */
export function buildLocalization(config: ManifestConfig, locale: Exclude<Locale, 'en'>): JsonObject {
  const m = fillTemplate(config, locale);
  const out: JsonObject = {
    $schema: `https://developer.microsoft.com/json-schemas/teams/v${MANIFEST_VERSION}/MicrosoftTeams.Localization.schema.json`,
  };
  const name = m.name as JsonObject;
  const description = m.description as JsonObject;
  out['name.short'] = name.short as string;
  out['name.full'] = name.full as string;
  out['description.short'] = description.short as string;
  out['description.full'] = description.full as string;
  ((m.staticTabs as JsonObject[] | undefined) ?? []).forEach((tab, i) => {
    if (typeof tab.name === 'string') out[`staticTabs[${i}].name`] = tab.name;
  });
  const bots = (m.bots as JsonObject[] | undefined) ?? [];
  ((bots[0]?.commandLists as JsonObject[] | undefined) ?? []).forEach((list, i) => {
    (list.commands as JsonObject[]).forEach((cmd, j) => {
      // Titles stay as they are: a command's title is the text the bot receives when the user picks it.
      if (typeof cmd.description === 'string')
        out[`bots[0].commandLists[${i}].commands[${j}].description`] = cmd.description;
    });
  });
  return out;
}

// ---------- validation ----------

/** Folder holding the JSON schemas of MANIFEST_VERSION inside @microsoft/app-manifest. */
export function schemaDir(version: string = MANIFEST_VERSION): string {
  const pkg = require.resolve('@microsoft/app-manifest/package.json');
  return join(dirname(pkg), 'build', 'json-schemas', 'teams', `v${version}`);
}

/**
 * Validators compiled from the official draft-04 schemas, offline. Notes on how they are compiled:
 * - `ajv-draft-04` knows the draft-04 meta-schema, so the schemas' own `$schema` needs no download; the manifest's
 *   `$schema` property is just data (the validator is chosen by `manifestVersion`, never fetched from that URL).
 * - every `$ref` in these files is local (`#/definitions/…`, `#/properties/…`), resolved inside the same document.
 * - `unicodeRegExp: false`: some Localization patterns (`\b…]`) are not valid under the `u` flag.
 * - `strictTypes: false`: the official files leave out `type` next to some keywords; that is not our error to report.
 * - the `uri` format (only used for `$schema`) is checked with WHATWG URL parsing instead of pulling in ajv-formats.
 */
export class ManifestSchemas {
  readonly manifest: ValidateFunction;
  readonly localization: ValidateFunction;

  constructor(version: string = MANIFEST_VERSION) {
    const dir = schemaDir(version);
    const ajv = new Ajv({ allErrors: true, strictTypes: false, unicodeRegExp: false });
    ajv.addFormat('uri', (v: string) => {
      try {
        new URL(v);
        return true;
      } catch {
        return false;
      }
    });
    const load = (f: string): object => JSON.parse(readFileSync(join(dir, f), 'utf8')) as object;
    this.manifest = ajv.compile(load('MicrosoftTeams.schema.json'));
    this.localization = ajv.compile(load('MicrosoftTeams.Localization.schema.json'));
  }
}

/** Options for {@link validateManifest}. */
export interface ValidateOptions {
  readonly mode?: PackageMode;
  /** Reuse compiled schemas (compiling takes a moment). */
  readonly schemas?: ManifestSchemas;
}

/**
 * Every problem of a manifest: the official schema, then the rules Teams applies beyond it — every http(s) URL
 * acceptable for the mode, page URLs on a `validDomains` host, the SSO resource on that host and ending in the SSO app id.
 */
export function validateManifest(manifest: unknown, options: ValidateOptions = {}): Problem[] {
  const mode = options.mode ?? 'development';
  const schemas = options.schemas ?? new ManifestSchemas();
  const file = 'manifest.json';
  const problems: Problem[] = [];
  if (!schemas.manifest(manifest)) problems.push(...ajvProblems(file, schemas.manifest.errors));
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) return problems;
  const m = manifest as JsonObject;

  walkStrings(m, [], (value, path) => {
    if (!/^https?:\/\//i.test(value)) return;
    const why = urlSchemeProblem(value, mode);
    if (why) problems.push({ file, path: dotted(path), message: why });
  });

  const domains = Array.isArray(m.validDomains) ? m.validDomains.filter((d): d is string => typeof d === 'string') : [];
  const covered = (host: string): boolean =>
    domains.some(
      (d) =>
        d.toLowerCase() === host.toLowerCase() ||
        (d.startsWith('*.') && host.toLowerCase().endsWith(d.slice(1).toLowerCase())),
    );
  const tabs = Array.isArray(m.staticTabs) ? m.staticTabs : [];
  tabs.forEach((tab, i) => {
    if (tab === null || typeof tab !== 'object' || Array.isArray(tab)) return;
    for (const key of ['contentUrl', 'websiteUrl'] as const) {
      const v = tab[key];
      const u = typeof v === 'string' ? parseHttpUrl(v) : undefined;
      if (u && !covered(u.host)) {
        problems.push({
          file,
          path: `staticTabs[${i}].${key}`,
          message: `host "${u.host}" is not listed in validDomains`,
        });
      }
    }
  });

  const wai = m.webApplicationInfo;
  if (wai !== null && typeof wai === 'object' && !Array.isArray(wai) && typeof wai.resource === 'string') {
    const match = /^api:\/\/([^/]+)\/(.+)$/.exec(wai.resource);
    if (!match) {
      problems.push({ file, path: 'webApplicationInfo.resource', message: 'must look like api://<host>/<SSO app id>' });
    } else {
      if (!covered(match[1]!)) {
        problems.push({
          file,
          path: 'webApplicationInfo.resource',
          message: `host "${match[1]!}" is not listed in validDomains`,
        });
      }
      if (typeof wai.id === 'string' && match[2] !== wai.id) {
        problems.push({ file, path: 'webApplicationInfo.resource', message: 'must end with webApplicationInfo.id' });
      }
    }
  }
  return problems;
}

/** Problems of a localization file against the official Localization schema. */
export function validateLocalization(
  file: string,
  content: unknown,
  schemas: ManifestSchemas = new ManifestSchemas(),
): Problem[] {
  return schemas.localization(content) ? [] : ajvProblems(file, schemas.localization.errors);
}

function ajvProblems(file: string, errors: ErrorObject[] | null | undefined): Problem[] {
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors ?? []) {
    const segments = e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let path = dotted(segments);
    let message = e.message ?? 'is invalid';
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'required') {
      path = dotted([...segments, String(params.missingProperty)]);
      message = 'is required';
    } else if (e.keyword === 'additionalProperties') {
      message = `has an unknown property "${String(params.additionalProperty)}"`;
    } else if (e.keyword === 'maxLength') {
      message = `must be at most ${String(params.limit)} characters`;
    } else if (e.keyword === 'pattern' && /\[0-9a-fA-F\]\{8\}-/.test(String(params.pattern))) {
      message = 'must be a GUID';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${JSON.stringify(params.allowedValues)}`;
    }
    const key = `${path}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ file, path, message });
  }
  return out;
}

function walkStrings(
  node: Json,
  path: (string | number)[],
  visit: (value: string, path: (string | number)[]) => void,
): void {
  if (typeof node === 'string') visit(node, path);
  else if (Array.isArray(node)) node.forEach((v, i) => walkStrings(v, [...path, i], visit));
  else if (node !== null && typeof node === 'object')
    for (const [k, v] of Object.entries(node)) walkStrings(v, [...path, k], visit);
}

/** ["bots", 0, "botId"] → "bots[0].botId". */
export function dotted(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    const s = String(seg);
    if (typeof seg === 'number' || /^\d+$/.test(s)) out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

// ---------- icons ----------

export interface Icons {
  readonly color: Buffer;
  readonly outline: Buffer;
}

/** Render color.png (192×192) and outline.png (32×32) from the SVG sources in `iconsDir`. */
export function renderIcons(iconsDir: string = ICONS_DIR): Icons {
  const render = (name: keyof typeof ICON_SIZES): Buffer => {
    const svg = readFileSync(join(iconsDir, `${name}.svg`));
    const resvg = new Resvg(svg, {
      fitTo: { mode: 'width', value: ICON_SIZES[name] },
      font: { loadSystemFonts: false },
    });
    return Buffer.from(resvg.render().asPng());
  };
  return { color: render('color'), outline: render('outline') };
}

/**
 * Problems of the two icons: PNG, exact sizes, and the outline icon white on transparent (every pixel either fully
 * transparent or pure white at any opacity) and not empty.
 */
export function checkIcons(icons: Icons): Problem[] {
  const problems: Problem[] = [];
  const decode = (file: string, data: Buffer): PNG | undefined => {
    try {
      return PNG.sync.read(data);
    } catch {
      problems.push({ file, path: '', message: 'is not a readable PNG image' });
      return undefined;
    }
  };
  const color = decode('color.png', icons.color);
  if (color && (color.width !== ICON_SIZES.color || color.height !== ICON_SIZES.color)) {
    problems.push({
      file: 'color.png',
      path: '',
      message: `must be ${ICON_SIZES.color}×${ICON_SIZES.color} pixels (got ${color.width}×${color.height})`,
    });
  }
  const outline = decode('outline.png', icons.outline);
  if (outline) {
    if (outline.width !== ICON_SIZES.outline || outline.height !== ICON_SIZES.outline) {
      problems.push({
        file: 'outline.png',
        path: '',
        message: `must be ${ICON_SIZES.outline}×${ICON_SIZES.outline} pixels (got ${outline.width}×${outline.height})`,
      });
    }
    let offending = 0;
    let first = '';
    let visible = 0;
    const d = outline.data;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b, a] = [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!];
      if (a === 0) continue;
      visible++;
      if (r !== 255 || g !== 255 || b !== 255) {
        if (offending === 0) {
          const px = i / 4;
          first = ` (first at x=${px % outline.width}, y=${Math.floor(px / outline.width)}: rgba(${r},${g},${b},${a}))`;
        }
        offending++;
      }
    }
    if (offending > 0) {
      problems.push({
        file: 'outline.png',
        path: '',
        message: `must be white on a transparent background; ${offending} pixels are neither${first}`,
      });
    }
    if (visible === 0) problems.push({ file: 'outline.png', path: '', message: 'is fully transparent' });
  }
  return problems;
}

// ---------- package ----------

/** What goes into the zip, every file at its root. */
export interface PackageFiles {
  readonly manifest: JsonObject;
  /** File name (e.g. nl.json) → content. */
  readonly localizations: Readonly<Record<string, JsonObject>>;
  readonly icons: Icons;
}

/** Zip the package (manifest.json, color.png, outline.png and the localization files, all at the root) and write it. */
export async function writePackage(outFile: string, files: PackageFiles): Promise<Buffer> {
  const zip = new JSZip();
  // A fixed timestamp keeps the zip byte-for-byte reproducible for the same input.
  const date = new Date(Date.UTC(2020, 0, 1));
  zip.file('manifest.json', `${JSON.stringify(files.manifest, null, 2)}\n`, { date });
  zip.file('color.png', files.icons.color, { date });
  zip.file('outline.png', files.icons.outline, { date });
  for (const [name, content] of Object.entries(files.localizations)) {
    zip.file(name, `${JSON.stringify(content, null, 2)}\n`, { date });
  }
  const data = await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', platform: 'UNIX' });
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, data);
  return data;
}

/** Everything the CLI does, as one call: check config, build, validate, render and check icons, write the zip. */
export interface BuildPackageOptions {
  /** The parsed configuration JSON (environment overrides already applied, see {@link applyEnvOverrides}). */
  readonly config: unknown;
  readonly mode: PackageMode;
  readonly outFile?: string;
  readonly iconsDir?: string;
  /** Pre-rendered icons (tests use this to feed broken ones); otherwise rendered from `iconsDir`. */
  readonly icons?: Icons;
  readonly schemas?: ManifestSchemas;
}

export type BuildPackageResult =
  { ok: true; outFile: string; manifest: JsonObject; files: string[] } | { ok: false; problems: Problem[] };

export async function buildPackage(options: BuildPackageOptions): Promise<BuildPackageResult> {
  const parsed = parseManifestConfig(options.config, options.mode);
  if (!parsed.ok) return { ok: false, problems: parsed.problems };
  const config = parsed.value;
  const schemas = options.schemas ?? new ManifestSchemas();

  const manifest = buildManifest(config);
  const localizations: Record<string, JsonObject> = {};
  for (const [locale, { file }] of Object.entries(LOCALIZATION_FILES) as [Exclude<Locale, 'en'>, { file: string }][]) {
    localizations[file] = buildLocalization(config, locale);
  }
  const problems = validateManifest(manifest, { mode: options.mode, schemas });
  for (const [file, content] of Object.entries(localizations))
    problems.push(...validateLocalization(file, content, schemas));

  let icons: Icons | undefined = options.icons;
  if (!icons) {
    try {
      icons = renderIcons(options.iconsDir ?? ICONS_DIR);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push({
        file: 'icons',
        path: '',
        message: `cannot render the SVG sources (${code ?? (e as Error).message})`,
      });
    }
  }
  if (icons) problems.push(...checkIcons(icons));
  if (problems.length || !icons) return { ok: false, problems };

  const outFile = options.outFile ?? DEFAULT_OUT_FILE;
  await writePackage(outFile, { manifest, localizations, icons });
  return {
    ok: true,
    outFile,
    manifest,
    files: ['manifest.json', 'color.png', 'outline.png', ...Object.keys(localizations)],
  };
}
