import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sha256OfFile } from '../util/fileChecksum';
import type { CoordinatorClient } from './coordinatorClient';

/**
 * A worker's model versions, named by their SHA-256: a version it lacks is downloaded from the coordinator once,
 * verified, and kept (the pipeline converts it to ONNX beside it on first use). A fine-tuned model put in service on
 * the coordinator is a new checksum in the next job, so every worker runs it next.
 */
export class WeightsCache {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly dir: string,
    private readonly client: CoordinatorClient,
  ) {
    fs.mkdirSync(dir, { recursive: true });
  }

  /** The local file of the weights with this checksum (`name` gives its extension). */
  ensure(weights: { readonly checksum: string; readonly name: string }): Promise<string> {
    const ext = weights.name.toLowerCase().endsWith('.onnx') ? '.onnx' : '.pt';
    const file = path.join(this.dir, `${weights.checksum}${ext}`);
    const running = this.inFlight.get(file);
    if (running) return running;
    const fetched = this.fetch(weights.checksum, file).finally(() => this.inFlight.delete(file));
    this.inFlight.set(file, fetched);
    return fetched;
  }

  private async fetch(checksum: string, file: string): Promise<string> {
    if (fs.existsSync(file) && (await sha256OfFile(file)) === checksum) return file;
    const temp = `${file}.${randomBytes(6).toString('hex')}.part`;
    try {
      await this.client.download(`/worker/weights/${checksum}`, temp);
      const got = await sha256OfFile(temp);
      if (got !== checksum) throw new Error(`weights from the coordinator have SHA-256 ${got}, the job asked for ${checksum}`);
      await fs.promises.rename(temp, file);
      return file;
    } finally {
      await fs.promises.rm(temp, { force: true });
    }
  }
}
