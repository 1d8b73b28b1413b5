/** Reports a usage error on stderr, with what to do about it, and returns the usage exit code (2). */
export function usageError(command: string, problem: string, fix: string): number {
  process.stderr.write(`nmcp ${command}: ${problem}\n  ${fix}\n`);
  return 2;
}
