/**
 * The protocol parser: every op and its arguments, payload framing, errors, and the property
 * that matters most on real sockets: however the bytes are split into reads, the parser sees
 * the same operations.
 */
import * as assert from "assert";
import { Parser, ParserSink, Op, ParseError, OP_NAMES, parseSize } from "../../broker/protocol/parser";
import { Prng, seedFrom } from "../helpers/prng";

const CLIENT_OPS = [Op.CONNECT, Op.PUB, Op.HPUB, Op.SUB, Op.UNSUB, Op.PING, Op.PONG, Op.OK, Op.ERR, Op.INFO];
const ALL_OPS = Object.keys(OP_NAMES).map(Number) as Op[];

const ERR_NAMES: Record<number, string> = {
  [ParseError.UnknownOp]: "UnknownOp",
  [ParseError.ControlLine]: "ControlLine",
  [ParseError.BadArgs]: "BadArgs",
  [ParseError.BadTrailer]: "BadTrailer",
};

/**
 * Records what the parser reports as strings, copying everything during the call (offsets are
 * only valid then). Message sizes come from the last argument, as the client does.
 */
class Recorder implements ParserSink {
  events: string[] = [];
  /** Payloads that arrived as a view of an input chunk rather than a copy. */
  views = 0;
  inputs = new Set<Buffer>();

  private args(p: Parser): string {
    const out: string[] = [];
    for (let i = 0; i < p.argc; i++) out.push(p.str(i));
    return JSON.stringify(out);
  }

  onOp(op: Op, p: Parser): boolean {
    const arg = op === Op.CONNECT || op === Op.INFO || op === Op.ERR ? JSON.stringify(p.rest()) : this.args(p);
    this.events.push(`${OP_NAMES[op]} ${arg}`);
    return true;
  }

  onMsgArgs(op: Op, p: Parser): number {
    const size = p.argc > 0 ? p.int(p.argc - 1) : -1;
    this.events.push(`${OP_NAMES[op]} ${this.args(p)}`);
    return size;
  }

  onMsgPayload(op: Op, p: Parser, buf: Buffer, start: number, end: number): boolean {
    if (this.inputs.has(buf)) this.views++;
    // The control line's arguments must still be readable while the payload is handled.
    this.events.push(`  payload ${JSON.stringify(buf.toString("latin1", start, end))} for ${p.str(0)}`);
    return true;
  }

  onParseError(err: ParseError, p: Parser): void {
    this.events.push(`error ${ERR_NAMES[err]}`);
    // The client closes the connection on any parse error, which stops its parser.
    if (this.stopOnError) p.stop();
  }

  constructor(private readonly stopOnError = true) {}
}

/** Events with long strings shortened, so a failure prints readably. */
const short = (events: string[]) => events.map((e) => (e.length > 80 ? `${e.slice(0, 60)}...(${e.length} chars)` : e));

/** Feed `chunks` to a fresh parser; return what it reported. */
function run(chunks: Buffer[], allowed: Op[] = CLIENT_OPS, maxControlLine = 4096): Recorder {
  const rec = new Recorder();
  const p = new Parser(rec, allowed, maxControlLine);
  for (const c of chunks) {
    rec.inputs.add(c);
    p.parse(c);
  }
  return rec;
}

const B = (s: string) => Buffer.from(s, "latin1");

/** A client stream exercising every client op and the awkward corners of each. */
const CLIENT_STREAM = [
  `CONNECT {"verbose":false,"pedantic":false,"headers":true,"name":"a b\\tc"}\r\n`,
  "PING\r\n",
  "PONG\r\n",
  "+OK\r\n",
  "SUB foo 1\r\n",
  "SUB foo.* workers 2\r\n",
  "sub\tbar\t \t3\r\n",
  "UNSUB 1\r\n",
  "UNSUB 2 10\r\n",
  "PUB foo 5\r\nhello\r\n",
  "PUB foo reply.to 5\r\nhello\r\n",
  "PUB foo 0\r\n\r\n",
  "pub foo 6\r\n\r\n\r\n\r\n\r\n",
  "PUB foo 4\r\nPUB \r\n",
  "HPUB foo 12 17\r\nNATS/1.0\r\n\r\nhello\r\n",
  "HPUB foo rep 18 18\r\nNATS/1.0\r\nA: b\r\n\r\n\r\n",
  "INFO {\"server_id\":\"x\"}\r\n",
  "-ERR 'Unknown Protocol Operation'\r\n",
  "PING junk after ping\r\n",
  "PUB bin 4\r\n\u0000\u00ff\r\n\r\n",
  "PING\n",
  "CONNECT{}\r\n",
].join("");

