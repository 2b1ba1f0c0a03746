// Loads report pages in headless Chromium (the system's, through playwright-core) and prints, as JSON,
// what the report test asserts on: console errors, the figures each page declared, the plotly charts
// that drew (their traces, markers, title and x axis type), and links that do not resolve. Optionally
// keeps screenshots.
//
//   node browser_check.cjs --playwright DIR --chromium PATH [--screenshot PAGE=OUT.png[@WxH]] PAGE.html...
'use strict';
const fs = require('fs');
const path = require('path');
const url = require('url');

function parseArgs(argv) {
  const a = { pages: [], screenshots: [] };
  for (let i = 0; i < argv.length; ++i) {
    if (argv[i] === '--playwright') a.playwright = argv[++i];
    else if (argv[i] === '--chromium') a.chromium = argv[++i];
    else if (argv[i] === '--screenshot') a.screenshots.push(argv[++i]);
    else a.pages.push(argv[i]);
  }
  return a;
}

async function checkPage(browser, file, screenshot) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const consoleErrors = [];
  page.on('console', m => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', e => consoleErrors.push('uncaught: ' + e.message));
  page.on('requestfailed', r => consoleErrors.push('request failed: ' + r.url()));
  await page.goto(url.pathToFileURL(file).href, { waitUntil: 'load' });
  // The page script sets data-figures-drawn once every Plotly.newPlot promise resolved.
  let drawn = true;
  try {
    await page.waitForFunction(() => document.body.dataset.figuresDrawn !== undefined, null, { timeout: 60000 });
  } catch (e) {
    drawn = false;
  }
  const info = await page.evaluate(() => {
    const declared = JSON.parse(document.getElementById('mtb-figures').textContent);
    const plots = Array.from(document.querySelectorAll('.js-plotly-plot')).map(el => ({
      id: el.id,
      traces: (el.data || []).length,
      drawnTraces: el.querySelectorAll('.scatterlayer .trace').length,
      title: el.layout && el.layout.title ? el.layout.title.text : '',
      xType: el._fullLayout && el._fullLayout.xaxis ? el._fullLayout.xaxis.type : '',
      markers: el.querySelectorAll('.scatterlayer .point').length,  // marker symbols drawn, all traces
    }));
    const links = Array.from(document.querySelectorAll('a[href]')).map(a => ({
      href: a.getAttribute('href'), resolved: a.href,
      anchorFound: a.getAttribute('href').startsWith('#') ? !!document.getElementById(a.getAttribute('href').slice(1)) : null,
    }));
    return { declared: declared.map(f => ({ div: f.div, traces: f.data.length })), plots, links };
  });
  const brokenLinks = info.links.filter(l => {
    if (l.anchorFound !== null) return !l.anchorFound;
    if (!l.resolved.startsWith('file:')) return true;  // the report must not link off the disk
    return !fs.existsSync(url.fileURLToPath(l.resolved.split('#')[0]));
  }).map(l => l.href);
  if (screenshot) {
    await page.screenshot({ path: screenshot.out, fullPage: !screenshot.clip,
                            clip: screenshot.clip ? { x: 0, y: 0, width: screenshot.clip[0], height: screenshot.clip[1] } : undefined });
  }
  await page.close();
  return { file, drawn, consoleErrors, declared: info.declared, plots: info.plots, links: info.links.length, brokenLinks };
}

(async () => {
  const a = parseArgs(process.argv.slice(2));
  const { chromium } = require(path.join(a.playwright, 'playwright-core'));
  const browser = await chromium.launch({
    executablePath: a.chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  const shots = {};
  for (const s of a.screenshots) {
    const [pageName, rest] = s.split('=');
    const [out, size] = rest.split('@');
    shots[pageName] = { out, clip: size ? size.split('x').map(Number) : null };
  }
  const results = [];
  try {
    for (const p of a.pages) results.push(await checkPage(browser, p, shots[path.basename(p)]));
  } finally {
    await browser.close();
  }
  process.stdout.write(JSON.stringify({ pages: results }, null, 1) + '\n');
})().catch(e => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(2); });
