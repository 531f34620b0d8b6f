import { Float32Tensor, StateDict } from '../weights/tensor';

/**
 * MONAI SegResNet hyper-parameters, derived from a state_dict's key names and shapes (so the bundle-size and the
 * tiny models load alike), after checking every tensor the network needs is present with its exact shape — the
 * equivalent of torch's `load_state_dict(strict=True)`.
 */
export interface SegResNetSpec {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly initFilters: number;
  readonly blocksDown: readonly number[];
  readonly blocksUp: readonly number[];
}

export class WeightsMismatchError extends Error {
  override name = 'WeightsMismatchError';
}

/** Key names of one pre-activation ResBlock. */
export function resBlockKeys(prefix: string): { norm1: string; conv1: string; norm2: string; conv2: string } {
  return { norm1: `${prefix}.norm1`, conv1: `${prefix}.conv1.conv.weight`, norm2: `${prefix}.norm2`, conv2: `${prefix}.conv2.conv.weight` };
}

function countIndexed(keys: readonly string[], re: RegExp): number {
  let n = 0;
  for (const k of keys) {
    const m = re.exec(k);
    if (m) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

/** The parameter names and shapes a SegResNet with `spec` has, in torch's state_dict order. */
export function expectedParameters(spec: SegResNetSpec): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [];
  const f = spec.initFilters;
  const block = (prefix: string, c: number) => {
    const k = resBlockKeys(prefix);
    out.push([`${k.norm1}.weight`, [c]], [`${k.norm1}.bias`, [c]], [`${k.norm2}.weight`, [c]], [`${k.norm2}.bias`, [c]]);
    out.push([k.conv1, [c, c, 3, 3, 3]], [k.conv2, [c, c, 3, 3, 3]]);
  };
  out.push(['convInit.conv.weight', [f, spec.inChannels, 3, 3, 3]]);
  spec.blocksDown.forEach((n, i) => {
    const c = f * 2 ** i;
    if (i > 0) out.push([`down_layers.${i}.0.conv.weight`, [c, c / 2, 3, 3, 3]]);
    for (let b = 1; b <= n; b++) block(`down_layers.${i}.${b}`, c);
  });
  const levels = spec.blocksDown.length;
  spec.blocksUp.forEach((n, i) => {
    const c = f * 2 ** (levels - 2 - i);
    for (let b = 0; b < n; b++) block(`up_layers.${i}.${b}`, c);
  });
  spec.blocksUp.forEach((_, i) => {
    const c = f * 2 ** (levels - 2 - i);
    out.push([`up_samples.${i}.0.conv.weight`, [c, c * 2, 1, 1, 1]]);
  });
  out.push(['conv_final.0.weight', [f]], ['conv_final.0.bias', [f]]);
  out.push(['conv_final.2.conv.weight', [spec.outChannels, f, 1, 1, 1]], ['conv_final.2.conv.bias', [spec.outChannels]]);
  return out;
}

export function deriveSegResNetSpec(sd: StateDict, source = 'weights'): SegResNetSpec {
  const stem = sd.get('convInit.conv.weight');
  const head = sd.get('conv_final.2.conv.weight');
  if (!stem || !head) throw new WeightsMismatchError(`${source}: not a MONAI SegResNet state_dict (convInit.conv.weight / conv_final.2.conv.weight missing)`);
  const keys = [...sd.keys()];
  const levels = countIndexed(keys, /^down_layers\.(\d+)\./);
  const blocksDown = Array.from({ length: levels }, (_, i) => countIndexed(keys, new RegExp(`^down_layers\\.${i}\\.(\\d+)\\.norm1\\.weight$`)) - 1);
  const blocksUp = Array.from({ length: countIndexed(keys, /^up_layers\.(\d+)\./) }, (_, i) =>
    countIndexed(keys, new RegExp(`^up_layers\\.${i}\\.(\\d+)\\.norm1\\.weight$`)),
  );
  if (levels < 2 || blocksUp.length !== levels - 1 || blocksDown.some((n) => n < 0)) {
    throw new WeightsMismatchError(`${source}: unexpected SegResNet layout (${levels} down levels, ${blocksUp.length} up levels)`);
  }
  const [initFilters, inChannels] = stem.shape;
  const [outChannels] = head.shape;
  if (initFilters === undefined || inChannels === undefined || outChannels === undefined) {
    throw new WeightsMismatchError(`${source}: convInit.conv.weight [${stem.shape.join(',')}] / conv_final.2.conv.weight [${head.shape.join(',')}] are not convolution weights`);
  }
  const spec: SegResNetSpec = { inChannels, outChannels, initFilters, blocksDown, blocksUp };
  if (spec.initFilters % 8 !== 0) throw new WeightsMismatchError(`${source}: init_filters ${spec.initFilters} is not divisible by the 8 GroupNorm groups`);
  checkParameters(sd, spec, source);
  return spec;
}

function checkParameters(sd: StateDict, spec: SegResNetSpec, source: string): void {
  const expected = expectedParameters(spec);
  for (const [name, shape] of expected) {
    const t: Float32Tensor | undefined = sd.get(name);
    if (!t) throw new WeightsMismatchError(`${source}: missing parameter "${name}"`);
    if (t.shape.length !== shape.length || t.shape.some((v, i) => v !== shape[i])) {
      throw new WeightsMismatchError(`${source}: parameter "${name}" has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isFinite(t.data[i])) throw new WeightsMismatchError(`${source}: parameter "${name}" contains NaN or infinity`);
    }
  }
  const known = new Set(expected.map(([n]) => n));
  const extra = [...sd.keys()].filter((k) => !known.has(k));
  if (extra.length) throw new WeightsMismatchError(`${source}: unexpected parameters ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`);
}
