import type * as ZxcvbnCore from '@zxcvbn-ts/core';
import type * as ZxcvbnCommon from '@zxcvbn-ts/language-common';
import type * as ZxcvbnEn from '@zxcvbn-ts/language-en';
import type { StrengthEstimator } from '../../domain/policy/passwordPolicy';

/** Inputs longer than this are scored on their prefix: zxcvbn is super-linear and the length rule already applies. */
const MAX_SCORED_LENGTH = 100;

/**
 * A zxcvbn-ts strength estimator (advice only, never a hard rule: R14). Create once and reuse; the dictionaries
 * are built in the constructor.
 */
export function createZxcvbnStrength(): StrengthEstimator {
  // Loaded here, on first use, not at start-up: the dictionaries cost ≈ 20 MB RSS and ≈ 0.3 s of module loading,
  // and most processes never score a password before someone resets one (issue 15, idle RSS and start-to-ready).
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as typeof ZxcvbnCore;
  const zxcvbnCommon = require('@zxcvbn-ts/language-common') as typeof ZxcvbnCommon;
  const zxcvbnEn = require('@zxcvbn-ts/language-en') as typeof ZxcvbnEn;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const factory = new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
  });
  return (password, userInputs) => {
    const result = factory.check(password.slice(0, MAX_SCORED_LENGTH), [...userInputs]);
    return result.score;
  };
}
