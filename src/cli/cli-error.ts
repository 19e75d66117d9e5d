/** A command's failure: one line for stderr and the exit code that classifies it (see exit-codes.ts). */
export class CliError extends Error {
  override name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}
