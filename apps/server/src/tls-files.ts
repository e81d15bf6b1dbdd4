import { readFileSync } from "node:fs";
import type { ListenerTlsOptions } from "@sherpa/server-kit";
import { ConfigError, type ServerConfig } from "./config.js";

/** Reads the TLS files named by the configuration; undefined when TLS is off. */
export function readTlsFiles(config: ServerConfig): ListenerTlsOptions | undefined {
  if (config.tlsCertFile === "") {
    return undefined;
  }
  return {
    cert: readSettingFile("SHERPA_TLS_CERT", config.tlsCertFile),
    key: readSettingFile("SHERPA_TLS_KEY", config.tlsKeyFile),
    clientCa:
      config.tlsClientCaFile === ""
        ? undefined
        : readSettingFile("SHERPA_TLS_CLIENT_CA", config.tlsClientCaFile),
  };
}

function readSettingFile(setting: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(
      `${setting} is "${path}", which cannot be read: ${(error as Error).message}`,
    );
  }
}
