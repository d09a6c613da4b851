import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import selfsigned from "selfsigned";

export interface RecordedRequest {
  method: string;
  url: string;
  auth: string;
  body: string;
}

export interface LoopbackServer {
  /** http://127.0.0.1:<port>, or https:// with `tls`. */
  origin: string;
  requests: RecordedRequest[];
  close: () => void;
}

export interface LoopbackCertificate {
  /** PEM; also the only trust root a client needs. */
  readonly cert: string;
  readonly key: string;
}

let certificate: Promise<LoopbackCertificate> | undefined;

/**
 * A self-signed certificate for 127.0.0.1, made once per test process: SDKs that send bearer
 * tokens refuse plain http (core-rest-pipeline bearerTokenAuthenticationPolicy), so their
 * loopback servers speak TLS.
 */
export function loopbackCertificate(): Promise<LoopbackCertificate> {
  certificate ??= selfsigned
    .generate([{ name: "commonName", value: "127.0.0.1" }], {
      keyType: "ec",
      algorithm: "sha256",
      extensions: [{ name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] }],
    })
    .then((p) => ({ cert: p.cert, key: p.private }));
  return certificate;
}

/**
 * A stand-in for a cloud API on 127.0.0.1 (never another address): records every request, then
 * lets `respond` answer it (or never, for a silent socket).
 */
export function loopbackServer(
  respond: (req: RecordedRequest, res: http.ServerResponse, origin: string) => void,
  tls?: LoopbackCertificate,
): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const scheme = tls ? "https" : "http";
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
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
      respond(recorded, res, `${scheme}://127.0.0.1:${port}`);
    });
  };
  const server = tls
    ? https.createServer({ key: tls.key, cert: tls.cert }, handler)
    : http.createServer(handler);
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        origin: `${scheme}://127.0.0.1:${port}`,
        requests,
        close: () => {
          server.closeAllConnections();
          server.close();
        },
      });
    }),
  );
}
