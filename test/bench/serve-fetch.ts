// A fetch handler (a Hono app's `fetch`) served over plain HTTP/1.1 on 127.0.0.1 with node:http,
// and a keep-alive client for it: how the API server reaches a webhook (one connection, one review
// at a time), in this process. Every app behind it pays the same adapter: the body is read into a
// Buffer, handed to the app as a Request, and the Response is written back whole.
import { Agent, createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export type FetchHandler = (req: Request) => Response | Promise<Response>;

export interface HttpReply {
  status: number;
  text: string;
}

export interface FetchServer {
  /** POSTs `body` to `path` over the kept-alive connection. */
  post(path: string, headers: Record<string, string>, body: string): Promise<HttpReply>;
  close(): Promise<void>;
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => resolve(Buffer.concat(chunks)));
    stream.on("error", reject);
  });
}

export async function serveFetch(handler: FetchHandler): Promise<FetchServer> {
  const server = createServer(async (req, res) => {
    const body = await readAll(req);
    const url = `http://${req.headers.host}${req.url}`;
    const headers = Object.entries(req.headers).map(([k, v]) => [k, String(v)] as [string, string]);
    const response = await handler(new Request(url, { method: req.method, headers, body: body.length ? body : undefined }));
    const out = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": out.length });
    res.end(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  return {
    post(path, headers, body) {
      return new Promise((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) =>
          readAll(res).then((b) => resolve({ status: res.statusCode ?? 0, text: b.toString("utf8") }), reject),
        );
        req.on("error", reject);
        req.end(body);
      });
    },
    close() {
      agent.destroy();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
