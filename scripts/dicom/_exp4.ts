import { readDicomSeries } from '../../src/dicom/readDicomSeries';
import { thresholdLabels } from './testSeries';
import { flipRasLps } from '../../src/infer/volume';
import { readNrrdMask, sampleOnGrid } from '../../test/dicom/helpers/gridCompare';
async function main() {
  const dir = process.argv[2];
  const { volume } = await readDicomSeries(dir + '/ct');
  const labels = thresholdLabels(volume);
  const grid = { shape: volume.shape, affineLps: flipRasLps(volume.affineRas) };
  for (const [name, l] of [['spleen', 1], ['liver', 5]] as const) {
    const m = sampleOnGrid(readNrrdMask(dir + `/plastimatch/${name}.nrrd`), grid);
    let fp = 0, fn = 0, tp = 0;
    // classify fn by number of 4-neighbours with the label
    const fnByNb = [0, 0, 0, 0, 0];
    const fpByNb = [0, 0, 0, 0, 0];
    const [nx, ny] = volume.shape;
    for (let p = 0; p < m.length; p++) {
      const a = m[p] === 1, b = labels.data[p] === l;
      const i = p % nx, j = Math.floor(p / nx) % ny;
      const nb = [[1,0],[-1,0],[0,1],[0,-1]].filter(([dx,dy]) => { const x=i+dx,y=j+dy; return x>=0&&y>=0&&x<nx&&y<ny&&labels.data[p+dx+nx*dy]===l; }).length;
      if (a && b) tp++; else if (a) { fp++; fpByNb[nb]++; } else if (b) { fn++; fnByNb[nb]++; }
    }
    console.log(name, { tp, fp, fn, fnByNb, fpByNb });
  }
}
main();
