/** Where a CLI mode writes. Text is a binary (latin1) string: one char per byte. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

/** Discards everything: for a dry run of a mode. */
export const SILENT: Output = { out: () => {}, err: () => {} };
