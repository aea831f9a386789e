import { plural } from '../../shared/text.js';
import { openCheckpoint } from '../../formats/open.js';
import { hasErrors } from '../../core/problems.js';
import type { Activation } from '../../probe/modelConfig.js';
import { runProbe, type ProbeOptions } from '../../probe/probe.js';
import { clapProbeRefusal } from '../../layouts/clap.js';
import { readInputsFile, writeDump } from '../../probe/probeInputs.js';
import { PROVIDER_NAMES, type ProviderChoice } from '../../probe/providers.js';
import type { ProbeReport } from '../../probe/report.js';
import { parseArgs } from '../args.js';
import { progressDone, progressLine, safeText, writeError } from '../output.js';
import type { CliCommand } from '../registry.js';

const USAGE =
  'usage: checkpoint-lens probe FILE [--json] [--provider auto|cpu|cuda|dml|coreml|webgpu] [--images DIR [--labels FILE]] [--template "a photo of a {label}"] [--tokenizer PATH] [--inputs IN.safetensors] [--dump OUT.safetensors] [--target NAME] [--activation quickgelu|gelu|gelu_tanh] [--threads N] [--cache-dir DIR]';

/** Exit 0: aligned (or an unlabelled --inputs run); 1: weak or at chance; 2: cannot run. */
export const probeCommand: CliCommand = {
  async run(argv) {
    const args = parseArgs(argv, {
      booleans: ['json'],
      strings: ['provider', 'images', 'labels', 'template', 'tokenizer', 'inputs', 'dump', 'target', 'activation', 'threads', 'cache-dir', 'batch'],
    });
    const [file, ...extra] = args.positional;
    if (!file || extra.length) return usage();
    const provider = (args.values.get('provider') ?? 'auto') as ProviderChoice;
    if (provider !== 'auto' && !PROVIDER_NAMES.includes(provider)) return usage(`--provider must be auto or one of ${PROVIDER_NAMES.join(', ')}`);
    const activation = args.values.get('activation');
    if (activation !== undefined && activation !== 'quickgelu' && activation !== 'gelu' && activation !== 'gelu_tanh') return usage('--activation must be quickgelu, gelu or gelu_tanh');
    const threads = args.values.has('threads') ? Number(args.values.get('threads')) : undefined;
    if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > 256)) return usage('--threads must be an integer from 1 to 256');
    const batch = args.values.has('batch') ? Number(args.values.get('batch')) : undefined;
    if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 1024)) return usage('--batch must be an integer from 1 to 1024');
    if (args.values.has('labels') && !args.values.has('images')) return usage('--labels needs --images');
    if (args.values.has('inputs') && (args.values.has('images') || args.values.has('template'))) return usage('--inputs runs exactly the given tensors; it cannot be combined with --images or --template');

    const r = await openCheckpoint(file);
    if (!r.ok) {
      writeError(`${r.error.code}: ${r.error.message}`);
      return 2;
    }
    const opts: { -readonly [K in keyof ProbeOptions]: ProbeOptions[K] } = { provider, keepTensors: args.values.has('dump') };
    if (activation) opts.activation = activation as Activation;
    if (threads) opts.threads = threads;
    if (batch) opts.batchSize = batch;
    const images = args.values.get('images');
    if (images) opts.images = { dir: images, ...(args.values.has('labels') ? { labelsFile: args.values.get('labels')! } : {}) };
    if (args.values.has('template')) opts.template = args.values.get('template')!;
    if (args.values.has('tokenizer')) opts.tokenizer = args.values.get('tokenizer')!;
    if (args.values.has('cache-dir')) opts.cacheDir = args.values.get('cache-dir')!;
    if (args.values.has('target')) opts.target = args.values.get('target')!;
    const inputsPath = args.values.get('inputs');
    if (inputsPath) {
      const inp = await readInputsFile(inputsPath);
      if (!inp.ok) {
        writeError(`${inp.code}: ${inp.message}`);
        return 2;
      }
      opts.inputs = inp.value;
    }

    // CLAP (an audio tower instead of the image tower): refused before anything is built.
    const clap = clapProbeRefusal(r.value.tensors.map((t) => t.name));
    if (clap) {
      writeError(`${clap.code}: ${clap.message}`);
      return 2;
    }
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    let res;
    try {
      res = await runProbe(r.value, opts, { signal: controller.signal, onProgress: (p) => progressLine(`probe: ${p.message}`) });
    } finally {
      process.off('SIGINT', onSigint);
      progressDone();
    }
    if (!res.ok) {
      writeError(`${res.error.code}: ${res.error.message}`);
      for (const a of res.error.attempts ?? []) process.stderr.write(`  ${a.provider}: ${a.outcome}${a.reason ? ` (${safeText(a.reason)})` : ''}\n`);
      return 2;
    }
    const dump = args.values.get('dump');
    if (dump && res.tensors) {
      const c = res.report.model;
      await writeDump(
        dump,
        { ...res.tensors, imageSize: c.imageSize, contextLength: c.text.contextLength, embedDim: c.embedDim },
        { producer: 'checkpoint-lens probe', checkpoint: res.report.path, provider: res.report.provider, activation: c.activation },
      );
    }
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(res.report, null, 1) + '\n');
    else process.stdout.write(renderProbeText(res.report));
    // A file with error-severity problems (a flagged pickle...) exits 1 here too, as in inspect and stats.
    if (hasErrors(r.value.problems)) writeError(`the checkpoint has error-severity problems: ${r.value.problems.filter((p) => p.severity === 'error').slice(0, 5).map((p) => p.code).join(', ')} (run inspect for details)`);
    return (res.report.verdict.code === 'aligned' || res.report.verdict.code === 'no-labels') && !hasErrors(r.value.problems) ? 0 : 1;
  },
};

