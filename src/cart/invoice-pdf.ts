import PDFDocument from 'pdfkit';
import { centsOf, formatCents } from '../http/money';
import { SHOP_NAME, formatDate } from '../http/view-helpers';
import { PAYMENT_METHOD } from './shipping';

/** Who sells: the business named on the invoice, with its postal address a line each. */
export interface Seller {
  name: string;
  addressLines: readonly string[];
}

/** What an invoice shows: plain data, so that it can be rendered from any order-like record. */
export interface InvoiceData {
  /** INV-1042: the invoice's own number. */
  invoiceNumber: string;
  /** The order's number, as the shopper's pages show it. */
  orderNumber: string;
  date: Date;
  /** Who sells: the shop's name and address (SHOP_NAME and SHOP_ADDRESS in src/http/view-helpers.ts). */
  seller: Seller;
  customerEmail: string;
  /** Where the order is: Placed, Shipped, Delivered, Cancelled (absent: not printed). */
  status?: string;
  /** The shipping address, a line each; empty for an order from before checkout asked for one. */
  shipTo: readonly string[];
  items: ReadonlyArray<{ title: string; quantity: number; price: number }>;
}

/** invoice-1042.pdf: named after the order the shopper knows. */
export function invoiceFilename(orderNumber: string): string {
  return `invoice-${orderNumber}.pdf`;
}

const MARGIN = 50;
const ROW_GAP = 6;
// x and width of each column on an A4 page (595 points wide, 50-point margins).
const COLUMNS = {
  item: { x: MARGIN, width: 235 },
  quantity: { x: 295, width: 60 },
  unitPrice: { x: 365, width: 80 },
  lineTotal: { x: 455, width: 90 },
} as const;
const RIGHT_EDGE = COLUMNS.lineTotal.x + COLUMNS.lineTotal.width;
// The two columns above the table: the invoice's details on the left, the seller on the right.
const DETAILS = { x: MARGIN, width: 250 };
const SELLER_COLUMN = { x: 345, width: RIGHT_EDGE - 345 };

// The characters Windows-1252 adds to Latin-1 (€, curly quotes, dashes...), which Helvetica in a PDF can show.
const WIN_ANSI_EXTRAS = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

/**
 * Text in the standard fonts' encoding (WinAnsi): pdfkit would write any other character as
 * garbage glyphs, so emoji or CJK in a product title become "?" instead.
 */
export function printable(text: string): string {
  let result = '';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if ((code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRAS.has(char)) result += char;
    else if (code < 0x20 || code === 0x7f) result += ' ';
    else result += '?';
  }
  return result;
}

/**
 * The invoice as a PDF document that is already complete: pipe it to where it should go.
 * Built with pdfkit's standard Helvetica, so no font file is needed and the file stays small.
 */
export function invoicePdf(invoice: InvoiceData): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { Title: `Invoice ${printable(invoice.invoiceNumber)}`, Author: invoice.seller.name },
  });

  doc.font('Helvetica-Bold').fontSize(22).text(SHOP_NAME);
  doc.font('Helvetica').fontSize(14).fillColor('#616e7c').text('Invoice').moveDown();
  doc.fillColor('#1f2933').fontSize(10);
  const top = doc.y;
  const detailsEnd = block(doc, DETAILS, top, undefined, [
    `Invoice number: ${invoice.invoiceNumber}`,
    `Order: ${invoice.orderNumber}`,
    `Date: ${formatDate(invoice.date)}`,
    `Customer: ${invoice.customerEmail}`,
    `Payment: ${PAYMENT_METHOD}`,
    ...(invoice.status === undefined ? [] : [`Status: ${invoice.status}`]),
  ]);
  const { seller } = invoice;
  const sellerEnd = block(doc, SELLER_COLUMN, top, 'Seller', [seller.name, ...seller.addressLines]);
  let y = Math.max(detailsEnd, sellerEnd) + ROW_GAP * 2;
  if (invoice.shipTo.length > 0) y = block(doc, DETAILS, y, 'Ship to', invoice.shipTo) + ROW_GAP * 2;
  y += ROW_GAP;

  y = tableHeader(doc, y);
  let totalCents = 0;
  for (const item of invoice.items) {
    const lineCents = centsOf(item.price) * item.quantity;
    totalCents += lineCents;
    const title = printable(item.title);
    doc.font('Helvetica');
    const height = doc.heightOfString(title, { width: COLUMNS.item.width });
    if (y + height > doc.page.height - doc.page.margins.bottom) {
      doc.addPage();
      y = tableHeader(doc, doc.page.margins.top);
      doc.font('Helvetica');
    }
    doc.text(title, COLUMNS.item.x, y, { width: COLUMNS.item.width });
    cell(doc, String(item.quantity), COLUMNS.quantity, y);
    cell(doc, formatCents(centsOf(item.price)), COLUMNS.unitPrice, y);
    cell(doc, formatCents(lineCents), COLUMNS.lineTotal, y);
    y += height + ROW_GAP;
  }

  if (y + 40 > doc.page.height - doc.page.margins.bottom) {
    doc.addPage();
    y = doc.page.margins.top;
  }
  rule(doc, y);
  doc.font('Helvetica-Bold').fontSize(12);
  doc.text('Total', COLUMNS.unitPrice.x - 100, y + ROW_GAP, { width: 100 + COLUMNS.unitPrice.width, align: 'right' });
  cell(doc, formatCents(totalCents), COLUMNS.lineTotal, y + ROW_GAP);

  doc.end();
  return doc;
}

/** Lines of text in a column from `y`, under a bold heading if any; returns where the block ends. */
function block(
  doc: PDFKit.PDFDocument,
  column: { x: number; width: number },
  y: number,
  heading: string | undefined,
  lines: readonly string[],
): number {
  let next = y;
  const write = (text: string) => {
    doc.text(printable(text), column.x, next, { width: column.width });
    next = doc.y;
  };
  if (heading !== undefined) {
    doc.font('Helvetica-Bold');
    write(heading);
  }
  doc.font('Helvetica');
  for (const line of lines) write(line);
  return next;
}

function tableHeader(doc: PDFKit.PDFDocument, y: number): number {
  doc.font('Helvetica-Bold').fontSize(10);
  doc.text('Item', COLUMNS.item.x, y, { width: COLUMNS.item.width });
  cell(doc, 'Quantity', COLUMNS.quantity, y);
  cell(doc, 'Unit price', COLUMNS.unitPrice, y);
  cell(doc, 'Line total', COLUMNS.lineTotal, y);
  const below = y + doc.currentLineHeight() + ROW_GAP / 2;
  rule(doc, below);
  return below + ROW_GAP;
}

function cell(doc: PDFKit.PDFDocument, text: string, column: { x: number; width: number }, y: number): void {
  doc.text(text, column.x, y, { width: column.width, align: 'right' });
}

function rule(doc: PDFKit.PDFDocument, y: number): void {
  doc.moveTo(MARGIN, y).lineTo(RIGHT_EDGE, y).lineWidth(0.5).strokeColor('#d9dee5').stroke();
}
