import { ApiError } from '../../core/errors';
import type { App } from '../../core/app';
import type { InferBackend, InferExecution, InferHooks, InferOutcome } from '../../core/inferBackend';
import { InferQueue } from './inferQueue';

/** Runs each model run in this process through the app's infer task, one at a time behind a bounded queue. */
export class LocalInferBackend implements InferBackend {
  readonly parallelism = 1;
  private readonly queue: InferQueue;

  constructor(
    private readonly app: App,
    options: { readonly maxWaiting: number },
  ) {
    this.queue = new InferQueue(options);
  }

  run(execution: InferExecution, hooks: InferHooks): Promise<InferOutcome> {
    const task = this.app.infers.get(execution.model);
    if (!task) return Promise.reject(new ApiError('MODEL_NOT_FOUND', `Model "${execution.model}" Not Found`));
    const { imagePath, outputPath, params, limits } = execution;
    return this.queue.run(
      async (signal) => {
        hooks.onStart();
        const result = await task.run({ imagePath, outputPath, params, signal, limits, onProgress: (p) => hooks.onProgress(p) });
        return { ...result, labelSaved: false };
      },
      hooks.signal,
      execution.jobId,
    );
  }

  positionOf(jobId: string): number | null {
    return this.queue.positionOf(jobId);
  }

  order(): readonly string[] {
    return this.queue.order();
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
