import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadSettings } from "./load-settings.js";
import type { SettingsTable } from "./setting.js";
import { settingsHelpText } from "./settings-help-text.js";

interface ExampleConfig {
  port: number;
  host: string;
  dir: string;
  cacheDir: string;
  token: string;
}

const port = (text: string) =>
  /^\d+$/.test(text) && Number(text) <= 65535 ? Number(text) : undefined;
const nonEmpty = (text: string) => (text === "" ? undefined : text);

const table: SettingsTable<ExampleConfig, { home: string; readSoFar: Partial<ExampleConfig> }> = {
  port: {
    env: "EX_PORT",
    flag: "port",
    defaultValue: "8080",
    description: "Port.",
    parse: port,
    allowed: "an integer from 0 to 65535",
  },
  host: {
    env: "EX_HOST",
    flag: "host",
    defaultValue: "127.0.0.1",
    description: "Host.",
    parse: nonEmpty,
    allowed: "a host name",
  },
  dir: {
    env: "EX_DIR",
    flag: "dir",
    defaultValue: ({ home }) => `${home}/data`,
    defaultText: "~/data",
    description: "Data directory.",
    parse: nonEmpty,
    allowed: "a path",
  },
  cacheDir: {
    env: "EX_CACHE_DIR",
    flag: "cache-dir",
    defaultValue: ({ readSoFar }) => `${readSoFar.dir}/cache`,
    defaultText: "<dir>/cache",
    description: "Cache directory.",
    parse: nonEmpty,
    allowed: "a path",
  },
  token: {
    env: "EX_TOKEN",
    flag: "token",
    defaultValue: "",
    description: "Token.",
    parse: (text) => (text === "" || text.startsWith("tok_") ? text : undefined),
    allowed: "empty or a token starting with tok_",
    secret: true,
  },
};

class ExampleError extends Error {}

function load(argv: string[], env: Record<string, string> = {}) {
  return loadSettings(table, {
    argv,
    env,
    defaultContext: (readSoFar) => ({ home: "/home/ada", readSoFar }),
    crossChecks: (values) =>
      values.host === "0.0.0.0" && values.token === "" ? ["EX_HOST 0.0.0.0 needs EX_TOKEN"] : [],
    createError: (message) => new ExampleError(message),
  });
}

function valuesOf(argv: string[], env: Record<string, string> = {}): ExampleConfig {
  const loaded = load(argv, env);
  assert.equal(loaded.kind, "settings");
  return loaded.values;
}

function errorOf(argv: string[], env: Record<string, string> = {}): string {
  try {
    load(argv, env);
  } catch (error) {
    assert.ok(error instanceof ExampleError, `expected the program's error, got ${String(error)}`);
    return error.message;
  }
  assert.fail("the settings were accepted");
}

