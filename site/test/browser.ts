import { chromium, type Browser } from 'playwright-core';

// Debian's chromium, headless, with every feature that would reach the network turned off.
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.BPFCOMPAT_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
