import type { TokenCredential } from "@azure/identity";
import type { ContainerClient } from "@azure/storage-blob";
import type { ReadBounds } from "./google";

/**
 * Blob clients for the lakes: the deploying identity (a token credential) in production, the
 * emulator's shared key in tests. No redirect is followed; each request is tried once, and the
 * caller bounds and retries it (collect.ts).
 */
export function lakeContainers(
  /** The token credential, or an account's shared key (the emulator's, in tests). */
  credential: TokenCredential | { readonly keyOf: (account: string) => string },
  /** The blob endpoint of an account: https://<account>.blob.core.windows.net, or the emulator's path-style URL. */
  endpointOf: (account: string) => string,
  bounds: ReadBounds,
): (account: string, container: string) => ContainerClient {
  const blob = require("@azure/storage-blob") as typeof import("@azure/storage-blob");
  const clients = new Map<string, ContainerClient>();
  return (account, container) => {
    const key = `${account}/${container}`;
    let client = clients.get(key);
    if (!client) {
      const endpoint = endpointOf(account);
      const pipeline = blob.newPipeline(
        "keyOf" in credential
          ? new blob.StorageSharedKeyCredential(account, credential.keyOf(account))
          : credential,
        {
          // One try: the caller retries each read with its own limit per attempt, which the SDK's
          // tryTimeoutInMs is not (storage-common StorageRetryPolicy: it only sets the
          // server's ?timeout=, and an aborted try is not retried).
          retryOptions: { maxTries: 1, tryTimeoutInMs: bounds.requestTimeoutMs },
          // Passed through to the core pipeline (storage-blob Pipeline.js, getCoreClientOptions):
          // a redirect is answered as an error, never followed. Every URL is built on the endpoint.
          redirectOptions: { maxRetries: 0 },
        } as never,
      );
      client = new blob.ContainerClient(`${endpoint.replace(/\/+$/, "")}/${container}`, pipeline);
      clients.set(key, client);
    }
    return client;
  };
}
