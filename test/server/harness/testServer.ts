import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createTotalSegApp, type TotalSegAppOptions } from '../../../src/apps/totalseg/createTotalSegApp';
import type { Segmenter } from '../../../src/apps/totalseg/segmenter';
import { createServer, type ServerOptions, type WbctServer } from '../../../src/server/createServer';
import { ServerLog } from '../../../src/server/serverLog';
import { readVolumeFile, testImage, writeVolumeFile } from './imageFiles';
import { readImage } from '../../../src/io';
import { engineInfo } from '../../../src/model/engineInfo';
import type { VolumeReader } from '../../../src/core/volumeReader';
import { DEFAULT_LIMITS, type ResourceLimits } from '../../../src/core/resourceLimits';

export interface TestServer {
  readonly server: WbctServer;
  readonly studiesDir: string;
  readonly modelsDir: string;
  readonly root: string;
  /** Writes a test image file to a scratch folder (not the datastore) and returns its path. */
  imageFile(name: string, volume?: Parameters<typeof writeVolumeFile>[1]): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly segmenter: Segmenter & { close?(): Promise<void> };
  readonly modelFiles?: TotalSegAppOptions['modelFiles'];
  readonly trainer?: TotalSegAppOptions['trainer'];
  readonly server?: Partial<ServerOptions>;
  /** Reuse a studies folder (restart tests). */
  readonly studiesDir?: string;
  /** Resource limits for the server and its image reader alike, as `wbct serve` wires them. */
  readonly limits?: Partial<ResourceLimits>;
  /** The engine the app reports (default: onnxruntime's, fp32 only). */
  readonly engine?: TotalSegAppOptions['engine'];
}

/** A totalseg app plus server on temp folders; `close()` shuts it down and removes the folders it made. */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-srv-test-'));
  const studiesDir = options.studiesDir ?? path.join(root, 'studies');
  const modelsDir = path.join(root, 'models');
  fs.mkdirSync(modelsDir, { recursive: true });
  const modelFiles = options.modelFiles ?? { highres: path.join(modelsDir, 'model.pt'), lowres: path.join(modelsDir, 'model_lowres.pt') };
  if (!options.modelFiles) for (const f of Object.values(modelFiles)) fs.writeFileSync(f, 'weights placeholder for protocol tests');
  const limits: ResourceLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const readVolume: VolumeReader = options.limits ? async (file) => (await readImage(file, { voxels: 'stored', limits })).volume : readVolumeFile;
  const app = await createTotalSegApp({ studiesDir, modelFiles, segmenter: options.segmenter, readVolume, trainer: options.trainer, engine: options.engine ?? engineInfo('onnxruntime') });
  const server = createServer(app, { readVolume, log: new ServerLog({ sink: null }), workDir: path.join(root, 'work'), limits, ...options.server });
  const scratch = path.join(root, 'scratch');
  fs.mkdirSync(scratch, { recursive: true });
  return {
    server,
    studiesDir,
    modelsDir,
    root,
    imageFile: async (name, volume = testImage()) => {
      const file = path.join(scratch, name);
      await writeVolumeFile(file, volume);
      return file;
    },
    close: async () => {
      await server.shutdown();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
