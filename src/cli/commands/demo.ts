import { resolve } from 'node:path';
import { writeDemoCheckpoint } from '../../demo/demoCheckpoint.js';
import { parseArgs } from '../args.js';
import type { CliCommand } from '../registry.js';
import { commands } from '../registry.js';

export const demoCommand: CliCommand = {
  summary: "Write the built-in demo checkpoint (timm's vision-only ViT-B/16 CLIP tower: the seed case) and inspect it. [--dir DIR]",
  async run(argv) {
    const args = parseArgs(argv, { strings: ['dir'], booleans: ['json'] });
    const dir = resolve(args.values.get('dir') ?? 'demo/vit_base_patch16_clip_224.openai');
    process.stderr.write(`writing demo checkpoint into ${dir} …\n`);
    const path = await writeDemoCheckpoint(dir);
    const code = await commands.inspect!.run([path, ...(args.flags.has('json') ? ['--json'] : [])]);
    // The demo's findings are the point; reading it succeeded.
    return code === 2 ? 2 : 0;
  },
};
