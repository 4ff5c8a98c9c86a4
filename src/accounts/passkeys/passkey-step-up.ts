import type { StepUpOption } from '../step-up/step-up';
import type { Passkeys } from './passkeys.service';

/** "Confirm it's you" with a passkey, offered to a shopper who has one (step-up/'s extension point). */
export function passkeyStepUpOption(passkeys: Passkeys): StepUpOption {
  return {
    id: 'passkey',
    view: '/accounts/passkeys/confirm-option',
    offeredTo: (user) => passkeys.has(user._id),
  };
}
