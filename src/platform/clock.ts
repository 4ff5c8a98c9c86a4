/**
 * The time in milliseconds since the epoch. Everything in the shop that decides by time (the
 * absolute timeout, the login time, the session store's throttled touch, the product cache) takes
 * one of these, so that a test can move time forward instead of sleeping.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();
