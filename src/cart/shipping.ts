import type { ShippingAddress } from './cart.model';

/** Delivery is free and paid to the courier: no payment provider. Said plainly on every page that orders. */
export const PAYMENT_METHOD = 'Pay on delivery';

/**
 * The countries the shop delivers to, by ISO 3166 code, each with its English name. The checkout's
 * country is one of these (a select, checked again on the server); orders keep the code.
 */
const CODES = [
  'AT',
  'AU',
  'BE',
  'CA',
  'CH',
  'CZ',
  'DE',
  'DK',
  'ES',
  'FI',
  'FR',
  'GB',
  'GR',
  'IE',
  'IT',
  'JP',
  'LU',
  'NL',
  'NO',
  'NZ',
  'PL',
  'PT',
  'SE',
  'US',
] as const;

const names = new Intl.DisplayNames(['en'], { type: 'region' });

export interface Country {
  code: string;
  name: string;
}

/** Sorted by name, as the select shows them. */
export const DELIVERY_COUNTRIES: readonly Country[] = CODES.map((code) => ({
  code,
  name: names.of(code) ?? code,
})).sort((a, b) => a.name.localeCompare(b.name, 'en'));

const byCode = new Map(DELIVERY_COUNTRIES.map((country) => [country.code, country.name]));

export function isDeliveryCountry(code: string): boolean {
  return byCode.has(code);
}

/** The country's name for pages and invoices; an unknown code (no longer delivered to) as it is. */
export function countryName(code: string): string {
  const known = byCode.get(code);
  if (known !== undefined) return known;
  try {
    return names.of(code) ?? code;
  } catch {
    // Not even shaped like a region code.
    return code;
  }
}

/** An address as printed on pages and invoices: name, street, postcode and city, country. */
export function addressLines(address: ShippingAddress): string[] {
  return [address.name, address.street, `${address.postcode} ${address.city}`, countryName(address.country)];
}
