/** A small HTTP GET for monitoring endpoints (no keep-alive, so nothing lingers after a test). */
import * as http from "http";

export interface JsonResponse {
  status: number;
  body: unknown;
}

/** GET http://127.0.0.1:<port><path> and parse the body as JSON; fails with the text otherwise. */
export function getJson(port: number, path: string, timeoutMs = 3000): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          reject(new Error(`GET ${path}: not JSON (status ${res.statusCode}): ${text.slice(0, 200)}`));
        }
      });
    });
    req.on("error", reject);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path}: timed out after ${timeoutMs} ms`)));
  });
}
