import type { Command } from 'commander';
import type { SweepServiceClient } from '../proto/index.js';
import { CliError } from './cli-error.js';
import { readSpecFile, validateSpecFile } from './args.js';
import { call, collect, sweepClient } from './client.js';
import { sweepExitCode } from './exit-codes.js';
import { failureGroups, formatFailures, type FailureGroup } from './failure-digest.js';
import { addClientTlsFlags, clientTlsOptionsFrom, type TlsFlagValues } from './nats-flags.js';
import { ProgressDisplay } from './progress-display.js';
import { progressJson, progressLine, stateName, trialProgressJson, trialProgressLine } from './progress-format.js';
import { reportCommand } from './report-command.js';
import { resultsToCsv, toFrontierDocument, toResultRow } from './result-format.js';
import { watchSweep } from './watch-stream.js';
import { configurationProgressJson, configurationProgressLine, sweepTally } from './configuration-progress.js';
import { SweepState, type Progress } from '../proto/index.js';
import { fromConfigurationFrontierMessage } from '../coordinator/configurations/index.js';

/** A progress that ends the sweep: its line is computed from every result. */
const isFinal = (p: Progress): boolean => p.state !== SweepState.SWEEP_STATE_RUNNING && p.state !== SweepState.SWEEP_STATE_UNSPECIFIED;

type Remote = TlsFlagValues & { coordinator: string };

const COORDINATOR_HELP = 'coordinator gRPC address (or FAIRSWEEP_COORDINATOR)';

/** --coordinator and TLS flags; a missing address is reported with where to find it. */
function remote(cmd: Command): Command {
  return addClientTlsFlags(cmd.option('--coordinator <host:port>', COORDINATOR_HELP, process.env.FAIRSWEEP_COORDINATOR)).hook('preAction', (_cmd, action) => {
    if (!(action.opts() as { coordinator?: string }).coordinator) {
      throw new CliError(`${action.name()}: --coordinator HOST:PORT is required (or set FAIRSWEEP_COORDINATOR): the gRPC address \`fairsweep coordinator\` prints when it starts, e.g. 127.0.0.1:50051`);
    }
  });
}

const line = (v: unknown): string => `${JSON.stringify(v)}\n`;

/** The first distinct errors of a sweep's failed trials, from its recorded results. */
async function fetchFailures(client: SweepServiceClient, sweepId: string, address: string): Promise<FailureGroup[]> {
  const results = await collect(client.results({ sweepId }), address);
  return failureGroups(results.flatMap((r) => (r.result ? [toResultRow(r.result)] : [])));
}

