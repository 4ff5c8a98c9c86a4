/**
 * Search by words of a product's title and description, served by an index: each product keeps
 * `keywords`, the words of both (lowercased, without accents) and every prefix of three letters or
 * more, so that "tea" finds "Teapot"; a search asks for all of its words (`$all`), which a multikey
 * index on `keywords` serves on MongoDB. The words are matched as values, never as a regular
 * expression or an operator: what a visitor types cannot change the query's shape.
 */

/** Words of one search at most, and letters of one word. */
export const MAX_SEARCH_WORDS = 8;
const MAX_WORD_LENGTH = 40;
const SHORTEST_PREFIX = 3;

/** The words of a text: lowercased, accents dropped, split on anything that is not a letter or digit. */
export function wordsOf(text: string): string[] {
  // The product list without a search, its most asked-for page, costs no Unicode work.
  if (text === '') return [];
  return text
    .normalize('NFKD')
    .replace(/\p{Mark}/gu, '')
    .toLowerCase()
    .split(/[^\p{Letter}\p{Number}]+/u)
    .filter((word) => word.length > 0)
    .map((word) => word.slice(0, MAX_WORD_LENGTH));
}

/** What a product is found by: its words and their prefixes of three letters or more. */
export function keywordsOf(...texts: string[]): string[] {
  const keywords = new Set<string>();
  for (const word of texts.flatMap(wordsOf)) {
    keywords.add(word);
    for (let length = SHORTEST_PREFIX; length < word.length; length++) keywords.add(word.slice(0, length));
  }
  return [...keywords];
}

/** The words a search asks for (each must match), at most MAX_SEARCH_WORDS; none for an empty search. */
export function searchWordsOf(query: string): string[] {
  return [...new Set(wordsOf(query))].slice(0, MAX_SEARCH_WORDS);
}
