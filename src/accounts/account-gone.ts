/**
 * The shopper's account was deleted while this request ran (from another of their devices): the
 * request passed loadUser just before. Whatever it wrote was undone; its session is over, and
 * `middleware/account-gone.ts` answers as for any ended session, with the login page.
 */
export class AccountGoneError extends Error {
  constructor() {
    super('the account was deleted while this request ran');
    this.name = 'AccountGoneError';
  }
}