describe("loadSettings", () => {
  it("uses the defaults, function defaults seeing the context and the settings before them", () => {
    assert.deepEqual(valuesOf([]), {
      port: 8080,
      host: "127.0.0.1",
      dir: "/home/ada/data",
      cacheDir: "/home/ada/data/cache",
      token: "",
    });
  });

  it("lets a flag win over its variable, and a variable over the default", () => {
    const values = valuesOf(["--port", "9000", "--dir=/srv"], {
      EX_PORT: "7000",
      EX_HOST: "::1",
    });
    assert.deepEqual(
      [values.port, values.host, values.dir, values.cacheDir],
      [9000, "::1", "/srv", "/srv/cache"],
    );
  });

  it("counts a variable set to the empty text as set", () => {
    assert.match(errorOf([], { EX_HOST: "" }), /EX_HOST \(--host\) is ""; allowed: a host name/);
  });

  it("reports every bad value at once, naming variable, flag and what is allowed", () => {
    const message = errorOf(["--port", "http"], { EX_DIR: "" });
    assert.equal(
      message,
      [
        "invalid configuration:",
        '  EX_PORT (--port) is "http"; allowed: an integer from 0 to 65535',
        '  EX_DIR (--dir) is ""; allowed: a path',
      ].join("\n"),
    );
  });

  it("does not repeat a secret's bad value", () => {
    const message = errorOf([], { EX_TOKEN: "shn_do-not-print" });
    assert.match(message, /EX_TOKEN \(--token\) is not valid; allowed: empty or a token/);
    assert.doesNotMatch(message, /do-not-print/);
  });

  it("adds the cross checks' problems", () => {
    assert.match(errorOf(["--host", "0.0.0.0"]), /EX_HOST 0\.0\.0\.0 needs EX_TOKEN/);
    assert.equal(valuesOf(["--host", "0.0.0.0", "--token", "tok_1"]).token, "tok_1");
  });

  for (const [name, argv, mention] of [
    ["an unknown flag", ["--prot", "80"], "--prot"],
    ["a flag without its value", ["--port"], "--port"],
    ["a positional argument", ["serve"], "serve"],
  ] as const) {
    it(`refuses ${name}, pointing to --help`, () => {
      const message = errorOf([...argv]);
      assert.ok(message.includes(mention), `"${message}" does not mention ${mention}`);
      assert.match(message, /; see --help$/);
    });
  }

  for (const flag of ["--help", "-h"]) {
    it(`answers ${flag} even with bad settings`, () => {
      assert.deepEqual(loadSettings(table, { ...options(), argv: [flag] }), { kind: "help" });
    });
  }

  it("needs a default context for a function default", () => {
    assert.throws(
      () => loadSettings(table, { argv: [], env: {}, createError: (m) => new Error(m) }),
      /needs options\.defaultContext/,
    );
  });
});

describe("settingsHelpText", () => {
  it("lists every flag in table order with its variable and default, then --help", () => {
    const text = settingsHelpText(table, {
      intro: "Usage: example [flags]",
      formatDefault: JSON.stringify,
    });
    assert.equal(
      text,
      [
        "Usage: example [flags]",
        "",
        "Flags:",
        "  --port <value>",
        "      Port.",
        '      env EX_PORT, default "8080"',
        "  --host <value>",
        "      Host.",
        '      env EX_HOST, default "127.0.0.1"',
        "  --dir <value>",
        "      Data directory.",
        "      env EX_DIR, default ~/data",
        "  --cache-dir <value>",
        "      Cache directory.",
        "      env EX_CACHE_DIR, default <dir>/cache",
        "  --token <value>",
        "      Token.",
        '      env EX_TOKEN, default ""',
        "  -h, --help",
        "      Show this help.",
        "",
      ].join("\n"),
    );
  });
});

// tsc checks these (the typecheck task): each @ts-expect-error becomes an error of its
// own the day SettingsTable lets the mistake below it through.
describe("SettingsTable", () => {
  it("fails the type check for a parser of the wrong type, a missing key, an unexplained default", () => {
    const wrongParser: SettingsTable<{ port: number }> = {
      port: {
        env: "EX_PORT",
        flag: "port",
        defaultValue: "8080",
        description: "Port.",
        // @ts-expect-error: a parser returning a string cannot read a number setting.
        parse: nonEmpty,
        allowed: "an integer",
      },
    };
    // @ts-expect-error: every key of the configuration needs a setting.
    const missingKey: SettingsTable<{ port: number; host: string }> = { port: wrongParser.port };
    const functionDefaultWithoutText: SettingsTable<{ dir: string }, string> = {
      // @ts-expect-error: a function default must say how --help shows it.
      dir: {
        env: "EX_DIR",
        flag: "dir",
        defaultValue: (home) => home,
        description: "Dir.",
        parse: nonEmpty,
        allowed: "a path",
      },
    };
    assert.ok(missingKey && functionDefaultWithoutText);
  });
});

function options() {
  return {
    argv: [] as string[],
    env: { EX_PORT: "nope" },
    defaultContext: (readSoFar: Partial<ExampleConfig>) => ({ home: "/home/ada", readSoFar }),
    createError: (message: string) => new ExampleError(message),
  };
}
