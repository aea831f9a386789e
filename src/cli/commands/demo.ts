import { resolve } from 'node:path';
import { writeDemoCheckpoint } from '../../demo/demoCheckpoint.js';
import { parseArgs } from '../args.js';
import type { CliCommand } from '../registry.js';
import { commands } from '../registry.js';

export const demoCommand: CliCommand = {
  async run(argv) {
    const args = parseArgs(argv, { strings: ['dir'], booleans: ['json'] });
    const dir = resolve(args.values.get('dir') ?? 'demo/vit_base_patch16_clip_224.openai');
    process.stderr.write(`writing demo checkpoint into ${dir} …\n`);
    const path = await writeDemoCheckpoint(dir);
    const code = await (await commands.inspect!.load()).run([path, ...(args.flags.has('json') ? ['--json'] : [])]);
    // The demo's findings are the point; reading it succeeded.
    return code === 2 ? 2 : 0;
  },
};
