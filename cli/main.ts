#!/usr/bin/env node
// iommufd-model command line: stress (a campaign of scheduled runs), replay (a violation document),
// check, explore, report (rebuild a run's HTML), variants.
import { availableParallelism } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { PROFILES, isProfile, type ProfileName } from '../engine/profiles.js';
import { VARIANT_NAMES, isVariant, type VariantName } from '../engine/variants.js';
import { DEFAULT_MAX_STEPS } from '../runner/run.js';
import type { Reduction } from '../schedulers/dfs.js';
import { DEFAULT_DFS_BUDGET, DEFAULT_STRATEGY, DEFAULT_WORKLOAD_EVERY, STRESS_STRATEGIES, type StressStrategyName } from '../runner/stress.js';
import { TOOL_NAME, toolVersion } from '../runner/doc.js';
import { handleError, oneLine, oneOf, positiveInt, seedValue, UsageError } from './errors.js';
import { DEFAULT_OUT, DEFAULT_RUNS, DEFAULT_SEED, stressCommand, type StressCliOptions } from './stress.js';
import { replayCommand } from './replay.js';
import { variantsCommand } from './variants.js';
import { checkCommand } from './check.js';
import { exploreCommand } from './explore.js';
import { reportCommand } from './report.js';
import { mergeCommand } from './merge.js';
import { parseShard, type Shard } from '../runner/partition.js';
import { MAX_WORKLOAD_THREADS } from '../workload/types.js';

function threadsValue(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_WORKLOAD_THREADS) throw new InvalidArgumentError(`Expected an integer from 1 to ${MAX_WORKLOAD_THREADS}.`);
  return n;
}

/** Upper bound for --workers: each worker thread holds a whole emulator; more than this is a typo. */
const MAX_WORKERS = 256;

function workersValue(value: string): number {
  const n = positiveInt(value);
  if (n > MAX_WORKERS) throw new InvalidArgumentError(`Expected an integer from 1 to ${MAX_WORKERS}.`);
  return n;
}

function shardValue(value: string): Shard {
  const r = parseShard(value);
  if (typeof r === 'string') throw new InvalidArgumentError(`${r[0]!.toUpperCase()}${r.slice(1)}.`);
  return r;
}

const variantValue = oneOf<VariantName>('variant', isVariant, VARIANT_NAMES);
const strategyValue = oneOf<StressStrategyName>(
  'scheduler',
  (s): s is StressStrategyName => (STRESS_STRATEGIES as readonly string[]).includes(s),
  STRESS_STRATEGIES,
);
const profileValue = oneOf<ProfileName>('profile', isProfile, PROFILES);

function collectVariant(value: string, previous: VariantName[]): VariantName[] {
  const v = variantValue(value);
  return previous.includes(v) ? previous : [...previous, v];
}

const EXIT_CODES = `Exit codes:
  0  no violation
  1  violation(s) found (replay: the violation was reproduced)
  2  bad input (flags, arguments, files); one line on stderr
  3  internal error; replay: the run diverged from the document
  130, 143  stress stopped by SIGINT (Ctrl-C) or SIGTERM, after writing what it found
  Set IOMMUFD_MODEL_DEBUG=1 to print the stack of an internal error.`;

const MAIN_EXAMPLES = `
Examples:
  $ npm start                                    # stress with the defaults (${DEFAULT_RUNS} schedules, about a minute)
  $ npm run cli -- stress --seed 7 --runs 20000 --profile v6.6 --keep-going
  $ npm run cli -- stress --variant unlock-before-finalize --out out/z2
  $ npm run cli -- replay out/violations/0001.json
  $ npm run cli -- report out                      # rebuild out/index.html and the violation reports
  $ npm run cli -- variants
  $ npm run cli -- check tests/conformance/*.json
  $ npm run cli -- stress --keep-going --shard 2/4 --out shard-2   # machine 2 of 4, then:
  $ npm run cli -- merge --out campaign shard-1 shard-2 shard-3 shard-4

${EXIT_CODES}`;

