import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const pageScriptEntry = fileURLToPath(new URL("./page-script.ts", import.meta.url));

/**
 * Bundles `page-script.ts` for browsers, as an app's bundler would: the
 * "browser" export condition picks the SDK's browser build, and a Node.js
 * import anywhere in it fails the bundle. Resolves with the JavaScript.
 */
export async function bundlePageScript(): Promise<string> {
  const result = await build({
    entryPoints: [pageScriptEntry],
    bundle: true,
    write: false,
    platform: "browser",
    format: "esm",
    conditions: ["browser"],
    logLevel: "silent",
  });
  const [output] = result.outputFiles;
  if (output === undefined) {
    throw new Error("esbuild wrote no bundle of the page script");
  }
  return output.text;
}
