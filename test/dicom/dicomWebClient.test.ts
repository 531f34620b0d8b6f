import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { DicomWebClient } from '../../src/dicom/dicomWebClient';
import { readDicomSeries } from '../../src/dicom/readDicomSeries';
import { buildDicomSeg } from '../../src/dicom/writeDicomSeg';
import { craniumCt, thresholdLabels, writeTestSeries } from '../helpers/testSeries';
import { defined } from '../helpers/defined';
import { describeWithOracle, ORACLE_DIR } from '../helpers/oracle';
import { sharedLabelNames } from './helpers/craniumSeries';
import { describeWithTools } from './helpers/externalTools';
import { ORTHANC_USER, startOrthanc, uploadToOrthanc, type RunningOrthanc } from './helpers/orthanc';
import { removeTempDirs, tempDir } from './helpers/syntheticSeries';

afterAll(removeTempDirs);

describeWithOracle('DicomWebClient against a real Orthanc (DICOMweb plugin)', () => {
  describeWithTools(['Orthanc'], 'QIDO-RS, WADO-RS into the cache, STOW-RS of a SEG', () => {
    let orthanc: RunningOrthanc;
    let ctDir: string;
    let cacheDir: string;
    let client: DicomWebClient;

    beforeAll(async () => {
      orthanc = await startOrthanc();
      ctDir = path.join(tempDir('pacs-src'), 'ct');
      writeTestSeries(await craniumCt(ORACLE_DIR), 'flipped-rows-columns', ctDir);
      await uploadToOrthanc(orthanc, fs.readdirSync(ctDir).map((f) => path.join(ctDir, f)));
      cacheDir = tempDir('pacs-cache');
      client = new DicomWebClient({ baseUrl: orthanc.dicomWebUrl, auth: ORTHANC_USER, cacheDir });
    }, 120_000);
    afterAll(async () => orthanc?.stop());

    it('lists the CT series, fetches it into the cache, and the cached copy reads back identically', async () => {
      const series = await client.searchSeries();
      expect(series).toHaveLength(1);
      const ct = defined(series[0], 'the CT series');
      expect(ct).toMatchObject({ modality: 'CT', numberOfInstances: 108, seriesDescription: 'cranium flipped-rows-columns', patientName: 'Cranium^Test' });
      const dir = await client.retrieveSeries(ct.studyInstanceUid, ct.seriesInstanceUid);
      expect(dir).toBe(path.join(cacheDir, ct.studyInstanceUid, ct.seriesInstanceUid));
      const [fetched, original] = [await readDicomSeries(dir), await readDicomSeries(ctDir)];
      expect(fetched.volume.affineRas).toEqual(original.volume.affineRas);
      expect(Buffer.from(fetched.volume.data.buffer).equals(Buffer.from(original.volume.data.buffer))).toBe(true);
      expect(fetched.series.slices.map((s) => s.sopInstanceUid)).toEqual(original.series.slices.map((s) => s.sopInstanceUid));
      // Cached: a client that cannot reach any server still returns the folder.
      const offline = new DicomWebClient({ baseUrl: 'http://127.0.0.1:9/dicom-web', cacheDir });
      await expect(offline.retrieveSeries(ct.studyInstanceUid, ct.seriesInstanceUid)).resolves.toBe(dir);
    });

    it('stores a DICOM SEG with STOW-RS; QIDO then finds it and WADO returns the same bytes', async () => {
      const { volume, series } = await readDicomSeries(ctDir);
      const seg = buildDicomSeg(thresholdLabels(volume), series, { labelNames: sharedLabelNames() });
      expect(await client.store([seg.bytes])).toEqual([seg.sopInstanceUid]);
      const segs = await client.searchSeries({ Modality: 'SEG' });
      expect(segs.map((s) => [s.studyInstanceUid, s.seriesInstanceUid])).toEqual([[series.studyInstanceUid, seg.seriesInstanceUid]]);
      const back = await client.retrieveInstance(series.studyInstanceUid, seg.seriesInstanceUid, seg.sopInstanceUid);
      expect(back.equals(seg.bytes)).toBe(true);
    });

    it('wrong credentials and unknown series fail with the URL and HTTP status', async () => {
      const intruder = new DicomWebClient({ baseUrl: orthanc.dicomWebUrl, auth: { username: 'wbct', password: 'wrong' }, cacheDir });
      await expect(intruder.searchSeries()).rejects.toThrow(/DICOMweb GET http:\/\/127\.0\.0\.1:\d+\/dicom-web\/series\?.*HTTP 401/);
      await expect(client.retrieveSeries('1.2.3', '4.5.6')).rejects.toThrow(/has no instances|HTTP 404/);
    });
  });
});

describe('DicomWebClient credentials and input checks (local stub server)', () => {
  it('sends a bearer token and reads an empty QIDO answer as no series', async () => {
    let seen = '';
    const server = http.createServer((req, res) => {
      seen = req.headers.authorization ?? '';
      res.writeHead(200, { 'Content-Type': 'application/dicom+json' }).end('[]');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as { port: number };
      const client = new DicomWebClient({ baseUrl: `http://127.0.0.1:${port}/dicom-web/`, auth: { bearerToken: 'tok123' }, cacheDir: tempDir('stub') });
      expect(await client.searchSeries()).toEqual([]);
      expect(seen).toBe('Bearer tok123');
    } finally {
      server.close();
    }
  });

  it('rejects a base URL without a scheme and UIDs that could escape the cache folder', () => {
    expect(() => new DicomWebClient({ baseUrl: 'pacs:8042', cacheDir: '/tmp' })).toThrow(/must start with http/);
    const client = new DicomWebClient({ baseUrl: 'http://x', cacheDir: '/tmp/c' });
    expect(() => client.seriesCacheDir('1.2', '../../etc')).toThrow(/not a DICOM UID/);
  });
});
