import { describe, expect, it } from "vitest";
import { planSteady } from "./helpers";
import type { CapturedResource } from "../tools/plan/capture";
import { executePlan, exitStatus, parseCli, runPlan } from "../tools/plan/cli";
import {
  dependenciesOf,
  findRaces,
  formatPath,
  identities,
  occursIn,
  raceLine,
  type Race,
} from "../tools/plan/races";

const BUCKET = "gcp:storage/bucket:Bucket";
const GRANT = "gcp:storage/bucketIAMMember:BucketIAMMember";
const COMPONENT = "acme:components:Store";
const SERVER = "azure-native:sql:Server";
const GROUP = "azure-native:sql:FailoverGroup";
const HOLD = "pulumi-nodejs:dynamic:Resource";
const SUB = "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.Sql/servers/acme-sql";

interface Spec {
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  parent?: CapturedResource;
  dependencies?: CapturedResource[];
  propertyDependencies?: Record<string, CapturedResource[]>;
  provider?: CapturedResource;
  custom?: boolean;
}

function res(type: string, name: string, spec: Spec = {}): CapturedResource {
  const parentType = spec.parent ? `${spec.parent.type}$` : "";
  const inputs = spec.inputs ?? {};
  return {
    urn: `urn:pulumi:s::p::${parentType}${type}::${name}`,
    type,
    name,
    parent: spec.parent?.urn ?? "",
    custom: spec.custom ?? true,
    id: spec.id ?? `${name}-1234`,
    provider: spec.provider ? `${spec.provider.urn}::${spec.provider.id}` : "",
    dependencies: (spec.dependencies ?? []).map((d) => d.urn),
    propertyDependencies: Object.fromEntries(
      Object.entries(spec.propertyDependencies ?? {}).map(([k, v]) => [k, v.map((d) => d.urn)]),
    ),
    inputs,
    wireInputs: inputs,
    outputs: spec.outputs ?? inputs,
    wireOutputs: spec.outputs ?? inputs,
    options: { protect: false, ignoreChanges: [], replaceOnChanges: [], aliases: [] },
  };
}

const bucket = (name: string, spec: Spec = {}) =>
  res(BUCKET, `${name}-bucket`, {
    id: name,
    inputs: { name, location: "NAM4" },
    outputs: {
      name,
      location: "NAM4",
      url: `gs://${name}`,
      selfLink: `https://www.googleapis.com/storage/v1/b/${name}`,
    },
    ...spec,
  });
const grant = (bucketName: string, spec: Spec = {}) =>
  res(GRANT, "reader", {
    inputs: { bucket: bucketName, role: "roles/storage.objectViewer", member: "user:a@b.c" },
    ...spec,
  });
const ref = (r: CapturedResource) => ({ urn: r.urn, type: r.type, name: r.name });

