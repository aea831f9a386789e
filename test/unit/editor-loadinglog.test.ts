import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainLoadingLog, mdCode, mdText } from '../../src/extension/loadingLog.js';

describe('Explain Loading Log (Markdown view)', () => {
  it('explains a PyTorch strict-load error by tower', () => {
    const log = `RuntimeError: Error(s) in loading state_dict for CLIP:
\tMissing key(s) in state_dict: "token_embedding.weight", "positional_embedding".
\tUnexpected key(s) in state_dict: "head.weight", "head.bias".
\tsize mismatch for visual.proj: copying a param with shape torch.Size([512, 768]) from checkpoint, the shape in current model is torch.Size([768, 512]).`;
    const md = explainLoadingLog(log);
    assert.match(md, /\*\*2 missing\*\*, \*\*2 unexpected\*\*, \*\*1 shape-mismatched\*\*/);
    assert.match(md, /\| text/);
    assert.match(md, /## What it means/);
  });

  it('says so when nothing is recognised', () => {
    assert.match(explainLoadingLog('hello'), /No loading messages were recognised/);
  });

  it('keeps hostile keys inert in Markdown', () => {
    assert.equal(mdCode('a`b'), '`` a`b ``');
    assert.equal(mdText('<img src=x onerror=alert(1)>'), '\\<img src=x onerror=alert\\(1\\)\\>');
    // (A name that is only `<…>` reads as an elision marker like `<200 more>`, so the HTML rides on a name.)
    const md = explainLoadingLog('Missing key(s) in state_dict: "w<img src=x onerror=alert(1)>", "[x](javascript:alert(1))".');
    // Outside code spans, no raw HTML and no link syntax survive (a backslash-escaped `\<` is inert text).
    const prose = md.replace(/(`+) [^`]*? \1/g, '');
    assert.doesNotMatch(prose, /(?<!\\)<img|\]\(javascript/);
    assert.match(md, /` w<img src=x onerror=alert\(1\)> `/);
  });
});

describe('Explain Loading Log: multi-line logs and transposes (issue 13)', () => {
  it('a [768,512] vs [512,768] mismatch is called a transpose; a log is recognised only when it is one', async () => {
    const { explainLoadingLog, looksLikeLoadingLog } = await import('../../src/extension/loadingLog.js');
    const log = 'size mismatch for visual.proj: copying a param with shape torch.Size([768, 512]) from checkpoint, the shape in current model is torch.Size([512, 768]).\nsize mismatch for x.weight: copying a param with shape torch.Size([4, 4]) from checkpoint, the shape in current model is torch.Size([8, 4]).';
    const md = explainLoadingLog(log);
    assert.match(md, /\*\*2 shape-mismatched\*\*/);
    assert.match(md, /visual\\\.proj: checkpoint \\\[768, 512\\\], model \\\[512, 768\\\] — the same matrix transposed/);
    assert.doesNotMatch(md.split('\n').find((l) => l.includes('x\\.weight: checkpoint')) ?? '', /transposed/);
    assert.ok(looksLikeLoadingLog(log));
    assert.ok(!looksLikeLoadingLog('hello world'));
    assert.ok(!looksLikeLoadingLog(''));
  });
});
