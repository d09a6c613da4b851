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
  /** The first account's path-style endpoint; `{account}` in `endpoint` takes any account's name. */
  readonly url: string;
  readonly endpoint: string;
  /** Every account's shared key. */
  readonly key: string;
  /** A container of the first account, or of `account`, created if missing. */
  container(name: string, account?: string): Promise<ContainerClient>;
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
export async function startAzurite(accounts: readonly string[] = []): Promise<Azurite> {
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
  // Other accounts, all with the emulator's key (Azurite README, "Customized Storage Accounts &
  // Keys"): read from the environment when the server starts and at each refresh.
  if (accounts.length) process.env.AZURITE_ACCOUNTS = accounts.map((a) => `${a}:${KEY}`).join(";");
  const server = new BlobServer(configuration);
  await server.start();
  const first = accounts[0] ?? ACCOUNT;
  const url = `${server.getHttpServerAddress()}/${first}`;
  const service = new BlobServiceClient(url, new StorageSharedKeyCredential(first, KEY));
  return {
    url,
    endpoint: `${server.getHttpServerAddress()}/{account}`,
    key: KEY,
    async container(name, account) {
      const c = account
        ? new BlobServiceClient(
            `${server.getHttpServerAddress()}/${account}`,
            new StorageSharedKeyCredential(account, KEY),
          ).getContainerClient(name)
        : service.getContainerClient(name);
      await c.createIfNotExists();
      return c;
    },
    close: async () => {
      await server.close();
      if (accounts.length) delete process.env.AZURITE_ACCOUNTS;
    },
  };
}