describe("findRaces", () => {
  it("reports an input naming a bucket by a literal with no dependency path, exactly", () => {
    const data = bucket("acme-hive");
    const reader = grant("acme-hive");
    expect(findRaces([data, reader])).toEqual([
      {
        stack: "s",
        resource: ref(reader),
        input: "bucket",
        literal: "acme-hive",
        names: ref(data),
      },
    ]);
  });

  it("reports nothing when the input comes from the bucket's output or dependsOn", () => {
    const data = bucket("acme-hive");
    expect(findRaces([data, grant("acme-hive", { dependencies: [data] })])).toEqual([]);
    expect(
      findRaces([data, grant("acme-hive", { propertyDependencies: { bucket: [data] } })]),
    ).toEqual([]);
  });

  it("follows dependencies transitively", () => {
    const data = bucket("acme-hive");
    const middle = res("acme:x:Middle", "middle", { dependencies: [data] });
    expect(findRaces([data, middle, grant("acme-hive", { dependencies: [middle] })])).toEqual([]);
  });

  it("counts a dependency on a component as one on every descendant", () => {
    const store = res(COMPONENT, "store", { custom: false });
    const inner = res("acme:components:Inner", "inner", { custom: false, parent: store });
    const data = bucket("acme-hive", { parent: inner });
    expect(findRaces([store, inner, data, grant("acme-hive", { dependencies: [store] })])).toEqual(
      [],
    );
  });

  it("counts a provider as a dependency: it is configured only after what its inputs use", () => {
    const data = bucket("acme-hive");
    const provider = res("pulumi:providers:gcp", "gcp", { dependencies: [data] });
    expect(findRaces([data, provider, grant("acme-hive", { provider })])).toEqual([]);
  });

  it("does not count a parent or a sibling under the same parent as a dependency", () => {
    const store = res(COMPONENT, "store", { custom: false });
    const data = bucket("acme-hive", { parent: store });
    const sibling = grant("acme-hive", { parent: store });
    expect(findRaces([store, data, sibling]).map((r) => [r.resource.name, r.names.name])).toEqual([
      ["reader", "acme-hive-bucket"],
    ]);
    const child = grant("acme-hive", { parent: data });
    expect(findRaces([data, child]).map((r) => [r.resource.urn, r.names.urn])).toEqual([
      [child.urn, data.urn],
    ]);
  });

  it("matches a name only as a whole token: a bucket is not a prefix of a longer name", () => {
    const data = bucket("acme-hive");
    expect(findRaces([data, grant("acme-hive-warehouse")])).toEqual([]);
    expect(findRaces([data, grant("old-acme-hive")])).toEqual([]);
    const location = res("acme:x:Service", "svc", {
      inputs: { warehouse: "gs://acme-hive-warehouse/hive", backups: "gs://acme-hive/backups/" },
    });
    expect(findRaces([data, location]).map((r) => [r.input, r.literal])).toEqual([
      ["backups", "gs://acme-hive"],
    ]);
  });

  it("reports nothing for a name of a resource this plan does not register (the peer's)", () => {
    expect(findRaces([bucket("acme-hive"), grant("acme-backups")])).toEqual([]);
  });

  it("names a failover group and its server through an ARM ID prefix; only the missing path is reported", () => {
    const server = res(SERVER, "server", { id: SUB, outputs: { name: "acme-sql" } });
    const fg = res(GROUP, "fg", {
      id: `${SUB}/failoverGroups/acme-fg-mgmt`,
      inputs: { serverName: "acme-sql" },
      outputs: { name: "acme-fg-mgmt", serverName: "acme-sql" },
      dependencies: [server],
    });
    const hold = res(HOLD, "hold", {
      inputs: {
        __provider: `exports.handler = () => "${SUB}/failoverGroups/acme-fg-mgmt"`,
        failoverGroupId: `${SUB}/failoverGroups/acme-fg-mgmt`,
      },
      dependencies: [server],
    });
    const races = findRaces([server, fg, hold]);
    expect(races).toEqual([
      {
        stack: "s",
        resource: ref(hold),
        input: "failoverGroupId",
        literal: `${SUB}/failoverGroups/acme-fg-mgmt`,
        names: ref(fg),
      },
    ]);
    expect(raceLine(races[0]!)).toBe(
      `${HOLD} hold input failoverGroupId names ${GROUP} fg by a literal ` +
        `(${JSON.stringify(`${SUB}/failoverGroups/acme-fg-mgmt`)}) with no dependency path`,
    );
    // Without the server dependency, the server is named too (by its ARM ID, the longer literal).
    const bare = res(HOLD, "hold", { inputs: { failoverGroupId: `${SUB}/failoverGroups/x` } });
    expect(findRaces([server, bare]).map((r) => [r.names.name, r.literal])).toEqual([
      ["server", SUB],
    ]);
  });

  it("ignores providers, stack references and components, on either side", () => {
    const data = bucket("acme-hive");
    const provider = res("pulumi:providers:gcp", "gcp", { inputs: { bucket: "acme-hive" } });
    const peer = res("pulumi:pulumi:StackReference", "peer", {
      id: "acme-hive",
      inputs: { name: "acme-hive" },
    });
    const component = res(COMPONENT, "store", { custom: false, inputs: { bucket: "acme-hive" } });
    expect(findRaces([data, provider, peer, component])).toEqual([]);
  });

  it("matches a Databricks group's display name only as a whole value", () => {
    const engineers = res("databricks:index/group:Group", "engineers", {
      id: "816973455108486",
      inputs: { displayName: "data-engineers" },
    });
    const acl = res("databricks:index/secretAcl:SecretAcl", "acl", {
      inputs: { principal: "data-engineers", scope: "platform" },
    });
    const job = res("databricks:index/job:Job", "job", {
      inputs: { description: "run by data-engineers" },
    });
    expect(findRaces([engineers, acl, job]).map((r) => [r.resource.name, r.input])).toEqual([
      ["acl", "principal"],
    ]);
  });

  it("names a workspace object by its path or its /Workspace path, and the folder above it", () => {
    const root = res("databricks:index/directory:Directory", "root", {
      id: "/Shared/app",
      inputs: { path: "/Shared/app" },
    });
    const notebook = res("databricks:index/notebook:Notebook", "nb", {
      id: "/Shared/app/etl",
      inputs: { path: "/Shared/app/etl" },
      outputs: { path: "/Shared/app/etl", workspacePath: "/Workspace/Shared/app/etl" },
      dependencies: [root],
    });
    const job = res("databricks:index/job:Job", "job", {
      inputs: {
        tasks: [
          { notebookPath: "/Shared/app/etl", params: { other: "/Workspace/Shared/app/etl" } },
        ],
        name: "/Shared/apple",
      },
    });
    expect(findRaces([root, notebook, job]).map((r) => [r.input, r.names.name])).toEqual([
      ["tasks[0].notebookPath", "root"],
      ["tasks[0].notebookPath", "nb"],
      ["tasks[0].params.other", "root"],
      ["tasks[0].params.other", "nb"],
    ]);
    const ordered = { ...job, dependencies: [notebook.urn] };
    expect(findRaces([root, notebook, ordered])).toEqual([]);
  });
});

