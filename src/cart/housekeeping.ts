import { finishInterruptedDeletions, type AccountDeletionHook } from '../accounts/account-deletion';
import type { UserModel } from '../accounts/user.schema';
import type { ProductStock } from '../catalog/stock';
import type { Clock } from '../platform/clock';
import type { Logger } from '../platform/logger';
import { completeInterruptedOrders, type CompletionSteps } from './order-completion';
import { OrderCancellation } from './order-cancellation';
import { OrdersToSend } from './orders-to-send';
import { PendingOrders } from './pending-orders';
import { sweepStockMarkers } from './stock-markers';

export interface HousekeepingOptions {
  /** The User model (src/user.model.ts): the deleted Users and the pending orders live there. */
  users: UserModel;
  /** What a deleted account's clean-up runs (accountDeletionHooks, hooks.ts). */
  accountDeletionHooks: AccountDeletionHook[];
  /** The products' units (the catalog's stock.ts). */
  stock: ProductStock;
  /** Told of each order it completes (the sellers' mail). */
  onOrdered?: CompletionSteps['onOrdered'];
  /** The orders' lease (config's pendingOrderLeaseMs): younger ones belong to their request. */
  pendingOrderLeaseMs: number;
  now: Clock;
  logger: Logger;
}

/** The sweep runs at most this often, whatever the lease (tests give a lease of milliseconds). */
const MIN_INTERVAL_MS = 1000;

/**
 * What a crash can leave half done, finished by every shop process: orders claimed and not
 * settled (once their lease is over), cancellations whose units are not back in stock, stock
 * markers no run will remove, accounts deleted whose clean-up did not run. Once at start-up,
 * before listening, then every lease: an order a crash interrupted just before a restart is
 * completed soon after, even if its shopper never comes back. Two processes sweeping at once do no
 * harm: every step may be repeated.
 */
export class Housekeeping {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly pendingOrders: PendingOrders;
  private readonly sellers: OrdersToSend;
  private readonly cancellation: OrderCancellation;

  constructor(private readonly options: HousekeepingOptions) {
    this.pendingOrders = new PendingOrders(options.users);
    this.sellers = new OrdersToSend(options.users);
    this.cancellation = new OrderCancellation({ stock: options.stock, sellers: this.sellers, now: options.now });
  }

  /** One sweep; a failure is logged, not thrown: whatever is left waits for the next one. */
  async sweep(): Promise<void> {
    const { users, accountDeletionHooks: hooks, pendingOrderLeaseMs: leaseMs, now, stock } = this.options;
    await this.step('finished', 'account deletions', () => finishInterruptedDeletions(users, hooks));
    const steps = { orders: this.pendingOrders, stock, sellers: this.sellers, onOrdered: this.options.onOrdered };
    await this.step('completed', 'orders', () => completeInterruptedOrders(steps, { now: now(), leaseMs }));
    await this.step('restocked', 'cancellations', () => this.cancellation.finishInterrupted({ now: now(), leaseMs }));
    const parts = { stock, orders: this.pendingOrders, cancellation: this.cancellation };
    await this.step('removed', 'stock markers', () => sweepStockMarkers(parts, { now: now(), leaseMs }));
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

  /**
   * One part of a sweep, logged when it did anything ("completed 2 orders interrupted by a crash",
   * `{"completed": 2}`); a failure is logged and left for the next sweep.
   */
  private async step(done: string, what: string, work: () => Promise<number>): Promise<void> {
    const { logger } = this.options;
    try {
      const count = await work();
      if (count > 0) logger.warn({ [done]: count }, `${done} ${what} interrupted by a crash`);
    } catch (error) {
      logger.error({ err: error }, `could not finish the ${what} interrupted by a crash`);
    }
  }
}