const reductionValue = oneOf<Reduction>('reduction', (s): s is Reduction => ['none', 'sleep-sets', 'dpor'].includes(s), ['none', 'sleep-sets', 'dpor']);

function nonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('Expected a non-negative integer.');
  return Number(value);
}

const EXPLORE_EXAMPLES = `
Runs the workload again and again, each time along a new branch of its decision tree (thread
picks and fault outcomes), until the tree is covered. With --reduction dpor (default) or
sleep-sets, one execution per Mazurkiewicz trace of the dependency relation the engine reports
(per kind of shared state and per lock class). The last line says exactly what was covered.

--check-reduction explores the tree twice, without reduction and with it, and compares the
outcomes (each thread's op results, and the violation): exit 1, naming them, when the reduction
misses one, which means some engine step touches shared state it does not report with
rt.access. --max-executions then bounds the full tree, and a check cut short proves nothing.

Examples:
  $ npm run cli -- explore my-workload.json
  $ npm run cli -- explore out/violations/0001.json --variant put-object-uaf
  $ npm run cli -- explore my-workload.json --reduction none --preemptions 2
  $ npm run cli -- explore docs/workloads/replace-vs-destroy.json --check-reduction
  $ npm run cli -- explore tests/conformance/selftest-replace.json --scenario NAME --max-executions 5000

A scenario file (the format check reads) is explored as one thread running its steps in order:
with no interleaving to vary, the explorer enumerates its failure points (those its steps
inject, else every one), each a choice between failing there and going on, and checks every
unwind; the steps' expected results are not compared (a fault changes them).

${EXIT_CODES}`;

const CHECK_EXAMPLES = `
One line per scenario (PASS, or the first differing step: op, expected, got); the last line is
"N passed, M failed". Exit 0 when all pass, 1 when any differs, 2 for a malformed file (the
message names the file, the scenario and the step).

Examples:
  $ npm run cli -- check tests/conformance/*.json
  $ npm run cli -- check my-regression.yaml --profile v6.6
  $ npm run cli -- check tests/conformance/derived-hwpt-alloc.json --json -

${EXIT_CODES}`;

const STRESS_EXAMPLES = `
Schedule i runs workload floor(i / workload-every) under --scheduler (default PCT) seeded from
(seed, i); PCT also uses the longest run seen earlier in the window, so windows re-run whole.
With --scheduler dfs, workload k is explored exhaustively with DPOR instead, up to --dfs-budget
executions (each counts as a schedule), then workload k+1; the summary says how many workloads
were covered completely (every Mazurkiewicz trace) and how many were cut at the budget.
Writes DIR/summary.json, DIR/index.html and, per distinct violation (schedule order),
DIR/violations/NNNN.json (the replayable document) with NNNN.txt and NNNN.html (for people),
NNNN.trace.json (Perfetto / chrome://tracing), NNNN.mmd (Mermaid) and NNNN.dot (lock-class order).
Stale NNNN.* files in DIR/violations are removed first.
The schedules run on --workers threads; the results are the same for any number of them.
--shard K/N runs the part of the campaign machine K of N runs (windows w with w mod N = K-1);
merge combines the N folders (docs/sharding.md). The first Ctrl-C or SIGTERM stops scheduling,
writes everything found so far and exits 130 or 143; a second one aborts without writing.
A progress bar goes to stderr when it is a terminal (not under CI, not with --quiet).

Examples:
  $ npm run cli -- stress                                   # seed ${DEFAULT_SEED}, ${DEFAULT_RUNS} schedules, profile fixed
  $ npm run cli -- stress --seed 5 --runs 3000 --variant unlock-before-finalize --out out/z2
  $ npm run cli -- stress --profile v6.6 --keep-going --time 60 --json -  # summary JSON on stdout
  $ npm run cli -- stress --threads 2 --no-faults --runs 100000 --workload-every 32
  $ npm run cli -- stress --scheduler dfs --dfs-budget 256 --runs 20000
  $ npm run cli -- stress --workers 8 --runs 5000000 --keep-going --quiet --json -
  $ npm run cli -- stress --runs 5000000 --keep-going --shard 3/8 --out shard-3

${EXIT_CODES}`;

