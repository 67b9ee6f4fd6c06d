/** Where a CLI mode writes. Text is a binary (latin1) string: one char per byte. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}
