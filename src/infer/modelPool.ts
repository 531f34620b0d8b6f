import { ensureOnnxModel } from '../model/onnxModelCache';
import { SegResNetSession } from '../model/segresnetSession';

/** Open onnxruntime sessions by weights path, so consecutive jobs on the same model skip the load. */
export class ModelPool {
  private readonly sessions = new Map<string, Promise<SegResNetSession>>();

  constructor(private readonly opts: { threads?: number; maxOpen?: number } = {}) {}

  get(weightsPath: string): Promise<SegResNetSession> {
    let s = this.sessions.get(weightsPath);
    if (!s) {
      s = ensureOnnxModel(weightsPath).then((onnx) => SegResNetSession.open(onnx, { threads: this.opts.threads }));
      s.catch(() => this.sessions.delete(weightsPath));
      // Highres and lowres both fit; anything beyond is evicted oldest first.
      while (this.sessions.size >= (this.opts.maxOpen ?? 2)) {
        const [oldest, session] = this.sessions.entries().next().value as [string, Promise<SegResNetSession>];
        this.sessions.delete(oldest);
        void session.then((x) => x.close()).catch(() => undefined);
      }
      this.sessions.set(weightsPath, s);
    }
    return s;
  }

  async clear(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.then((x) => x.close()).catch(() => undefined)));
  }
}
