/**
 * An error's message for a log line or a wrapping error: its first line (a driver's message can
 * run to many), or the value as text when something other than an Error was thrown.
 */
export function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
