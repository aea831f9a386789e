/**
 * CLAP (open_clip's audio–text models, development configs): the probe refuses them with
 * probe-unsupported-architecture naming the audio tower, before any engine is built; CLIP layouts
 * are never mistaken for CLAP. Real layouts recorded from open_clip's own models (make_layouts.py).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { clapAudioTower, clapProbeRefusal } from '../../src/layouts/clap.js';
import { openclipFacts } from '../../src/layouts/spec/clipTables.js';
import { runCli } from '../helpers/cli.js';
import { loadLayouts } from '../helpers/layoutFixtures.js';
import { tempDir } from '../helpers/tmp.js';

const WORD = { htsat: /HTSAT/, whisper: /Whisper/, naflex: /NaFlex/ } as const;

test('every CLAP config is refused by the probe naming its audio tower; no CLIP layout is', () => {
  const dev = loadLayouts('openclip-dev.json.gz');
  const released = loadLayouts('openclip.json.gz');
  let clap = 0;
  let clip = 0;
  const bad: string[] = [];
  for (const [name, m] of [...Object.entries(dev), ...Object.entries(released)]) {
    const names = m.tensors.map(([n]) => n);
    const audio = openclipFacts(name)?.audio;
    const r = clapProbeRefusal(names);
    if (audio) {
      clap++;
      if (r?.code !== 'probe-unsupported-architecture' || !WORD[audio.kind].test(r.message) || !/audio\.encoder/.test(r.message)) bad.push(`${name}: ${JSON.stringify(r)}`);
    } else {
      clip++;
      if (r) bad.push(`${name} (not CLAP) refused: ${r.message}`);
    }
  }
  console.log(`probe guard: ${clap} CLAP configs refused naming their audio tower; ${clip} other open_clip layouts (incl. GenLip / GenLap) let through`);
  assert.equal(clap, 19);
  assert.deepEqual(bad, []);
  // wrapper prefixes (module., _orig_mod.) do not hide the audio tower
  assert.match(clapAudioTower(['module.audio.encoder.blocks.0.attn.query.weight']) ?? '', /Whisper/);
});

test('CLI: probe on a CLAP checkpoint exits 2 with probe-unsupported-architecture naming the audio tower', async () => {
  const dir = tempDir('ckl-clap-');
  const p = join(dir, 'clap.safetensors');
  const m = loadLayouts('openclip-dev.json.gz')['naflexclap_test']!;
  await writeSafetensors(
    p,
    m.tensors.filter(([n]) => !n.startsWith('text.')).map(([name, shape]) => ({ name, dtype: 'F16' as const, shape })),
  );
  const r = runCli(['probe', p]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /probe-unsupported-architecture: this is a CLAP \(audio–text\) checkpoint: its audio tower \(audio\.encoder\.\*, a NaFlex ViT/);
});
