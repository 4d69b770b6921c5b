// Headless Chromium for the browser tests: Debian's build (apt-get install chromium), driven by
// playwright-core. Where it is not installed, the tests skip and say so; .ci/run installs it.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export const chromiumPath: string | undefined = CANDIDATES.find((p) => existsSync(p));

/** Why browser tests cannot run here, or undefined when they can (for test's `skip` option). */
export const chromiumMissing: string | undefined = chromiumPath
  ? undefined
  : `no Chromium at ${CANDIDATES.join(' or ')}: install it with apt-get install chromium`;

export async function launchChromium(): Promise<Browser> {
  if (!chromiumPath) throw new Error(chromiumMissing);
  return chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
}
