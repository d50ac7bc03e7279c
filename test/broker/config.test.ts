import { ensureTestCerts } from "../helpers/certs";
import { strict as assert } from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  ConfigError,
  ConfMap,
  ConfValue,
  describeReloadChanges,
  findEntry,
  loadConfigFile,
  optionsFromConfig,
  parseConfigFile,
  parseConfigText,
  toPlain,
} from "../../broker/config";
import { withDefaults } from "../../broker/options";
import { natsServerBinary } from "../helpers/servers";
import { Prng, seedFrom } from "../helpers/prng";

const FIXTURES = path.join(__dirname, "fixtures", "config");
// TLS fixtures point at certs/ (made by openssl at test time, never committed).
before(function () {
  this.timeout(60000);
  ensureTestCerts(path.join(FIXTURES, "certs"));
});
/** The reference nats-server (Debian puts it in /usr/sbin), or undefined if absent. */
const NATS_SERVER = natsServerBinary();
/** Environment the env.conf fixture needs (given to our loader and to nats-server). */
const FIXTURE_ENV = { NATSFLEET_TEST_PORT: "4333", NATSFLEET_TEST_NAME: "from-env", NATSFLEET_TEST_TOKEN: "envtoken" };

/** Parses text and returns the plain value of the whole document. */
function plain(text: string, env: Record<string, string> = {}): Record<string, unknown> {
  return toPlain(parseConfigText(text, "t.conf", env).root) as Record<string, unknown>;
}

function entry(root: ConfMap, ...keys: string[]): ConfValue {
  let v: ConfValue = root;
  for (const k of keys) {
    assert.equal(v.kind, "map");
    const e = (v as ConfMap).entries.get(k);
    assert.ok(e, `missing key ${k}`);
    v = e.value;
  }
  return v;
}