describe("identities", () => {
  it("takes real identifiers, never a generated number or a short name", () => {
    const job = res("databricks:index/job:Job", "job", {
      id: "613047316214673",
      inputs: { name: "nightly", url: "https://example.com/in" },
      outputs: { name: "nightly", url: "https://example.com/in", link: "https://adb-1.net/#job/6" },
    });
    expect(identities(job).map((i) => i.literal)).toEqual(["https://adb-1.net/#job/6"]);
    expect(identities(bucket("acme-hive")).map((i) => i.literal)).toEqual([
      "acme-hive",
      "gs://acme-hive",
      "https://www.googleapis.com/storage/v1/b/acme-hive",
    ]);
    const pool = res("azure-native:sql:ElasticPool", "pool", {
      id: `${SUB}/elasticPools/paid`,
      outputs: { name: "paid" },
    });
    expect(identities(pool).map((i) => i.literal)).toEqual([`${SUB}/elasticPools/paid`]);
    const rg = res("azure-native:resources:ResourceGroup", "rg", {
      id: "/subscriptions/0000/resourceGroups/acme-rg",
    });
    expect(identities(rg).map((i) => i.literal)).toEqual([
      "/subscriptions/0000/resourceGroups/acme-rg",
      "acme-rg",
    ]);
  });

  it("finds a name wherever its token ends (the index looks only there), and nowhere inside a token", () => {
    const server = res(SERVER, "server", { id: SUB });
    const inputs = {
      fqdn: "acme-sql.database.windows.net",
      conn: "Server=tcp:acme-sql,1433",
      quoted: '"acme-sql"',
      query: "?server=acme-sql&db=x",
      whole: "acme-sql",
      longer: "acme-sqlX",
      suffixed: "acme-sql_2",
      embedded: "myacme-sql",
    };
    const app = res("acme:x:App", "app", { inputs });
    expect(findRaces([server, app]).map((r) => r.input)).toEqual([
      "fqdn",
      "conn",
      "quoted",
      "query",
      "whole",
    ]);
  });

  it("matches ARM IDs case-insensitively and only up to a path boundary", () => {
    const [arm] = identities(res(SERVER, "server", { id: SUB }));
    expect(occursIn(arm!, SUB.toUpperCase())).toBe(true);
    expect(occursIn(arm!, `https://management.azure.com${SUB}/failoverGroups/x?a=1`)).toBe(true);
    expect(occursIn(arm!, `${SUB}-old`)).toBe(false);
    expect(occursIn(arm!, `${SUB}2/databases/x`)).toBe(false);
  });
});

describe("the plan's dependencies", () => {
  it("are the sorted union of dependsOn and every property dependency, once each", () => {
    const a = bucket("a");
    const b = bucket("b");
    const c = bucket("c");
    expect(
      dependenciesOf(
        res(GRANT, "g", { dependencies: [c, a], propertyDependencies: { x: [b, a], y: [] } }),
      ),
    ).toEqual([a.urn, b.urn, c.urn].sort());
  });

  it("format input paths as the diff does, quoting keys that are not plain words", () => {
    expect(formatPath(["tasks", 0, "notebookTask", "notebookPath"])).toBe(
      "tasks[0].notebookTask.notebookPath",
    );
    expect(formatPath(["configOverrides", "hive.metastore.warehouse.dir"])).toBe(
      'configOverrides["hive.metastore.warehouse.dir"]',
    );
  });
});

describe("the plan's exit status", () => {
  const race = findRaces([bucket("acme-hive"), grant("acme-hive")]);
  it("is 4 on a race, 3 on a mandatory violation with or without one, else 0", () => {
    expect(race).toHaveLength(1);
    expect(exitStatus({ mandatory: 0, races: [] })).toBe(0);
    expect(exitStatus({ mandatory: 0, races: race })).toBe(4);
    expect(exitStatus({ mandatory: 2, races: race })).toBe(3);
    expect(exitStatus({ mandatory: 1, races: [] })).toBe(3);
  });
});

