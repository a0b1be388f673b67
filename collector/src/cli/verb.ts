/** What the dispatcher knows of a verb: its name, a one-line summary, its help text and its entry. */
export interface Verb {
  name: string;
  summary: string;
  help: string;
  /** Parses argv and calls the core; returns the exit code. Throws BpfcompatError for user errors. */
  run(argv: string[]): Promise<number>;
}
