import * as fs from 'node:fs';
import * as path from 'node:path';
import { ApiError } from '../../core/errors';
import type { JsonObject } from '../../core/json';
import type { InferAdmission, InferRequest, InferResult, InferTask, InferTaskInfo } from '../../core/tasks';
import { readImageHeader } from '../../io';
import { SPACING_MM, type Resolution } from './bundleRecipe';
import { BUNDLE_MODELS } from './bundleModels';
import { checkResampleBudget } from '../../transforms/resampleBudget';
import { isLimitExceeded, LimitExceededError } from '../../core/resourceLimits';
import { wholeBodyLabels } from './bundleLabels';
import { wholeBodyRunParams, type PrecisionChoice } from './inferParams';
import type { EngineInfo } from '../../model/engineInfo';
import type { Segmenter } from './segmenter';
import { currentModelFile, type ModelFiles } from './modelVersions';
import { statisticsJson } from '../../report/structureStatistics';

export const WHOLE_BODY_MODEL = 'wholeBody_ct_segmentation';
export const WHOLE_BODY_DESCRIPTION = 'A pre-trained SegResNet model for volumetric (3D) segmentation of the 104 whole body segments';
export const WHOLE_BODY_VERSION = '0.1.9';

export interface WholeBodyInferTaskOptions {
  readonly segmenter: Segmenter;
  /** Weights per resolution: the bundle's `model.pt` (1.5 mm) and `model_lowres.pt` (3 mm), or `.onnx` builds of them. */
  readonly modelFiles: ModelFiles;
  /** The engine the segmenter runs on (named in `/info`) and its precisions (the `precision` option's choices). */
  readonly engine: EngineInfo;
}

const RESOLUTIONS: readonly Resolution[] = ['highres', 'lowres'];
const round2 = (s: number): number => Math.round(s * 100) / 100;

/** The bundle's whole-body CT segmentation as a MONAI Label infer task. */
export class WholeBodyInferTask implements InferTask {
  private readonly labels = wholeBodyLabels();
  private readonly precisions: PrecisionChoice;

  constructor(private readonly options: WholeBodyInferTaskOptions) {
    this.precisions = { available: options.engine.precisions, engine: options.engine.description, devices: options.engine.devices, webgpuNote: options.engine.webgpuNote };
  }

  info(): InferTaskInfo {
    const missing = RESOLUTIONS.map((r) => this.missingWeights(r)).filter((m): m is string => m !== null);
    return {
      type: 'segmentation',
      labels: this.labels,
      dimension: 3,
      description: missing.length === 0 ? WHOLE_BODY_DESCRIPTION : `${WHOLE_BODY_DESCRIPTION}. NOT READY: ${missing.join('; ')}`,
      config: { device: [...this.precisions.devices], highres: true, sw_overlap: 0.25, sw_batch_size: 1, precision: [...this.precisions.available] },
      version: WHOLE_BODY_VERSION,
      engine: this.precisions.webgpuNote ? `${this.precisions.engine}; ${this.precisions.webgpuNote}` : this.precisions.engine,
    };
  }

  modelPath(): string | null {
    const file = currentModelFile(this.options.modelFiles, 'highres');
    return fs.existsSync(file) ? file : null;
  }

  weightsFile(params: JsonObject): string {
    return this.requireWeights(wholeBodyRunParams(params, this.precisions).resolution);
  }

  /** Why `resolution` cannot run (its weights file is missing, and how to get it), or null when it can. */
  private missingWeights(resolution: Resolution): string | null {
    const file = currentModelFile(this.options.modelFiles, resolution);
    if (fs.existsSync(file)) return null;
    const source = BUNDLE_MODELS[resolution].sources[0];
    return (
      `the ${resolution} weights ${path.basename(file)} are not in ${path.dirname(file)}: run "wbct models pull ${resolution}" on a machine with network, ` +
      `or download ${source.url}${source.md5 ? ` (md5 ${source.md5})` : ''} and place it at ${file}`
    );
  }

  private requireWeights(resolution: Resolution): string {
    const missing = this.missingWeights(resolution);
    if (missing !== null) throw new ApiError('MODEL_UNAVAILABLE', `Model ${WHOLE_BODY_MODEL} cannot run yet: ${missing}`);
    return currentModelFile(this.options.modelFiles, resolution);
  }

  async admit(request: InferAdmission): Promise<void> {
    const params = wholeBodyRunParams(request.params, this.precisions);
    this.requireWeights(params.resolution);
    const named = (e: unknown): never => {
      if (!(e instanceof Error)) throw e;
      const message = e.message.split(request.imagePath).join(request.imageName);
      throw isLimitExceeded(e) ? LimitExceededError.rebuilt(e.limit, e.allowed, message) : new ApiError('NOT_AN_IMAGE', message);
    };
    // Folders and zips of DICOM have no single header; their limits are checked when the worker reads the series.
    if ((await fs.promises.stat(request.imagePath)).isDirectory() || request.imagePath.toLowerCase().endsWith('.zip')) return;
    const header = await readImageHeader(request.imagePath, request.limits).catch(named);
    try {
      checkResampleBudget(request.imagePath, header.shape, header.affineRas, SPACING_MM[params.resolution], request.limits);
    } catch (e) {
      named(e);
    }
  }

  async run(request: InferRequest): Promise<InferResult> {
    const params = wholeBodyRunParams(request.params, this.precisions);
    const modelPath = this.requireWeights(params.resolution);
    const result = await this.options.segmenter.segment(
      { inputPath: request.imagePath, outputPath: request.outputPath, resolution: params.resolution, modelPath, outputDtype: params.outputDtype, overlap: params.overlap, swBatchSize: params.swBatchSize, limits: request.limits, precision: params.precision, statistics: params.statistics, device: params.device },
      request.onProgress,
      request.signal,
    );
    const l = result.latencies;
    return {
      labelPath: result.outputPath,
      params: {
        label_names: { ...this.labels },
        latencies: { pre: round2(l.pre), infer: round2(l.infer), invert: round2(l.invert), post: round2(l.post), write: round2(l.write), total: round2(l.total) },
        centroids: {},
        engine: result.engine,
        ...(result.statistics && { statistics: statisticsJson(result.statistics) }),
      },
    };
  }
}
