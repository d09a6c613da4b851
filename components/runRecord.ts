import type * as pulumi from "@pulumi/pulumi";

/**
 * The provider of a resource that is the record of a run (a drain's final sync, a drill's run):
 * the run is made on create and recorded under `record`; an update makes it again only when
 * `runsAgain` says the run is for something else, and otherwise records the new inputs beside the
 * run that happened; never a replacement; nothing to undo on delete. Only `keys` are inputs.
 * Without the Pulumi SDK at run time: Pulumi serializes what a dynamic provider references.
 */
export function runRecordProvider<I extends object, R>(o: {
  readonly keys: readonly (keyof I & string)[];
  readonly record: string;
  readonly id: (inputs: I) => string;
  readonly run: (inputs: I) => Promise<R>;
  readonly runsAgain: (olds: I, news: I) => boolean;
}): pulumi.dynamic.ResourceProvider {
  const inputsOf = (props: I): I => Object.fromEntries(o.keys.map((k) => [k, props[k]])) as I;
  const made = async (inputs: I) => ({ ...inputsOf(inputs), [o.record]: await o.run(inputs) });
  return {
    async create(inputs: I): Promise<pulumi.dynamic.CreateResult> {
      return { id: o.id(inputs), outs: await made(inputs) };
    },

    async diff(_id: string, olds: I, news: I): Promise<pulumi.dynamic.DiffResult> {
      const changes = o.keys.some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
      return { changes, replaces: [], deleteBeforeReplace: false };
    },

    async update(_id: string, olds: I, news: I): Promise<pulumi.dynamic.UpdateResult> {
      return {
        outs: o.runsAgain(olds, news)
          ? await made(news)
          : { ...inputsOf(news), [o.record]: (olds as Record<string, unknown>)[o.record] },
      };
    },

    async delete(): Promise<void> {
      // A record of a run that happened: nothing in the cloud to remove.
    },
  };
}
