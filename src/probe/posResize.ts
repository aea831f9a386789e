/**
 * transformers Siglip2's position-grid resize, `F.interpolate(pos, size, mode='bilinear',
 * align_corners=False, antialias=True)`, in plain TypeScript: PyTorch's antialiased bilinear
 * (`_upsample_bilinear2d_aa`, PIL's triangle filter widened by the scale when shrinking), run
 * separably over a channels-last grid [H, W, D] (row-major, as `position_embedding.weight`
 * holds it) into [outH, outW, D].
 *
 * The probe builds Siglip2Model at its native grid (√num_patches per side), where this resize is
 * the identity — as it is in transformers for a square image at the default `max_num_patches`.
 * This function is the piece a non-native grid would need (tested against torch).
 */
export function resizePositionGrid(grid: Float32Array, h: number, w: number, d: number, outH: number, outW: number): Float32Array {
  if (grid.length !== h * w * d) throw new Error(`internal: position grid holds ${grid.length} values, not ${h}·${w}·${d}`);
  const rows = aaWeights(h, outH);
  const cols = aaWeights(w, outW);
  // Columns first (PyTorch's aa kernel also runs width then height).
  const tmp = new Float64Array(h * outW * d);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < outW; x++) {
      const { start, weights } = cols[x]!;
      const o = (y * outW + x) * d;
      for (let k = 0; k < weights.length; k++) {
        const wk = weights[k]!;
        const s = (y * w + start + k) * d;
        for (let c = 0; c < d; c++) tmp[o + c]! += wk * grid[s + c]!;
      }
    }
  }
  const out = new Float32Array(outH * outW * d);
  for (let y = 0; y < outH; y++) {
    const { start, weights } = rows[y]!;
    for (let x = 0; x < outW; x++) {
      const o = (y * outW + x) * d;
      for (let k = 0; k < weights.length; k++) {
        const wk = weights[k]!;
        const s = ((start + k) * outW + x) * d;
        for (let c = 0; c < d; c++) out[o + c]! += wk * tmp[s + c]!;
      }
    }
  }
  return out;
}

/** Per output index: the first input index and the normalised triangle-filter weights (PyTorch `_compute_indices_min_size_weights_aa`). */
function aaWeights(inSize: number, outSize: number): { start: number; weights: number[] }[] {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1; // bilinear: interp_size / 2 = 1, widened when shrinking
  const invScale = scale >= 1 ? 1 / scale : 1;
  const out: { start: number; weights: number[] }[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inSize);
    const weights: number[] = [];
    let total = 0;
    for (let j = start; j < end; j++) {
      const wj = Math.max(0, 1 - Math.abs((j - center + 0.5) * invScale));
      weights.push(wj);
      total += wj;
    }
    out.push({ start, weights: weights.map((x) => (total > 0 ? x / total : 0)) });
  }
  return out;
}
