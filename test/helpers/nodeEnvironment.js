// Jest runs each test file in its own vm realm, so typed arrays created by native addons (onnxruntime-node) fail
// `instanceof Float32Array` checks inside the test realm. Sharing the host realm's constructors fixes that.
const { TestEnvironment } = require('jest-environment-node');

class SharedTypedArrayEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of [
      'ArrayBuffer', 'SharedArrayBuffer', 'DataView', 'Float32Array', 'Float64Array', 'Int8Array', 'Uint8Array',
      'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'BigInt64Array', 'BigUint64Array',
    ]) {
      this.global[name] = globalThis[name];
    }
  }
}

module.exports = SharedTypedArrayEnvironment;
