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

const ORDER_ID = '65a1b2c3d4e5f60718293a4b';
const DATE = new Date('2026-03-04T05:06:00Z');

test('an invoice lists each item with quantity, unit price and line total, then the total in cents', async () => {
  const pdf = await pdfBuffer({
    orderId: ORDER_ID,
    date: DATE,
    customerEmail: 'buyer@example.com',
    items: [
      { title: 'Green Tea', quantity: 2, price: 4.1 },
      { title: 'Tea Cup', quantity: 3, price: 0.1 },
    ],
  });
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.subarray(-6).toString('latin1')).toContain('%%EOF');
  const lines = pdfTextLines(pdf);
  expect(lines).toEqual(
    expect.arrayContaining(['Session Shop', 'Invoice', `Order: ${ORDER_ID}`, 'Date: Mar 4, 2026, 5:06 AM UTC']),
  );
  expect(lines).toContain('Customer: buyer@example.com');
  // Each row: title, quantity, unit price, line total, in drawing order.
  const row = (title: string) => lines.slice(lines.indexOf(title), lines.indexOf(title) + 4);
  expect(row('Green Tea')).toEqual(['Green Tea', '2', '$4.10', '$8.20']);
  expect(row('Tea Cup')).toEqual(['Tea Cup', '3', '$0.10', '$0.30']);
  expect(lines.slice(-2)).toEqual(['Total', '$8.50']);
});

test('a long order continues on further pages, with every item on them', async () => {
  const items = Array.from({ length: 120 }, (_, i) => ({ title: `Item number ${i + 1}`, quantity: 1, price: 1 }));
  const pdf = await pdfBuffer({ orderId: ORDER_ID, date: DATE, customerEmail: 'bulk@example.com', items });
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

test('the file name carries the order id', () => {
  expect(invoiceFilename(ORDER_ID)).toBe(`invoice-${ORDER_ID}.pdf`);
});
