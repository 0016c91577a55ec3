/**
 * Markdown for the Temporal UI's "Current Details" panel, shared by the daily run and the backfill.
 *
 * Blocks are joined by blank lines: a single newline would run them into one paragraph.
 *
 * The panel ends with a footer paragraph and a closing rule because the UI (2.42, the dev server's)
 * sizes the panel's frame to its body's `scrollHeight`, which leaves out the first block's collapsed
 * top margin (1em of a paragraph): the frame is about 14 px shorter than the page it shows, and the
 * bottom of whatever comes last is cut off. A rule after a paragraph (the paragraph's 1em bottom margin
 * plus the 2 px rule) is what falls in that cut, so the footer line stays whole.
 */
export function detailsPanel(blocks: readonly string[], footer: string): string {
  return [...blocks, footer, '---'].join('\n\n');
}

/** The time of day (UTC) a panel was written, for its footer: times of running stages are as of then. */
export function asOf(nowMs: number): string {
  return `as of ${new Date(nowMs).toISOString().slice(11, 19)} UTC`;
}

/**
 * Free text (an error, a reason) as one line of the panel, or one table cell: whitespace flattened,
 * pipes escaped, words over 40 characters other than links (AWS run ids) cut to 16 as the panel does
 * not wrap inside a word, at most `maxChars` long. The full text stays in the `progress` query.
 */
export function panelText(text: string, maxChars: number): string {
  const flat = text
    .replace(/\s+/g, ' ')
    .replace(/\S{41,}/g, (word) => (/^\(?https?:/.test(word) ? word : `${word.slice(0, 16)}…`))
    .replace(/\|/g, '\\|');
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}
