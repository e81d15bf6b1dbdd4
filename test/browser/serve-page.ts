import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A page served on its own port of 127.0.0.1, that is, from its own origin. */
export interface ServedPage {
  /** The page's origin, for example `http://127.0.0.1:40123`; the page is at `/`. */
  origin: string;
  /** Stops listening and ends open connections. */
  close(): Promise<void>;
}

/**
 * Serves an empty HTML page at `/` that loads `script` as an ES module from
 * `/page-script.js`; any other path is a 404.
 */
export async function servePage(script: string): Promise<ServedPage> {
  const html =
    '<!doctype html><title>sherpa</title><script type="module" src="/page-script.js"></script>';
  const server = createServer((request, response) => {
    if (request.url === "/") {
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
    } else if (request.url === "/page-script.js") {
      response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(script);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
