import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Device } from '../../src/model/segmentationNetwork';

/**
 * Where onnxruntime placed the network's nodes on `device`: the WebGPU provider takes only the operators it has
 * kernels for and leaves the rest to the CPU provider (with copies between them), which the timing alone would hide.
 * Read from onnxruntime's verbose log ("Node placements") in a child process, so that the log stays out of the report.
 */
export function nodePlacement(model: Uint8Array, device: Device): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-placement-'));
  try {
    const file = path.join(dir, 'model.onnx');
    fs.writeFileSync(file, model);
    const r = spawnSync(process.execPath, [__filename, file, device], { encoding: 'utf8', maxBuffer: 256 * 2 ** 20 });
    if (r.status !== 0) return `node placement unknown (${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)})`;
    return summarisePlacement(r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** "N nodes on EP (op x count, ...)" per provider, from onnxruntime's verbose log. */
export function summarisePlacement(log: string): string {
  const byProvider = new Map<string, { nodes: number; ops: Map<string, number> }>();
  let current: { nodes: number; ops: Map<string, number> } | undefined;
  let inPlacements = false;
  for (const raw of log.split('\n')) {
    const text = raw.replace(/^.*?VerifyEachNodeIsAssignedToAnEp\]/, '').trimEnd();
    if (!raw.includes('VerifyEachNodeIsAssignedToAnEp')) {
      if (inPlacements) inPlacements = false;
      continue;
    }
    if (text.includes('Node placements')) {
      inPlacements = true;
      continue;
    }
    const header = /placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(text);
    if (header) {
      current = { nodes: Number(header[2]), ops: new Map() };
      byProvider.set(header[1]!, current);
    } else if (current && inPlacements) {
      const op = /^\s{3,}(\w+) \(/.exec(text)?.[1];
      if (op) current.ops.set(op, (current.ops.get(op) ?? 0) + 1);
    }
  }
  if (byProvider.size === 0) return 'node placement not in the log';
  return [...byProvider]
    .map(([ep, p]) => `${p.nodes} nodes on ${ep}${byProvider.size > 1 && p.ops.size > 0 ? ` (${[...p.ops].map(([op, n]) => `${op} x${n}`).join(', ')})` : ''}`)
    .join('; ');
}

if (require.main === module) {
  const [file, device] = process.argv.slice(2);
  void ort.InferenceSession.create(file!, { executionProviders: [device === 'webgpu' ? 'webgpu' : 'cpu'], logSeverityLevel: 0, logVerbosityLevel: 0 }).then(
    (s) => s.release(),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 1;
    },
  );
}
