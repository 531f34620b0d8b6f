/** One segmentation run in its own process (so peak RSS is this run's alone); prints a JSON line. */
import { ModelPool } from '../src/infer/modelPool';
import { segmentFile } from '../src/infer/segmentFile';
import { wholeBodyRecipe } from '../src/apps/totalseg/bundleRecipe';
import { engineFromArgs, precisionFromArgs } from '../src/cli/commands/engineOptions';

async function main(): Promise<void> {
  const [input, output, resolution, weights, threads, engine, precision] = process.argv.slice(2);
  if (!input || !output || (resolution !== 'lowres' && resolution !== 'highres') || !weights || !threads || !engine || !precision) {
    throw new Error('usage: pipelineRun <input> <output> lowres|highres <weights.pt> <threads> <engine> <precision>');
  }
  const pool = new ModelPool({ threads: Number(threads), engine: engineFromArgs(engine) });
  await (await pool.get(weights, precisionFromArgs(precision))).close(); // convert/cache outside the timed run
  await pool.clear();
  let windows = 0;
  const result = await segmentFile({ inputPath: input, outputPath: output, recipe: wholeBodyRecipe(resolution), modelPath: weights, precision: precisionFromArgs(precision) }, pool, {
    onProgress: (p) => {
      if (p.stage === 'infer') {
        windows = p.total;
        process.stderr.write(`\r${resolution}: window ${p.done}/${p.total}`);
      }
    },
  });
  process.stderr.write('\n');
  await pool.clear();
  console.log(JSON.stringify({ ...result, windows, peakRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