/** The ConfigError message for text (through options mapping as well). */
function errorOf(text: string, env: Record<string, string> = {}): string {
  try {
    optionsFromConfig(parseConfigText(text, "t.conf", env), env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.match(err.message, /^[^:]+:\d+:\d+: /);
    return err.message;
  }
  assert.fail(`expected an error for:\n${text}`);
}

function load(text: string, env: Record<string, string> = {}) {
  return optionsFromConfig(parseConfigText(text, "t.conf", env), env);
}

describe("config parser (nats-server format)", () => {
  describe("syntax", () => {
    it("accepts ':', '=' and blank space between key and value", () => {
      assert.deepEqual(plain("a: 1\nb = 2\nc 3\nd:4\ne=5"), { a: 1, b: 2, c: 3, d: 4, e: 5 });
    });

    it("reads maps and arrays without a separator, with optional ';' and ','", () => {
      const v = plain("m { x: 1; y = 2, z 3 }\nl [1, 2\n 3,\n]\nk: v;\nw: 1, q: 2");
      assert.deepEqual(v, { m: { x: 1, y: 2, z: 3 }, l: [1, 2, 3], k: "v", w: 1, q: 2 });
    });

    it("reads a whole file wrapped in braces", () => {
      assert.deepEqual(plain("{\n  port: 1\n  debug: true\n}\n"), { port: 1, debug: true });
    });

    it("skips # and // comments everywhere", () => {
      const v = plain(
        "# top\n// top too\na: 1 # after value\nb: 2 // after value\nm {\n # in map\n x: 1 // c\n}\nl [\n # in array\n 1 // c\n 2 # c\n]\n",
      );
      assert.deepEqual(v, { a: 1, b: 2, m: { x: 1 }, l: [1, 2] });
    });

    it("keeps '#' and '/' inside bare and quoted strings", () => {
      assert.deepEqual(plain('u: nats://h:1/x#y\ns: "a # b // c"'), { u: "nats://h:1/x#y", s: "a # b // c" });
    });

    it("reads quoted keys", () => {
      assert.deepEqual(plain(`"a b": 1\n'c.d' = 2\nm { "x y": 3 }`), { "a b": 1, "c.d": 2, m: { "x y": 3 } });
    });

    it("reads single-quoted strings raw and double-quoted strings with escapes", () => {
      const v = plain(`s: 'a\\tb "q"'\nd: "t\\tn\\nr\\rq\\"b\\\\x\\x41"`);
      assert.equal(v.s, 'a\\tb "q"');
      assert.equal(v.d, 't\tn\nr\rq"b\\xA');
    });

    it("reads bare strings up to blank space, ',', ';', ']' or '}'", () => {
      const v = plain("a: hello\nb: foo.bar.>\nm { c: x,d: y}\nl [p, q]\ne: tag;");
      assert.deepEqual(v, { a: "hello", b: "foo.bar.>", m: { c: "x", d: "y" }, l: ["p", "q"], e: "tag" });
    });

    it("reads block strings up to a ')' alone on its line", () => {
      const v = plain("b: (\nline one )\n  (two)\n)\nafter: 1\n");
      assert.equal(v.b, "\nline one )\n  (two)\n");
      assert.equal(v.after, 1);
    });

    it("reads integers, negative numbers and floats", () => {
      assert.deepEqual(plain("a: 42\nb: -1\nc: 1.5\nd: -0.25\ne: 0"), { a: 42, b: -1, c: 1.5, d: -0.25, e: 0 });
    });

    it("applies size suffixes as nats-server does (k/m/g/t x1000, kb/ki/kib... x1024)", () => {
      const cases: Array<[string, number]> = [
        ["1k", 1000],
        ["1K", 1000],
        ["1kb", 1024],
        ["1KB", 1024],
        ["1ki", 1024],
        ["1kib", 1024],
        ["2m", 2_000_000],
        ["2mb", 2 * 1024 ** 2],
        ["2Mi", 2 * 1024 ** 2],
        ["2MiB", 2 * 1024 ** 2],
        ["3g", 3e9],
        ["3gb", 3 * 1024 ** 3],
        ["3gi", 3 * 1024 ** 3],
        ["3gib", 3 * 1024 ** 3],
        ["1t", 1e12],
        ["1tb", 1024 ** 4],
        ["1ti", 1024 ** 4],
        ["1tib", 1024 ** 4],
        ["1p", 1e15],
        ["1pb", 1024 ** 5],
      ];
      for (const [text, want] of cases) {
        const v = entry(parseConfigText(`x: ${text}`, "t.conf", {}).root, "x");
        assert.equal(v.kind, "integer", text);
        assert.equal((v as { value: number }).value, want, text);
        assert.equal((v as { raw: string }).raw, text);
      }
    });

    it("reads true/yes/on and false/no/off, in any case, as booleans", () => {
      const v = plain("a: true\nb: yes\nc: on\nd: false\ne: no\nf: off\ng: TRUE\nh: Off\ni: \"true\"");
      assert.deepEqual(v, { a: true, b: true, c: true, d: false, e: false, f: false, g: true, h: false, i: "true" });
    });

    it("reads IP addresses and host:port values as strings", () => {
      const v = plain("a: 127.0.0.1\nb: 127.0.0.1:4222\nc: 127.0.0.1:-1\nd: 0.0.0.0:6222\ne: localhost:4222\nf: ::1");
      assert.deepEqual(v, { a: "127.0.0.1", b: "127.0.0.1:4222", c: "127.0.0.1:-1", d: "0.0.0.0:6222", e: "localhost:4222", f: "::1" });
    });

    it("reads durations written bare or quoted as strings, and digit-led words as strings", () => {
      const v = plain('a: 10s\nb: 1h30m\nc: 500ms\nd: "2m"\ne: 4222abc\nf: 1.5s');
      assert.deepEqual(v, { a: "10s", b: "1h30m", c: "500ms", d: "2m", e: "4222abc", f: "1.5s" });
    });

    it("reads ISO8601 Zulu dates", () => {
      const v = entry(parseConfigText("d: 2021-01-02T03:04:05Z", "t.conf", {}).root, "d");
      assert.equal(v.kind, "datetime");
      assert.equal((v as { value: Date }).value.toISOString(), "2021-01-02T03:04:05.000Z");
    });

    it("accepts a value on the line after a key without separator, and inside maps after one", () => {
      assert.deepEqual(plain("a\n  1\nm {\n  b:\n    2\n}"), { a: 1, m: { b: 2 } });
    });

    it("lets a later key replace an earlier one, keeping the first position order", () => {
      assert.deepEqual(plain("a: 1\nb: 2\na: 3"), { a: 3, b: 2 });
    });
  });

  describe("positions", () => {
    it("records file, line and column of keys and values", () => {
      const doc = parseConfigText("# c\nport: 4222\ncluster {\n  name:   \"x\"\n}\n", "dir/a.conf", {});
      const portEntry = doc.root.entries.get("port")!;
      assert.deepEqual(portEntry.keyPos, { file: "dir/a.conf", line: 2, column: 1 });
      assert.deepEqual(portEntry.value.pos, { file: "dir/a.conf", line: 2, column: 7 });
      const name = (entry(doc.root, "cluster") as ConfMap).entries.get("name")!;
      assert.deepEqual(name.keyPos, { file: "dir/a.conf", line: 4, column: 3 });
      assert.deepEqual(name.value.pos, { file: "dir/a.conf", line: 4, column: 11 });
    });

    it("finds entries by key path, case-insensitively, for later error messages", () => {
      const doc = parseConfigText("Cluster {\n  PORT: 6222\n}\nport: 1", "t.conf", {});
      assert.deepEqual(findEntry(doc.root, "cluster", "port")!.value.pos, { file: "t.conf", line: 2, column: 9 });
      assert.deepEqual(findEntry(doc.root, "port")!.keyPos, { file: "t.conf", line: 4, column: 1 });
      assert.equal(findEntry(doc.root, "cluster", "nope"), undefined);
      assert.equal(findEntry(doc.root, "port", "deeper"), undefined);
    });

    it("gives array items their own positions", () => {
      const arr = entry(parseConfigText("l [\n  a\n    b, c\n]", "t.conf", {}).root, "l");
      assert.equal(arr.kind, "array");
      const items = (arr as { items: ConfValue[] }).items;
      assert.deepEqual(
        items.map((i) => [i.pos.line, i.pos.column]),
        [
          [2, 3],
          [3, 5],
          [3, 8],
        ],
      );
    });
  });

  describe("variables", () => {
    it("resolves $VAR from the top level, an enclosing block, or the environment", () => {
      const v = plain("A: 1\nm {\n  B: 2\n  x: $A\n  y: $B\n  n { z: $B }\n}\ne: $ENV_ONE\n", { ENV_ONE: "one" });
      assert.deepEqual(v, { A: 1, m: { B: 2, x: 1, y: 2, n: { z: 2 } }, e: "one" });
    });

    it("prefers the nearest enclosing definition", () => {
      assert.deepEqual(plain("V: outer\nm { V: inner, x: $V }\ny: $V"), { V: "outer", m: { V: "inner", x: "inner" }, y: "outer" });
    });

    it("prefers a definition in the file over the environment", () => {
      assert.deepEqual(plain("V: file\nx: $V", { V: "env" }), { V: "file", x: "file" });
    });

    it("reads environment values as config values (numbers, booleans, maps)", () => {
      const v = plain("a: $N\nb: $B\nc: $M\nd: $S", { N: "4222", B: "true", M: "{ x: 1 }", S: "hello" });
      assert.deepEqual(v, { a: 4222, b: true, c: { x: 1 }, d: "hello" });
      // As in nats-server, a value that is not one config value is an error (quote it).
      assert.match(errorOf("port: 1\nd: $S", { S: "hello world" }), /^t\.conf:2:4: cannot use environment variable "\$S" \("hello world"\): expected a new line/);
      assert.deepEqual(plain("d: $S", { S: '"hello world"' }), { d: "hello world" });
    });

    it("copies maps and arrays referenced by variables", () => {
      assert.deepEqual(plain("P: { publish: [a, b] }\nx: $P"), { P: { publish: ["a", "b"] }, x: { publish: ["a", "b"] } });
    });

    it("marks entries used as variables", () => {
      const doc = parseConfigText("A: 1\nB: 2\nx: $A", "t.conf", {});
      assert.equal(doc.root.entries.get("A")!.usedAsVariable, true);
      assert.equal(doc.root.entries.get("B")!.usedAsVariable, false);
    });

    it("passes bcrypt hashes through unchanged", () => {
      const hash = "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG";
      assert.deepEqual(plain(`p: ${hash}`), { p: hash });
    });

    it("gives the referenced value the position of the reference", () => {
      const doc = parseConfigText("A: 1\n\nx:   $A", "t.conf", {});
      assert.deepEqual(entry(doc.root, "x").pos, { file: "t.conf", line: 3, column: 6 });
    });

    it("reports an unknown variable at the reference", () => {
      assert.equal(
        errorOf("port: 1\nx:  $NOPE"),
        't.conf:2:5: variable "$NOPE" is not defined (neither earlier in the config nor in the environment)',
      );
    });

    it("does not see definitions that come later", () => {
      assert.match(errorOf("x: $A\nA: 1"), /^t\.conf:1:4: variable "\$A" is not defined/);
    });

    it("reports an environment value that does not parse at the reference", () => {
      assert.match(errorOf("port: $BAD", { BAD: '"unterminated' }), /^t\.conf:1:7: cannot use environment variable "\$BAD"/);
    });

    it("stops environment variables that refer to themselves", () => {
      assert.match(errorOf("port: $LOOP", { LOOP: "$LOOP" }), /^t\.conf:1:7: .*refers to itself/);
    });
  });

  describe("includes", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "natsfleet-conf-"));
    });
    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("includes files relative to the including file, nested and inside blocks", () => {
      const doc = parseConfigFile(path.join(FIXTURES, "include_main.conf"), {});
      assert.deepEqual(toPlain(doc.root), {
        port: -1,
        max_payload: 512 * 1024,
        max_connections: 10,
        authorization: { users: [{ user: "inc_user", password: "inc_pass" }], timeout: 5 },
        debug: true,
      });
      assert.deepEqual(
        doc.files.map((f) => path.relative(FIXTURES, f)),
        ["include_main.conf", "includes/limits.conf", "includes/auth.conf", "includes/nested/users.conf"],
      );
    });

    it("lists every file read in the loaded config, for reload watching", () => {
      const { files } = loadConfigFile(path.join(FIXTURES, "include_main.conf"), {});
      assert.deepEqual(
        files.map((f) => path.relative(FIXTURES, f)),
        ["include_main.conf", "includes/limits.conf", "includes/auth.conf", "includes/nested/users.conf"],
      );
    });

    it("keeps the included file's name in positions", () => {
      const doc = parseConfigFile(path.join(FIXTURES, "include_main.conf"), {});
      const users = entry(doc.root, "authorization", "users");
      assert.equal(users.pos.file, path.join(FIXTURES, "includes/nested/users.conf"));
      assert.equal(users.pos.line, 1);
      assert.equal(users.pos.column, 8);
    });

    it("accepts include with double quotes, single quotes or a bare name", () => {
      fs.writeFileSync(path.join(dir, "x.conf"), "x: 1\n");
      fs.writeFileSync(path.join(dir, "y.conf"), "y: 2\n");
      fs.writeFileSync(path.join(dir, "z.conf"), "z: 3\n");
      fs.writeFileSync(path.join(dir, "main.conf"), "include \"x.conf\"\ninclude 'y.conf'\ninclude z.conf\n");
      assert.deepEqual(toPlain(parseConfigFile(path.join(dir, "main.conf"), {}).root), { x: 1, y: 2, z: 3 });
    });

    it("reports an include cycle at the include that closes it", () => {
      fs.writeFileSync(path.join(dir, "a.conf"), "port: 1\ninclude b.conf\n");
      fs.writeFileSync(path.join(dir, "b.conf"), "debug: true\n  include a.conf\n");
      assert.throws(
        () => parseConfigFile(path.join(dir, "a.conf"), {}),
        (err: unknown) =>
          err instanceof ConfigError && err.message === `${path.join(dir, "b.conf")}:2:3: include cycle: a.conf -> b.conf -> a.conf`,
      );
    });

    it("reports a file that includes itself", () => {
      fs.writeFileSync(path.join(dir, "self.conf"), "include './self.conf'\n");
      assert.throws(
        () => parseConfigFile(path.join(dir, "self.conf"), {}),
        (err: unknown) => err instanceof ConfigError && err.message.endsWith("self.conf:1:1: include cycle: self.conf -> self.conf"),
      );
    });

    it("reports a missing include file at the include", () => {
      fs.writeFileSync(path.join(dir, "m.conf"), "port: 1\n\ninclude 'nope.conf'\n");
      assert.throws(
        () => parseConfigFile(path.join(dir, "m.conf"), {}),
        (err: unknown) =>
          err instanceof ConfigError && err.message === `${path.join(dir, "m.conf")}:3:1: cannot read include file "nope.conf": no such file`,
      );
    });

    it("reports errors inside an included file with that file's position", () => {
      fs.writeFileSync(path.join(dir, "bad.conf"), "ok: 1\nbroken: \"open\n");
      fs.writeFileSync(path.join(dir, "top.conf"), "include bad.conf\n");
      assert.throws(
        () => parseConfigFile(path.join(dir, "top.conf"), {}),
        (err: unknown) =>
          err instanceof ConfigError && err.message === `${path.join(dir, "bad.conf")}:2:9: string is never closed: " expected`,
      );
    });

    it("reports an unreadable config file", () => {
      assert.throws(
        () => parseConfigFile(path.join(dir, "absent.conf"), {}),
        (err: unknown) =>
          err instanceof ConfigError && err.message === `${path.join(dir, "absent.conf")}:1:1: cannot read config file: no such file`,
      );
    });
  });

  describe("syntax errors name the exact position", () => {
    const cases: Array<[string, string, string]> = [
      ["unterminated double-quoted string", 'a: 1\nb: "abc', 't.conf:2:4: string is never closed: " expected'],
      ["unterminated single-quoted string", "b: 'abc", "t.conf:1:4: string is never closed: ' expected"],
      ["unterminated map", "port: 1\nm {\n  a: 1\n", "t.conf:2:3: map is never closed: '}' expected before end of file"],
      ["unterminated array", "l [\n 1, 2\n", "t.conf:1:3: array is never closed: ']' expected before end of file"],
      ["unterminated block", "b: (\nabc\n", "t.conf:1:4: block string is never closed: ')' expected alone at the start of a line"],
      [
        "invalid escape",
        'a: "x\\qy"',
        "t.conf:1:6: invalid escape '\\q'; allowed are \\xXX, \\t, \\n, \\r, \\\" and \\\\",
      ],
      ["bad \\x escape", 'a: "\\xZZ"', "t.conf:1:5: expected two hexadecimal digits after '\\x', got 'ZZ'"],
      ["key without value at end of file", "port: 1\ndebug", 't.conf:2:1: key "debug" has no value'],
      ["key without value in a map", "m { a: 1, b }", 't.conf:1:11: key "b" has no value'],
      ["new line after a separator", "port:\n4222", "t.conf:1:6: expected a value but found a new line"],
      ["garbage after a value", "port: 4222 x", "t.conf:1:12: expected a new line, ';', comment or end of file after the value, but found 'x'"],
      ["garbage after a quoted value", 'a: "x"y', "t.conf:1:7: expected a new line, ';', comment or end of file after the value, but found 'y'"],
      ["garbage after a map value", 'm { a: "x" y }', "t.conf:1:12: expected ',', ';', a new line or '}' after the value, but found 'y'"],
      ["garbage after an array value", 'l ["a" "b"]', "t.conf:1:8: expected ',', a new line or ']' after the array value, but found '\"'"],
      ["missing array value", "l [1,,2]", "t.conf:1:6: unexpected ',' in array: a value is missing"],
      ["separator without key", "m { : 1 }", "t.conf:1:5: unexpected key separator ':': a key is missing"],
      ["number starting with a dot", "a: .5", "t.conf:1:4: numbers must start with a digit, not '.'"],
      ["float without digits after the dot", "a: 1.x", "t.conf:1:6: expected a digit after '.' but found 'x'"],
      ["minus without digits", "a: -x", "t.conf:1:5: expected a digit after '-' but found 'x'"],
      ["unknown size suffix", "a: 1kbb", 't.conf:1:4: invalid size suffix "kbb" in 1kbb; use k, m, g, t (x1000) or kb, mb, gb, tb, ki, mi, gi, ti, kib, mib... (x1024)'],
      ["integer out of range", "a: 99999999999999999999", "t.conf:1:4: integer 99999999999999999999 is out of range"],
      ["incomplete date", "a: 2021-01-02", "t.conf:1:4: dates must be in full ISO8601 Zulu form, e.g. 2021-01-02T03:04:05Z"],
      ["empty variable name", "a: $", "t.conf:1:4: '$' must be followed by a variable name"],
      ["include without a file name", "include \n", "t.conf:1:9: expected an include file name but found a new line"],
      ["unterminated quoted key", '"abc: 1', "t.conf:1:1: quoted key is never closed"],
      ["nesting too deep", "a: " + "[".repeat(200), "t.conf:1:132: arrays and maps are nested more than 128 deep"],
    ];
    for (const [what, text, want] of cases) {
      it(what, () => {
        assert.throws(
          () => parseConfigText(text, "t.conf", {}),
          (err: unknown) => {
            assert.ok(err instanceof ConfigError, String(err));
            assert.equal(err.message, want);
            return true;
          },
        );
      });
    }
  });
});

