import type { Request } from 'express';

/**
 * A field of the parsed request body, as unknown: urlencoded bodies can hold arrays (a repeated
 * key) and JSON bodies can hold objects such as `{"$gt": ""}`, so every use must check the type.
 */
export function formField(req: Request, name: string): unknown {
  const body: unknown = req.body;
  if (typeof body !== 'object' || body === null) return undefined;
  return (body as Record<string, unknown>)[name];
}

/** A value to show back in a form: the string that was typed, or nothing. */
export function typedText(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
