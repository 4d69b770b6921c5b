// The browser tests' harness works: Debian's Chromium starts headless and runs a page's script.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumMissing, launchChromium } from './chromium.js';

test('headless Chromium runs a page', { skip: chromiumMissing }, async () => {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.setContent('<body><script>document.body.dataset.state = String(6 * 7)</script></body>');
    assert.equal(await page.getAttribute('body', 'data-state'), '42');
  } finally {
    await browser.close();
  }
});
