import { finishInterruptedDeletions, type AccountDeletionHook } from '../accounts/account-deletion';
import type { UserModel } from '../accounts/user.schema';
import type { Clock } from '../platform/clock';
import type { Logger } from '../platform/logger';
import { completeInterruptedOrders } from './order-completion';
import { PendingOrders } from './pending-orders';

export interface HousekeepingOptions {
  /** The User model (src/user.model.ts): the deleted Users and the pending orders live there. */
  users: UserModel;
  /** What a deleted account's clean-up runs (accountDeletionHooks, hooks.ts). */
  accountDeletionHooks: AccountDeletionHook[];
  /** The orders' lease (config's pendingOrderLeaseMs): younger ones belong to their request. */
  pendingOrderLeaseMs: number;
  now: Clock;
  logger: Logger;
}

/** The sweep runs at most this often, whatever the lease (tests give a lease of milliseconds). */
const MIN_INTERVAL_MS = 1000;

/**
 * What a crash can leave half done, finished by every shop process: orders claimed and not
 * settled (once their lease is over), accounts deleted whose clean-up did not run. Once at
 * start-up, before listening, then every lease: an order a crash interrupted just before a
 * restart is completed soon after, even if its shopper never comes back. Two processes sweeping
 * at once do no harm: every step may be repeated.
 */
export class Housekeeping {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly pendingOrders: PendingOrders;

  constructor(private readonly options: HousekeepingOptions) {
    this.pendingOrders = new PendingOrders(options.users);
  }

  /** One sweep; a failure is logged, not thrown: whatever is left waits for the next one. */
  async sweep(): Promise<void> {
    const { users, accountDeletionHooks: hooks, pendingOrderLeaseMs, now, logger } = this.options;
    try {
      const finished = await finishInterruptedDeletions(users, hooks);
      if (finished > 0) logger.warn({ finished }, 'finished account deletions interrupted by a crash');
    } catch (error) {
      logger.error({ err: error }, 'could not finish the account deletions interrupted by a crash');
    }
    try {
      const completed = await completeInterruptedOrders(this.pendingOrders, {
        now: now(),
        leaseMs: pendingOrderLeaseMs,
      });
      if (completed > 0) logger.warn({ completed }, 'completed orders interrupted by a crash');
    } catch (error) {
      logger.error({ err: error }, 'could not complete the orders interrupted by a crash');
    }
  }

  /** Sweeps again every lease (at least a second apart), a sweep never overlapping the last. */
  start(): void {
    const intervalMs = Math.max(this.options.pendingOrderLeaseMs, MIN_INTERVAL_MS);
    this.timer = setInterval(() => {
      this.running ??= this.sweep().finally(() => (this.running = undefined));
    }, intervalMs);
    // Never what keeps the process alive.
    this.timer.unref();
  }

  /** No further sweep; resolves once the one in progress, if any, is done. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
