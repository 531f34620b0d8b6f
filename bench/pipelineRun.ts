/** One segmentation run in its own process (so peak RSS is this run's alone); prints a JSON line. */
import { ModelPool } from '../src/infer/modelPool';
import { segmentFile } from '../src/infer/segmentFile';
import { wholeBodyRecipe } from '../src/apps/totalseg/bundleRecipe';

async function main(): Promise<void> {
  const [input, output, resolution, weights, threads] = process.argv.slice(2);
  if (!input || !output || (resolution !== 'lowres' && resolution !== 'highres') || !weights) {
    throw new Error('usage: pipelineRun <input> <output> lowres|highres <weights.pt> [threads]');
  }
  const pool = new ModelPool({ threads: threads ? Number(threads) : undefined });
  await (await pool.get(weights)).close(); // convert/cache outside the timed run
  await pool.clear();
  let windows = 0;
  const result = await segmentFile({ inputPath: input, outputPath: output, recipe: wholeBodyRecipe(resolution), modelPath: weights }, pool, {
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