const REPLAY_EXAMPLES = `
Re-runs the document's workload with its recorded decisions and options (profile, variants, max steps).

Examples:
  $ npm run cli -- replay out/violations/0001.json
  $ npm run cli -- replay out/violations/0001.json --json replay.json

Exit codes: 1 the same violation (kind and location) was reproduced, 2 unreadable or malformed document,
  3 the replay diverged (a decision no longer fits, or no / another violation).`;

const REPORT_EXAMPLES = `
Rebuilds DIR/index.html from DIR/summary.json, and per DIR/violations/NNNN.json its NNNN.html,
NNNN.trace.json, NNNN.mmd and NNNN.dot (stress writes them all; this is for documents from
another machine or an older version). Every file is read and checked before anything is written.

Examples:
  $ npm run cli -- report out
  $ npm run cli -- stress --profile v6.6 --keep-going --out out/v66 && npm run cli -- report out/v66

Exit codes: 0 written, 2 no such folder, or an unreadable or malformed summary.json or document.`;

const MERGE_EXAMPLES = `
Reads DIR/summary.json and DIR/violations/NNNN.json of each folder, checks they are parts of one
campaign (same tool version, seed, profile, variants and options, the same N, no shard twice),
and writes OUT as one stress run would: each distinct violation (kind + location) once, from its
lowest schedule index, numbered in schedule order, with its reports; counts added, coverage
united. Some shards only is fine (the summary lists which); a merged folder merges again.

Examples:
  $ npm run cli -- merge --out campaign shard-1 shard-2 shard-3
  $ npm run cli -- merge --out campaign --json - --quiet shards/*     # the merged summary on stdout

Exit codes: 0 no violation, 1 violation(s) found, 2 bad input (unreadable or malformed folder,
  folders of different campaigns, a shard twice).`;

const VARIANTS_EXAMPLES = `
Output: NAME<TAB>Zn<TAB>commit or "design"<TAB>what catches it; lines starting with # are commentary.

Examples:
  $ npm run cli -- variants
  $ npm run cli -- variants | grep -v '^#' | cut -f1`;

/**
 * A flag the chosen strategy ignores is refused rather than dropped: `--workload-every` with dfs
 * would suggest windows that dfs does not have, `--dfs-budget` elsewhere a search that is not run.
 */
function checkStrategyFlags(scheduler: StressStrategyName, cmd: Command): void {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  const dfs = scheduler === 'dfs';
  if (!dfs && given('dfsBudget')) throw new UsageError(`--dfs-budget applies to --scheduler dfs only (not ${scheduler})`);
  if (dfs && given('workloadEvery')) throw new UsageError('--workload-every does not apply to --scheduler dfs (use --dfs-budget)');
  if (scheduler !== 'pct' && given('pctDepth')) {
    throw new UsageError(`--pct-depth applies to --scheduler pct only (not ${scheduler}${scheduler === 'portfolio' ? ', whose PCT members run d = 2, 3 and 4' : ''})`);
  }
  // A dfs execution's index counts the executions of every workload before it, which one machine cannot know of another's.
  if (dfs && given('shard')) throw new UsageError('--shard does not apply to --scheduler dfs (its schedule indices depend on every earlier workload)');
}

interface ExploreFlags {
  profile: ProfileName;
  variant: VariantName[];
  reduction: Reduction;
  preemptions?: number;
  maxExecutions?: number;
  maxSteps: number;
  keepGoing?: boolean;
  out: string;
  checkReduction?: boolean;
  scenario?: string;
}

/** What commander hands the action: the options, with --keep-going absent when not given. */
type StressFlags = Omit<StressCliOptions, 'keepGoing' | 'shard' | 'quiet'> & { keepGoing?: boolean; shard?: Shard; quiet?: boolean };

