import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { writeImage } from '../../src/io';
import { hashPassword } from '../../src/server/auth/passwords';
import { startServerProcess, tempRoot, type ServerProcess } from '../reliability/harness/serverProcess';
import { testImage } from '../server/harness/imageFiles';
import { collectPageErrors, describeWithBrowser, launchBrowser } from './browser';

/** The page with auth on: a login form, the API's tokens and roles; a `user` may look but not submit. */
describeWithBrowser('web page with auth on', () => {
  let root: string;
  let server: ServerProcess;
  let browser: Browser;

  beforeAll(async () => {
    root = tempRoot('wbct-web-auth-');
    const studies = path.join(root, 'studies');
    fs.mkdirSync(studies);
    await writeImage(path.join(studies, 'case001.nii.gz'), testImage([24, 20, 16]));
    const users = [
      { username: 'ann', password: await hashPassword('ann-password-1'), roles: ['user', 'annotator'] },
      { username: 'bob', password: await hashPassword('bob-password-1'), roles: ['user'] },
    ];
    fs.writeFileSync(path.join(root, 'users.json'), JSON.stringify({ secret: 'a test secret of at least thirty-two characters', users }));
    server = await startServerProcess({ studiesDir: studies, modelsDir: path.join(root, 'models'), args: ['--auth', path.join(root, 'users.json')] });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function logIn(page: Page, username: string, password: string): Promise<void> {
    await page.goto(`${server.url}/`);
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.isHidden('#app')).toBe(true);
    await page.fill('#login-user', username);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
  }

  test('the page asks for a login; a wrong password is refused with the server\'s message', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await logIn(page, 'ann', 'wrong password');
    await page.waitForFunction(() => (document.getElementById('login-error')?.textContent ?? '') !== '');
    expect(await page.textContent('#login-error')).toMatch(/password/i);
    expect(await page.isHidden('#app')).toBe(true);
    // The refused login itself is the only failed request.
    expect(errors.every((e) => /401/.test(e))).toBe(true);
    await page.close();
  });

  test('a user sees the images but cannot submit; the server refuses a forced submit with 403', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await logIn(page, 'bob', 'bob-password-1');
    await page.waitForSelector('#image-list li[data-image="case001"]');
    expect(await page.textContent('#user')).toBe('bob (user)');
    await page.click('#image-list li[data-image="case001"]');
    await page.waitForFunction(() => (document.getElementById('status')?.textContent ?? '').includes('case001 open'));
    expect(await page.isDisabled('#submit')).toBe(true);
    expect(await page.getAttribute('#submit', 'title')).toMatch(/may not submit/);
    // Past the disabled button, the API itself says no.
    await page.evaluate(() => {
      const button = document.getElementById('submit') as unknown as { disabled: boolean; click(): void };
      button.disabled = false;
      button.click();
    });
    await page.waitForFunction(() => (document.getElementById('submit-status')?.textContent ?? '').startsWith('not stored'));
    expect(await page.textContent('#submit-status')).toMatch(/Role "annotator" is required|annotator/);
    expect(fs.existsSync(path.join(root, 'studies', 'labels', 'final'))).toBe(false);
    expect(errors.filter((e) => !/403/.test(e))).toEqual([]);
    await page.close();
  });

  test('an annotator may submit; logging out brings the form back', async () => {
    const page = await browser.newPage();
    const errors = collectPageErrors(page);
    await logIn(page, 'ann', 'ann-password-1');
    await page.waitForSelector('#image-list li[data-image="case001"]');
    await page.click('#image-list li[data-image="case001"]');
    await page.waitForFunction(() => (document.getElementById('status')?.textContent ?? '').includes('case001 open'));
    expect(await page.isDisabled('#submit')).toBe(false);
    await page.click('#submit');
    await page.waitForFunction(() => (document.getElementById('submit-status')?.textContent ?? '').startsWith('stored'));
    expect(fs.readdirSync(path.join(root, 'studies', 'labels', 'final'))).toHaveLength(1);
    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    expect(errors).toEqual([]);
    await page.close();
  });
});

declare const document: { getElementById(id: string): { textContent: string | null } | null };