describe("config robustness", () => {
  it("reads CRLF line endings like LF", () => {
    const text = "port: 1\r\nm {\r\n  a: 1\r\n  b: x # c\r\n}\r\nl [\r\n  1\r\n  2\r\n]\r\nblk: (\r\nz\r\n)\r\n";
    assert.deepEqual(plain(text), { port: 1, m: { a: 1, b: "x" }, l: [1, 2], blk: "\r\nz\r\n" });
    assert.deepEqual(parseConfigText("a: 1\r\n  b: 2", "t.conf", {}).root.entries.get("b")!.keyPos, { file: "t.conf", line: 2, column: 3 });
  });

  it("never throws anything but ConfigError on mangled input (seed in CONFIG_FUZZ_SEED)", () => {
    const seed = seedFrom("CONFIG_FUZZ_SEED");
    const rng = new Prng(seed);
    const sources = fs
      .readdirSync(FIXTURES)
      .filter((f) => f.endsWith(".conf"))
      .map((f) => fs.readFileSync(path.join(FIXTURES, f), "utf8"));
    const alphabet = ["{", "}", "[", "]", "(", ")", "\n", ":", "=", ",", ";", "#", "//", '"', "'", "\\", "$", "-", ".", "1", "k", " ", "include x", "$2a$", "\r"];
    for (let i = 0; i < 3000; i++) {
      let text = rng.pick(sources);
      for (let m = rng.range(1, 4); m > 0; m--) {
        const at = rng.int(text.length + 1);
        const cut = rng.chance(0.5) ? rng.int(8) : 0;
        text = text.slice(0, at) + (rng.chance(0.8) ? rng.pick(alphabet) : "") + text.slice(at + cut);
      }
      try {
        optionsFromConfig(parseConfigText(text, path.join(FIXTURES, "fuzz.conf"), FIXTURE_ENV), FIXTURE_ENV);
      } catch (err) {
        if (!(err instanceof ConfigError)) {
          assert.fail(`seed ${seed}, case ${i}: ${String(err)}\n--- input ---\n${text}`);
        }
        assert.match(err.message, /^[^\n]+:\d+:\d+: /, `seed ${seed}, case ${i}`);
      }
    }
  });
});