export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name(TOOL_NAME)
    .description('Model-driven concurrency tester for the Linux iommufd object lifecycle')
    .version(toolVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`${oneLine(str)}\n`) })
    .showSuggestionAfterError(true)
    .addHelpText('after', MAIN_EXAMPLES);

  program
    .command('stress')
    .description('run a stress campaign (many workloads, many schedules each) and record every violation found')
    .option('--seed <S>', 'campaign seed, an integer from 0 to 2^32-1', seedValue, DEFAULT_SEED)
    .option('--runs <N>', 'number of schedules to run', positiveInt, DEFAULT_RUNS)
    .option('--threads <T>', `threads per workload, 1-${MAX_WORKLOAD_THREADS} (default: the generator picks 2-4)`, threadsValue)
    .option('--profile <P>', `kernel profile: ${PROFILES.join(' or ')}`, profileValue, 'fixed' as ProfileName)
    .option('--variant <NAME>', 'add a bug-zoo variant (repeatable; see the variants command)', collectVariant, [] as VariantName[])
    .option('--out <DIR>', 'output folder for summary.json and violations/', DEFAULT_OUT)
    .option('--json <FILE>', 'also write the summary JSON to FILE (- = stdout; the text summary then goes to stderr)')
    .option('--keep-going', 'collect every distinct violation instead of stopping at the first')
    .option('--max-steps <N>', 'livelock bound: steps per execution', positiveInt, DEFAULT_MAX_STEPS)
    .option('--workload-every <N>', 'schedules per generated workload', positiveInt, DEFAULT_WORKLOAD_EVERY)
    .option('--no-faults', 'generate workloads without fault injection')
    .option('--scheduler <NAME>', `scheduling strategy: ${STRESS_STRATEGIES.join(' | ')}`, strategyValue, DEFAULT_STRATEGY)
    .option('--pct-depth <D>', 'PCT depth d (bug depth it targets; d-1 priority change points per run)', positiveInt, 3)
    .option('--dfs-budget <N>', 'dfs: executions per workload at most (fewer when its tree is covered)', positiveInt, DEFAULT_DFS_BUDGET)
    .option('--no-minimise', 'keep violations as found (skip shrinking the workload and the schedule)')
    .option('--time <SECONDS>', 'stop after this many seconds of wall-clock time', positiveInt)
    .option('--workers <N>', 'worker threads (the default is the number of cores)', workersValue, availableParallelism())
    .option('--shard <K/N>', 'run part K of N of the campaign (one machine of N; see merge)', shardValue)
    .option('--quiet', 'print nothing but errors (for scripts; with --json FILE or -)')
    .addHelpText('after', STRESS_EXAMPLES)
    .action(async (f: StressFlags, cmd: Command) => {
      checkStrategyFlags(f.scheduler, cmd);
      const o: StressCliOptions = {
        seed: f.seed,
        runs: f.runs,
        threads: f.threads,
        profile: f.profile,
        variant: f.variant,
        out: f.out,
        json: f.json,
        keepGoing: f.keepGoing === true,
        maxSteps: f.maxSteps,
        workloadEvery: f.workloadEvery,
        faults: f.faults,
        minimise: f.minimise,
        scheduler: f.scheduler,
        pctDepth: f.pctDepth,
        dfsBudget: f.dfsBudget,
        time: f.time,
        workers: f.workers,
        shard: f.shard ?? null,
        quiet: f.quiet === true,
      };
      setExit(await stressCommand(o));
    });

  program
    .command('replay')
    .description('replay a violation document (DIR/violations/NNNN.json) and check it reproduces')
    .argument('<FILE>', 'violation document written by stress')
    .option('--json <FILE>', 'write the replay result as JSON to FILE (- = stdout; the text then goes to stderr)')
    .option('--schedule <S>', 'original | minimal (default when present) | a compact schedule string (s1.…)')
    .addHelpText('after', REPLAY_EXAMPLES)
    .action(async (file: string, f: { json?: string; schedule?: string }) => {
      setExit(await replayCommand(file, { json: f.json, schedule: f.schedule }));
    });

  program
    .command('check')
    .description('run scenario files (JSON or YAML) sequentially and compare every step with the kernel')
    .argument('<FILE...>', 'scenario files (../shared/spec/scenario-format.md, docs/scenarios.md)')
    .option('--profile <P>', `kernel profile: ${PROFILES.join(' or ')}`, profileValue, 'fixed' as ProfileName)
    .option('--json <FILE>', "write every step's expected and actual result as JSON to FILE (- = stdout)")
    .addHelpText('after', CHECK_EXAMPLES)
    .action(async (files: string[], f: { profile: ProfileName; json?: string }) => {
      setExit(await checkCommand(files, { profile: f.profile, json: f.json }));
    });

  program
    .command('explore')
    .description('explore every interleaving and fault outcome of one workload (exhaustive, with partial-order reduction)')
    .argument('<FILE>', 'a workload JSON file ({topology, setup, threads, faultDen}), a violation document, or a scenario file (JSON or YAML)')
    .option('--scenario <NAME>', 'the scenario to explore, when FILE holds several')
    .option('--profile <P>', `kernel profile: ${PROFILES.join(' or ')}`, profileValue, 'fixed' as ProfileName)
    .option('--variant <NAME>', 'add a bug-zoo variant (repeatable)', collectVariant, [] as VariantName[])
    .option('--reduction <R>', 'none | sleep-sets | dpor', reductionValue, 'dpor' as Reduction)
    .option('--preemptions <N>', 'at most N preemptions per execution (disables the reduction)', nonNegativeInt)
    .option('--max-executions <N>', 'stop after N executions (the claim is then partial)', positiveInt)
    .option('--max-steps <N>', 'livelock bound: steps per execution', positiveInt, DEFAULT_MAX_STEPS)
    .option('--keep-going', 'collect every distinct violation instead of stopping at the first')
    .option('--out <DIR>', 'output folder for violations/', DEFAULT_OUT)
    .option('--check-reduction', 'debug the engine\'s access reports: compare the outcomes with and without the reduction')
    .addHelpText('after', EXPLORE_EXAMPLES)
    .action(async (file: string, f: ExploreFlags, cmd: Command) => {
      if (f.checkReduction === true) {
        for (const flag of ['keepGoing', 'out'] as const) {
          if (cmd.getOptionValueSource(flag) === 'cli') throw new UsageError(`--check-reduction writes no documents: --${flag === 'out' ? 'out' : 'keep-going'} does not apply`);
        }
      }
      setExit(await exploreCommand(file, { ...f, keepGoing: f.keepGoing === true, checkReduction: f.checkReduction === true }));
    });

  program
    .command('report')
    .description("rebuild a run's index.html and violation reports (HTML, Chrome trace, Mermaid, DOT) from its JSON")
    .argument('<DIR>', 'a stress or explore output folder (summary.json, violations/NNNN.json)')
    .addHelpText('after', REPORT_EXAMPLES)
    .action(async (dir: string) => {
      setExit(await reportCommand(dir));
    });

  program
    .command('merge')
    .description("combine the output folders of a sharded campaign (stress --shard K/N) into one run folder")
    .argument('<DIR...>', 'stress --shard output folders (or earlier merges) of one campaign')
    .requiredOption('--out <DIR>', 'the merged run folder (summary.json, violations/, index.html)')
    .option('--json <FILE>', 'also write the merged summary JSON to FILE (- = stdout; the text then goes to stderr)')
    .option('--quiet', 'print nothing but errors')
    .addHelpText('after', MERGE_EXAMPLES)
    .action(async (dirs: string[], f: { out: string; json?: string; quiet?: boolean }) => {
      setExit(await mergeCommand(dirs, { out: f.out, json: f.json, quiet: f.quiet === true }));
    });

  program
    .command('variants')
    .description('list the runnable bug-zoo variants')
    .addHelpText('after', VARIANTS_EXAMPLES)
    .action(() => {
      setExit(variantsCommand());
    });

  return program;
}

async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  // Without a command commander prints the whole help: bad input gets one line.
  if (argv.length <= 2) {
    throw new UsageError(`missing command: one of ${program.commands.map((c) => c.name()).join(', ')} (see --help)`);
  }
  await program.parseAsync(argv);
  return code;
}

// `iommufd-model variants | head -1`: a closed stdout is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.exitCode = handleError(e);
  },
);
