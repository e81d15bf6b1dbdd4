import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { resolveClientOptions, type SherpaClientBaseOptions } from "./client-options.js";

const baseUrl = "http://localhost:8080";

describe("resolveClientOptions", () => {
  const defaults: {
    options: SherpaClientBaseOptions;
    httpVersion: "1.1" | "2";
    useBinaryFormat: boolean;
    defaultTimeoutMs: number | undefined;
  }[] = [
    {
      options: { baseUrl },
      httpVersion: "1.1",
      useBinaryFormat: false,
      defaultTimeoutMs: 30_000,
    },
    {
      options: { baseUrl, protocol: "grpc" },
      httpVersion: "2",
      useBinaryFormat: true,
      defaultTimeoutMs: 30_000,
    },
    {
      options: { baseUrl, protocol: "grpc-web" },
      httpVersion: "1.1",
      useBinaryFormat: true,
      defaultTimeoutMs: 30_000,
    },
    {
      options: { baseUrl, protocol: "connect", httpVersion: "2", useBinaryFormat: true },
      httpVersion: "2",
      useBinaryFormat: true,
      defaultTimeoutMs: 30_000,
    },
    {
      options: { baseUrl, protocol: "grpc", httpVersion: "2", useBinaryFormat: false },
      httpVersion: "2",
      useBinaryFormat: false,
      defaultTimeoutMs: 30_000,
    },
    {
      options: { baseUrl: "https://sherpa.example.com/api", timeoutMs: 500 },
      httpVersion: "1.1",
      useBinaryFormat: false,
      defaultTimeoutMs: 500,
    },
    {
      options: { baseUrl, timeoutMs: 0 },
      httpVersion: "1.1",
      useBinaryFormat: false,
      defaultTimeoutMs: undefined,
    },
  ];
  for (const { options, ...expected } of defaults) {
    it(`fills in the defaults of ${JSON.stringify(options)}`, () => {
      const resolved = resolveClientOptions(options);
      assert.deepEqual(
        {
          httpVersion: resolved.httpVersion,
          useBinaryFormat: resolved.useBinaryFormat,
          defaultTimeoutMs: resolved.defaultTimeoutMs,
        },
        expected,
      );
      assert.equal(resolved.protocol, options.protocol ?? "connect");
      assert.equal(resolved.baseUrl, options.baseUrl);
    });
  }

  // Cast because JavaScript callers and config files are not held to the types.
  const invalid: { options: Record<string, unknown>; message: RegExp }[] = [
    { options: {}, message: /option "baseUrl" must be an http:\/\/ or https:\/\/ URL/ },
    { options: { baseUrl: "" }, message: /option "baseUrl"/ },
    { options: { baseUrl: "localhost:8080" }, message: /option "baseUrl"/ },
    { options: { baseUrl: "/api" }, message: /option "baseUrl"/ },
    { options: { baseUrl: "ftp://sherpa.example.com" }, message: /option "baseUrl"/ },
    { options: { baseUrl, protocol: "http" }, message: /option "protocol" must be one of/ },
    {
      options: { baseUrl, httpVersion: "3" },
      message: /option "httpVersion" must be "1.1" or "2"/,
    },
    {
      options: { baseUrl, protocol: "grpc", httpVersion: "1.1" },
      message: /option "httpVersion" cannot be "1.1" with protocol "grpc"/,
    },
    { options: { baseUrl, timeoutMs: -1 }, message: /option "timeoutMs"/ },
    { options: { baseUrl, timeoutMs: Number.NaN }, message: /option "timeoutMs"/ },
    { options: { baseUrl, timeoutMs: Number.POSITIVE_INFINITY }, message: /option "timeoutMs"/ },
    { options: { baseUrl, token: "" }, message: /option "token" must be a non-empty string/ },
    { options: { baseUrl, token: 42 }, message: /option "token" must be a non-empty string/ },
    {
      options: { baseUrl, token: "t", headers: { Authorization: "Bearer x" } },
      message: /options "token" and "headers" both set the authorization header/,
    },
  ];
  for (const { options, message } of invalid) {
    it(`rejects ${JSON.stringify(options)}`, () => {
      assert.throws(() => resolveClientOptions(options as unknown as SherpaClientBaseOptions), {
        message,
      });
    });
  }
});
