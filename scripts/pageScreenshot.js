#!/usr/bin/env node
// Screenshot of the web page for the README: `node scripts/pageScreenshot.js <server URL> <image id> <out.png>`.
// Opens the image, runs the lowres model from the page and captures the page with the result and its statistics.
const { chromium } = require('playwright-core');

async function main() {
  const [url, image, out] = process.argv.slice(2);
  if (!url || !image || !out) throw new Error('usage: node scripts/pageScreenshot.js <server URL> <image id> <out.png>');
  const browser = await chromium.launch({
    executablePath: process.env.WBCT_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    await page.goto(url);
    await page.click(`#image-list li[data-image="${image}"]`);
    await page.waitForFunction((id) => document.getElementById('status').textContent.includes(`${id} open`), image, { timeout: 60000 });
    await page.uncheck('#option-highres');
    await page.click('#run');
    await page.waitForFunction(() => /^done/.test(document.getElementById('job-status').textContent), null, { timeout: 600000 });
    await page.click('#structure-table th[data-sort="volume"]');
    await page.waitForTimeout(500);
    await page.screenshot({ path: out });
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
