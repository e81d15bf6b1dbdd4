import * as assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseCommandArgs } from "./command-args.js";
import { defaultServer, globalOptions, resolveGlobalSettings } from "./global-options.js";

describe("resolveGlobalSettings", () => {
  // Made at once, not in a hook: the case tables below name files in it.
  const dir = mkdtempSync(join(tmpdir(), "sherpa-settings-"));
  const profilePath = join(dir, "profile.json");
  const tokenFile = join(dir, "admin-token");
  before(() => writeFile(tokenFile, "shp_file\n"));
  after(() => rm(dir, { recursive: true, force: true }));

  const settle = async (
    argv: string[],
    env: Record<string, string>,
    profile?: object,
    savedCredentials = true,
  ) => {
    await rm(profilePath, { force: true });
    if (profile !== undefined) await writeFile(profilePath, JSON.stringify(profile));
    const args = parseCommandArgs(argv, globalOptions);
    const none = parseCommandArgs([], globalOptions);
    return resolveGlobalSettings(
      none,
      args,
      { SHERPA_PROFILE: profilePath, ...env },
      {
        savedCredentials,
      },
    );
  };
  const full = () => ({ server: "http://profile:1", token: "shp_profile", tokenFile });

  // [label, argv, env, profile, token, its source]
  const tokenCases: [
    string,
    string[],
    Record<string, string>,
    object | undefined,
    string | undefined,
    string,
  ][] = [
    [
      "--token over everything",
      ["--token", "shp_flag"],
      { SHERPA_TOKEN: "shp_env" },
      full(),
      "shp_flag",
      "--token",
    ],
    [
      "SHERPA_TOKEN over the profile",
      [],
      { SHERPA_TOKEN: "shp_env" },
      full(),
      "shp_env",
      "SHERPA_TOKEN",
    ],
    [
      "an empty SHERPA_TOKEN as unset",
      [],
      { SHERPA_TOKEN: "" },
      full(),
      "shp_profile",
      "the profile",
    ],
    ["the profile's token over its tokenFile", [], {}, full(), "shp_profile", "the profile"],
    [
      "the tokenFile, trimmed, when the profile has no token",
      [],
      {},
      { tokenFile },
      "shp_file",
      "the token file",
    ],
    [
      "a relative tokenFile from the profile's folder",
      [],
      {},
      { tokenFile: "admin-token" },
      "shp_file",
      "the token file",
    ],
    ["no token when none is given", [], {}, { server: "http://profile:1" }, undefined, ""],
    ["no token without a profile", [], {}, undefined, undefined, ""],
  ];
  for (const [label, argv, env, profile, token, source] of tokenCases) {
    it(`takes ${label}`, async () => {
      const { credential } = await settle(argv, env, profile);
      assert.equal(credential?.token, token);
      assert.ok((credential?.source ?? "").startsWith(source), credential?.source);
    });
  }

  // [label, argv, env, profile, server, its source]
  const serverCases: [
    string,
    string[],
    Record<string, string>,
    object | undefined,
    string,
    string,
  ][] = [
    [
      "--server over everything",
      ["--server", "http://flag:1"],
      { SHERPA_SERVER: "http://env:1" },
      full(),
      "http://flag:1",
      "--server",
    ],
    [
      "SHERPA_SERVER over the profile",
      [],
      { SHERPA_SERVER: "http://env:1" },
      full(),
      "http://env:1",
      "SHERPA_SERVER",
    ],
    ["the profile's server", [], {}, full(), "http://profile:1", "the profile"],
    ["the default without any", [], {}, { token: "shp_profile" }, defaultServer, "the default"],
  ];
  for (const [label, argv, env, profile, server, source] of serverCases) {
    it(`takes ${label}`, async () => {
      const settings = await settle(argv, env, profile);
      assert.equal(settings.server, server);
      assert.ok(settings.serverSource.startsWith(source), settings.serverSource);
    });
  }

  it("lets trailing --token win over leading --token", async () => {
    const leading = parseCommandArgs(["--token", "shp_leading"], globalOptions);
    const trailing = parseCommandArgs(["--token", "shp_trailing"], globalOptions);
    const { credential } = await resolveGlobalSettings(leading, trailing, {});
    assert.equal(credential?.token, "shp_trailing");
  });

  it("for login, takes --token only and passes over a broken profile", async () => {
    await writeFile(profilePath, "{not json");
    const none = parseCommandArgs([], globalOptions);
    const env = { SHERPA_PROFILE: profilePath, SHERPA_TOKEN: "shp_env" };
    const settings = await resolveGlobalSettings(none, none, env, { savedCredentials: false });
    assert.equal(settings.credential, undefined);
    assert.equal(settings.server, defaultServer);
  });

  it("does not read the profile when flags give the server and the token", async () => {
    await writeFile(profilePath, "{not json");
    const args = parseCommandArgs(["--server", "http://flag:1", "--token", "t"], globalOptions);
    const settings = await resolveGlobalSettings(args, args, { SHERPA_PROFILE: profilePath });
    assert.equal(settings.server, "http://flag:1");
  });

  const profileErrors: [string, string | object, RegExp][] = [
    ["not JSON", "{not json", /the profile \S+profile\.json is not valid JSON/],
    ["not an object", "[]", /must hold a JSON object/],
    ["a token that is not a string", { token: 42 }, /"token" in the profile \S+ must be a string/],
    [
      "a server that is not a URL",
      { server: "localhost:8080" },
      /"server" in the profile \S+ must be an http:\/\/ or https:\/\/ URL, got "localhost:8080"/,
    ],
    [
      "a missing tokenFile",
      { tokenFile: "/nonexistent/admin-token" },
      /cannot read the token file \/nonexistent\/admin-token named by the profile \S+: ENOENT/,
    ],
  ];
  for (const [label, content, message] of profileErrors) {
    it(`fails on a profile with ${label}, naming the file`, async () => {
      await writeFile(profilePath, typeof content === "string" ? content : JSON.stringify(content));
      const none = parseCommandArgs([], globalOptions);
      await assert.rejects(
        resolveGlobalSettings(none, none, { SHERPA_PROFILE: profilePath }),
        message,
      );
    });
  }

  it("refuses a token with spaces without showing it", async () => {
    await assert.rejects(settle(["--token", "shp_a b"], {}), (error: Error) => {
      assert.match(error.message, /^the token from --token has spaces or control characters/);
      assert.doesNotMatch(error.message, /shp_a b/);
      return true;
    });
  });

  describe("finding the profile", () => {
    // [label, env relative to dir, profile path relative to dir]
    const locations: [string, (dir: string) => Record<string, string>, string][] = [
      [
        "$SHERPA_PROFILE",
        (d) => ({
          SHERPA_PROFILE: join(d, "custom.json"),
          XDG_CONFIG_HOME: join(d, "xdg"),
          HOME: join(d, "home"),
        }),
        "custom.json",
      ],
      [
        "$XDG_CONFIG_HOME/sherpa/profile.json",
        (d) => ({ XDG_CONFIG_HOME: join(d, "xdg"), HOME: join(d, "home") }),
        "xdg/sherpa/profile.json",
      ],
      [
        "~/.config/sherpa/profile.json",
        (d) => ({ HOME: join(d, "home") }),
        "home/.config/sherpa/profile.json",
      ],
      [
        "~/.config/... when XDG_CONFIG_HOME is relative",
        (d) => ({ XDG_CONFIG_HOME: "xdg", HOME: join(d, "home") }),
        "home/.config/sherpa/profile.json",
      ],
    ];
    for (const [label, env, relativePath] of locations) {
      it(`reads ${label}`, async () => {
        const path = join(dir, relativePath);
        await mkdir(join(path, ".."), { recursive: true });
        await writeFile(path, JSON.stringify({ token: `shp_${relativePath.length}` }));
        const none = parseCommandArgs([], globalOptions);
        const settings = await resolveGlobalSettings(none, none, env(dir));
        assert.equal(settings.profilePath, path);
        assert.equal(settings.credential?.token, `shp_${relativePath.length}`);
        await rm(path);
      });
    }

    it("has no profile without SHERPA_PROFILE, XDG_CONFIG_HOME or HOME", async () => {
      const none = parseCommandArgs([], globalOptions);
      const settings = await resolveGlobalSettings(none, none, {});
      assert.equal(settings.profilePath, undefined);
      assert.equal(settings.credential, undefined);
    });
  });
});
