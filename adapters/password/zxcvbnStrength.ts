import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import type { StrengthEstimator } from '../../domain/policy/passwordPolicy';

/** Inputs longer than this are scored on their prefix: zxcvbn is super-linear and the length rule already applies. */
const MAX_SCORED_LENGTH = 100;

/**
 * A zxcvbn-ts strength estimator (advice only, never a hard rule: R14). Create once and reuse; the dictionaries
 * are built in the constructor.
 */
export function createZxcvbnStrength(): StrengthEstimator {
  const factory = new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
  });
  return (password, userInputs) => {
    const result = factory.check(password.slice(0, MAX_SCORED_LENGTH), [...userInputs]);
    return result.score;
  };
}
