/*
 * The rows of a page's tables as a sighted shopper reads them, cell by cell: the text, a quantity
 * field's value, no buttons, labels or visually hidden text. The cart, the checkout and the orders
 * are checked on what they say, not on the markup around it.
 */

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" };

/** The visible text of an HTML fragment, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<(button|label)\b[\s\S]*?<\/\1>/g, ' ')
    .replace(/<span class="visually-hidden">[\s\S]*?<\/span>/g, ' ')
    .replace(/<input\b[^>]*>/g, (input) =>
      /type="number"/.test(input) ? ` ${/value="([^"]*)"/.exec(input)?.[1] ?? ''} ` : ' ',
    )
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name: string) => ENTITIES[name])
    .replace(/\s+/g, ' ')
    .trim();
}

/** Every row of every table on the page, as its cells' text. */
export function tableRows(html: string): string[][] {
  const rows: string[][] = [];
  for (const [table] of html.matchAll(/<table[\s\S]*?<\/table>/g)) {
    for (const [, row] of table.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)) {
      rows.push([...row.matchAll(/<t[hd]\b[^>]*>([\s\S]*?)<\/t[hd]>/g)].map(([, cell]) => textOf(cell)));
    }
  }
  return rows;
}

/** The first row whose first cell is `first` (a product's line, "Total"), or undefined. */
export function rowOf(html: string, first: string): string[] | undefined {
  return tableRows(html).find((row) => row[0] === first);
}
