import { invoiceFilename, invoicePdf, printable, type InvoiceData } from '../../src/cart/invoice-pdf';
import { pdfTextLines } from '../helpers/pdf-text';

function pdfBuffer(invoice: InvoiceData): Promise<Buffer> {
  const doc = invoicePdf(invoice);
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
}

const DATE = new Date('2026-03-04T05:06:00Z');
const SELLER = {
  name: 'Example Goods LLC',
  addressLines: ['1 Sample Road', 'Springfield, IL 62704', 'United States'],
};
const SHIP_TO = ['Ada Lovelace', "12 St James's Square", 'SW1Y 4JH London', 'United Kingdom'];

/** An invoice of order 1042 with these items. */
function invoiceWith(items: InvoiceData['items'], overrides: Partial<InvoiceData> = {}): InvoiceData {
  return {
    invoiceNumber: 'INV-1042',
    orderNumber: '1042',
    date: DATE,
    seller: SELLER,
    customerEmail: 'buyer@example.com',
    shipTo: SHIP_TO,
    items,
    ...overrides,
  };
}

test('an invoice lists each item with quantity, unit price and line total, then the total in cents', async () => {
  const pdf = await pdfBuffer(
    invoiceWith([
      { title: 'Green Tea', quantity: 2, price: 4.1 },
      { title: 'Tea Cup', quantity: 3, price: 0.1 },
    ]),
  );
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.subarray(-6).toString('latin1')).toContain('%%EOF');
  const lines = pdfTextLines(pdf);
  expect(lines).toEqual(
    expect.arrayContaining(['Session Shop', 'Invoice', 'Order: 1042', 'Date: Mar 4, 2026, 5:06 AM UTC']),
  );
  expect(lines).toContain('Customer: buyer@example.com');
  expect(lines).toContain('Invoice number: INV-1042');
  expect(lines).toContain('Payment: Pay on delivery');
  // Each row: title, quantity, unit price, line total, in drawing order.
  const row = (title: string) => lines.slice(lines.indexOf(title), lines.indexOf(title) + 4);
  expect(row('Green Tea')).toEqual(['Green Tea', '2', '$4.10', '$8.20']);
  expect(row('Tea Cup')).toEqual(['Tea Cup', '3', '$0.10', '$0.30']);
  expect(lines.slice(-2)).toEqual(['Total', '$8.50']);
});

test('a long order continues on further pages, with every item on them', async () => {
  const items = Array.from({ length: 120 }, (_, i) => ({ title: `Item number ${i + 1}`, quantity: 1, price: 1 }));
  const pdf = await pdfBuffer(invoiceWith(items, { customerEmail: 'bulk@example.com' }));
  const pageCount = (pdf.toString('latin1').match(/\/Type \/Page\b/g) ?? []).length;
  expect(pageCount).toBeGreaterThan(1);
  const lines = pdfTextLines(pdf);
  for (const item of items) expect(lines).toContain(item.title);
  expect(lines.slice(-2)).toEqual(['Total', '$120.00']);
});

test('characters the PDF font cannot show become "?", those it can stay', () => {
  expect(printable('Café – “quoted” €5')).toBe('Café – “quoted” €5');
  expect(printable('Tea 🍵 日本')).toBe('Tea ? ??');
  expect(printable('two\nlines\u0000')).toBe('two lines ');
});

test('the seller and the shipping address each print as a block, one line each, under a heading', async () => {
  const lines = pdfTextLines(await pdfBuffer(invoiceWith([{ title: 'Green Tea', quantity: 1, price: 4.1 }])));
  const blockAfter = (heading: string, length: number) =>
    lines.slice(lines.indexOf(heading) + 1, lines.indexOf(heading) + 1 + length);
  expect(blockAfter('Seller', 4)).toEqual([SELLER.name, ...SELLER.addressLines]);
  expect(blockAfter('Ship to', 4)).toEqual(SHIP_TO);
  // Both above the table.
  expect(lines.indexOf('Ship to')).toBeLessThan(lines.indexOf('Green Tea'));
});

test('an order from before checkout asked for an address has no "Ship to" block', async () => {
  const lines = pdfTextLines(
    await pdfBuffer(invoiceWith([{ title: 'Green Tea', quantity: 1, price: 4.1 }], { shipTo: [] })),
  );
  expect(lines).not.toContain('Ship to');
  expect(lines.slice(-2)).toEqual(['Total', '$4.10']);
});

test('the file name carries the order number', () => {
  expect(invoiceFilename('1042')).toBe('invoice-1042.pdf');
});
