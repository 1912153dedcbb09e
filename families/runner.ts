// The command that runs one of the suite's TypeScript programs as a process (a real backend's
// runner). tsx is named by the path it resolves to from here, not by its package name, so the
// command works from any working directory, not only from inside the checkout.
const TSX = import.meta.resolve('tsx');

export const tsProgram = (script: string): string => `"${process.execPath}" --import "${TSX}" "${script}"`;

/** The same command as an argv, for spawning without a shell. */
export const tsProgramArgv = (script: string): string[] => [process.execPath, '--import', TSX, script];
