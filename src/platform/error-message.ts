/** What a thrown value says: an Error's message, anything else as text (a library may throw a string). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Its first line only, for a one-line log or start-up message: a driver's message may run on with details. */
export function errorLine(error: unknown): string {
  return errorMessage(error).split('\n')[0];
}
