// data_roundtrip: 32 × 4 MiB in and back (see bench/_data_scenario.ts).
import { isMainProcess } from "./_lib.ts";
import { dataScenario } from "./_data_scenario.ts";

if (isMainProcess(import.meta)) await dataScenario("data_roundtrip");
