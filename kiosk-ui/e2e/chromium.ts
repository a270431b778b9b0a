// Debian's Chromium as both Playwright configs launch it: never a downloaded browser; the flags keep it
// off the closed network (without them it retries Google's hosts at every start).
export const DEBIAN_CHROMIUM = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};
