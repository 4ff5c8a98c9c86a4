/** A message shown once on the next page (see src/http/flash.ts). */
export interface FlashMessage {
  type: 'success' | 'error' | 'info';
  text: string;
}
