import { ensureTestCerts } from "../helpers/certs";
import { strict as assert } from "assert";
import * as path from "path";
import { FlagError, USAGE, mergeOptions, parseFlags } from "../../broker/cli/flags";
import { loadConfigFile } from "../../broker/config";
import { withDefaults } from "../../broker/options";

const FIXTURES = path.join(__dirname, "fixtures", "config");
// TLS fixtures point at certs/ (made by openssl at test time, never committed).
before(function () {
  this.timeout(60000);
  ensureTestCerts(path.join(FIXTURES, "certs"));
});
const CERT = path.join(FIXTURES, "certs/server-cert.pem");
const KEY = path.join(FIXTURES, "certs/server-key.pem");
const CA = path.join(FIXTURES, "certs/ca.pem");

function flagError(argv: string[]): string {
  try {
    parseFlags(argv);
  } catch (err) {
    assert.ok(err instanceof FlagError, `expected a FlagError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`expected a FlagError for ${argv.join(" ")}`);
}

describe("natsfleet-server flags", () => {
  describe("syntax (Go flag package)", () => {
    it("takes one or two dashes, and the value after a blank or '='", () => {
      for (const argv of [["-p", "4333"], ["--p", "4333"], ["-p=4333"], ["--port=4333"], ["-port", "4333"], ["--port", "4333"]]) {
        assert.equal(parseFlags(argv).overrides.port, 4333, argv.join(" "));
      }
    });

    it("takes the next argument as the value even when it starts with '-'", () => {
      assert.equal(parseFlags(["-p", "-1"]).overrides.port, -1);
      assert.equal(parseFlags(["--user", "-weird-"]).overrides.authorization?.user, "-weird-");
    });

    it("reads boolean flags without a value, or with =true/=false in Go's spellings", () => {
      assert.equal(parseFlags(["-D"]).overrides.debug, true);
      assert.equal(parseFlags(["-D=false"]).overrides.debug, false);
      assert.equal(parseFlags(["--debug=0"]).overrides.debug, false);
      assert.equal(parseFlags(["-D=T"]).overrides.debug, true);
      // A boolean flag never consumes the next argument, which is then a command.
      assert.equal(flagError(["-D", "false"]), 'unrecognized command: "false"');
    });

    it("stops at '--' and at the first non-flag argument", () => {
      assert.equal(flagError(["-D", "--", "-p", "1"]), 'unrecognized command: "-p"');
      assert.equal(flagError(["stray", "-p", "1"]), 'unrecognized command: "stray"');
    });

    it("applies flags in order: the last one wins", () => {
      assert.equal(parseFlags(["-p", "1", "--port", "2"]).overrides.port, 2);
      assert.equal(parseFlags(["-D", "-D=false"]).overrides.debug, false);
    });

    it("reports unknown flags, bad values, missing values and bad syntax", () => {
      assert.equal(flagError(["-x"]), "unknown flag -x");
      assert.equal(flagError(["--nope=1"]), "unknown flag --nope");
      assert.equal(flagError(["-p", "abc"]), 'invalid value "abc" for flag -p: expected an integer');
      assert.equal(flagError(["--port=4x"]), 'invalid value "4x" for flag --port: expected an integer');
      assert.equal(flagError(["-p", "70000"]), 'invalid value "70000" for flag -p: port must be -1..65535');
      assert.equal(flagError(["-m", "-5"]), 'invalid value "-5" for flag -m: port must be -1..65535');
      assert.equal(flagError(["-D=maybe"]), 'invalid value "maybe" for flag -D: expected true or false');
      assert.equal(flagError(["-c"]), "flag needs an argument: -c");
      assert.equal(flagError(["---p"]), "bad flag syntax: ---p");
      assert.equal(flagError(["-=1"]), "bad flag syntax: -=1");
      assert.equal(flagError(["--connect_retries", "-1"]), 'invalid value "-1" for flag --connect_retries: must not be negative');
    });

    it("returns empty results for no arguments", () => {
      assert.deepEqual(parseFlags([]), { overrides: {}, help: false, version: false, checkConfig: false, warnings: [] });
    });
  });

  describe("every flag", () => {
    it("-c, --config, -config", () => {
      assert.equal(parseFlags(["-c", "a.conf"]).configFile, "a.conf");
      assert.equal(parseFlags(["--config", "b.conf"]).configFile, "b.conf");
      assert.equal(parseFlags(["-config=c.conf"]).configFile, "c.conf");
    });

    it("-p, --port (-1 random, 0 the default)", () => {
      assert.equal(parseFlags(["-p", "4222"]).overrides.port, 4222);
      assert.equal(parseFlags(["--port", "-1"]).overrides.port, -1);
      assert.equal(parseFlags(["-p", "0"]).overrides.port, 4222);
    });

    it("-a, --addr, --net", () => {
      for (const f of ["-a", "--addr", "--net", "-net"]) assert.equal(parseFlags([f, "127.0.0.1"]).overrides.host, "127.0.0.1", f);
    });

    it("-m, --http_port, -ms, --https_port", () => {
      assert.equal(parseFlags(["-m", "8222"]).overrides.httpPort, 8222);
      assert.equal(parseFlags(["--http_port", "-1"]).overrides.httpPort, -1);
      assert.equal(parseFlags(["-ms", "8443"]).overrides.httpsPort, 8443);
      assert.equal(parseFlags(["--https_port=8444"]).overrides.httpsPort, 8444);
    });

    it("-n, --name, --server_name", () => {
      for (const f of ["-n", "--name", "--server_name"]) assert.equal(parseFlags([f, "srv"]).overrides.serverName, "srv", f);
    });

    it("-l, --log, -P, --pid, --ports_file_dir, --client_advertise", () => {
      assert.equal(parseFlags(["-l", "/tmp/a.log"]).overrides.logFile, "/tmp/a.log");
      assert.equal(parseFlags(["--log", "/tmp/b.log"]).overrides.logFile, "/tmp/b.log");
      assert.equal(parseFlags(["-P", "/tmp/a.pid"]).overrides.pidFile, "/tmp/a.pid");
      assert.equal(parseFlags(["--pid", "/tmp/b.pid"]).overrides.pidFile, "/tmp/b.pid");
      assert.equal(parseFlags(["--ports_file_dir", "/tmp"]).overrides.portsFileDir, "/tmp");
      assert.equal(parseFlags(["--client_advertise", "h:4222"]).overrides.clientAdvertise, "h:4222");
    });

    it("-D, --debug, -V, --trace, -DV, -VV, -DVV", () => {
      assert.equal(parseFlags(["-D"]).overrides.debug, true);
      assert.equal(parseFlags(["--debug"]).overrides.debug, true);
      assert.equal(parseFlags(["-V"]).overrides.trace, true);
      assert.equal(parseFlags(["--trace"]).overrides.trace, true);
      const dv = parseFlags(["-DV"]);
      assert.deepEqual([dv.overrides.debug, dv.overrides.trace], [true, true]);
      const dvOff = parseFlags(["-DV=false"]);
      assert.deepEqual([dvOff.overrides.debug, dvOff.overrides.trace], [false, false]);
      const vv = parseFlags(["-VV"]);
      assert.equal(vv.overrides.trace, true);
      assert.equal(vv.overrides.debug, undefined);
      assert.match(vv.warnings[0], /^flag -VV: verbose tracing is not supported/);
      const dvv = parseFlags(["-DVV"]);
      assert.deepEqual([dvv.overrides.debug, dvv.overrides.trace], [true, true]);
      assert.equal(dvv.warnings.length, 1);
    });

    it("-T, --logtime (boolean, true by default)", () => {
      assert.equal(parseFlags(["-T"]).overrides.logtime, true);
      assert.equal(parseFlags(["-T=false"]).overrides.logtime, false);
      assert.equal(parseFlags(["--logtime=false"]).overrides.logtime, false);
      assert.equal(parseFlags([]).overrides.logtime, undefined);
    });

    it("--user, --pass, --auth", () => {
      assert.deepEqual(parseFlags(["--user", "u", "--pass", "p"]).overrides.authorization, { user: "u", password: "p" });
      assert.deepEqual(parseFlags(["-user=u", "-pass=p"]).overrides.authorization, { user: "u", password: "p" });
      assert.deepEqual(parseFlags(["--auth", "tok"]).overrides.authorization, { token: "tok" });
    });

    it("--cluster, --cluster_listen (URL with optional credentials, -1 for random, '' to turn off)", () => {
      assert.deepEqual(parseFlags(["--cluster", "nats://127.0.0.1:6222"]).overrides.cluster, {
        host: "127.0.0.1",
        port: 6222,
        authorization: undefined,
      });
      assert.deepEqual(parseFlags(["-cluster", "nats://ruser:r%40ss@0.0.0.0:-1"]).overrides.cluster, {
        host: "0.0.0.0",
        port: -1,
        authorization: { user: "ruser", password: "r@ss" },
      });
      assert.deepEqual(parseFlags(["--cluster_listen", "nats-route://[::1]:6333"]).overrides.cluster, {
        host: "::1",
        port: 6333,
        authorization: undefined,
      });
      assert.deepEqual(parseFlags(["--cluster", ""]).overrides.cluster, { port: 0 });
      assert.equal(flagError(["--cluster", "127.0.0.1:6222"]), 'invalid value "127.0.0.1:6222" for flag --cluster: expected a URL like nats://host:port');
      assert.equal(flagError(["--cluster", "nats://h"]), 'invalid value "nats://h" for flag --cluster: expected a URL like nats://host:port');
      assert.equal(flagError(["--cluster", "nats://u@h:1"]), 'invalid value "nats://u@h:1" for flag --cluster: a cluster user needs a password');
    });

    it("--routes (comma separated), --cluster_name, --no_advertise, --cluster_advertise, --connect_retries", () => {
      assert.deepEqual(parseFlags(["--routes", "nats://127.0.0.1:6222, nats://127.0.0.1:6223"]).overrides.cluster, {
        routes: ["nats://127.0.0.1:6222", "nats://127.0.0.1:6223"],
      });
      assert.deepEqual(parseFlags(["--routes", ""]).overrides.cluster, { routes: [] });
      assert.equal(
        flagError(["--routes", "nats://a:1,oops"]),
        'invalid value "nats://a:1,oops" for flag --routes: "oops" is not a URL like nats://host:port',
      );
      assert.deepEqual(
        parseFlags(["--cluster_name", "c1", "--no_advertise", "--cluster_advertise", "r:6222", "--connect_retries", "3"]).overrides.cluster,
        { name: "c1", noAdvertise: true, advertise: "r:6222", connectRetries: 3 },
      );
    });

    it("-t checks the config file and needs -c", () => {
      const r = parseFlags(["-t", "-c", "a.conf"]);
      assert.equal(r.checkConfig, true);
      assert.equal(r.configFile, "a.conf");
      assert.equal(flagError(["-t"]), "-t needs a configuration file: give it with -c <file>");
    });

    it("-v, --version, and the version command", () => {
      assert.equal(parseFlags(["-v"]).version, true);
      assert.equal(parseFlags(["--version"]).version, true);
      assert.equal(parseFlags(["version"]).version, true);
      assert.equal(parseFlags(["VERSION"]).version, true);
    });

    it("-h, --help, --help_tls and the help command", () => {
      for (const argv of [["-h"], ["--help"], ["-help"], ["--help_tls"], ["help"]]) assert.equal(parseFlags(argv).help, true, argv[0]);
      // Help wins over a -t without config, as nats-server prints usage first.
      assert.equal(parseFlags(["-t", "-h"]).help, true);
    });

    it("--tls, --tlscert, --tlskey, --tlscacert, --tlsverify", () => {
      assert.deepEqual(parseFlags(["--tls", "--tlscert", CERT, "--tlskey", KEY]).overrides.tls, { certFile: CERT, keyFile: KEY });
      assert.deepEqual(
        parseFlags(["-tlsverify", "-tlscert", CERT, "-tlskey", KEY, "-tlscacert", CA]).overrides.tls,
        { certFile: CERT, keyFile: KEY, caFile: CA, verify: true },
      );
      assert.equal(parseFlags(["--tls=false", "--tlscert", CERT]).overrides.tls, null);
      assert.equal(flagError(["--tls"]), "TLS flags need a server certificate: give it with --tlscert <file>");
      assert.equal(flagError(["--tlscert", CERT]), "TLS flags need the certificate's private key: give it with --tlskey <file>");
    });

    it("-js, --jetstream, -sd, --store_dir: accepted with a warning", () => {
      const r = parseFlags(["-js", "-sd", "/tmp/js", "--jetstream", "--store_dir=/tmp/js2"]);
      assert.deepEqual(r.warnings, [
        "flag -js (JetStream) is not supported by natsfleet-server yet; ignored",
        "flag -sd (JetStream store) is not supported by natsfleet-server yet; ignored",
        "flag --jetstream (JetStream) is not supported by natsfleet-server yet; ignored",
        "flag --store_dir (JetStream store) is not supported by natsfleet-server yet; ignored",
      ]);
      assert.deepEqual(r.overrides, {});
    });

    it("-sl, --signal: parsed for main to send", () => {
      const r = parseFlags(["--signal", "reload=/tmp/x.pid"]);
      assert.equal(r.signal, "reload=/tmp/x.pid");
      assert.deepEqual(r.warnings, []);
      assert.equal(parseFlags(["-sl", "stop"]).signal, "stop");
    });

    it("-s, --syslog, -r, --remote_syslog, --log_size_limit, --profile: accepted with a warning", () => {
      const r = parseFlags(["-s", "--syslog", "-r", "udp://h:514", "--remote_syslog=udp://h:514", "--log_size_limit", "100", "--profile", "6060"]);
      assert.equal(r.warnings.length, 6);
      assert.ok(r.warnings.every((w) => /^flag -{1,2}\w+ .*; ignored$/.test(w)), r.warnings.join("\n"));
      assert.deepEqual(r.overrides, {});
      // --max_traced_msg_len is applied (protocol tracing cuts payloads there)
      assert.deepEqual(parseFlags(["--max_traced_msg_len", "10"]).overrides, { maxTracedMsgLen: 10 });
      assert.equal(flagError(["--profile", "x"]), 'invalid value "x" for flag --profile: expected an integer');
    });

    it("the flags nats.c's test suite passes", () => {
      const r = parseFlags([
        "-a", "127.0.0.1", "-p", "4223", "-l", "/tmp/s.log", "-DV", "-js", "-sd", "/tmp/js",
        "-cluster", "nats://127.0.0.1:6223", "-cluster_name", "abc", "-routes", "nats://127.0.0.1:6222",
        "-user", "u", "--pass", "p",
      ]);
      assert.deepEqual(r.overrides, {
        host: "127.0.0.1",
        port: 4223,
        logFile: "/tmp/s.log",
        debug: true,
        trace: true,
        cluster: { host: "127.0.0.1", port: 6223, authorization: undefined, name: "abc", routes: ["nats://127.0.0.1:6222"] },
        authorization: { user: "u", password: "p" },
      });
      assert.equal(r.warnings.length, 2);
    });
  });

  describe("USAGE", () => {
    it("names natsfleet-server and documents every flag", () => {
      assert.match(USAGE, /Usage: natsfleet-server \[options\]/);
      assert.doesNotMatch(USAGE, /Usage: nats-server/);
      const flags = [
        "-a", "--addr", "--net", "-p", "--port", "-n", "--name", "--server_name", "-P", "--pid", "-m", "--http_port",
        "-ms", "--https_port", "-c", "--config", "-t", "-sl", "--signal", "--client_advertise", "--ports_file_dir",
        "-l", "--log", "-T", "--logtime", "-s", "--syslog", "-r", "--remote_syslog", "-D", "--debug", "-V", "--trace",
        "-VV", "-DV", "-DVV", "--log_size_limit", "--max_traced_msg_len", "-js", "--jetstream", "-sd", "--store_dir",
        "--user", "--pass", "--auth", "--tls", "--tlscert", "--tlskey", "--tlsverify", "--tlscacert", "--routes",
        "--cluster", "--cluster_name", "--no_advertise", "--cluster_advertise", "--connect_retries", "--cluster_listen",
        "--profile", "-h", "--help", "-v", "--version", "--help_tls",
      ];
      for (const f of flags) {
        assert.match(USAGE, new RegExp(`(^|[\\s,])${f.replace(/-/g, "\\-")}([\\s,=]|$)`, "m"), `USAGE lacks ${f}`);
        // And every documented flag parses (with a value when it takes one).
        const name = f.replace(/^-+/, "");
        assert.doesNotThrow(() => {
          try {
            parseFlags([`${f}=1`]);
          } catch (err) {
            if (!(err instanceof FlagError) || /^unknown flag/.test(err.message)) throw err;
          }
        }, `${name} is not a known flag`);
      }
    });
  });

  describe("mergeOptions", () => {
    it("lets flags override the config file (nats.c: -c file -a 127.0.0.1)", () => {
      const file = loadConfigFile(path.join(FIXTURES, "accounts.conf"), {}).options;
      const merged = mergeOptions(file, parseFlags(["-c", "accounts.conf", "-a", "127.0.0.1", "-p", "4555", "-D", "-m", "8222"]));
      assert.equal(merged.host, "127.0.0.1");
      assert.equal(merged.port, 4555);
      assert.equal(merged.debug, true);
      assert.equal(merged.httpPort, 8222);
      assert.deepEqual(merged.accounts, file.accounts, "everything else comes from the file");
      assert.equal(merged.systemAccount, "SYS");
      assert.equal(file.port, -1, "the file's options are not modified");
    });

    it("starts from defaults when there is no config file", () => {
      const merged = mergeOptions(withDefaults({}), parseFlags(["-p", "-1", "-n", "solo"]));
      assert.deepEqual(merged, { ...withDefaults({}), port: -1, serverName: "solo" });
    });

    it("merges --user/--pass/--auth into the file's authorization block", () => {
      const file = withDefaults({ authorization: { user: "a", password: "b", timeout: 3000 } });
      assert.deepEqual(mergeOptions(file, parseFlags(["--pass", "new"])).authorization, { user: "a", password: "new", timeout: 3000 });
      assert.deepEqual(mergeOptions(withDefaults({}), parseFlags(["--auth", "t"])).authorization, { token: "t" });
    });

    it("merges --cluster into the file's cluster block, keeping its routes, replacing its credentials", () => {
      const file = loadConfigFile(path.join(FIXTURES, "cluster_a.conf"), {}).options;
      const merged = mergeOptions(file, parseFlags(["--cluster", "nats://127.0.0.1:-1"]));
      assert.equal(merged.cluster!.host, "127.0.0.1");
      assert.equal(merged.cluster!.port, -1);
      assert.deepEqual(merged.cluster!.routes, file.cluster!.routes);
      assert.equal(merged.cluster!.name, "three");
      assert.equal(merged.cluster!.authorization, undefined, "as nats-server: --cluster without credentials clears them");
      const withCreds = mergeOptions(file, parseFlags(["--cluster", "nats://x:y@127.0.0.1:7000"]));
      assert.deepEqual(withCreds.cluster!.authorization, { user: "x", password: "y", timeout: 2000 });
      const named = mergeOptions(file, parseFlags(["--cluster_name", "other", "--routes", "nats://127.0.0.1:9999"]));
      assert.equal(named.cluster!.name, "other");
      assert.deepEqual(named.cluster!.routes, ["nats://127.0.0.1:9999"]);
      assert.deepEqual(named.cluster!.authorization, file.cluster!.authorization);
    });

    it("creates the cluster block from flags alone", () => {
      const merged = mergeOptions(withDefaults({}), parseFlags(["--routes", "nats://127.0.0.1:6222", "--cluster", "nats://127.0.0.1:6223"]));
      assert.deepEqual(merged.cluster, { host: "127.0.0.1", port: 6223, routes: ["nats://127.0.0.1:6222"], authorization: undefined });
    });

    it("refuses --routes without a cluster listener, as nats-server does", () => {
      assert.throws(
        () => mergeOptions(withDefaults({}), parseFlags(["--routes", "nats://127.0.0.1:6222"])),
        (err: unknown) => err instanceof FlagError && /^solicited routes require cluster capabilities/.test(err.message),
      );
      assert.throws(
        () => mergeOptions(loadConfigFile(path.join(FIXTURES, "cluster_a.conf"), {}).options, parseFlags(["--cluster", "", "--routes", "nats://h:1"])),
        FlagError,
      );
    });

    it("replaces the file's TLS with the flags', or turns it off with -tls=false", () => {
      const file = withDefaults({ tls: { certFile: "a", keyFile: "b", verify: true } });
      assert.deepEqual(mergeOptions(file, parseFlags(["--tlscert", CERT, "--tlskey", KEY])).tls, { certFile: CERT, keyFile: KEY });
      assert.equal(mergeOptions(file, parseFlags(["--tls=false"])).tls, undefined);
      assert.deepEqual(mergeOptions(file, parseFlags(["-D"])).tls, file.tls);
    });
  });
});

describe("natsfleet-server --signal", () => {
  it("sends the named signal to a pid or a pid file, and names what is wrong otherwise", async () => {
    const { spawn } = await import("child_process");
    const fs = await import("fs");
    const os = await import("os");
    const { sendSignal } = await import("../../broker/cli/signal");
    const child = spawn(process.execPath, ["-e", "process.on('SIGHUP',()=>{process.stdout.write('HUP');process.exit(0)});process.stdout.write('up');setInterval(()=>{},1000)"]);
    try {
      await new Promise((r) => child.stdout.once("data", r));
      const pidFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nf-sig-")), "s.pid");
      fs.writeFileSync(pidFile, String(child.pid));
      const got = new Promise<string>((r) => child.stdout.once("data", (d: Buffer) => r(d.toString())));
      assert.match(sendSignal(`reload=${pidFile}`), /signal "reload" sent to process \d+/);
      assert.equal(await got, "HUP");
      assert.throws(() => sendSignal("bogus=1"), /unknown signal "bogus"/);
      assert.throws(() => sendSignal("reload"), /needs a pid/);
      assert.throws(() => sendSignal("reload=/nonexistent/x.pid"), /cannot read pid file \/nonexistent\/x.pid: ENOENT/);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
