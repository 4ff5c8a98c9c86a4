/** The shopper's passkeys page, and where its ceremonies post. */
export const PASSKEYS_PATH = '/account/passkeys';
/** A passkey login, from the login page. */
export const LOGIN_PASSKEY_PATH = '/login/passkey';

/** Every endpoint the pages' module (public/js/passkeys.mjs) calls, given to it by the pages. */
export const PASSKEY_PATHS = {
  addOptions: `${PASSKEYS_PATH}/options`,
  add: PASSKEYS_PATH,
  remove: `${PASSKEYS_PATH}/remove`,
  confirmOptions: `${PASSKEYS_PATH}/confirm/options`,
  confirm: `${PASSKEYS_PATH}/confirm`,
  loginOptions: `${LOGIN_PASSKEY_PATH}/options`,
  login: LOGIN_PASSKEY_PATH,
} as const;
