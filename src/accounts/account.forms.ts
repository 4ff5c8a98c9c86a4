import { body } from 'express-validator';

/*
 * Every rule starts with isString().bail(): urlencoded bodies can hold arrays and JSON bodies
 * objects (`{"$gt": ""}`), and only strings may ever reach a query or bcrypt.
 */

const email = () =>
  body('email')
    .isString()
    .withMessage('Enter your email address.')
    .bail()
    .trim()
    .toLowerCase()
    .isEmail()
    .withMessage('Enter a valid email address.')
    .isLength({ max: 254 })
    .withMessage('That email address is too long.');

// bcrypt reads at most 72 bytes; longer passwords would be silently cut.
const BCRYPT_MAX_BYTES = 72;
export const MIN_PASSWORD_LENGTH = 8;

export const loginRules = [
  email(),
  body('password').isString().withMessage('Enter your password.').bail().notEmpty().withMessage('Enter your password.'),
];

const newPassword = (field: string, missing: string) =>
  body(field)
    .isString()
    .withMessage(missing)
    .bail()
    .isLength({ min: MIN_PASSWORD_LENGTH })
    .withMessage(`Use at least ${MIN_PASSWORD_LENGTH} characters.`)
    .custom((value: string) => Buffer.byteLength(value) <= BCRYPT_MAX_BYTES)
    .withMessage(`Use at most ${BCRYPT_MAX_BYTES} bytes (about ${BCRYPT_MAX_BYTES} plain letters).`);

const confirmation = () =>
  body('confirmPassword')
    .isString()
    .withMessage('Repeat the password.')
    .bail()
    .custom((value: string, { req }) => value === (req.body as { password?: unknown }).password)
    .withMessage('The passwords do not match.');

export const signupRules = [email(), newPassword('password', 'Choose a password.'), confirmation()];

const requiredCurrentPassword = () =>
  body('currentPassword')
    .isString()
    .withMessage('Enter your current password.')
    .bail()
    .notEmpty()
    .withMessage('Enter your current password.');

/**
 * A sensitive form's current password: asked only past SESSION_REAUTH_MINUTES (accounts/step-up/),
 * so the form may come without the field; sent, even empty, it must be a password.
 */
const currentPassword = () => requiredCurrentPassword().optional();

export const changePasswordRules = [
  currentPassword(),
  newPassword('password', 'Choose a new password.'),
  confirmation(),
];

export const resetRules = [email()];

export const newPasswordRules = [
  newPassword('password', 'Choose a new password.'),
  confirmation(),
  // The token travels in a hidden field; its shape is checked here, whether it works by the service.
  body('passwordToken').isString().withMessage('This link is incomplete.'),
];

export const changeEmailRules = [currentPassword(), email()];

export const deleteAccountRules = [currentPassword()];

export const revokeSessionRules = [
  body('session')
    .isString()
    .bail()
    .matches(/^[0-9a-f]{32}$/)
    .withMessage('No such device.'),
];

/** "Confirm it's you": the password, and where to go back to (checked by localPath). */
export const confirmRules = [requiredCurrentPassword()];

/** A TOTP code or a recovery code: what the app shows, or one of the ten written down. */
export const codeRules = [
  body('code')
    .isString()
    .withMessage('Enter the code from your app, or a recovery code.')
    .bail()
    .trim()
    .notEmpty()
    .withMessage('Enter the code from your app, or a recovery code.')
    .isLength({ max: 40 })
    .withMessage('That is not a code.'),
];

export const enableTwoFactorRules = [currentPassword(), ...codeRules];

export const disableTwoFactorRules = [currentPassword(), ...codeRules];

export const recoveryCodesRules = [currentPassword()];

/** A sensitive form whose only field besides its own is the current password, asked past the window (passkeys). */
export const currentPasswordRules = [currentPassword()];
