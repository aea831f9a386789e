/**
 * Every CLI command. Add a command with one entry here; its module is loaded only when it runs,
 * so `inspect` does not pay for the probe's or the diff's code at start-up.
 */
export interface CliCommand {
  /** Returns the exit code: 0 ok, 1 problems found, 2 unreadable or bad usage. */
  run(args: string[]): Promise<number>;
}

export interface CommandEntry {
  readonly summary: string;
  load(): Promise<CliCommand>;
}

export const commands: Record<string, CommandEntry> = {
  inspect: {
    summary: 'Summarise a checkpoint: CLIP family and size, towers, missing / unexpected / random-init tensors, integrity problems. [--json] [--target T] [--no-values] [--value-budget-mb N] [--no-config]',
    load: async () => (await import('./commands/inspect.js')).inspectCommand,
  },
  stats: {
    summary: 'Value statistics (min/max/mean/std, NaN/Inf/zeros, histogram), streamed. [--tensor NAME ...] [--json] [--bins N]',
    load: async () => (await import('./commands/stats.js')).statsCommand,
  },
  values: {
    summary: 'Print decoded values of one tensor from flat element K (quantised GGUF tensors dequantised). FILE --tensor NAME [--offset K] [--count N] [--json]',
    load: async () => (await import('./commands/values.js')).valuesCommand,
  },
  demo: {
    summary: "Write the built-in demo checkpoint (timm's vision-only ViT-B/16 CLIP tower: the seed case) and inspect it. [--dir DIR] [--json]",
    load: async () => (await import('./commands/demo.js')).demoCommand,
  },
  'explain-log': { summary: 'Explain a loading log (transformers, PyTorch strict load, timm): missing / unexpected / mismatched tensors by tower and what it means. LOG|- [--file CKPT] [--json]', load: async () => (await import('./commands/explain-log.js')).explainLogCommand },
  diff: { summary: 'Compare two checkpoints (across layouts, dtypes, shards), streamed; exit 1 on differences. A B [--json|--markdown] [--rtol X] [--atol Y] [--map auto|none] [--allow-missing TOWER,...]', load: async () => (await import('./commands/diff.js')).diffCommand },
  convert: { summary: 'Write the checkpoint in another CLIP layout (open_clip, transformers, timm), filling missing towers from donors; streamed, atomic, verified. IN --to openclip|hf|timm -o OUT [--fill-from DONOR ...] [--dtype F32|F16|BF16] [--allow-missing TOWER,...]', load: async () => (await import('./commands/convert.js')).convertCommand },
  probe: { summary: 'Zero-shot probe: run the checkpoint\'s own CLIP (onnxruntime) on a built-in or user probe set; top-1/top-5 vs chance, random-initialised towers. FILE [--json] [--provider …] [--images DIR --labels FILE] [--inputs F] [--dump F]', load: async () => (await import('./commands/probe.js')).probeCommand },
};
