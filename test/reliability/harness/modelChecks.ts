import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildSegResNetOnnx } from '../../../src/model/buildSegResNetOnnx';
import { sha256OfFile } from '../../../src/model/onnxModelCache';
import { readTorchStateDict } from '../../../src/weights/readTorchStateDict';
import { call, multipartBody } from './httpCalls';
import { modelTempFiles } from './leftovers';

export const MODEL = 'wholeBody_ct_segmentation';

export interface ModelCheck {
  readonly problems: string[];
  readonly notes: string[];
  /** The highres entry of `active.json` found (null: none, the bundle's `model.pt` serves). */
  readonly active: string | null;
}

function visibleFiles(dir: string, ext: string): string[] {
  try {
    return fs
      .readdirSync(dir)
      .filter((n) => !n.startsWith('.') && n.endsWith(ext))
      .map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

/** The fine-tuned versions on disk (`versions/*.pt`, relative to the models folder as `active.json` names them). */
export function versionFiles(modelsDir: string): string[] {
  return visibleFiles(path.join(modelsDir, 'versions'), '.pt').map((f) => path.relative(modelsDir, f));
}

/**
 * After a restart: `active.json` names (for highres) the acknowledged version or one a training in flight may have
 * published (`candidates`), its file exists and is what `GET /model/info` checksums, lowres was never switched; every
 * visible `.pt` reads completely and every visible `.onnx` is byte for byte the conversion of the `.pt` its name
 * carries the digest of (no half-written weights under a name the server would use); an inference on `imageId` runs
 * on the version in service. Temp files in the models folders are reported as notes.
 */
export async function checkModels(modelsDir: string, url: string, acknowledged: string | null, candidates: readonly string[], imageId: string): Promise<ModelCheck> {
  const problems: string[] = [];
  const notes: string[] = [];
  let active: string | null = null;
  const activeFile = path.join(modelsDir, 'active.json');
  if (fs.existsSync(activeFile)) {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(fs.readFileSync(activeFile, 'utf8')) as Record<string, unknown>;
    } catch (e) {
      problems.push(`active.json does not parse: ${(e as Error).message}`);
    }
    if (parsed.lowres !== undefined) problems.push(`active.json switched lowres (${JSON.stringify(parsed.lowres)}), which was never trained`);
    if (typeof parsed.highres === 'string') active = parsed.highres;
    else if (parsed.highres !== undefined) problems.push(`active.json highres is ${JSON.stringify(parsed.highres)}`);
  }
  if (active !== null && !fs.existsSync(path.join(modelsDir, active))) problems.push(`active.json names ${active}, which does not exist`);
  const allowed = [acknowledged, ...candidates];
  if (!allowed.includes(active)) {
    problems.push(`in service: ${active ?? 'model.pt'}; expected ${allowed.map((a) => a ?? 'model.pt').join(' or ')}${acknowledged !== null ? ' (the acknowledged version is no longer in service)' : ''}`);
  }

  const served = path.join(modelsDir, active ?? 'model.pt');
  const info = await call(`${url}/model/info/${MODEL}`);
  const checksum = info.json<{ checksum?: string }>()?.checksum;
  if (info.status !== 200) problems.push(`GET /model/info answered ${info.status}`);
  else if (fs.existsSync(served) && checksum !== `SHA256:${await sha256OfFile(served)}`) problems.push(`GET /model/info checksum ${checksum} is not that of ${path.relative(modelsDir, served)}`);

  for (const dir of [modelsDir, path.join(modelsDir, 'versions')]) {
    const pts = visibleFiles(dir, '.pt');
    for (const pt of pts) {
      await readTorchStateDict(pt).catch((e: Error) => problems.push(`${path.relative(modelsDir, pt)} does not read: ${e.message}`));
    }
    for (const onnx of visibleFiles(dir, '.onnx')) {
      const [, stem, hash] = /^(.*)\.([0-9a-f]{16})\.onnx$/.exec(path.basename(onnx)) ?? [];
      const source = stem !== undefined ? path.join(dir, `${stem}.pt`) : null;
      if (hash === undefined || !source || !fs.existsSync(source) || !(await sha256OfFile(source)).startsWith(hash)) {
        problems.push(`${path.relative(modelsDir, onnx)} has no .pt it converts`);
        continue;
      }
      const expected = buildSegResNetOnnx(await readTorchStateDict(source)).model;
      if (!Buffer.from(expected).equals(fs.readFileSync(onnx))) problems.push(`${path.relative(modelsDir, onnx)} is not the complete conversion of ${path.basename(source)}`);
    }
  }

  const { contentType, body } = multipartBody({ params: JSON.stringify({ highres: true }) }, []);
  const infer = await call(`${url}/infer/${MODEL}?image=${encodeURIComponent(imageId)}&output=json`, { method: 'POST', headers: { 'content-type': contentType }, body });
  if (infer.status !== 200) problems.push(`inference on the version in service answered ${infer.status}: ${infer.body.toString('utf8').slice(0, 300)}`);

  notes.push(`in service: ${active ?? 'model.pt'}${active !== acknowledged ? ' (published by the training cut off)' : ''}`);
  const temps = modelTempFiles(modelsDir).map((f) => path.relative(modelsDir, f));
  if (temps.length) notes.push(`temp files left in the models folder: ${temps.join(', ')}`);
  return { problems, notes, active };
}
