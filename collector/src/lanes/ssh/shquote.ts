// SSH runs a command line through the remote user's shell, so every argument is quoted for a POSIX shell
// here, one element at a time: nothing the user wrote (a command, a path, an env value) is ever
// interpreted by that shell. '=' is always quoted: a bare A=B first word would be an assignment.

/** One argument as a single-quoted POSIX shell word ('it'\''s'); NUL cannot be passed and is refused. */
export function shQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('an argument for the remote shell holds a NUL byte');
  if (arg !== '' && /^[A-Za-z0-9_@%+:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** An argv as one remote command line. */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty remote command');
  return argv.map(shQuote).join(' ');
}
