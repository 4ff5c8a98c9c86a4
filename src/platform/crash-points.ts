/**
 * Where a test may have the shop kill itself: between the steps of moving a cart into an order
 * (src/cart/order-completion.ts: the claim, the units taken, the order in, the record settled),
 * between giving a short order's lines back to the cart and its units back to stock, between
 * cancelling an order and returning its units (src/cart/order-cancellation.ts), and between
 * deleting an account's User and the clean-up after it (src/accounts/accounts.service.ts). Set with SHOP_TEST_CRASH_AT, which the configuration accepts
 * only with NODE_ENV=test, so that tests/reliability/crash-checkout.test.ts and
 * crash-account-deletion.test.ts can prove that what is interrupted at these points is finished.
 */
export const ORDER_CRASH_POINTS = ['after-claim', 'after-stock', 'after-order', 'after-clear'] as const;
export const CRASH_POINTS = [
  ...ORDER_CRASH_POINTS,
  'after-short-return',
  'after-cancel',
  'after-user-deleted',
] as const;
export type CrashPoint = (typeof CRASH_POINTS)[number];
export type OrderCrashPoint = (typeof ORDER_CRASH_POINTS)[number];

export function isCrashPoint(value: string): value is CrashPoint {
  return CRASH_POINTS.some((point) => point === value);
}

/** Called at each point; ends the process at the configured one. */
export type CrashHook = (point: CrashPoint) => void;

/**
 * SIGKILL to itself at `at`: no handler runs, nothing is flushed or closed, as when the kernel's
 * out-of-memory killer or a deploy's SIGKILL ends the process. Without `at`, nothing.
 */
export function crashHook(at: CrashPoint | undefined): CrashHook {
  if (at === undefined) return () => {};
  return (point) => {
    if (point === at) process.kill(process.pid, 'SIGKILL');
  };
}
