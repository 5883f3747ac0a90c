import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SsprError } from '../../domain/errors';

/** Path of the shipped list (data/common-passwords.txt), found from this file both in source and in dist/. */
export function defaultCommonPasswordsPath(): string {
  const candidates = [join(__dirname, '..', '..', 'data'), join(__dirname, '..', '..', '..', 'data')].map((d) =>
    join(d, 'common-passwords.txt'),
  );
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

/**
 * Loads the common/breached password list: one entry a line, compared lower-case. Blank lines and lines starting
 * with `#` are ignored. The set is handed to the pure password policy (domain/policy/passwordPolicy.ts).
 */
export async function loadCommonPasswords(path: string = defaultCommonPasswordsPath()): Promise<ReadonlySet<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new SsprError('config_invalid', 'The common-password list could not be read', { cause });
  }
  const set = new Set<string>();
  for (const line of text.split(/\r?\n/u)) {
    const entry = line.trim().toLowerCase();
    if (entry.length > 0 && !entry.startsWith('#')) set.add(entry);
  }
  return set;
}
