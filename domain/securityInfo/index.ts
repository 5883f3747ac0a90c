import { BeginAddMethod, ConfirmMethod, ReconfirmMethod } from './codeMethods';
import { ConfirmAuthenticator, CreateRecoveryCodes, EnrolAuthenticator, RegisterQuestions } from './enrolments';
import { ListMethods } from './listMethods';
import { RemoveMethod } from './removeMethod';
import type { SecurityInfoDeps } from './securityInfoDeps';
import { StepUpProof } from './stepUpProof';

/** The security-info use-cases (issue 3 item 6), built on one set of ports. */
export interface SecurityInfoUseCases {
  readonly deps: SecurityInfoDeps;
  readonly list: ListMethods;
  readonly stepUp: StepUpProof;
  readonly beginAdd: BeginAddMethod;
  readonly confirm: ConfirmMethod;
  readonly reconfirm: ReconfirmMethod;
  readonly remove: RemoveMethod;
  readonly enrolAuthenticator: EnrolAuthenticator;
  readonly confirmAuthenticator: ConfirmAuthenticator;
  readonly registerQuestions: RegisterQuestions;
  readonly createRecoveryCodes: CreateRecoveryCodes;
}

export function createSecurityInfoUseCases(deps: SecurityInfoDeps): SecurityInfoUseCases {
  return {
    deps,
    list: new ListMethods(deps),
    stepUp: new StepUpProof(deps),
    beginAdd: new BeginAddMethod(deps),
    confirm: new ConfirmMethod(deps),
    reconfirm: new ReconfirmMethod(deps),
    remove: new RemoveMethod(deps),
    enrolAuthenticator: new EnrolAuthenticator(deps),
    confirmAuthenticator: new ConfirmAuthenticator(deps),
    registerQuestions: new RegisterQuestions(deps),
    createRecoveryCodes: new CreateRecoveryCodes(deps),
  };
}