describe("config options (optionsFromConfig)", () => {
  it("fills defaults for an empty file", () => {
    const { options, warnings } = load("");
    assert.deepEqual(warnings, []);
    assert.deepEqual({ ...options, configFile: undefined }, { ...withDefaults({}), configFile: undefined });
  });

  it("maps listen, host/net, port and client settings", () => {
    assert.equal(load("listen: 127.0.0.1:4333").options.host, "127.0.0.1");
    assert.equal(load("listen: 127.0.0.1:4333").options.port, 4333);
    assert.equal(load('listen: "[::1]:-1"').options.host, "::1");
    assert.equal(load("listen: 5222").options.port, 5222);
    assert.equal(load("listen: 5222").options.host, "0.0.0.0");
    assert.equal(load("net: 10.0.0.1").options.host, "10.0.0.1");
    assert.equal(load("host: localhost").options.host, "localhost");
    assert.equal(load("port: -1").options.port, -1);
    assert.equal(load("port: 0").options.port, 4222, "nats-server reads port 0 as the default");
    const { options } = load("server_name: n1\nclient_advertise: \"a.example.com:4222\"\nno_auth_user: u\nauthorization { users [ { user: u, password: p } ] }");
    assert.equal(options.serverName, "n1");
    assert.equal(options.clientAdvertise, "a.example.com:4222");
    assert.equal(options.noAuthUser, "u");
  });

  it("maps the monitoring keys", () => {
    let o = load('http: "127.0.0.1:-1"').options;
    assert.equal(o.httpHost, "127.0.0.1");
    assert.equal(o.httpPort, -1);
    assert.equal(load("http: 8222").options.httpPort, 8222);
    assert.equal(load("http_port: 8223").options.httpPort, 8223);
    assert.equal(load("monitor_port: 8224").options.httpPort, 8224);
    o = load('https: "0.0.0.0:8443"').options;
    assert.equal(o.httpsPort, 8443);
    assert.equal(o.httpHost, "0.0.0.0");
    assert.equal(load("https_port: 8444").options.httpsPort, 8444);
    assert.equal(load("http_base_path: /nats").options.httpBasePath, "/nats");
  });

  it("converts sizes to bytes and durations to milliseconds", () => {
    const { options, warnings } = load(
      'max_payload: 2MB\nmax_control_line: 8KB\nmax_pending: 1GB\nping_interval: "30s"\nwrite_deadline: "1m30s"\n' +
        'lame_duck_duration: "1h"\nlame_duck_grace_period: "500ms"\nmax_connections: 5\nmax_subscriptions: 7\nping_max: 3',
    );
    assert.deepEqual(warnings, []);
    assert.equal(options.maxPayload, 2 * 1024 * 1024);
    assert.equal(options.maxControlLine, 8192);
    assert.equal(options.maxPending, 1024 ** 3);
    assert.equal(options.pingInterval, 30_000);
    assert.equal(options.writeDeadline, 90_000);
    assert.equal(options.lameDuckDuration, 3_600_000);
    assert.equal(options.lameDuckGracePeriod, 500);
    assert.equal(options.maxConnections, 5);
    assert.equal(options.maxSubscriptions, 7);
    assert.equal(options.pingMax, 3);
  });

  it("accepts the max_conn and max_subs aliases", () => {
    const { options } = load("max_conn: 9\nmax_subs: 11");
    assert.equal(options.maxConnections, 9);
    assert.equal(options.maxSubscriptions, 11);
  });

  it("reads an unquoted 2m duration as two minutes", () => {
    assert.equal(load("ping_interval: 2m").options.pingInterval, 120_000);
    assert.equal(load("lame_duck_duration: 1h").options.lameDuckDuration, 3_600_000);
  });

  it("reads a bare integer duration as seconds, with a warning like nats-server's", () => {
    const { options, warnings } = load("port: 1\nping_interval: 5");
    assert.equal(options.pingInterval, 5000);
    assert.deepEqual(warnings, ['t.conf:2:16: "ping_interval" should be a duration string such as "5s"; 5 taken as seconds']);
  });

  it("refuses a lame duck duration under 30s, as nats-server does", () => {
    assert.equal(errorOf('lame_duck_duration: "10s"'), 't.conf:1:21: invalid value for "lame_duck_duration": 10s is below the minimum of 30s');
  });

  it("maps logging and process keys", () => {
    const { options } = load(
      "debug: true\ntrace: yes\nlogtime: off\nlogfile: /tmp/x.log\npid_file: /tmp/x.pid\nports_file_dir: /tmp\nserver_tags: [a, \"b:c\"]",
    );
    assert.equal(options.debug, true);
    assert.equal(options.trace, true);
    assert.equal(options.logtime, false);
    assert.equal(options.logFile, "/tmp/x.log");
    assert.equal(options.pidFile, "/tmp/x.pid");
    assert.equal(options.portsFileDir, "/tmp");
    assert.deepEqual(options.serverTags, ["a", "b:c"]);
    assert.equal(load("log_file: /tmp/y.log").options.logFile, "/tmp/y.log");
    assert.equal(load("pidfile: /tmp/y.pid").options.pidFile, "/tmp/y.pid");
    assert.deepEqual(load("server_tags: single").options.serverTags, ["single"]);
  });

  it("matches option names case-insensitively, as nats-server does", () => {
    const { options } = load("PORT: 5555\nCluster { Name: c, Port: 6333 }");
    assert.equal(options.port, 5555);
    assert.equal(options.cluster?.name, "c");
    assert.equal(options.cluster?.port, 6333);
  });

  describe("errors", () => {
    it("names an unknown key and its position", () => {
      assert.equal(errorOf("port: 1\n\n    foo: 2"), 't.conf:3:5: unknown configuration key "foo"');
    });

    it("names an unknown key inside a block", () => {
      assert.equal(errorOf("cluster {\n  name: c\n  bogus: 1\n}"), 't.conf:3:3: unknown configuration key "bogus" in "cluster"');
      assert.equal(
        errorOf("authorization { users [ { user: a, pw: b } ] }"),
        't.conf:1:36: unknown configuration key "pw" in "authorization.users"',
      );
    });

    it("does not report variables as unknown keys", () => {
      assert.equal(load("MY_PORT: 4333\nport: $MY_PORT\ncluster { RP: 6333, port: $RP }").options.cluster?.port, 6333);
    });

    it("reports wrong types at the value", () => {
      assert.equal(errorOf('port: "abc"'), 't.conf:1:7: invalid value for "port": expected an integer, got string "abc"');
      assert.equal(errorOf("debug: 1"), 't.conf:1:8: invalid value for "debug": expected a boolean (true/false, yes/no, on/off), got integer 1');
      assert.equal(errorOf("cluster: 5"), 't.conf:1:10: invalid value for "cluster": expected a map { ... }, got integer 5');
      assert.equal(errorOf("server_name: [a]"), 't.conf:1:14: invalid value for "server_name": expected a string, got an array');
      assert.equal(errorOf("max_payload: \"big\""), 't.conf:1:14: invalid value for "max_payload": expected a size (e.g. 1048576, 1MB, 64KB), got string "big"');
      assert.equal(errorOf("cluster { port: true }"), 't.conf:1:17: invalid value for "cluster.port": expected an integer, got boolean true');
    });

    it("reports out of range values", () => {
      assert.equal(errorOf("port: 70000"), 't.conf:1:7: invalid value for "port": 70000 is out of range -1..65535');
      assert.equal(errorOf("max_payload: 4GB"), 't.conf:1:14: invalid value for "max_payload": 4294967296 is too big (maximum 2147483647)');
      assert.equal(errorOf("ping_interval: \"0s\""), 't.conf:1:16: invalid value for "ping_interval": must be greater than zero');
    });

    it("reports malformed addresses and durations", () => {
      assert.equal(errorOf("listen: nohostport"), 't.conf:1:9: invalid value for "listen": could not parse address "nohostport", expected "host:port"');
      assert.equal(
        errorOf('write_deadline: "soon"'),
        't.conf:1:17: invalid value for "write_deadline": "soon" is not a duration (e.g. "500ms", "10s", "2m", "1h30m")',
      );
      assert.equal(errorOf("ping_interval: 2kb"), 't.conf:1:16: invalid value for "ping_interval": 2kb is not a duration (e.g. "500ms", "10s", "2m")');
    });

    it("refuses security-relevant keys it cannot honour", () => {
      assert.match(errorOf("trusted: [OABC]"), /^t\.conf:1:1: "trusted" is not supported by natsfleet-server/);
      assert.match(errorOf("resolver_pinned_accounts: [A]"), /^t\.conf:1:1: "resolver_pinned_accounts" is not supported/);
      assert.match(errorOf("tls { verify_cert_and_check_known_urls: true }"), /^t\.conf:1:7: "tls\.verify_cert_and_check_known_urls" is not supported/);
    });
  });

  describe("unsupported keys", () => {
    it("accepts jetstream, websocket and mqtt with a warning and keeps their content", () => {
      const { options, warnings } = load("port: 1\njetstream {\n  store_dir: /tmp/js\n}\n  websocket { port: -1 }\nmqtt: { port: 1883 }");
      assert.deepEqual(warnings, [
        't.conf:2:1: "jetstream" is not supported by natsfleet-server yet; ignored',
        't.conf:5:3: "websocket" is not supported by natsfleet-server yet; ignored',
        't.conf:6:1: "mqtt" is not supported by natsfleet-server yet; ignored',
      ]);
      assert.deepEqual(options.unsupported, [
        { key: "jetstream", value: { store_dir: "/tmp/js" } },
        { key: "websocket", value: { port: -1 } },
        { key: "mqtt", value: { port: 1883 } },
      ]);
    });

    it("accepts jetstream given as a flag value", () => {
      assert.deepEqual(load("jetstream: enabled").options.unsupported, [{ key: "jetstream", value: "enabled" }]);
    });

    it("accepts the other harmless nats-server keys with a warning", () => {
      const text = "store_dir: /tmp/x\nsyslog: true\nprof_port: 6060\nmax_traced_msg_len: 10\nno_header_support: false\nlog_size_limit: 1MB";
      const { options, warnings } = load(text);
      // no_header_support and max_traced_msg_len are supported now: no warning, an option
      assert.equal(warnings.length, 4, warnings.join("\n"));
      assert.equal(options.noHeaderSupport, false);
      assert.equal(options.maxTracedMsgLen, 10);
      assert.equal(warnings[1], 't.conf:2:1: "syslog" is not supported by natsfleet-server yet; ignored');
    });

    it("warns about ignored keys inside blocks with their dotted name", () => {
      const { warnings } = load("leafnodes { min_version: \"2.8.0\" }\naccounts { A { jetstream: enabled } }");
      assert.deepEqual(warnings, [
        't.conf:1:13: "leafnodes.min_version" is not supported by natsfleet-server yet; ignored',
        't.conf:2:16: "accounts.A.jetstream" is not supported by natsfleet-server yet; ignored',
      ]);
    });
  });

  describe("authorization", () => {
    it("maps a single user, a token, and the timeout in ms", () => {
      let auth = load("authorization { user: u, password: p, timeout: 2 }").options.authorization;
      assert.deepEqual(auth, { user: "u", password: "p", timeout: 2000 });
      auth = load("authorization { token: tok, timeout: 0.5 }").options.authorization;
      assert.deepEqual(auth, { token: "tok", timeout: 500 });
      auth = load("authorization { username: u, pass: p }").options.authorization;
      assert.deepEqual(auth, { user: "u", password: "p" });
    });

    it("maps users with both permission forms and allow_responses", () => {
      const { options } = load(`
authorization {
  default_permissions { subscribe: "_INBOX.>" }
  users [
    { user: a, password: pa, permissions: { publish: ["x", "y.*"], subscribe: { allow: [">"], deny: "secret" } } }
    { user: b, password: pb, permissions: { publish: { deny: ["z"] }, allow_responses: true } }
    { user: c, password: pc, permissions: { sub: q, allow_responses: { max: 5, expires: "30s" } } }
    { user: d, password: pd }
    { nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4 }
  ]
}`);
      const users = options.authorization!.users!;
      assert.deepEqual(users[0].permissions, { publish: { allow: ["x", "y.*"] }, subscribe: { allow: [">"], deny: ["secret"] } });
      assert.deepEqual(users[1].permissions, {
        publish: { deny: ["z"], allow: [] },
        allowResponses: { maxMsgs: 1, expires: 120_000 },
      });
      assert.deepEqual(users[2].permissions, {
        subscribe: { allow: ["q"] },
        publish: { allow: [] },
        allowResponses: { maxMsgs: 5, expires: 30_000 },
      });
      assert.deepEqual(users[3].permissions, { subscribe: { allow: ["_INBOX.>"] } }, "default permissions apply");
      assert.equal(users[4].nkey, "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4");
      assert.deepEqual(options.authorization!.defaultPermissions, { subscribe: { allow: ["_INBOX.>"] } });
    });

    it("accepts queue-qualified permission subjects and connection types", () => {
      const u = load('authorization { users [ { user: a, password: b, permissions: { subscribe: "jobs.* workers" }, allowed_connection_types: [standard, "LEAFNODE"] } ] }')
        .options.authorization!.users![0];
      assert.deepEqual(u.permissions, { subscribe: { allow: ["jobs.* workers"] } });
      assert.deepEqual(u.allowedConnectionTypes, ["STANDARD", "LEAFNODE"]);
    });

    it("reports inconsistent authorization blocks", () => {
      assert.equal(errorOf("authorization { user: a, token: t }"), 't.conf:1:15: "authorization" cannot have both a user/password and a token');
      assert.equal(errorOf("authorization { user: a, users: [] }"), 't.conf:1:15: "authorization" cannot have both a single user and a users array');
      assert.equal(errorOf("authorization { users [ { password: x } ] }"), 't.conf:1:25: "authorization.users" entry requires a user (or an nkey)');
      assert.equal(errorOf("authorization { users [ { nkey: UBAD } ] }"), 't.conf:1:25: "authorization.users" entry has an invalid user nkey "UBAD"');
      assert.equal(
        errorOf("authorization { users [ {user: a, password: b, permissions: { publish: \"a..b\" } } ] }"),
        't.conf:1:72: invalid value for "authorization.users.permissions.publish": "a..b" is not a valid subject',
      );
      assert.equal(
        errorOf("authorization { users [ {user: a, password: b, allowed_connection_types: [TELNET] } ] }"),
        't.conf:1:74: invalid value for "authorization.users.allowed_connection_types": unknown connection type "TELNET" (use STANDARD, WEBSOCKET, LEAFNODE, LEAFNODE_WS, MQTT, MQTT_WS)',
      );
      assert.equal(
        errorOf("authorization { users [ {user: a, password: b}, {user: a, password: c} ] }"),
        't.conf:1:1: user "a" is defined more than once',
      );
      assert.equal(
        errorOf("authorization { users [ {user: a, password: b} ] }\nno_auth_user: zed"),
        't.conf:2:15: no_auth_user "zed" is not a user of the authorization block or of an account',
      );
    });
  });

  describe("accounts", () => {
    it("maps accounts, users, exports, imports, mappings and the system account", () => {
      const { options } = load(`
accounts {
  SYS { users [ { user: sys, password: s } ] }
  A {
    users [ { user: a, password: pa } ]
    default_permissions { publish: "a.>" }
    exports [ { stream: "ev.>" }, { service: "svc", accounts: [B], response: singleton, threshold: "2s" } ]
    mappings { "m.old": "m.new", "w.*": [ { destination: "w1.$1", weight: 30 }, { dest: "w2.$1", weight: "70%", cluster: east } ] }
  }
  B {
    imports [ { stream: { account: A, subject: "ev.>" }, prefix: pre }, { service: { account: A, subject: svc } }, { stream: { account: A, subject: "ev.x" }, to: "mine.x" } ]
  }
}
system_account: SYS
mappings { "g.a": "g.b" }`);
      assert.equal(options.systemAccount, "SYS");
      assert.deepEqual(options.accounts.map((a) => a.name), ["SYS", "A", "B"]);
      const a = options.accounts[1];
      assert.deepEqual(a.users, [{ user: "a", password: "pa", account: "A", permissions: { publish: { allow: ["a.>"] } } }]);
      assert.deepEqual(a.exports, [
        { stream: "ev.>" },
        { service: "svc", accounts: ["B"], responseType: "singleton", responseThreshold: 2000 },
      ]);
      assert.deepEqual(a.mappings, {
        "m.old": "m.new",
        "w.*": [
          { destination: "w1.$1", weight: 30 },
          { destination: "w2.$1", weight: 70, cluster: "east" },
        ],
      });
      assert.deepEqual(options.accounts[2].imports, [
        { stream: { account: "A", subject: "ev.>" }, prefix: "pre" },
        { service: { account: "A", subject: "svc" } },
        { stream: { account: "A", subject: "ev.x" }, to: "mine.x" },
      ]);
      assert.deepEqual((options as { mappings?: unknown }).mappings, { "g.a": "g.b" });
    });

    it("accepts an array of account names", () => {
      assert.deepEqual(load("accounts: [A, B]").options.accounts, [{ name: "A" }, { name: "B" }]);
    });

    it("refuses imports the exporting account does not grant, as nats-server does at start", () => {
      // Not exported at all, exported to someone else, and a service export imported as a stream.
      assert.equal(
        errorOf("accounts {\n  A { users: [] }\n  B { imports [ { stream: { account: A, subject: priv } } ] }\n}"),
        't.conf:3:17: Error adding stream import "priv": stream import not authorized',
      );
      assert.equal(
        errorOf("accounts {\n  A { exports [ { service: svc, accounts: [C] } ] }\n  B { imports [ { service: { account: A, subject: svc } } ] }\n  C {}\n}"),
        't.conf:3:17: Error adding service import "svc": service import not authorized',
      );
      assert.equal(
        errorOf("accounts {\n  A { exports [ { service: svc } ] }\n  B { imports [ { stream: { account: A, subject: svc } } ] }\n}"),
        't.conf:3:17: Error adding stream import "svc": stream import not authorized',
      );
      // Covered by a wildcard export, and granted by name: fine.
      const ok = load("accounts {\n  A { exports [ { stream: \"ev.>\" }, { service: svc, accounts: [B] } ] }\n  B { imports [ { stream: { account: A, subject: ev.x } }, { service: { account: A, subject: svc } } ] }\n}");
      assert.equal(ok.options.accounts.length, 2);
    });

    it("reports account mistakes at their position", () => {
      assert.equal(errorOf("accounts { $G {} }"), 't.conf:1:12: "$G" is a reserved account name');
      assert.equal(errorOf("accounts [A, A]"), 't.conf:1:14: account "A" is defined twice');
      assert.equal(
        errorOf("accounts {\n  B { imports [ { stream: { account: NOPE, subject: x } } ] }\n}"),
        't.conf:2:17: account "NOPE" is not defined (used by a stream import)',
      );
      assert.equal(
        errorOf("accounts { A { exports [ { stream: x, service: y } ] } }"),
        't.conf:1:26: "accounts.A.exports" has both a stream and a service',
      );
      assert.equal(
        errorOf("accounts { A { mappings { \"x\": [ { destination: y } ] } } }"),
        't.conf:1:34: "accounts.A.mappings.x" needs a weight for destination "y"',
      );
      assert.equal(errorOf("accounts { A: {} }\nsystem_account: SYSX"), 't.conf:2:17: system_account "SYSX" is not a defined account');
      assert.equal(
        errorOf("authorization { user: u, password: p }\naccounts { A { users [ { user: a, password: b } ] } }"),
        "t.conf:1:1: cannot have a single authorization user and users in accounts",
      );
    });
  });

  describe("cluster, gateway, leafnodes", () => {
    it("maps a cluster block", () => {
      const c = load(`
cluster {
  name: c1
  listen: 127.0.0.1:-1
  authorization { user: r, password: s, timeout: 1 }
  routes [ nats-route://r:s@127.0.0.1:6222, "nats://127.0.0.1:6223", nats://127.0.0.1:6222 ]
  advertise: "r.example.com:6222"
  no_advertise: true
  connect_retries: 4
  permissions { import: ["a.>"], export: { allow: ">", deny: "priv.>" } }
  pool_size: 3
}`).options.cluster!;
      assert.deepEqual(c, {
        name: "c1",
        host: "127.0.0.1",
        port: -1,
        authorization: { user: "r", password: "s", timeout: 1000 },
        routes: ["nats-route://r:s@127.0.0.1:6222", "nats://127.0.0.1:6223", "nats://127.0.0.1:6222"],
        advertise: "r.example.com:6222",
        noAdvertise: true,
        connectRetries: 4,
        permissions: { import: { allow: ["a.>"] }, export: { allow: [">"], deny: ["priv.>"] } },
        poolSize: 3,
      });
      const c2 = load("cluster { host: 10.0.0.1, port: 6222, cluster_advertise: x:1 }").options.cluster!;
      assert.equal(c2.host, "10.0.0.1");
      assert.equal(c2.port, 6222);
      assert.equal(c2.advertise, "x:1");
    });

    it("takes deprecated route permissions from the cluster authorization with a warning", () => {
      const { options, warnings } = load("cluster { port: 1, authorization { user: a, password: b, permissions { publish: x } } }");
      assert.deepEqual(options.cluster!.permissions, { import: { allow: ["x"] }, export: undefined });
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /^t\.conf:1:58: setting "permissions" within cluster authorization is deprecated/);
    });

    it("reports cluster mistakes", () => {
      assert.equal(errorOf("cluster { routes: [\"not a url\"] }"), 't.conf:1:20: invalid value for "cluster.routes": "not a url" is not a URL like nats://host:port');
      assert.equal(errorOf("cluster { authorization { token: t } }"), "t.conf:1:34: cluster authorization does not support tokens");
      assert.equal(errorOf("cluster { authorization { users: [] } }"), "t.conf:1:34: cluster authorization does not allow multiple users");
      assert.equal(errorOf("cluster { permissions { allow_responses: true } }"), 't.conf:1:23: "cluster.permissions": cluster permissions do not support allow_responses');
    });

    it("maps a gateway block with its remote gateways", () => {
      const g = load(`
gateway {
  name: east
  listen: 0.0.0.0:7222
  advertise: gw:7222
  authorization { user: g, password: p }
  connect_retries: 2
  reject_unknown: true
  gateways [
    { name: west, url: "nats://w1:7222" }
    { name: south, urls: [ "nats://s1:7222", "nats://s2:7222" ], tls { ca_file: "${path.join(FIXTURES, "certs/ca.pem")}" } }
  ]
}`).options.gateway!;
      assert.deepEqual(g, {
        name: "east",
        host: "0.0.0.0",
        port: 7222,
        advertise: "gw:7222",
        authorization: { user: "g", password: "p" },
        connectRetries: 2,
        rejectUnknown: true,
        gateways: [
          { name: "west", urls: ["nats://w1:7222"] },
          { name: "south", urls: ["nats://s1:7222", "nats://s2:7222"], tls: { caFile: path.join(FIXTURES, "certs/ca.pem") } },
        ],
      });
      assert.equal(errorOf("gateway { port: 7222 }"), 't.conf:1:9: "gateway" needs a name');
      assert.equal(errorOf("gateway { name: g, gateways [ { name: x } ] }"), 't.conf:1:31: gateway "x" has no url');
    });

    it("maps a leafnodes block with remotes", () => {
      const env = { HOME_DIR: "/home/leaf" };
      const l = optionsFromConfig(
        parseConfigText(
          `
leafnodes {
  port: 7422
  host: 127.0.0.1
  advertise: leaf:7422
  reconnect_interval: "5s"
  authorization { user: l, password: p, account: A, timeout: 2 }
  remotes [
    { url: "nats-leaf://hub:7422", account: A, credentials: "$HOME_DIR/a.creds", deny_import: "x.>", deny_export: ["y", "z"], no_randomize: true }
    { urls: [ "tls://h1:7422", "tls://h2:7422" ], local: B, hub: true }
  ]
}
accounts [A, B]`,
          "t.conf",
          env,
        ),
        env,
      ).options.leafnodes!;
      assert.deepEqual(l, {
        host: "127.0.0.1",
        port: 7422,
        advertise: "leaf:7422",
        reconnectInterval: 5000,
        authorization: { user: "l", password: "p", account: "A", timeout: 2000 },
        remotes: [
          {
            urls: ["nats-leaf://hub:7422"],
            account: "A",
            credentials: "/home/leaf/a.creds",
            denyImports: ["x.>"],
            denyExports: ["y", "z"],
            noRandomize: true,
          },
          { urls: ["tls://h1:7422", "tls://h2:7422"], account: "B", hub: true },
        ],
      });
      assert.equal(load("leaf { reconnect: 3 }").options.leafnodes!.reconnectInterval, 3000);
      assert.equal(errorOf("leafnodes { remotes [ { account: A } ] }"), 't.conf:1:23: "leafnodes.remotes" entry needs a url');
    });
  });

  describe("tls", () => {
    const cert = path.join(FIXTURES, "certs/server-cert.pem");
    const key = path.join(FIXTURES, "certs/server-key.pem");
    const ca = path.join(FIXTURES, "certs/ca.pem");

    it("maps every tls key", () => {
      const tls = load(`tls {
  cert_file: "${cert}"
  key_file: "${key}"
  ca_file: "${ca}"
  verify_and_map: true
  insecure: false
  timeout: 1.5
  cipher_suites: ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"]
  curve_preferences: ["CurveP256"]
  pinned_certs: ["${"A".repeat(64)}"]
  handshake_first: true
}`).options.tls;
      assert.deepEqual(tls, {
        certFile: cert,
        keyFile: key,
        caFile: ca,
        verifyAndMap: true,
        verify: true,
        insecure: false,
        timeout: 1500,
        cipherSuites: ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"],
        curvePreferences: ["CurveP256"],
        pinnedCerts: ["a".repeat(64)],
        handshakeFirst: true,
      });
      assert.equal(load(`tls { cert_file: "${cert}", key_file: "${key}", timeout: "250ms" }`).options.tls!.timeout, 250);
    });

    it("reports unreadable files, half key pairs and bad pins", () => {
      assert.equal(errorOf('tls {\n  cert_file: "/nonexistent/c.pem"\n}'), 't.conf:2:14: invalid value for "tls.cert_file": cannot read file "/nonexistent/c.pem"');
      assert.equal(errorOf(`tls { cert_file: "${cert}" }`), 't.conf:1:5: "tls" has cert_file but no key_file');
      assert.equal(errorOf('tls { pinned_certs: ["abc"] }'), 't.conf:1:22: invalid value for "tls.pinned_certs": "abc" is not a hex-encoded SHA-256 of a SubjectPublicKeyInfo');
      assert.equal(errorOf("tls { foo: 1 }"), 't.conf:1:7: unknown configuration key "foo" in "tls"');
    });
  });

  describe("operator and resolver", () => {
    it("maps operator, resolver and resolver_preload (fixture)", function () {
      const { options } = loadConfigFile(path.join(FIXTURES, "natsjs_operator.conf"), {});
      assert.equal(options.operator!.length, 1);
      assert.ok(options.operator![0].startsWith("eyJ"));
      assert.deepEqual(options.resolver, { type: "memory" });
      assert.equal(Object.keys(options.resolverPreload!).length, 2);
      assert.match(options.systemAccount!, /^A[A-Z2-7]{55}$/);
    });

    it("maps the resolver forms", () => {
      assert.deepEqual(load("resolver: MEM").options.resolver, { type: "memory" });
      assert.deepEqual(load('resolver: URL("http://127.0.0.1:9090/jwt/v1/accounts/")').options.resolver, {
        type: "url",
        url: "http://127.0.0.1:9090/jwt/v1/accounts/",
      });
      assert.deepEqual(load('resolver { type: full, dir: "/tmp/jwt", allow_delete: true, interval: "2m", timeout: "1s" }').options.resolver, {
        type: "full",
        dir: "/tmp/jwt",
        allowDelete: true,
        interval: 120_000,
        timeout: 1000,
      });
      assert.deepEqual(load('resolver { type: cache, dir: "/tmp/jwt", ttl: "1h", limit: 100 }').options.resolver, {
        type: "cache",
        dir: "/tmp/jwt",
        ttl: 3_600_000,
        limit: 100,
      });
    });

    it("reports bad operator, resolver and preload values", () => {
      assert.equal(
        errorOf("operator: /nonexistent/op.jwt"),
        't.conf:1:11: invalid value for "operator": "/nonexistent/op.jwt" is neither an operator JWT nor a readable file',
      );
      assert.equal(errorOf("resolver: FILE"), 't.conf:1:11: invalid value for "resolver": expected MEMORY, URL("...") or a map { type: full|cache, dir }');
      assert.equal(errorOf("resolver_preload { ABC: notajwt }"), 't.conf:1:25: invalid value for "resolver_preload.ABC": not an account JWT');
    });
  });

  describe("describeReloadChanges", () => {
    it("lists changed options and refuses host, port and server name", () => {
      const a = load("port: 4222\nserver_name: a\ndebug: false\ncluster { port: 6222, routes: [nats://h:1] }").options;
      const b = load("port: 4333\nserver_name: b\ndebug: true\ncluster { port: 6222, routes: [nats://h:1, nats://h:2] }\ngateway { name: g, port: 7222 }").options;
      const r = describeReloadChanges(a, b);
      assert.deepEqual(r.changed.sort(), ["cluster", "debug", "gateway", "port", "serverName"]);
      assert.deepEqual(r.refused.sort(), ["port", "serverName"]);
    });

    it("reports nothing for equal options, whatever file they came from", () => {
      const a = loadConfigFile(path.join(FIXTURES, "accounts.conf"), {}).options;
      const b = optionsFromConfig(parseConfigText(fs.readFileSync(path.join(FIXTURES, "accounts.conf"), "utf8"), "other.conf", {}), {}).options;
      assert.deepEqual(describeReloadChanges(a, b), { changed: [], refused: [] });
    });

    it("treats absent and undefined fields as equal and reloads auth, tls and leaf changes", () => {
      const a = withDefaults({});
      const b = withDefaults({ authorization: { token: "x" }, leafnodes: { host: "0.0.0.0", port: 7422, remotes: [] } });
      assert.deepEqual(describeReloadChanges(a, { ...a, tls: undefined }), { changed: [], refused: [] });
      assert.deepEqual(describeReloadChanges(a, b), { changed: ["authorization", "leafnodes"], refused: [] });
      assert.deepEqual(describeReloadChanges(a, { ...a, host: "127.0.0.1" }).refused, ["host"]);
    });
  });
});

