/**
 * Where a command writes, so its whole run (arguments, output, exit code) can be called in
 * process as well as run as one.
 */
export interface CliIo {
  /** Writes to stdout; resolves once written (process.exit would cut a piped stdout at 64 KiB). */
  out(text: string): Promise<void>;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (text) => new Promise<void>((resolve) => process.stdout.write(text, () => resolve())),
  err: (text) => void process.stderr.write(text),
};

/**
 * Runs a command's main as this process: exits with its code, or with 1 and the stack of an
 * error it did not expect (a user's mistake is a message and an exit code from main itself).
 */
export function runAsProcess(
  name: string,
  main: (argv: string[], io: CliIo) => Promise<number>,
): void {
  const crash = (err: unknown) => {
    process.stderr.write(
      `${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  };
  process.on("unhandledRejection", crash);
  main(process.argv.slice(2), processIo).then((code) => process.exit(code), crash);
}
