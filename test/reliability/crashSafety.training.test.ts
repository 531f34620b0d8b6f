import * as fs from 'node:fs';
import { postJson } from './harness/httpCalls';
import { MODEL } from './harness/modelChecks';
import { CLI } from './harness/serverProcess';
import { ONE_EPOCH, TrainingKillPoints } from './harness/trainingKillPoints';

// kill -9 of a real `wbct serve` while it trains and writes the checkpoint (the new version's .pt) and its ONNX.
const describeBuilt = fs.existsSync(CLI) ? describe : describe.skip;
if (!fs.existsSync(CLI)) test.skip(`kill -9 suite needs the compiled server (${CLI}; npx tsc -p tsconfig.build.json)`, () => undefined);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeBuilt('kill -9 during training and checkpoints', () => {
  let points: TrainingKillPoints;
  beforeAll(async () => {
    points = await TrainingKillPoints.start('wbct-kill9-training-');
  });
  afterAll(async () => {
    await points?.close();
  });

  async function expectPoint(name: string, action: () => Promise<void>): Promise<void> {
    expect((await points.point(name, action)).problems).toEqual([]);
  }

  test('kill right after the 200 of POST /train', () =>
    expectPoint('training: kill right after the 200 of POST /train', async () => {
      expect((await postJson(`${points.rig.url}/train/${MODEL}`, ONE_EPOCH)).status).toBe(200);
      await points.rig.kill9();
    }));

  test('kill 3 s into the first epoch', () =>
    expectPoint('training: kill 3 s into the first epoch', async () => {
      const killer = sleep(3000).then(() => points.rig.kill9());
      await points.train();
      await killer;
    }));

  test("kill once the epoch's loss is reported (validation and saving under way)", () =>
    expectPoint('training: kill once the epoch loss is reported', () => points.train((task) => (task.details ?? []).some((d) => /^epoch 1\/1: loss/.test(d)))));

  test("kill when the checkpoint's temp file appears", () =>
    expectPoint('checkpoint: kill when the .pt temp file appears', async () => {
      expect(await points.trainAndKillOnFile(points.versionsDir, /^\.model\..*\.pt\..*\.tmp$/)).not.toBe('');
    }));

  test('kill when the checkpoint .pt is renamed into place', () =>
    expectPoint('checkpoint: kill at the rename of the .pt into place', async () => {
      expect(await points.trainAndKillOnFile(points.versionsDir, /^model\.\d{8}T\d{6}Z\.pt$/)).not.toBe('');
    }));

  test("kill when the ONNX conversion's temp file appears", () =>
    expectPoint('checkpoint: kill when the ONNX temp file appears', async () => {
      expect(await points.trainAndKillOnFile(points.versionsDir, /^\.model\..*\.onnx\..*\.tmp$/)).not.toBe('');
    }));
});
