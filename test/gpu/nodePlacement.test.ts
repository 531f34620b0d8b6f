import { summarisePlacement } from '../../bench/gpu/nodePlacement';

// onnxruntime's verbose "Node placements" block (session_state.cc), as it prints one graph over one or two providers.
const prefix = (level: string) => `2026-12-01 18:55:47.476563382 [${level}:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]`;

describe('summarisePlacement', () => {
  test('one provider', () => {
    const log = [`${prefix('V')} Node placements`, `${prefix('V')}  All nodes placed on [CPUExecutionProvider]. Number of nodes: 225`, 'other line'].join('\n');
    expect(summarisePlacement(log)).toBe('225 nodes on CPUExecutionProvider');
  });

  test('split between WebGPU and CPU: counts and the operators left on each', () => {
    const log = [
      '[I:onnxruntime:, webgpu_execution_provider.cc:900 GetCapability] webgpu kernel not found in registries for Op type: GroupNormalization',
      `${prefix('V')} Node placements`,
      `${prefix('V')}  Node(s) placed on [WebGpuExecutionProvider]. Number of nodes: 3`,
      `${prefix('V')}   Conv (convInit)`,
      `${prefix('V')}   Conv (down.0)`,
      `${prefix('V')}   MemcpyFromHost (Memcpy)`,
      `${prefix('V')}  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 1`,
      `${prefix('V')}   GroupNormalization (norm1)`,
      `${prefix('W')} Some nodes were not assigned to the preferred execution providers which may or may not have an negative impact on performance.`,
    ].join('\n');
    expect(summarisePlacement(log)).toBe('3 nodes on WebGpuExecutionProvider (Conv x2, MemcpyFromHost x1); 1 nodes on CPUExecutionProvider (GroupNormalization x1)');
  });

  test('no placement block', () => {
    expect(summarisePlacement('Session successfully initialized.')).toBe('node placement not in the log');
  });
});
