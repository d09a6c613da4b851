// The entry point the engine runs. Constructing PolicyPack starts the analyzer server and prints
// its port as the first stdout line, so nothing else belongs here.
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./all";

new PolicyPack("paired-dr", { enforcementLevel: "mandatory", policies: allPolicies });