function usage(message?: string): number {
  writeError(message ? `${message}\n${USAGE}` : USAGE);
  return 2;
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)} %`);

export function renderProbeText(r: ProbeReport): string {
  const m = r.model;
  const lines = [
    `${safeText(r.path)}`,
    `  layout ${r.family}${m.namedConfig ? ` (${m.namedConfig})` : ''}; image ${m.imageSize}px, ${m.vision.architecture === 'resnet' ? `ResNet width ${m.vision.width}, blocks [${(m.vision.stages ?? []).join(', ')}]` : `ViT ${m.vision.width}×${m.vision.layers} (patch ${m.vision.patch}${m.vision.architecture === 'siglip' ? ', MAP head' : ''})`}, text ${m.text.width}×${m.text.layers}, embed ${m.embedDim}`,
    `  activation ${m.activation} (${safeText(m.activationSource)}); ${m.pooling === 'last' ? 'text pooled at the last position' : `EOT pooling ${m.pooling}`}; ${m.scoring === 'sigmoid' ? 'sigmoid scoring (SigLIP: sigmoid(scale·cos + bias) per image/label pair)' : 'softmax scoring'}`,
    `  provider ${r.provider}${r.providerAttempts
      .filter((a) => a.outcome !== 'used')
      .map((a) => `; ${a.provider} ${a.outcome}: ${safeText(a.reason ?? '')}`)
      .join('')}`,
    `  weights ${r.weightsAccess === 'hard-link' ? 'referenced in place (hard link, mmapped)' : r.weightsAccess === 'memory' ? 'read into memory (hard link impossible)' : 'partly read into memory'}; tokenizer: ${safeText(r.tokenizer)}`,
  ];
  for (const ri of r.randomInitialized) {
    lines.push(`  RANDOM-INITIALISED ${ri.tower === 'shared' ? ri.tensors.join(' and ') : ri.whole ? `whole ${ri.tower} tower` : plural(ri.count, `${ri.tower} tensor`)}: ${ri.tensors.slice(0, 4).map(safeText).join(', ')}${ri.count > 4 ? ', …' : ''}`);
  }
  lines.push(`  probe set: ${safeText(r.probeSetName)}: ${r.images} images, ${r.classes} classes`);
  lines.push(`  preprocessing: ${safeText(r.preprocess)}`);
  if (r.top1 !== null) {
    lines.push(`  top-1 ${pct(r.top1)}   top-5 ${pct(r.top5)}   chance ${pct(r.chance)}   p = ${r.pValue?.toExponential(2)}`);
    const width = Math.max(...r.perClass.map((c) => c.label.length), 5);
    for (const c of r.perClass) lines.push(`    ${safeText(c.label).padEnd(width)}  ${String(c.correct).padStart(3)}/${String(c.images).padEnd(3)} ${'█'.repeat(Math.round(c.accuracy * 20)).padEnd(20, '·')}`);
  }
  const t = r.timings;
  lines.push(`  timings: build ${t.buildMs} ms, session create ${t.sessionCreateMs} ms, per image ${t.perImageMs ?? '-'} ms, total ${t.totalMs} ms`);
  lines.push(`  verdict: ${r.verdict.text}`);
  return lines.join('\n') + '\n';
}
