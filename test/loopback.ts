import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  url: string;
  auth: string;
  body: string;
}

export interface LoopbackServer {
  /** http://127.0.0.1:<port> */
  origin: string;
  requests: RecordedRequest[];
  close: () => void;
}

/**
 * A stand-in for a cloud API on 127.0.0.1 (never another address): records every request, then
 * lets `respond` answer it.
 */
export function loopbackServer(
  respond: (req: RecordedRequest, res: http.ServerResponse, origin: string) => void,
): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      const recorded = {
        method: req.method!,
        url: req.url!,
        auth: String(req.headers.authorization),
        body,
      };
      requests.push(recorded);
      const { port } = server.address() as AddressInfo;
      respond(recorded, res, `http://127.0.0.1:${port}`);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `http://127.0.0.1:${port}`,
        requests,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      });
    }),
  );
}
