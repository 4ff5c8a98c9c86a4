import { body } from 'express-validator';
import { currentPasswordRules } from '../account.forms';

/** Removing a passkey: which one (its id, as the page lists it), and the current password past the window. */
export const removePasskeyRules = [
  body('passkey').isString().bail().isMongoId().withMessage('Choose a passkey to remove.'),
  ...currentPasswordRules,
];
