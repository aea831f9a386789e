/**
 * Messages from the core are written for the CLI; in the editor, CLI flags become the editor
 * action that does the same (Set Load Target…, the probe's image folder setting). Pure.
 */
const RULES: readonly [RegExp, string][] = [
  [/\(e\.g\. --target ([^\s)]+)\)/g, '(e.g. $1)'],
  [/\bpass --target\b/g, 'set a load target (Set Load Target…)'],
  [/\bneeds --target to pick one\b/g, 'needs a load target to pick one (Set Load Target…)'],
  [/--target ("[^"]*"|[^\s(][^\s]*)/g, 'the load target $1'],
  [/--target\b/g, 'a load target (Set Load Target…)'],
  [/--map auto\b/g, 'cross-layout pairing'],
  // Hub access: the editor keeps its token in SecretStorage (HF_TOKEN still works).
  [/set HF_TOKEN (?:\(or run `huggingface-cli login`\)|or run `huggingface-cli login`)/g, 'run “Checkpoint Lens: Set Hugging Face Token…” (or set HF_TOKEN before starting VS Code)'],
  [/\bpass --tokenizer\b/g, 'set checkpointLens.probe.tokenizerPath'],
  [/--tokenizer\b/g, 'the checkpointLens.probe.tokenizerPath setting'],
  [/\bpass --images DIR\b/g, 'use Run Zero-Shot Probe on My Images…'],
];

export function forEditor(text: string): string {
  let out = text;
  for (const [re, to] of RULES) out = out.replace(re, to);
  return out;
}