describe("the shipped stacks", () => {
  const SQL_RG =
    "/subscriptions/5b0e2c3a-8f1d-4c6e-9a7b-2d4f6e8a0c1e/resourceGroups/acmedata-primary-sql-rg";
  const SQL_SERVER = `${SQL_RG}/providers/Microsoft.Sql/servers/acmedata-primary-sql`;
  const SQL = "urn:pulumi:primary::paired-dr::paired-dr:components:ElasticPoolPair";
  /** A hold that waited only for the server would race its group (issue 9). */
  const holdRace = (group: string) => ({
    stack: "primary",
    resource: {
      urn: `${SQL}$pulumi-nodejs:dynamic:Resource::sql-hold-${group}`,
      type: HOLD,
      name: `sql-hold-${group}`,
    },
    input: "failoverGroupId",
    literal: `${SQL_SERVER}/failoverGroups/${group}`,
    names: { urn: `${SQL}$${GROUP}::sql-${group}`, type: GROUP, name: `sql-${group}` },
  });
  const racesOf = async (...sets: string[]) =>
    (
      await executePlan(
        parseCli(["--no-policy", "--format", "json", ...sets.flatMap((s) => ["--set", s])]),
      )
    ).races;
  const inSql = (r: Race) => r.resource.urn.includes("::paired-dr:components:ElasticPoolPair$");

  it("race nowhere; a hold stripped of its dependency on its group is reported", async () => {
    expect(await racesOf("promote=false")).toEqual([]);
    const plan = await planSteady("primary");
    const seeded = plan.resources.map((r) =>
      r.name.startsWith("sql-hold-")
        ? { ...r, dependencies: r.dependencies.filter((d) => !d.includes(GROUP)) }
        : r,
    );
    expect(findRaces(seeded).filter(inSql)).toEqual([
      holdRace("acmedata-primary-fg-mgmt"),
      holdRace("acmedata-primary-fg-paid-01"),
      holdRace("acmedata-primary-fg-paid-02"),
    ]);
  });

  it("race nowhere with the roles swapped, nor with a cold metastore standby in either role", async () => {
    expect(await racesOf("promote=true")).toEqual([]);
    const cold =
      'metastore={"standby":"cold","rpoMinutes":60,"alerts":{"emails":["oncall@acmedata.example"]}}';
    expect(await racesOf("promote=true", cold)).toEqual([]);
    expect(await racesOf("promote=false", cold)).toEqual([]);
  });

  it("show each resource's dependencies in the JSON plan: grants on the bucket wait for it where it is created", async () => {
    const out = JSON.parse(await runPlan(parseCli(["--no-policy", "--format", "json"]))) as {
      stacks: { stack: string; resources: { name: string; dependencies: string[] }[] }[];
    };
    const deps = (stack: string, name: string) =>
      out.stacks.find((s) => s.stack === stack)!.resources.find((r) => r.name === name)!
        .dependencies;
    const metastore = (stack: string) =>
      `urn:pulumi:${stack}::paired-dr::paired-dr:components:MetastorePair`;
    const bucketUrn = (b: string) =>
      `urn:pulumi:primary::paired-dr::paired-dr:components:DualRegionBucket$${BUCKET}::${b}-bucket`;
    expect(deps("primary", "metastore-sync-reads-backups")).toEqual([
      bucketUrn("backup"),
      `${metastore("primary")}$gcp:serviceaccount/account:Account::metastore-sync`,
    ]);
    // The Metastore service agent exists lazily: it is created, then granted, then the service
    // that writes backups as it is created (issue 13).
    expect(deps("primary", "metastore-agent-writes-backups")).toEqual([
      bucketUrn("backup"),
      `${metastore("primary")}$gcp:projects/serviceIdentity:ServiceIdentity::metastore-service-agent`,
    ]);
    expect(deps("primary", "metastore-service")).toEqual([
      bucketUrn("backup"),
      bucketUrn("warehouse"),
      `${metastore("primary")}$gcp:storage/bucketIAMMember:BucketIAMMember::metastore-agent-writes-backups`,
    ]);
    // The secondary registers no bucket: its grant names the primary's by name alone.
    expect(deps("secondary", "metastore-sync-reads-backups")).toEqual([
      `${metastore("secondary")}$gcp:serviceaccount/account:Account::metastore-sync`,
    ]);
  });
});