/** Runs `nats-server -t -c file` (in the fixtures folder, for relative cert paths). */
function natsServerCheck(bin: string, file: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      bin,
      ["-t", "-c", file],
      { cwd: FIXTURES, env: { ...process.env, ...FIXTURE_ENV }, timeout: 10_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0;
        resolve({ code, output: `${stdout}${stderr}`.trim() });
      },
    );
  });
}

describe("config fixtures are real nats-server configs", () => {
  const valid = [
    "syntax.conf",
    "natsjs_auth.conf",
    "natsjs_tls.conf",
    "natsjs_operator.conf",
    "cluster_a.conf",
    "cluster_b.conf",
    "cluster_c.conf",
    "include_main.conf",
    "accounts.conf",
    "peers.conf",
    "unsupported.conf",
    "env.conf",
    "natsc_style.conf",
  ];
  let cwd: string;
  // TLS and operator paths in fixtures are relative to the working directory, as in nats-server.
  before(() => {
    cwd = process.cwd();
    process.chdir(FIXTURES);
  });
  after(() => process.chdir(cwd));

  for (const file of valid) {
    it(`${file}: loads, and nats-server -t accepts it`, async function () {
      const { warnings } = loadConfigFile(file, FIXTURE_ENV);
      for (const w of warnings) assert.match(w, new RegExp(`^${file.replace(".", "\\.")}:\\d+:\\d+: `));
      if (!NATS_SERVER) {
        console.log(`      (skipping the nats-server -t check of ${file}: no nats-server binary found)`);
        this.skip();
      }
      const r = await natsServerCheck(NATS_SERVER, file);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /is valid/);
    });
  }

  it("syntax.conf maps to the expected options", () => {
    const { options, warnings } = loadConfigFile("syntax.conf", {});
    assert.deepEqual(warnings, []);
    assert.equal(options.serverName, "syntax-test");
    assert.equal(options.host, "127.0.0.1");
    assert.equal(options.port, 4222);
    assert.equal(options.maxConnections, 100);
    assert.equal(options.maxPayload, 1024 * 1024);
    assert.equal(options.maxControlLine, 8 * 1024);
    assert.equal(options.maxPending, 64 * 1024 * 1024);
    assert.equal(options.pingInterval, 90_000);
    assert.equal(options.writeDeadline, 500);
    assert.equal(options.lameDuckDuration, 120_000);
    assert.equal(options.lameDuckGracePeriod, 10_000);
    assert.deepEqual([options.debug, options.trace, options.logtime], [false, false, true]);
    assert.equal(options.httpPort, 8222);
    assert.deepEqual(options.serverTags, ["region:eu", "zone:a", "plain-tag"]);
    const users = options.authorization!.users!;
    assert.equal(users[0].password, "tab\tandA");
    assert.equal(users[1].password, "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG");
    assert.equal(users[2].password, "\nmulti-line\nblock\n");
    assert.deepEqual(users[2].permissions!.allowResponses, { maxMsgs: 2, expires: 60_000 });
    assert.equal(options.authorization!.timeout, 1500);
  });

  it("natsjs_auth.conf maps users, nkeys and no_auth_user", () => {
    const { options } = loadConfigFile("natsjs_auth.conf", {});
    assert.equal(options.port, -1);
    assert.equal(options.httpHost, "127.0.0.1");
    assert.equal(options.httpPort, -1);
    assert.equal(options.portsFileDir, "/tmp");
    const users = options.authorization!.users!;
    assert.deepEqual(users[0], {
      user: "derek",
      password: "s3cr3t",
      permissions: { subscribe: { allow: ["bar"] }, publish: { allow: ["foo"] } },
    });
    assert.match(users[1].nkey!, /^U[A-Z2-7]{55}$/);
    assert.deepEqual(users[2], { user: "nopass", password: "" });
    assert.equal(options.noAuthUser, "derek");
  });

  it("natsjs_tls.conf maps client TLS, token auth and a TLS cluster", () => {
    const { options, warnings } = loadConfigFile("natsjs_tls.conf", {});
    assert.deepEqual(options.tls, {
      certFile: "certs/server-cert.pem",
      keyFile: "certs/server-key.pem",
      caFile: "certs/ca.pem",
      verify: true,
      timeout: 2000,
    });
    assert.deepEqual(options.authorization, { token: "t0k3n", timeout: 3000 });
    assert.equal(options.cluster!.tls!.timeout, 2000);
    assert.equal(options.cluster!.routes.length, 3);
    assert.deepEqual(warnings, ['natsjs_tls.conf:31:1: "jetstream" is not supported by natsfleet-server yet; ignored']);
  });

  it("the 3-node cluster fixtures route to each other with credentials from an include", () => {
    const ports = ["16222", "16223", "16224"];
    ["a", "b", "c"].forEach((x, i) => {
      const { options } = loadConfigFile(`cluster_${x}.conf`, {});
      const c = options.cluster!;
      assert.equal(c.name, "three");
      assert.equal(c.port, Number(ports[i]));
      assert.deepEqual(c.authorization, { user: "ruser", password: "rpass", timeout: 2000 });
      assert.deepEqual(c.permissions, { import: { allow: [">"] }, export: { allow: [">"] } });
      assert.deepEqual(
        c.routes,
        ports.filter((_, j) => j !== i).map((p) => `nats-route://ruser:rpass@127.0.0.1:${p}`),
      );
      assert.equal(options.serverName, `node-${x}`);
    });
  });

  it("natsc_style.conf maps certificate-mapped users and tab-indented permissions", () => {
    const { options } = loadConfigFile("natsc_style.conf", {});
    assert.equal(options.host, "0.0.0.0");
    assert.equal(options.port, 4443);
    assert.equal(options.tls!.verifyAndMap, true);
    assert.equal(options.tls!.verify, true);
    assert.deepEqual(options.accounts, [
      { name: "DEREK", users: [{ user: "derek@nats.io", account: "DEREK" }] },
      {
        name: "OTHER",
        users: [
          {
            user: "ivan",
            password: "pwd",
            account: "OTHER",
            permissions: { publish: { allow: ["foo"] }, subscribe: { allow: ["bar", "_INBOX.>"] } },
          },
        ],
      },
    ]);
  });

  it("env.conf takes its values from the environment", () => {
    const { options } = loadConfigFile("env.conf", FIXTURE_ENV);
    assert.equal(options.port, 4333);
    assert.equal(options.serverName, "from-env");
    assert.deepEqual(options.authorization, { token: "envtoken" });
    assert.throws(() => loadConfigFile("env.conf", {}), /^ConfigError: env\.conf:2:7: variable "\$NATSFLEET_TEST_PORT" is not defined/);
  });
});
