/**
 * Who sells: the business named on every invoice. Demo values: a real shop puts its registered
 * name and address here (they are the same in every environment, so they are not configuration).
 */
export interface Seller {
  /** The registered name, as it appears on invoices. */
  name: string;
  /** The postal address, one line each, as printed. */
  addressLines: readonly string[];
  /** Where shoppers write about an order. */
  email: string;
}

export const SELLER: Seller = {
  name: 'Session Shop LLC',
  addressLines: ['123 Example Street', 'Springfield, IL 62704', 'United States'],
  email: 'orders@session-shop.example',
};
