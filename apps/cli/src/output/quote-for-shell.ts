/** Quotes `word` so that a user can paste it into a POSIX shell; plain words stay bare. */
export function quoteForShell(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
