import * as dcmjs from 'dcmjs';

interface SplitDataView {
  buffers: (ArrayBuffer | null)[];
  offsets: number[];
  lengths: number[];
  findStart(start?: number): number | undefined;
}

let installed = false;

/**
 * dcmjs 0.49 finds the chunk holding a write position by scanning every 4 KiB chunk written so far, which makes
 * serialising a large dataset quadratic (a 10 MB RTSTRUCT took 45 s). The chunks are contiguous and sorted by offset,
 * so a binary search returns the same index; this swaps it in once, process-wide.
 */
export function installDcmjsFastWrite(): void {
  if (installed) return;
  const probe = new (dcmjs.data as unknown as { WriteBufferStream: new (size: number, le: boolean) => { view: SplitDataView } }).WriteBufferStream(16, true);
  const proto = Object.getPrototypeOf(probe.view) as SplitDataView;
  if (typeof proto.findStart !== 'function') throw new Error('dcmjs internals changed: SplitDataView.findStart is missing (pinned dcmjs 0.49.4 expected)');
  proto.findStart = function findStart(this: SplitDataView, start = 0): number | undefined {
    let lo = 0;
    let hi = this.buffers.length - 1;
    // 0 <= lo <= mid <= hi < buffers.length, and dcmjs keeps offsets and lengths one per buffer.
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (start < this.offsets[mid]!) hi = mid - 1;
      else if (start >= this.offsets[mid]! + this.lengths[mid]!) lo = mid + 1;
      else return mid;
    }
    return undefined;
  };
  installed = true;
}