/** Server-to-client and server-to-server ops (the parser serves every connection kind). */
const SERVER_STREAM = [
  "INFO {\"server_id\":\"S\",\"connect_urls\":[\"a:1\"]}\r\n",
  "MSG foo 1 5\r\nhello\r\n",
  "MSG foo 1 reply 0\r\n\r\n",
  "HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
  "RS+ $G foo\r\n",
  "RS+ $G foo q 1\r\n",
  "RS- $G foo\r\n",
  "RMSG $G foo reply 3\r\nabc\r\n",
  "LS+ foo\r\n",
  "LS- foo\r\n",
  "LMSG foo 2\r\nhi\r\n",
  "A+ $G\r\n",
  "A- $G\r\n",
  "PING\r\n",
].join("");

describe("protocol parser", () => {
  describe("ops and arguments", () => {
    it("reports every client op with its arguments and payloads", () => {
      const rec = run([B(CLIENT_STREAM)]);
      assert.deepStrictEqual(rec.events, [
        `CONNECT "{\\"verbose\\":false,\\"pedantic\\":false,\\"headers\\":true,\\"name\\":\\"a b\\\\tc\\"}"`,
        "PING []",
        "PONG []",
        "+OK []",
        `SUB ["foo","1"]`,
        `SUB ["foo.*","workers","2"]`,
        `SUB ["bar","3"]`,
        `UNSUB ["1"]`,
        `UNSUB ["2","10"]`,
        `PUB ["foo","5"]`,
        `  payload "hello" for foo`,
        `PUB ["foo","reply.to","5"]`,
        `  payload "hello" for foo`,
        `PUB ["foo","0"]`,
        `  payload "" for foo`,
        `PUB ["foo","6"]`,
        `  payload "\\r\\n\\r\\n\\r\\n" for foo`,
        `PUB ["foo","4"]`,
        `  payload "PUB " for foo`,
        `HPUB ["foo","12","17"]`,
        `  payload "NATS/1.0\\r\\n\\r\\nhello" for foo`,
        `HPUB ["foo","rep","18","18"]`,
        `  payload "NATS/1.0\\r\\nA: b\\r\\n\\r\\n" for foo`,
        `INFO "{\\"server_id\\":\\"x\\"}"`,
        `-ERR "'Unknown Protocol Operation'"`,
        "PING []",
        `PUB ["bin","4"]`,
        `  payload "\\u0000ÿ\\r\\n" for bin`,
        "PING []",
        `CONNECT "{}"`,
      ]);
    });

    it("reports server and route ops when the connection kind allows them", () => {
      const rec = run([B(SERVER_STREAM)], ALL_OPS);
      assert.deepStrictEqual(rec.events, [
        `INFO "{\\"server_id\\":\\"S\\",\\"connect_urls\\":[\\"a:1\\"]}"`,
        `MSG ["foo","1","5"]`,
        `  payload "hello" for foo`,
        `MSG ["foo","1","reply","0"]`,
        `  payload "" for foo`,
        `HMSG ["foo","1","12","14"]`,
        `  payload "NATS/1.0\\r\\n\\r\\nhi" for foo`,
        `RS+ ["$G","foo"]`,
        `RS+ ["$G","foo","q","1"]`,
        `RS- ["$G","foo"]`,
        `RMSG ["$G","foo","reply","3"]`,
        `  payload "abc" for $G`,
        `LS+ ["foo"]`,
        `LS- ["foo"]`,
        `LMSG ["foo","2"]`,
        `  payload "hi" for foo`,
        `A+ ["$G"]`,
        `A- ["$G"]`,
        "PING []",
      ]);
    });

    it("hands a payload that arrived whole as a view of the input, without copying", () => {
      const rec = run([B("PUB a 3\r\nabc\r\nPUB b 3\r\nxyz\r\n")]);
      assert.strictEqual(rec.views, 2);
    });
  });

  describe("splitting", () => {
    const streams: Array<[string, string, Op[]]> = [
      ["client", CLIENT_STREAM, CLIENT_OPS],
      ["server and route", SERVER_STREAM, ALL_OPS],
    ];
    for (const [name, stream, allowed] of streams) {
      it(`${name} stream: a split at every byte boundary yields the same ops`, () => {
        const whole = run([B(stream)], allowed).events;
        const buf = B(stream);
        for (let i = 1; i < buf.length; i++) {
          const split = run([buf.subarray(0, i), buf.subarray(i)], allowed).events;
          assert.deepStrictEqual(split, whole, `split at byte ${i} (${JSON.stringify(stream.slice(Math.max(0, i - 10), i))}|...)`);
        }
      });

      it(`${name} stream: one byte per read yields the same ops`, () => {
        const buf = B(stream);
        const chunks: Buffer[] = [];
        for (let i = 0; i < buf.length; i++) chunks.push(buf.subarray(i, i + 1));
        assert.deepStrictEqual(run(chunks, allowed).events, run([buf], allowed).events);
      });
    }

    it("random multi-way splits of a long stream yield the same ops", () => {
      const seed = seedFrom("PARSER_SEED");
      const r = new Prng(seed);
      const buf = B(CLIENT_STREAM.repeat(20));
      const whole = run([buf]).events;
      for (let iter = 0; iter < 300; iter++) {
        const cuts = Array.from({ length: r.range(1, 40) }, () => r.range(1, buf.length - 1)).sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const c of [...cuts, buf.length]) {
          chunks.push(buf.subarray(prev, c));
          prev = c;
        }
        assert.deepStrictEqual(run(chunks).events, whole, `seed ${seed} (PARSER_SEED) iteration ${iter}: cuts ${cuts}`);
      }
    });

    it("an error is found the same wherever the input is split, and parsing stops there", () => {
      for (const bad of ["PING\r\nFOO bar\r\nPING\r\n", "PING\r\nPUB foo 3\r\nabcX\r\nPING\r\n", "SUB a 1\r\nMSG foo 1 1\r\nx\r\nPING\r\n"]) {
        const buf = B(bad);
        const whole = run([buf]).events;
        assert.match(whole[whole.length - 1], /^error /);
        for (let i = 1; i < buf.length; i++) {
          assert.deepStrictEqual(run([buf.subarray(0, i), buf.subarray(i)]).events, whole, `${JSON.stringify(bad)} split at ${i}`);
        }
      }
    });
  });

  describe("errors", () => {
    it("an unknown op is UnknownOp and nothing after it is parsed", () => {
      assert.deepStrictEqual(run([B("FOO bar\r\nPING\r\n")]).events, ["error UnknownOp"]);
    });

    it("garbage is rejected before its line ends", () => {
      assert.deepStrictEqual(run([B("xyz")]).events, ["error UnknownOp"]);
      assert.deepStrictEqual(run([B("\u0000\u0001")]).events, ["error UnknownOp"]);
    });

    it("an op the connection kind does not allow is UnknownOp", () => {
      assert.deepStrictEqual(run([B("MSG foo 1 1\r\nx\r\n")]).events, ["error UnknownOp"]);
      assert.deepStrictEqual(run([B("RS+ $G foo\r\n")]).events, ["error UnknownOp"]);
    });

    it("an op that needs arguments but has none is UnknownOp", () => {
      assert.deepStrictEqual(run([B("SUB\r\n")]).events, ["error UnknownOp"]);
      assert.deepStrictEqual(run([B("PUB\r\n")]).events, ["error UnknownOp"]);
    });

    it("a payload not followed by CRLF is BadTrailer", () => {
      assert.deepStrictEqual(run([B("PUB foo 3\r\nabcd\r\nPING\r\n")]).events, [`PUB ["foo","3"]`, "error BadTrailer"]);
    });

    it("a control line over max_control_line is ControlLine, with or without its CRLF", () => {
      const long = "PUB " + "s".repeat(200) + " 1\r\nx\r\n";
      assert.deepStrictEqual(run([B(long)], CLIENT_OPS, 100).events, ["error ControlLine"]);
      assert.deepStrictEqual(run([B(long.slice(0, 150))], CLIENT_OPS, 100).events, ["error ControlLine"]);
    });

    it("max_control_line limits the arguments, as nats-server does: 4096 argument bytes pass, 4097 do not", () => {
      // nats-server 2.9 measures the bytes after `PUB ` (checked in raw.test.ts on the real server).
      const line = (argLen: number) => B(`PUB ${"s".repeat(argLen - 2)} 0\r\n\r\n`);
      assert.deepStrictEqual(short(run([line(4096)]).events), short([`PUB ["${"s".repeat(4094)}","0"]`, `  payload "" for ${"s".repeat(4094)}`]));
      assert.deepStrictEqual(short(run([line(4097)]).events), ["error ControlLine"]);
      const partial = (argLen: number) => line(argLen).subarray(0, argLen + 4);
      assert.deepStrictEqual(short(run([partial(4096)]).events), [], "4096 argument bytes waiting for their CRLF");
      assert.deepStrictEqual(short(run([partial(4097)]).events), ["error ControlLine"]);
    });

    it("CONNECT is held to max_control_line too, as nats-server holds it", () => {
      const connect = B(`CONNECT {"name":"${"n".repeat(5000)}"}\r\n`);
      assert.deepStrictEqual(short(run([connect]).events), ["error ControlLine"]);
      assert.deepStrictEqual(short(run([connect.subarray(0, 4500)]).events), ["error ControlLine"]);
    });

    it("a sink returning -1 from onMsgArgs stops parsing", () => {
      const rec = run([B("PUB foo x\r\nabc\r\nPING\r\n")]);
      assert.deepStrictEqual(rec.events, [`PUB ["foo","x"]`]);
    });

    it("after reporting an error it ignores later input by itself", () => {
      const rec = new Recorder(false);
      const p = new Parser(rec, CLIENT_OPS);
      p.parse(B("PING\r\nFOO bar\r\n"));
      p.parse(B("PING\r\n"));
      assert.deepStrictEqual(rec.events, ["PING []", "error UnknownOp"]);
    });

    it("stop() makes later input ignored", () => {
      const rec = new Recorder();
      const p = new Parser(rec, CLIENT_OPS);
      p.parse(B("PING\r\n"));
      p.stop();
      p.parse(B("PING\r\nFOO\r\n"));
      assert.deepStrictEqual(rec.events, ["PING []"]);
    });
  });

  describe("parseSize", () => {
    const size = (s: string) => parseSize(B(s), 0, s.length);
    it("reads decimal sizes and rejects everything else", () => {
      assert.strictEqual(size("0"), 0);
      assert.strictEqual(size("1048576"), 1048576);
      assert.strictEqual(size("000012"), 12);
      for (const bad of ["", "-1", "+1", "1e3", "0x10", "12a", " 1", "١٢"]) assert.strictEqual(size(bad), -1, JSON.stringify(bad));
      assert.strictEqual(size("999999999"), 999999999, "nine digits");
      // nats-server reads at most 9 digits; a longer size is a protocol violation (raw.test.ts).
      assert.strictEqual(size("1000000000"), -1, "ten digits");
      assert.strictEqual(size("0000000001"), -1, "ten digits with leading zeros");
      assert.strictEqual(size("9".repeat(13)), -1, "absurdly large");
    });
  });
});
