/**
 * Issue 11 acceptance 3 / item 7: `npm ci` on the supported Node prints no EBADENGINE, no peer-dependency warning and
 * no "install scripts not yet covered by allowScripts" list. Checked on package-lock.json, which is exactly what
 * `npm ci` installs: every package's `engines.node` must accept every Node our own `engines` accepts, every peer
 * dependency must be met by the package Node would resolve, every install script must be decided in `allowScripts`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// semver ships no types and is not a direct dependency of ours (restify, jest and npm bring it): the three calls used.
const semver = createRequire(__filename)('semver') as {
  satisfies(version: string, range: string, options?: { includePrerelease?: boolean }): boolean;
  minVersion(range: string): { version: string } | null;
};

interface LockEntry {
  readonly version?: string;
  readonly engines?: Record<string, string> | string[];
  readonly peerDependencies?: Record<string, string>;
  readonly peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  readonly hasInstallScript?: boolean;
  readonly optional?: boolean;
  readonly dev?: boolean;
}

const root = join(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  allowScripts?: Record<string, boolean>;
};
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const installed = Object.entries(lock.packages).filter(([path]) => path !== '');

const nameOf = (path: string): string => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** The package `name` that `require` from the package at `path` finds: its own node_modules, then each parent's. */
function resolveFrom(path: string, name: string): LockEntry | undefined {
  let dir = path;
  for (;;) {
    const hit = lock.packages[`${dir}${dir ? '/' : ''}node_modules/${name}`];
    if (hit) return hit;
    if (dir === '') return undefined;
    const cut = dir.lastIndexOf('/node_modules/');
    dir = cut === -1 ? '' : dir.slice(0, cut);
  }
}

describe('issue 11 acceptance 3: npm ci without engine, peer or install-script warnings', () => {
  // npm checks the running Node; we check the oldest Node we accept, this one, and the LTS lines (22, 24) we accept.
  const nodes = [semver.minVersion(pkg.engines.node)?.version ?? '0.0.0', process.versions.node, '22.13.0', '24.0.0'].filter((v) =>
    semver.satisfies(v, pkg.engines.node),
  );

  it('every installed package accepts the Node versions we support (no EBADENGINE)', () => {
    expect(nodes).toContain('20.19.0');
    const bad = installed
      .filter(([, e]) => !e.optional && e.engines && !Array.isArray(e.engines) && typeof e.engines.node === 'string')
      .flatMap(([path, e]) => {
        const wants = (e.engines as Record<string, string>).node ?? '*';
        return nodes.filter((v) => !semver.satisfies(v, wants)).map((v) => `${nameOf(path)}@${e.version ?? '?'} wants node ${wants}, not ${v}`);
      });
    expect(bad).toEqual([]);
  });

  it('every peer dependency is met by the package Node resolves from the dependent (no ERESOLVE peer warning)', () => {
    const bad: string[] = [];
    for (const [path, e] of installed) {
      for (const [peer, range] of Object.entries(e.peerDependencies ?? {})) {
        const found = resolveFrom(path, peer);
        if (!found) {
          if (!e.peerDependenciesMeta?.[peer]?.optional) bad.push(`${nameOf(path)} needs ${peer}@${range}: missing`);
          continue;
        }
        if (!found.version || !semver.satisfies(found.version, range, { includePrerelease: true })) {
          bad.push(`${nameOf(path)} needs ${peer}@${range}, gets ${found.version ?? '?'}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it('every package with an install script is decided in allowScripts, and only argon2 and botbuilder-dialogs run', () => {
    const decided = pkg.allowScripts ?? {};
    const undecided = [...new Set(installed.filter(([, e]) => e.hasInstallScript).map(([path]) => nameOf(path)))].filter((n) => !(n in decided));
    expect(undecided).toEqual([]);
    // argon2: node-gyp-build picks the prebuilt binary; botbuilder-dialogs: removes duplicate recognizers-text-number
    // copies so the dialogs and the recognizers share one. Everything else only rebuilds what the package
    // already ships, prints an advert, or builds from source on request.
    expect(Object.keys(decided).filter((n) => decided[n] === true).sort()).toEqual(['argon2', 'botbuilder-dialogs']);
  });
});
