import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type ContainerClient,
} from "@azure/storage-blob";

/** Azurite's well-known development account (Azure/Azurite README, "Default Storage Account"). */
const ACCOUNT = "devstoreaccount1";
const KEY =
  "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

interface AzuriteBlobServer {
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

export interface Azurite {
  readonly url: string;
  container(name: string): Promise<ContainerClient>;
  close(): Promise<void>;
}

/**
 * Microsoft's Azure Storage emulator, its Blob service in memory on an ephemeral loopback port,
 * started in the test process (azurite's own tests start it the same way: BlobServer with a
 * BlobConfiguration; positional arguments as in src/blob/BlobConfiguration.ts of 3.35.0:
 * host, port, keepAliveTimeout, metadataDBPath, extentDBPath, persistencePathArray,
 * enableAccessLog, accessLogWriteStream, enableDebugLog, debugLogFilePath, loose,
 * skipApiVersionCheck, cert, key, pwd, oauth, disableProductStyleUrl, isMemoryPersistence).
 * Started so, it sends no telemetry (that starts only in its CLI's main).
 */
export async function startAzurite(): Promise<Azurite> {
  const { default: BlobServer } = require("azurite/dist/src/blob/BlobServer") as {
    default: new (configuration: unknown) => AzuriteBlobServer;
  };
  const { default: BlobConfiguration } = require("azurite/dist/src/blob/BlobConfiguration") as {
    default: new (...args: unknown[]) => unknown;
  };
  const configuration = new BlobConfiguration(
    "127.0.0.1",
    0,
    undefined,
    undefined,
    undefined,
    undefined,
    false,
    undefined,
    false,
    undefined,
    true,
    true,
    "",
    "",
    "",
    undefined,
    false,
    true,
  );
  const server = new BlobServer(configuration);
  await server.start();
  const url = `${server.getHttpServerAddress()}/${ACCOUNT}`;
  const service = new BlobServiceClient(url, new StorageSharedKeyCredential(ACCOUNT, KEY));
  return {
    url,
    async container(name) {
      const c = service.getContainerClient(name);
      await c.createIfNotExists();
      return c;
    },
    close: () => server.close(),
  };
}
