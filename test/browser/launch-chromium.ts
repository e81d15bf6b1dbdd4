import { type Browser, chromium } from "playwright-core";

/**
 * Launches the headless Chromium at `executablePath` (the distribution's, not
 * one Playwright downloads). Close the browser when done.
 */
export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // Tests run as root in containers: no user namespaces for the sandbox, no GPU and a small /dev/shm.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--disable-background-networking",
    ],
  });
}
