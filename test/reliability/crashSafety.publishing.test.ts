import * as fs from 'node:fs';
import * as path from 'node:path';
import { defined } from '../helpers/defined';
import { CLI } from './harness/serverProcess';
import { TrainingKillPoints } from './harness/trainingKillPoints';

// kill -9 of a real `wbct serve` while it publishes a new model version (ONNX in place, active.json switched).
const describeBuilt = fs.existsSync(CLI) ? describe : describe.skip;
if (!fs.existsSync(CLI)) test.skip(`kill -9 suite needs the compiled server (${CLI}; npx tsc -p tsconfig.build.json)`, () => undefined);

describeBuilt('kill -9 during model version publishing', () => {
  let points: TrainingKillPoints;
  beforeAll(async () => {
    points = await TrainingKillPoints.start('wbct-kill9-publishing-');
  });
  afterAll(async () => {
    await points?.close();
  });

  async function expectPoint(name: string, action: () => Promise<void>): Promise<void> {
    expect((await points.point(name, action)).problems).toEqual([]);
  }

  test('kill when the converted .onnx is renamed into place', () =>
    expectPoint('publishing: kill at the rename of the .onnx into place', async () => {
      expect(await points.trainAndKillOnFile(points.versionsDir, /^model\.\d{8}T\d{6}Z\.[0-9a-f]{16}\.onnx$/)).not.toBe('');
    }));

  test('kill while active.json is rewritten', () =>
    expectPoint('publishing: kill when the active.json temp file appears', async () => {
      expect(await points.trainAndKillOnFile(points.rig.modelsDir, /^\.active\.json\..*\.tmp$/)).not.toBe('');
    }));

  test('kill when active.json is renamed into place', () =>
    expectPoint('publishing: kill at the rename of active.json', async () => {
      expect(await points.trainAndKillOnFile(points.rig.modelsDir, /^active\.json$/)).not.toBe('');
    }));

  test('kill right after the training reports DONE: the published version is in service after the restart', async () => {
    await expectPoint('publishing: kill right after DONE', () => points.train((task) => task.status === 'DONE'));
    expect(points.acknowledged).toMatch(/^versions\/model\.\d{8}T\d{6}Z\.pt$/);
  });

  test('a fine-tuned version in service, kill at the next checkpoint: it stays in service or the new one takes over', async () => {
    const inService = defined(points.acknowledged, 'the version the previous test published');
    expect(inService).toMatch(/^versions\/model\.\d{8}T\d{6}Z\.pt$/);
    await expectPoint('publishing: kill at the next checkpoint with a fine-tuned version in service', async () => {
      expect(await points.trainAndKillOnFile(points.versionsDir, /^model\.\d{8}T\d{6}Z\.pt$/)).not.toBe('');
    });
    expect(fs.existsSync(path.join(points.rig.modelsDir, inService))).toBe(true);
  });
});
