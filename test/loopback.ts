import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type { TokenCredential } from "@azure/identity";
import selfsigned from "selfsigned";
import { afterEach, beforeAll } from "vitest";

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

/** One scripted answer: a status with a JSON body (or raw text) and headers, or never ("silent"). */
export type Reply =
  { status: number; body?: unknown; raw?: string; headers?: Record<string, string> } | "silent";

/**
 * A loopback API over TLS answering from scripts: each "METHOD path" (query left out) answers
 * from its own list, repeating the last reply once the list runs out; an unscripted route
 * answers `unscripted(route)`. Header values starting with "/" are made absolute on this server,
 * as clouds send polling URLs.
 */
export async function scriptedServer(
  script: Record<string, Reply[]>,
  tls: LoopbackCertificate,
  unscripted: (route: string) => Reply,
) {
  const served: Record<string, number> = {};
  const server = await loopbackServer((req, res, origin) => {
    const route = `${req.method} ${req.url.split("?")[0]}`;
    const replies = script[route];
    const reply: Reply = replies
      ? replies[Math.min((served[route] = (served[route] ?? -1) + 1), replies.length - 1)]!
      : unscripted(route);
    if (reply === "silent") return;
    for (const [k, v] of Object.entries(reply.headers ?? {})) {
      res.setHeader(k, v.startsWith("/") ? `${origin}${v}` : v);
    }
    res.statusCode = reply.status;
    if (reply.body === undefined && reply.raw === undefined) {
      res.end();
      return;
    }
    res.setHeader("Content-Type", "application/json");
    res.end(reply.raw ?? JSON.stringify(reply.body));
  }, tls);
  return { url: server.origin, requests: server.requests, close: server.close };
}

/** A credential that hands out a new token at each call, as a fresh login would. */
export function countingCredential() {
  const scopes: string[][] = [];
  const credential: TokenCredential = {
    async getToken(s) {
      scopes.push([s].flat());
      return { token: `tok-${scopes.length}`, expiresOnTimestamp: Date.now() + 3_600_000 };
    },
  };
  return { credential, scopes };
}

/**
 * A stand-in for the Azure CLI in a temporary directory: `az account get-access-token` prints a
 * new token at each call (the JSON @azure/identity's AzureCliCredential parses) and logs its
 * arguments. `env` puts it first on PATH and trusts the loopback certificate.
 */
export function fakeAzureCli(tls: LoopbackCertificate) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paired-dr-az-"));
  fs.writeFileSync(path.join(dir, "ca.pem"), tls.cert);
  fs.writeFileSync(
    path.join(dir, "az"),
    [
      "#!/bin/sh",
      `echo "$*" >> "${dir}/az.log"`,
      `n=$(wc -l < "${dir}/az.log" | tr -d ' ')`,
      `printf '{"accessToken":"cli-token-%s","expiresOn":"2099-01-01 00:00:00.000000","expires_on":4070908800,"tokenType":"Bearer"}' "$n"`,
    ].join("\n") + "\n",
    { mode: 0o755 },
  );
  const env: NodeJS.ProcessEnv = {
    PATH: `${dir}:${process.env.PATH}`,
    HOME: dir,
    NODE_EXTRA_CA_CERTS: path.join(dir, "ca.pem"),
  };
  return {
    env,
    /** The arguments of each `az` call, in order. */
    calls: () => fs.readFileSync(path.join(dir, "az.log"), "utf8").trim().split("\n"),
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs a TypeScript fixture in its own Node.js process, as Pulumi's provider host would. */
export async function runFixture(
  fixture: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", fixture, ...args], { cwd, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c) => (stdout += c));
  child.stderr.on("data", (c) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout, stderr };
}

/**
 * For a describe block of loopback tests: the certificate, made before the first test, and one
 * server per test, closed after it (`serve` records the server a test started).
 */
export function loopbackPerTest() {
  let tls: LoopbackCertificate | undefined;
  let close: (() => void) | undefined;
  beforeAll(async () => {
    tls = await loopbackCertificate();
  });
  afterEach(() => {
    close?.();
    close = undefined;
  });
  return {
    tls: () => tls!,
    serve: <T extends { close: () => void }>(server: T): T => {
      close = server.close;
      return server;
    },
  };
}

/** An ARM error answer, as Azure Resource Manager sends one (ErrorResponse). */
export const armError = (status: number, code: string, message: string): Reply => ({
  status,
  body: { error: { code, message } },
});

/** A stand-in for Azure Resource Manager: the script's answers, and 404 for any other route. */
export const fakeArm = (script: Record<string, Reply[]>, tls: LoopbackCertificate) =>
  scriptedServer(script, tls, (route) => armError(404, "ResourceNotFound", `no route ${route}`));

/** The requests a server received, as "METHOD url" lines. */
export const calls = (api: { requests: { method: string; url: string }[] }) =>
  api.requests.map((r) => `${r.method} ${r.url}`);

/**
 * A fake ARM for one test and a provider made on a counting credential that trusts it, called at
 * each operation as the deploying identity is.
 */
export async function armProvider<P>(
  loopback: ReturnType<typeof loopbackPerTest>,
  script: Record<string, Reply[]>,
  make: (access: () => { credential: TokenCredential; tls: { ca: string } }) => P,
) {
  const api = loopback.serve(await fakeArm(script, loopback.tls()));
  const { credential, scopes } = countingCredential();
  const provider = make(() => ({ credential, tls: { ca: loopback.tls().cert } }));
  return { ...api, provider, scopes };
}
