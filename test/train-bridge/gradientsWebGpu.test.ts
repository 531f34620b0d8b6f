import { describeGradientParity } from './gradientParity';
import { describeWithWebGpuTraining } from './webGpuTraining';

// Loss and every gradient of the whole tiny network on a GPU through WebGPU, with the CPU backends' tolerances.
describeWithWebGpuTraining('training on WebGPU', () => describeGradientParity('webgpu'));
