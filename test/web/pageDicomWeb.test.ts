import * as dcmjs from 'dcmjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServerProcess, type ServerProcess } from '../reliability/harness/serverProcess';
import { describeWithOracle } from '../helpers/oracle';
import { describeWithTools } from '../dicom/helpers/externalTools';
import { ORTHANC_USER, startOrthanc, type RunningOrthanc } from '../dicom/helpers/orthanc';
import { uploadCroppedCranium } from '../dicom/helpers/craniumSeries';
import { removeTempDirs, tempDir } from '../dicom/helpers/syntheticSeries';
import { collectPageErrors, describeWithBrowser, launchBrowser } from './browser';

/** The page on a DICOMweb datastore (a real Orthanc): DICOM SEG and RTSTRUCT downloads, and a submit stored in the PACS. */
const SEG_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';
const RTSTRUCT_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.481.3';

afterAll(removeTempDirs);

describeWithOracle('web page on a DICOMweb datastore', () => {
  describeWithTools(['Orthanc'], 'real Orthanc', () => {
    describeWithBrowser('headless Chromium', () => {
      let orthanc: RunningOrthanc;
      let server: ServerProcess;
      let browser: Browser;
      let page: Page;
      let errors: string[];
      let seriesUid: string;
      const scratch = () => tempDir('web-dicomweb');

      beforeAll(async () => {
        orthanc = await startOrthanc();
        await uploadCroppedCranium(orthanc, 'axial');
        server = await startServerProcess({
          studiesDir: orthanc.dicomWebUrl,
          modelsDir: path.join(scratch(), 'models'),
          args: ['--dicomweb-user', ORTHANC_USER.username, '--cache', path.join(scratch(), 'cache')],
          env: { WBCT_DICOMWEB_PASSWORD: ORTHANC_USER.password },
        });
        browser = await launchBrowser();
        page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        errors = collectPageErrors(page);
        await page.goto(`${server.url}/`);
        await page.waitForSelector('#image-list li');
        seriesUid = (await page.getAttribute('#image-list li', 'data-image')) ?? '';
        await page.click('#image-list li');
        await page.waitForFunction((id) => (document.getElementById('status')?.textContent ?? '').includes(`${id} open`), seriesUid, { timeout: 60_000 });
      }, 180_000);
      afterAll(async () => {
        await browser?.close();
        await server?.stop();
        await orthanc?.stop();
      });

      async function downloaded(button: string): Promise<Record<string, unknown>> {
        await page.uncheck('#option-highres');
        const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click(button)]);
        const file = path.join(scratch(), download.suggestedFilename());
        await download.saveAs(file);
        const bytes = fs.readFileSync(file);
        return dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)).dict;
      }

      const tag = (dict: Record<string, unknown>, key: string) => (dict[key] as { Value?: unknown[] } | undefined)?.Value?.[0];

      test('the series is listed by its SeriesInstanceUID and the DICOM downloads are offered', async () => {
        expect(seriesUid).toMatch(/^[0-9.]+$/);
        expect(await page.isVisible('#download-seg')).toBe(true);
        expect(await page.isEnabled('#download-rtstruct')).toBe(true);
      });

      test('DICOM SEG and RTSTRUCT download, each referencing the series', async () => {
        const seg = await downloaded('#download-seg');
        expect(tag(seg, '00080016')).toBe(SEG_SOP_CLASS);
        const segRef = tag(seg, '00081115') as Record<string, { Value?: unknown[] }>;
        expect(segRef['0020000E']?.Value?.[0]).toBe(seriesUid);
        const rt = await downloaded('#download-rtstruct');
        expect(tag(rt, '00080016')).toBe(RTSTRUCT_SOP_CLASS);
      });

      test('run, then submit as final: a SEG is stored in the PACS; the list shows final', async () => {
        await page.uncheck('#option-highres');
        await page.click('#run');
        await page.waitForFunction(() => /^done/.test(document.getElementById('job-status')?.textContent ?? ''), null, { timeout: 120_000 });
        await page.click('#submit');
        await page.waitForFunction(() => (document.getElementById('submit-status')?.textContent ?? '') !== '', null, { timeout: 60_000 });
        expect(await page.textContent('#submit-status')).toMatch(/^stored/);
        await page.waitForSelector(`#image-list li[data-image="${seriesUid}"] .badge.final`);
        const auth = { Authorization: orthanc.authHeader, Accept: 'application/dicom+json' };
        const segs = (await (await fetch(`${orthanc.dicomWebUrl}/series?Modality=SEG`, { headers: auth })).json()) as unknown[];
        expect(segs).toHaveLength(1);
      });

      test('no errors in the console', () => {
        expect(errors).toEqual([]);
      });
    });
  });
});

declare const document: { getElementById(id: string): { textContent: string | null } | null };
