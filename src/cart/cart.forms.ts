import { body } from 'express-validator';
import { MAX_LINE_QUANTITY, type ShippingAddress } from './cart.model';
import { isDeliveryCountry } from './shipping';

/*
 * Every rule starts with isString().bail(): urlencoded bodies can hold arrays and JSON bodies
 * objects (`{"$gt": ""}`), and only strings may ever reach a query or a document.
 */

export const ADDRESS_FIELDS = ['name', 'street', 'postcode', 'city', 'country'] as const;

const text = (field: string, missing: string, max: number) =>
  body(field)
    .isString()
    .withMessage(missing)
    .bail()
    .trim()
    .notEmpty()
    .withMessage(missing)
    .bail()
    .isLength({ max })
    .withMessage(`Use at most ${max} characters.`)
    // A line break would split the address on the invoice; control characters have no place in it.
    .not()
    // eslint-disable-next-line no-control-regex
    .matches(/[\u0000-\u001f\u007f]/)
    .withMessage('Use one line, without special characters.');

/** The shipping address of the checkout form: each field required, on one line. */
export const addressRules = [
  text('name', 'Enter the name of the person who receives the parcel.', 100),
  text('street', 'Enter the street and house number.', 200),
  body('postcode')
    .isString()
    .withMessage('Enter the postcode.')
    .bail()
    .trim()
    .notEmpty()
    .withMessage('Enter the postcode.')
    .bail()
    .matches(/^[A-Za-z0-9](?:[A-Za-z0-9 -]{0,8}[A-Za-z0-9])?$/)
    .withMessage('Enter a postcode of 1 to 10 letters and digits (spaces and hyphens between them).'),
  text('city', 'Enter the town or city.', 100),
  body('country')
    .isString()
    .withMessage('Choose the country.')
    .bail()
    .custom((value: string) => isDeliveryCountry(value))
    .withMessage('Choose one of the countries we deliver to.'),
];

/** Whether the form sent an address at all: without one, POST /create-order uses the saved one. */
export function hasAddressFields(formBody: unknown): boolean {
  if (typeof formBody !== 'object' || formBody === null) return false;
  return ADDRESS_FIELDS.some((field) => field in formBody);
}

/** The address as validated (trimmed): only call when the rules passed. */
export function validAddress(data: Record<string, unknown>): ShippingAddress {
  const field = (name: (typeof ADDRESS_FIELDS)[number]): string => {
    const value = data[name];
    if (typeof value !== 'string') throw new Error(`address field ${name} was not validated`);
    return value;
  };
  return {
    name: field('name'),
    street: field('street'),
    postcode: field('postcode').toUpperCase(),
    city: field('city'),
    country: field('country'),
  };
}

/** A cart line's new quantity: a whole number from 0 (remove) to MAX_LINE_QUANTITY, or undefined. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^\s*\d{1,3}\s*$/.test(value)) return undefined;
  const quantity = Number(value);
  return quantity <= MAX_LINE_QUANTITY ? quantity : undefined;
}
