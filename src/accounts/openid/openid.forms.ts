import { body } from 'express-validator';

/* Every rule starts with isString().bail(): only strings reach bcrypt or a query (account.forms.ts). */

/** The linking page: the existing account's password. */
export const linkRules = [
  body('password')
    .isString()
    .withMessage("Enter your account's password.")
    .bail()
    .notEmpty()
    .withMessage("Enter your account's password."),
];

/** A sensitive form's current password: sent only past SESSION_REAUTH_MINUTES (accounts/step-up/). */
export const stepUpRules = [
  body('currentPassword')
    .optional()
    .isString()
    .withMessage('Enter your current password.')
    .bail()
    .notEmpty()
    .withMessage('Enter your current password.'),
];

/** Which link to remove: its id, as the account page gives it. */
export const linkedIdentityRules = [
  body('identity').isString().bail().isMongoId().withMessage('No such sign-in provider on your account.'),
];
