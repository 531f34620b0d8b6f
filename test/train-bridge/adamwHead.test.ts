import JSZip from 'jszip';
import * as fs from 'node:fs';
import { SegResNetTrainer } from '../../src/train-bridge/segResNetTrainer';
import { initTfBackend } from '../../src/train-bridge/tfBackend';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { tfToTorch } from '../../src/train-bridge/tfWeights';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { describeWithOracle, maxAbsDiff, oracleFile } from '../helpers/oracle';
import { adamwRun, tinySample, tinyWeights } from './tinyOracle';

const HEAD = ['conv_final.0.weight', 'conv_final.0.bias', 'conv_final.2.conv.weight', 'conv_final.2.conv.bias'];

/** torch's zip writer appends a ZIP64 end record + locator (76 bytes) that jszip misreads; the classic record suffices. */
function withoutZip64Trailer(bytes: Buffer): Buffer {
  const end = bytes.length - 22;
  const locator = end - 20;
  if (bytes.readUInt32LE(locator) !== 0x07064b50) return bytes;
  return Buffer.concat([bytes.subarray(0, Number(bytes.readBigUInt64LE(locator + 8))), bytes.subarray(end)]);
}

/**
 * exp_avg / exp_avg_sq of the head run, from torch's optimizer state_dict: its pickle (checked with pickletools)
 * stores, for parameter i, storage "3i" = step, "3i+1" = exp_avg, "3i+2" = exp_avg_sq, all float32 C order.
 */
async function torchMoments(): Promise<Array<{ key: string; step: Float32Array; expAvg: Float32Array; expAvgSq: Float32Array }>> {
  const zip = await JSZip.loadAsync(withoutZip64Trailer(fs.readFileSync(oracleFile('train_step', 'head_optimizer_state_after_step3_lr1e-3.pt'))));
  const stem = 'head_optimizer_state_after_step3_lr1e-3';
  const storage = async (i: number) => {
    const b = await zip.file(`${stem}/data/${i}`)!.async('uint8array');
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  return Promise.all(HEAD.map(async (key, i) => ({ key, step: await storage(3 * i), expAvg: await storage(3 * i + 1), expAvgSq: await storage(3 * i + 2) })));
}

describeWithOracle('AdamW head-only run vs torch (tiny model, lr 1e-3, 3 steps)', () => {
  test('losses, weights and optimizer state within 1e-6', async () => {
    const info = await initTfBackend('wasm');
    const sd = await tinyWeights();
    const net = TfSegResNet.fromStateDict(sd, info.convMode);
    const trainer = new SegResNetTrainer(net, { scope: 'head', optimizer: { lr: 1e-3, weightDecay: 1e-5 } });
    const run = adamwRun('head_only_lr1e-3_3steps');
    const sample = tinySample();
    for (const step of run.steps) expect(Math.abs((await trainer.step(sample)) - step.loss_before_step.float64_exact)).toBeLessThan(1e-5);
    expect(Math.abs((await trainer.loss(sample)) - run.loss_after_last_step.float64_exact)).toBeLessThan(1e-5);

    const after = await net.toStateDict();
    const expected = await readTorchStateDict(oracleFile('train_step', 'head_after_step3_lr1e-3.pt'));
    for (const [key, t] of expected) {
      const tol = HEAD.includes(key) ? 1e-6 : 0;
      expect(maxAbsDiff(after.get(key)!.data, t.data)).toBeLessThanOrEqual(tol);
    }

    for (const { key, step, expAvg, expAvgSq } of await torchMoments()) {
      expect(step[0]).toBe(3);
      const m = trainer.optimizer.moments(key)!;
      expect(maxAbsDiff((await tfToTorch(m.expAvg, sd.get(key)!.shape)).data, expAvg)).toBeLessThan(1e-6);
      expect(maxAbsDiff((await tfToTorch(m.expAvgSq, sd.get(key)!.shape)).data, expAvgSq)).toBeLessThan(1e-6);
    }
    expect(trainer.optimizer.stepCount).toBe(3);
    trainer.dispose();
    net.dispose();
  });
});
