/**
 * A full-page PNG of a rehearsal's HTML timeline, for the docs:
 *
 *   node bin/mgn-flow.js --json wave rehearse examples/wave.yaml > forecast.json
 *   node bin/run-ts.js scripts/rehearsal-screenshot.ts forecast.json docs/rehearsal.png [--width 1280]
 *
 * Reads the forecast as `JSON.stringify(forecast)` writes it, renders `forecastHtml` in headless Chromium
 * (Debian's /usr/bin/chromium, or CHROMIUM_PATH) with every network request refused, and saves the page.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Forecast } from '../src/local/rehearse.ts';
import { forecastHtml } from '../src/local/rehearse-html.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function usage(message?: string): never {
  if (message) console.error(message);
  console.error('usage: node bin/run-ts.js scripts/rehearsal-screenshot.ts <forecast.json> <out.png> [--width 1280]');
  process.exit(2);
}

const args = process.argv.slice(2);
let width = 1280;
const files: string[] = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i] as string;
  if (a === '--width') {
    width = Number(args[++i]);
    if (!Number.isInteger(width) || width < 320 || width > 4000) usage('--width: give a whole number of pixels from 320 to 4000');
  } else if (a === '-h' || a === '--help') usage();
  else files.push(a);
}
const [input, output] = files;
if (!input || !output || files.length !== 2) usage();
if (!existsSync(input)) usage(`${input}: no such file`);
if (!existsSync(CHROMIUM)) usage(`${CHROMIUM}: no Chromium there (apt-get install chromium, or set CHROMIUM_PATH)`);

let forecast: Forecast;
try {
  forecast = JSON.parse(readFileSync(input, 'utf8')) as Forecast;
} catch (err) {
  usage(`${input}: not JSON: ${(err as Error).message}`);
}
if (!forecast || !Array.isArray(forecast.applications) || typeof forecast.startedAt !== 'number') usage(`${input}: not a forecast (as mgn-flow --json wave rehearse writes it)`);

const html = forecastHtml(forecast);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  const page = await browser.newPage({ viewport: { width, height: 900 }, deviceScaleFactor: 1 });
  // the page is self-contained: anything it asks for from elsewhere is refused (and reported)
  await page.route('**/*', (route) => {
    console.error(`refused: ${route.request().url()}`);
    return route.abort();
  });
  await page.setContent(html, { waitUntil: 'load' });
  const out = resolve(output);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  console.log(out);
} finally {
  await browser.close();
}
