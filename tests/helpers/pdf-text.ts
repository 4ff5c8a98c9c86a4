import { inflateSync } from 'node:zlib';

/*
 * Just enough PDF reading to check what an invoice says: pdfkit writes each line of text as one
 * TJ operator whose strings are hex glyph codes in WinAnsi (Helvetica), split where kerning applies,
 * inside content streams that are Flate-compressed by default. Not a general PDF parser.
 */

/** Every content stream of the file, inflated when it is Flate-compressed. */
function streams(pdf: Buffer): string[] {
  const result: string[] = [];
  const text = pdf.toString('latin1');
  const pattern = /<<([\s\S]*?)>>\s*stream\r?\n/g;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    const start = match.index + match[0].length;
    const end = text.indexOf('endstream', start);
    if (end < 0) break;
    const body = pdf.subarray(start, end);
    result.push(/\/FlateDecode/.test(match[1]) ? inflateSync(body).toString('latin1') : body.toString('latin1'));
    pattern.lastIndex = end;
  }
  return result;
}

/** The lines of text on all pages, in the order they were drawn. */
export function pdfTextLines(pdf: Buffer): string[] {
  const lines: string[] = [];
  for (const content of streams(pdf)) {
    for (const [, operands] of content.matchAll(/\[((?:<[0-9a-fA-F]*>|[\s\-0-9.])*)\]\s*TJ/g)) {
      const hex = [...operands.matchAll(/<([0-9a-fA-F]*)>/g)].map(([, h]) => h).join('');
      lines.push(Buffer.from(hex, 'hex').toString('latin1'));
    }
  }
  return lines;
}
