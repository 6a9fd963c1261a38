import { existsSync } from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The system Chromium (CHROMIUM_PATH, or the Debian package's binary); puppeteer-core never downloads one. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? CANDIDATES.find((p) => existsSync(p));
  if (!path || !existsSync(path)) throw new Error('no Chromium found: install it with `apt-get install -y chromium` (deploy/local/setup.sh does) or set CHROMIUM_PATH');
  return path;
}

/** Headless Chromium with no sandbox, GPU or background network traffic. */
export function launchChromium(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}
