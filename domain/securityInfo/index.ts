import { BootstrapRegistration } from './bootstrap';
import { BeginAddMethod, ConfirmDirectoryContact, ConfirmMethod } from './codeMethods';
import { ConfirmAuthenticator, CreateRecoveryCodes, EnrolAuthenticator, RegisterQuestions } from './enrolments';
import { ListMethods } from './listMethods';
import { RemoveMethod } from './removeMethod';
import type { SecurityInfoDeps } from './securityInfoDeps';
import { ReconfirmMethod, StepUpProof } from './stepUpProof';

/** The security-info use-cases, built on one set of ports: every surface (chat, tab, pages) calls these (rule 16). */
export interface SecurityInfoUseCases {
  readonly deps: SecurityInfoDeps;
  readonly list: ListMethods;
  readonly stepUp: StepUpProof;
  readonly bootstrap: BootstrapRegistration;
  readonly beginAdd: BeginAddMethod;
  readonly confirm: ConfirmMethod;
  readonly confirmDirectoryContact: ConfirmDirectoryContact;
  readonly reconfirm: ReconfirmMethod;
  readonly remove: RemoveMethod;
  readonly enrolAuthenticator: EnrolAuthenticator;
  readonly confirmAuthenticator: ConfirmAuthenticator;
  readonly registerQuestions: RegisterQuestions;
  readonly createRecoveryCodes: CreateRecoveryCodes;
}

export function createSecurityInfoUseCases(deps: SecurityInfoDeps): SecurityInfoUseCases {
  const stepUp = new StepUpProof(deps);
  return {
    deps,
    list: new ListMethods(deps),
    stepUp,
    bootstrap: new BootstrapRegistration(deps),
    beginAdd: new BeginAddMethod(deps),
    confirm: new ConfirmMethod(deps),
    confirmDirectoryContact: new ConfirmDirectoryContact(deps),
    reconfirm: new ReconfirmMethod(deps, stepUp),
    remove: new RemoveMethod(deps),
    enrolAuthenticator: new EnrolAuthenticator(deps),
    confirmAuthenticator: new ConfirmAuthenticator(deps),
    registerQuestions: new RegisterQuestions(deps),
    createRecoveryCodes: new CreateRecoveryCodes(deps),
  };
}
