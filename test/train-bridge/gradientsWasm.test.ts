import { describeGradientParity } from './gradientParity';

describeGradientParity('wasm');
