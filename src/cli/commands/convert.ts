import { parseArgs } from 'node:util';
import { convertTorchToOnnx } from '../../model/onnxModelCache';
import { UsageError } from '../usageError';

export const convertUsage = 'wbct convert <weights.pt> -o <model.onnx>   build the SegResNet ONNX graph from a PyTorch state_dict';

export async function convertCommand(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { output: { type: 'string', short: 'o' } } });
  const [weights, ...extra] = positionals;
  if (weights === undefined || extra.length > 0 || !values.output) throw new UsageError(convertUsage);
  const t0 = Date.now();
  await convertTorchToOnnx(weights, values.output);
  process.stderr.write(`wrote ${values.output} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}
