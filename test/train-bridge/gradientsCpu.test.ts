import { describeGradientParity } from './gradientParity';

describeGradientParity('cpu');
