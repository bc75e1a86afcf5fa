// The package's programmatic entry point (package.json "exports"): run workloads under a
// scheduler, run campaigns and explorations, read and write violation documents. The CLI
// (cli/main.ts) is built on these.
export { Runner, DEFAULT_MAX_STEPS, type RunOptions, type RunResult } from './runner/run.js';
export {
  stress,
  makeStrategy,
  workloadFor,
  scheduleSeed,
  DEFAULT_STRATEGY,
  DEFAULT_WORKLOAD_EVERY,
  STRATEGIES,
  STRESS_STRATEGIES,
  type StressOptions,
  type StressResult,
  type Found,
  type StrategyName,
  type StressStrategyName,
} from './runner/stress.js';
export { explore, checkReduction, type ExploreOptions, type Explored } from './runner/explore.js';
export { minimise, type Minimal } from './runner/minimise.js';
export { runScenario, type ScenarioResult } from './runner/check.js';
export { parseDoc, parseWorkload, validateDoc, buildDoc, SCHEMA_VERSION, type ViolationDoc } from './runner/doc.js';
export * from './schedulers/index.js';
export { PctScheduler } from './schedulers/pct.js';
export { PortfolioScheduler } from './schedulers/portfolio.js';
export { DfsScheduler, type Reduction, type DfsOptions } from './schedulers/dfs.js';
export { PROFILES, FIXES, isProfile, type ProfileName } from './engine/profiles.js';
export { VARIANTS, VARIANT_NAMES, isVariant, type VariantName } from './engine/variants.js';
export type { Violation, ViolationKind } from './engine/violation.js';
export { sampleWorkload, workloadArb } from './workload/generate.js';
export { MAX_WORKLOAD_THREADS, type Workload, type Op } from './workload/types.js';
