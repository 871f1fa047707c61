// Reads credentials files with the AWS SDK for JavaScript v3's own loader and checks edits.
//
// The loader is `@smithy/core/config` (what `@smithy/shared-ini-file-loader` re-exports),
// required through @aws-sdk/credential-provider-ini so that it is the very copy `fromIni`
// uses: `loadSharedConfigFiles` for the credentials file's map (keyed by the raw section
// name: `[profile dev]` is `profile.dev`), `parseKnownFiles` + `getProfileName` for the
// profile that `fromIni` would read. The config file is an empty file, so only the
// credentials file speaks. `ignoreCache` is passed: the loader caches file contents per path.
//
// Usage: node credentials-reads.mjs            (check mode)
//   stdin: a JSON list of {"path", "profile", "expected": {key: value}, "before": path|null}.
//   For each: the profile must hold exactly the expected values and no aws_security_token;
//   when `before` is given, every other section reads back unchanged, no section appears
//   besides the profile, and the profile's other keys (any key but the five rolecreds
//   writes or removes, in any case) read back unchanged, spelled exactly (JS keeps key case).
//   Prints one line `PATH: problem` per failure (key names only, never values); exit 1 if any.
// Usage: node credentials-reads.mjs --read     (read mode)
//   stdin: a JSON list of paths; prints a JSON list of the credentials-file maps.
import { createRequire } from "node:module";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const providerIni = require.resolve("@aws-sdk/credential-provider-ini");
const { loadSharedConfigFiles, parseKnownFiles, getProfileName } =
  createRequire(providerIni)("@smithy/core/config");

const REWRITTEN = new Set([
  "aws_access_key_id",
  "aws_secret_access_key",
  "aws_session_token",
  "x_security_token_expires",
  "aws_security_token",
]);

const emptyDir = mkdtempSync(join(tmpdir(), "rolecreds-js-reads-"));
const configFilepath = join(emptyDir, "config");
writeFileSync(configFilepath, "");

const own = (object, key) => (Object.hasOwn(object, key) ? object[key] : undefined);
const same = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
const sorted = (o) =>
  o === undefined ? o : Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));

// The credentials file's map, as every credential provider gets it from the loader.
async function credentialsMap(filepath) {
  const { credentialsFile } = await loadSharedConfigFiles({
    filepath,
    configFilepath,
    ignoreCache: true,
  });
  return credentialsFile;
}

async function check(c, fail) {
  // What fromIni does: parseKnownFiles (config merged with credentials), then the profile.
  const profiles = await parseKnownFiles({ filepath: c.path, configFilepath, ignoreCache: true });
  const name = getProfileName({ profile: c.profile });
  // hasOwn, not profiles[name]: a profile called `constructor` must not read Object's.
  const got = own(profiles, name);
  if (got === undefined) {
    fail(`no profile [${name}] (the loader has ${Object.keys(profiles).length} sections)`);
    return;
  }
  for (const [key, value] of Object.entries(c.expected)) {
    if (own(got, key) !== value) fail(`${key} ${own(got, key) === undefined ? "is missing" : "differs"}`);
  }
  if (own(got, "aws_security_token") !== undefined) fail("aws_security_token is still there");
  if (!c.before) return;
  const before = await credentialsMap(c.before);
  const after = await credentialsMap(c.path);
  for (const [section, values] of Object.entries(before)) {
    if (section !== name && !same(values, own(after, section))) fail(`section [${section}] changed`);
  }
  for (const section of Object.keys(after)) {
    if (section !== name && own(before, section) === undefined) fail(`section [${section}] appeared`);
  }
  const old = own(before, name) ?? {};
  const now = own(after, name) ?? {};
  for (const key of new Set([...Object.keys(old), ...Object.keys(now)])) {
    // rolecreds rewrites `AWS_ACCESS_KEY_ID=...` in its profile as `aws_access_key_id=...`
    // (the only place the scanner lets a key have capitals): JS, which keeps key case, then
    // reads the fresh credentials where it read none before.
    if (!REWRITTEN.has(key.toLowerCase()) && own(old, key) !== own(now, key)) {
      fail(`key ${key} of [${name}] (not one rolecreds writes, to JS) differs`);
    }
  }
}

const input = JSON.parse(await new Promise((resolve, reject) => {
  let text = "";
  process.stdin.setEncoding("utf8");
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
  process.stdin.on("error", reject);
}));

let failures = 0;
try {
  if (process.argv[2] === "--read") {
    const maps = [];
    for (const path of input) maps.push(await credentialsMap(path));
    process.stdout.write(JSON.stringify(maps));
  } else {
    const lines = [];
    for (const c of input) {
      await check(c, (problem) => lines.push(`${c.path}: ${problem}`));
    }
    failures = lines.length;
    if (lines.length) process.stdout.write(lines.join("\n") + "\n");
  }
} finally {
  rmSync(emptyDir, { recursive: true, force: true });
}
process.exit(failures ? 1 : 0);