/** submit, status, watch, cancel, results, workers, frontier-of and report: the commands that talk to a coordinator. */
export function addRemoteCommands(program: Command): void {
  remote(
    program
      .command('submit')
      .description('submit a sweep spec to a coordinator; prints the sweep id as the last line')
      .argument('<spec>', 'sweep spec (YAML)')
      .option('--wait', 'follow progress until the sweep ends; exit 0 when every trial succeeded, 4 when some failed (their first errors are printed), 3 when it was cancelled')
      .option('--no-validate', 'skip the local spec check (the coordinator checks the spec in any case)')
      .option('-q, --quiet', 'print only the sweep id (and, with --wait, failures on stderr)')
      .option('--json', 'print one JSON object (with --wait: the final progress and the first failures)'),
  ).action(async (spec: string, o: Remote & { wait?: boolean; validate: boolean; quiet?: boolean; json?: boolean }) => {
    const text = await readSpecFile(spec);
    // An invalid spec is refused here, before any connection; the coordinator applies its own trial and memory limits.
    if (o.validate) for (const w of validateSpecFile(spec, text, { maxTrials: Number.POSITIVE_INFINITY, maxTrialMemoryMb: Number.POSITIVE_INFINITY }).warnings) process.stderr.write(`fairsweep: warning: ${spec}: ${w}\n`);
    const client = sweepClient(o.coordinator, clientTlsOptionsFrom(o));
    try {
      const res = await call(client, client.submit, { specYaml: text }, o.coordinator);
      const chatty = !o.quiet && !o.json;
      if (chatty) process.stderr.write(`submitted ${res.totalTrials} trials in ${res.totalShards} shards\n`);
      const info = { sweep_id: res.sweepId, total_trials: res.totalTrials, total_shards: res.totalShards };
      if (!o.wait) {
        process.stdout.write(o.json ? line(info) : `${res.sweepId}\n`);
        return;
      }
      const display = new ProgressDisplay(chatty ? undefined : 'quiet');
      const last = await watchSweep(client, res.sweepId, o.coordinator, {
        replay: false,
        onProgress: (p) => display.update(p),
        ...(chatty ? { onReconnect: (err: CliError) => process.stderr.write(`fairsweep: ${err.message}; reconnecting\n`) } : {}),
      });
      display.stop();
      if (chatty) process.stderr.write(`${progressLine(last)}\n`);
      const failures = last.failed > 0 ? await fetchFailures(client, res.sweepId, o.coordinator) : [];
      process.exitCode = sweepExitCode(last);
      if (o.json) {
        process.stdout.write(line({ ...info, progress: progressJson(last), failures, exit_code: process.exitCode }));
        return;
      }
      for (const l of formatFailures(failures, last.failed, last.total)) process.stderr.write(`${l}\n`);
      if (last.failed > 0) process.stderr.write(`  (all results: fairsweep results ${res.sweepId} --coordinator ${o.coordinator})\n`);
      process.stdout.write(`${res.sweepId}\n`);
    } finally {
      client.close();
    }
  });

  remote(
    program
      .command('status')
      .description('show a sweep\'s progress')
      .argument('<sweep-id>')
      .option('--json', 'print JSON')
      .option('--per-trial', 'count the frontier over trials (configuration and seed) instead of configurations')
      .option('-q, --quiet', 'print only the state: running, completed or cancelled'),
  ).action(async (id: string, o: Remote & { json?: boolean; quiet?: boolean; perTrial?: boolean }) => {
    const client = sweepClient(o.coordinator, clientTlsOptionsFrom(o));
    try {
      const res = await call(client, client.get, { sweepId: id }, o.coordinator);
      const p = res.progress;
      if (!p) throw new CliError(`no progress for sweep ${id}`);
      if (o.quiet) {
        process.stdout.write(`${stateName(p.state)}\n`);
        return;
      }
      if (o.perTrial) {
        process.stdout.write(o.json ? line(progressJson(p)) : `${progressLine(p)}\n`);
        return;
      }
      const doc = (await sweepTally(client, id, o.coordinator)).frontier();
      process.stdout.write(o.json ? line(configurationProgressJson(p, doc)) : `${configurationProgressLine(p, doc)}\n`);
    } finally {
      client.close();
    }
  });

  remote(
    program
      .command('watch')
      .description('stream a sweep\'s progress and results until it ends (exit 0 when every trial succeeded, 4 when some failed, 3 when it was cancelled); reconnects if the coordinator restarts')
      .argument('<sweep-id>')
      .option('--json', 'one JSON object per event')
      .option('-q, --quiet', 'print only the final progress line')
      .option('--replay', 'first replay results recorded so far')
      .option('--per-trial', 'count the frontier over trials (configuration and seed) instead of configurations'),
  ).action(async (id: string, o: Remote & { json?: boolean; quiet?: boolean; replay?: boolean; perTrial?: boolean }) => {
    const client = sweepClient(o.coordinator, clientTlsOptionsFrom(o));
    const quiet = o.quiet === true;
    try {
      // By default the frontier counted is of configurations, over every result recorded (fetched once, then streamed).
      const tally = o.perTrial ? undefined : await sweepTally(client, id, o.coordinator);
      // With a tally the stream replays every result (none is missed between the fetch and the stream); those fetched already are printed only with --replay.
      const before = tally?.ids() ?? new Set<string>();
      // A replayed stream opens and ends with the same progress; it is printed once.
      let lastLine = '';
      const show = (p: Progress, fresh: boolean): string => {
        const doc = tally?.frontier(fresh);
        if (o.json) return line({ progress: doc ? configurationProgressJson(p, doc) : progressJson(p) });
        return `${doc ? configurationProgressLine(p, doc) : progressLine(p)}\n`;
      };
      const last = await watchSweep(client, id, o.coordinator, {
        replay: (o.replay ?? false) || tally !== undefined,
        onProgress: (p) => {
          if (quiet) return;
          const text = show(p, isFinal(p));
          if (text !== lastLine) process.stdout.write(text);
          lastLine = text;
        },
        onResult: (res) => {
          tally?.add(res);
          if (quiet || (!o.replay && before.has(res.trialId))) return;
          lastLine = '';
          const r = toResultRow(res);
          process.stdout.write(o.json ? line({ result: r }) : `  ${r.status} ${r.trial_id} ${JSON.stringify(r.params)} seed ${r.seed}${r.error ? `: ${r.error}` : ''}\n`);
        },
        onTrialProgress: (ev) => {
          if (!quiet) process.stdout.write(o.json ? line({ trial_progress: trialProgressJson(ev) }) : `  progress ${trialProgressLine(ev)}\n`);
        },
        onReconnect: (err) => process.stderr.write(`fairsweep: ${err.message}; reconnecting\n`),
      });
      if (quiet) process.stdout.write(show(last, true));
      process.exitCode = sweepExitCode(last);
    } finally {
      client.close();
    }
  });

  remote(program.command('cancel').description('cancel a sweep: running trials stop, queued shards are removed').argument('<sweep-id>').option('--json', 'print JSON')).action(
    async (id: string, o: Remote & { json?: boolean }) => {
      const client = sweepClient(o.coordinator, clientTlsOptionsFrom(o));
      const res = await call(client, client.cancel, { sweepId: id }, o.coordinator).finally(() => client.close());
      if (res.progress) process.stdout.write(o.json ? line(progressJson(res.progress)) : `${progressLine(res.progress)}\n`);
    },
  );

  remote(
    program
      .command('results')
      .description('print a sweep\'s recorded trial results')
      .argument('<sweep-id>')
      .option('--format <format>', 'jsonl (one result per line) | json (one array) | csv (flat columns, for pandas and spreadsheets)', 'jsonl')
      .option('--group-metrics', 'csv: add a column per split, group and metric (group:SPLIT:GROUP:METRIC)'),
  ).action(async (id: string, o: Remote & { format: string; groupMetrics?: boolean }) => {
    if (o.format !== 'jsonl' && o.format !== 'csv' && o.format !== 'json') throw new CliError(`--format: expected jsonl, json or csv, got "${o.format}"`);
    const client = sweepClient(o.coordinator, clientTlsOptionsFrom(o));
    const rows = (await collect(client.results({ sweepId: id }), o.coordinator).finally(() => client.close())).flatMap((r) => (r.result ? [toResultRow(r.result)] : []));
    process.stdout.write(
      o.format === 'csv' ? resultsToCsv(rows, { groupMetrics: o.groupMetrics ?? false }) : o.format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : rows.map(line).join(''),
    );
  });

  remote(program.command('workers').description('list the workers connected to a coordinator').option('--json', 'print JSON')).action(async (o: Remote & { json?: boolean }) => {
    const client = sweepClient(o.coordinator, clientTlsOptionsFrom(o));
    const res = await call(client, client.listWorkers, {}, o.coordinator).finally(() => client.close());
    for (const w of res.workers) {
      process.stdout.write(o.json ? line(w) : `${w.id} ${w.state} backend=${w.backend} gpu=${w.gpu} busy=${w.busy}/${w.slots} trials=${w.trialsDone} grpc=${w.grpcAddress || 'none'}\n`);
    }
  });

  remote(
    program
      .command('frontier-of')
      .description('a sweep\'s frontier of configurations (objectives aggregated over seeds, the spec\'s selection) as JSON, from its results on a coordinator')
      .argument('<sweep-id>')
      .option('--per-trial', 'the coordinator\'s frontier over trials (configuration and seed)'),
  ).action(async (id: string, o: Remote & { perTrial?: boolean }) => {
    const client = sweepClient(o.coordinator, clientTlsOptionsFrom(o));
    try {
      const res = await call(client, client.frontier, { sweepId: id, objectives: [], reference: [], perTrial: o.perTrial === true }, o.coordinator);
      if (!o.perTrial) {
        // The coordinator computes the configuration frontier on the spec's objectives and selection.
        if (!res.configurations) throw new CliError(`no configuration frontier for sweep ${id} (is the coordinator older than this client? try --per-trial)`);
        process.stdout.write(`${JSON.stringify(fromConfigurationFrontierMessage(res.configurations), null, 2)}\n`);
        return;
      }
      if (!res.frontier) throw new CliError(`no frontier for sweep ${id}`);
      process.stdout.write(`${JSON.stringify(toFrontierDocument(res.frontier), null, 2)}\n`);
    } finally {
      client.close();
    }
  });

  addClientTlsFlags(
    program
      .command('report')
      .description('write report.html for a sweep: from a results.jsonl and its spec, or fetched from a coordinator')
      .argument('<source>', 'results.jsonl (with --spec) or a sweep id (with --coordinator)')
      .option('--spec <file>', 'the sweep spec (YAML) the results file came from')
      .option('--coordinator <host:port>', COORDINATOR_HELP, process.env.FAIRSWEEP_COORDINATOR)
      .option('--out <file>', 'report file', 'report.html'),
  ).action(async (source: string, o: TlsFlagValues & { spec?: string; coordinator?: string; out: string }) => {
    const tls = clientTlsOptionsFrom(o);
    const path = await reportCommand(source, { out: o.out, ...(o.spec !== undefined ? { spec: o.spec } : {}), ...(o.coordinator ? { coordinator: o.coordinator } : {}), ...(tls ? { tls } : {}) });
    process.stdout.write(`${path}\n`);
  });
}
