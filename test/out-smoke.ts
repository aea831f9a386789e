import { groundTruth, onDisk, writeModel } from './helpers/archFixtures.js';
const m = groundTruth('LlamaForCausalLM');
const t = onDisk(m).filter((x) => x.name !== 'lm_head.weight');
await writeModel('/tmp/archs-smoke/llama-nohead', m.config, t);
const v = groundTruth('LlavaForConditionalGeneration');
await writeModel('/tmp/archs-smoke/llava-notower', v.config, onDisk(v).filter((x) => !x.name.startsWith('vision_tower.')));
