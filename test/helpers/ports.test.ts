/** The test helpers' free ports: never the same port twice in a row, even once released. */
import * as assert from "assert";
import * as net from "net";
import { freePort, freePorts } from "./ports";

describe("test helper: free ports", () => {
  it("hands out distinct ports across calls, each one bindable", async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const p = await freePort();
      assert.ok(!seen.has(p), `port ${p} handed out twice`);
      seen.add(p);
    }
    for (const p of await freePorts(5)) assert.ok(!seen.has(p), `port ${p} handed out twice`);
    const s = net.createServer();
    const port = [...seen][0]!;
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => resolve());
    });
    await new Promise<void>((r) => s.close(() => r()));
  });
});
