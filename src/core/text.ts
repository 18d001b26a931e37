/**
 * Text people typed or named, on its way in and out (docs/adr/0007-approvals.md, "Text from people"):
 * control characters are stripped on input (a name, a comment) and shown visibly on every output (terminal,
 * page, e-mail, dashboard), so an ESC sequence can neither retitle an operator's window nor hide text, and a
 * right-to-left override cannot reorder what a reader sees. Shell commands are quoted here, once.
 */

/**
 * C0 and C1 controls, DEL, and the Unicode format characters that reorder or hide text (bidi embeddings,
 * overrides and isolates, zero-width and invisible separators, the BOM).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

/** A one-line name as typed: control and format characters removed, blanks collapsed, trimmed. */
export function cleanName(s: string): string {
  return s.replace(CONTROL, '').replace(/\s+/g, ' ').trim();
}

/** A comment as typed: line breaks kept (as \n), every other control and format character removed, trimmed. */
export function cleanComment(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(CONTROL_BUT_NEWLINE, '').trim();
}

/**
 * Any text on its way out: each control or format character as a visible `\u001b`-style escape (one line; a
 * line break shows as `\n`), so what a reader sees is what is stored.
 */
export function visible(s: string): string {
  return s.replace(CONTROL, (c) => (c === '\n' ? '\\n' : `\\u${(c.codePointAt(0) as number).toString(16).padStart(4, '0')}`));
}

/** A comment on its way out over several lines: the line breaks kept, everything else as in `visible`. */
export function visibleLines(s: string): string {
  return s.split('\n').map(visible).join('\n');
}

/**
 * `s` as one POSIX shell word: single-quoted, each `'` written as `'\''`, and anything invisible shown
 * escaped (a pasted command then says what it does). Nothing inside single quotes is expanded by the shell.
 */
export function shellQuote(s: string): string {
  return `'${visible(s).replace(/'/g, `'\\''`)}'`;
}
