import * as v8 from 'node:v8';
import * as vm from 'node:vm';

let gc: (() => void) | undefined;

/**
 * Runs a full garbage collection now. Between pipeline stages the previous stage's arrays (a 512^2 x 400 CT is
 * 400 MB as float32, twice over while it is reoriented) are garbage, but V8 may not collect them before the
 * sliding window's 105-channel buffers arrive, which adds their size to peak RSS. `--expose-gc` is a V8 flag, so it
 * can be switched on at run time and the `gc` function taken from a fresh context.
 */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
