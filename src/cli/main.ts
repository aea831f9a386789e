import { commands } from './registry.js';
import { writeError } from './output.js';
import { withCliRemote } from './remote.js';

/**
 * A reader that closes the pipe early (`inspect --json | head -c 100`) makes the next write fail
 * with EPIPE; that is the reader's choice, not an error: stop quietly, without a stack trace.
 */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    process.stderr.write(`checkpoint-lens: error: output failed (${e.code ?? e.message})\n`);
    process.exit(2);
  });
}
quietOnClosedPipe(process.stdout);
quietOnClosedPipe(process.stderr);

/** `checkpoint-lens COMMAND ...`: exit 0 ok, 1 the checkpoint has errors, 2 unreadable or bad usage. */
async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const debug = rest.includes('--debug');
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    process.stdout.write('checkpoint-lens 0.1.0\n');
    return 0;
  }
  const cmd = commands[name];
  if (!cmd) {
    writeError(`unknown command ${JSON.stringify(name)}; run checkpoint-lens --help`);
    return 2;
  }
  try {
    const loaded = await cmd.load();
    return await withCliRemote(() => loaded.run(rest.filter((a) => a !== '--debug')));
  } catch (e) {
    if (debug) console.error(e);
    writeError(e instanceof Error ? e.message : String(e));
    return 2;
  }
}

function usage(): string {
  const lines = Object.entries(commands).map(([n, c]) => `  ${n.padEnd(12)} ${c.summary}`);
  return `checkpoint-lens: see what is really inside ML checkpoints\n\nUsage: checkpoint-lens COMMAND [options]\n\nCommands:\n${lines.join('\n')}\n\nExit codes: 0 ok, 1 the checkpoint has error-severity problems (or differences), 2 unreadable input or bad usage.\nAdd --debug for stack traces.\n`;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    writeError(String(e));
    process.exitCode = 2;
  },
);
