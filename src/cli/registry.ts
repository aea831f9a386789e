/** Every CLI command, one module each. Add a command by adding one line here. */
export interface CliCommand {
  readonly summary: string;
  /** Returns the exit code: 0 ok, 1 problems found, 2 unreadable or bad usage. */
  run(args: string[]): Promise<number>;
}

import { inspectCommand } from './commands/inspect.js';
import { statsCommand } from './commands/stats.js';
import { demoCommand } from './commands/demo.js';

export const commands: Record<string, CliCommand> = {
  inspect: inspectCommand,
  stats: statsCommand,
  demo: demoCommand,
};
