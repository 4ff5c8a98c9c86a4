import type { Types } from 'mongoose';
import type { UserModel } from '../accounts/user.schema';
import { formatCents } from '../http/money';
import { mailMessage } from '../http/mail-views';
import type { Logger } from '../platform/logger';
import type { MailMessage, Mailer } from '../platform/mailer';
import type { IOrderItem, OrderRecord } from './order.model';
import { orderView, type OrderView } from './order-view';
import { sellersOf } from './orders-to-send';

/** A line as mail shows it: "2 × Green Tea, $8.20". */
function lineText(line: { title: string; quantity: number; lineCents: number }): string {
  return `${line.quantity} × ${line.title}, ${formatCents(line.lineCents)}`;
}

/**
 * The mail an order's life sends (in the background, through the mail layer): to the buyer when
 * it is shipped, delivered or cancelled; to each seller when one of their products is ordered.
 * Best effort: a message that cannot be sent is logged, and never undoes what it tells of.
 */
export class OrderMail {
  constructor(
    private readonly options: {
      mailer: Mailer;
      publicUrl: string;
      /** Reads the sellers' addresses (the User model, read only). */
      users: Pick<UserModel, 'find'>;
      logger: Logger;
    },
  ) {}

  /** The buyer hears that the order moved on (shipped, delivered, cancelled); an order without email (account deleted): nobody. */
  statusChanged(order: OrderRecord): void {
    const to = order.user.email;
    if (!to) return;
    const view = orderView(order);
    const subjects: Record<string, string> = {
      shipped: `Your order ${view.number} is on its way`,
      delivered: `Your order ${view.number} has been delivered`,
      cancelled: `Your order ${view.number} has been cancelled`,
    };
    const subject = subjects[view.status];
    if (subject === undefined) return;
    this.options.mailer.post(mailMessage(to, subject, `order-${view.status}`, this.data(view)));
  }

  /** Each seller of the order hears what of theirs was ordered, and where it goes. */
  ordered(order: OrderRecord): void {
    const sellers = sellersOf(order.items);
    if (sellers.length === 0) return;
    void this.sellersOf(sellers).then(
      (found) => {
        for (const seller of found) this.options.mailer.post(this.sellerMessage(order, seller));
      },
      (error: unknown) =>
        this.options.logger.error({ err: error }, "an order's sellers could not be read for its mail"),
    );
  }

  private async sellersOf(ids: Types.ObjectId[]): Promise<Array<{ _id: Types.ObjectId; email: string }>> {
    return this.options.users
      .find({ _id: { $in: ids } }, { email: 1 })
      .lean<Array<{ _id: Types.ObjectId; email: string }>>();
  }

  private sellerMessage(order: OrderRecord, seller: { _id: Types.ObjectId; email: string }): Promise<MailMessage> {
    const theirs = order.items.filter((item: IOrderItem) => item.sellerId?.equals(seller._id));
    const view = orderView(order, theirs);
    return mailMessage(
      seller.email,
      `New order ${view.number}: ${theirs.length === 1 ? theirs[0].title : `${theirs.length} products`}`,
      'order-received',
      {
        ...this.data(view),
        link: `${this.options.publicUrl}/admin/orders`,
      },
    );
  }

  private data(view: OrderView): Record<string, unknown> {
    return {
      number: view.number,
      lines: view.lines.map(lineText),
      total: formatCents(view.totalCents),
      shipTo: view.shipTo,
      link: `${this.options.publicUrl}/orders`,
    };
  }
}
