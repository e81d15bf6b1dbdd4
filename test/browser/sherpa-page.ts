import type { Browser, Page } from "playwright-core";
import type { SherpaPageApi } from "./page-script.js";

/**
 * Opens a new page of `browser` at `origin`, where `servePage` serves the
 * page script, and resolves once the script has set up `globalThis.sherpaPage`.
 * Rejects with the page's error when the script failed.
 */
export async function openSherpaPage(browser: Browser, origin: string): Promise<Page> {
  const page = await browser.newPage();
  const pageErrors: Error[] = [];
  page.on("pageerror", (error) => pageErrors.push(error));
  await page.goto(`${origin}/`);
  try {
    await page.waitForFunction(() => "sherpaPage" in globalThis, undefined, { timeout: 5000 });
  } catch (error) {
    throw pageErrors[0] ?? error;
  }
  return page;
}

/** Calls one function of the page script inside `page` and resolves with its result. */
export function callSherpaPage<Name extends keyof SherpaPageApi>(
  page: Page,
  name: Name,
  ...args: Parameters<SherpaPageApi[Name]>
): Promise<Awaited<ReturnType<SherpaPageApi[Name]>>> {
  // Runs in the page: it may use nothing from this module, only its arguments.
  return page.evaluate(
    ({ name, args }) => {
      const { sherpaPage } = globalThis as unknown as {
        sherpaPage: Record<string, (...args: unknown[]) => unknown>;
      };
      return sherpaPage[name]?.(...args);
    },
    { name, args: args as unknown[] },
  ) as Promise<Awaited<ReturnType<SherpaPageApi[Name]>>>;
}
