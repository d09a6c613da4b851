import { inject } from "vitest";
import { sharePlansThrough } from "../../tools/plan/engine";

// Each test file's setup, in its worker: plan through the run's directory (see sharedPlans.ts).
sharePlansThrough(inject("planDir"));
