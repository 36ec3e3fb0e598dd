// Opens report pages in headless Chromium (Debian's package) through playwright-core and
// prints, per page, the JavaScript dialogs that fired, every request other than the page
// itself, script errors, the visible text length, the rendered charts and a screenshot.
// CSP is bypassed on purpose: the pages must be inert by escaping alone, not only because
// the policy blocks scripts.
// Usage: node check.cjs OUT_DIR PAGE.html...   (env PLAYWRIGHT_CORE, CHROMIUM)
const path = require('path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE);

(async () => {
  const [out, ...pages] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1200, height: 900 } });
  const results = [];
  for (const [i, file] of pages.entries()) {
    const page = await context.newPage();
    const url = 'file://' + path.resolve(file);
    const r = { page: file, dialogs: [], requests: [], errors: [] };
    page.on('dialog', async (d) => { r.dialogs.push(d.message()); await d.dismiss(); });
    page.on('request', (q) => { if (q.url() !== url) r.requests.push(q.url()); });
    page.on('pageerror', (e) => r.errors.push(String(e)));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(500);
    r.text = await page.evaluate(() => document.body.innerText.length);
    r.charts = await page.evaluate(() => [...document.querySelectorAll('svg')]
      .filter((s) => s.getBoundingClientRect().width > 50).length);
    r.scripts = await page.evaluate(() => document.scripts.length);
    r.screenshot = path.join(out, `page-${i}.png`);
    await page.screenshot({ path: r.screenshot, fullPage: true });
    results.push(r);
    await page.close();
  }
  await browser.close();
  console.log(JSON.stringify(results));
})().catch((e) => { console.error(e); process.exit(2); });
