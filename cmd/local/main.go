// Command local runs lambdabridge end to end on this machine, before anything is deployed:
// it plans the stack with the planner, builds the real bootstrap binaries, runs them under the
// AWS Lambda Runtime Interface Emulator, serves the source (a sample file, or a URL), keeps a
// dead-letter queue on a real SQS-API server (fauxqs, from `npm ci`), uses a local S3 server
// for the s3 topology, and stores into a real PostgreSQL, following Lambda's asynchronous
// semantics (retries 1 and 2 minutes apart, maximum event age, onSuccess/onFailure,
// duplicates) at accelerated time. It prints each step with sizes and the rows written.
//
//	go run ./cmd/local                                   # dev stack, planner's topology, sample file
//	go run ./cmd/local --topology s3 --runs 5
//	go run ./cmd/local --url https://example.com/data.json --database-url postgres://...
//	go run ./cmd/local --source-mode 500                 # watch the retries and the dead-letter queue
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/envvar"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/pipeline"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/planner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

// defaultSample is the 279 KB JSON document the planner's seed workload was measured on.
const defaultSample = "handlers/envelope/testdata/sample.json"

var sourceModes = map[string]pipeline.SourceMode{
	"healthy": pipeline.Healthy, "500": pipeline.Error500, "hang": pipeline.Hang, "garbage": pipeline.Garbage, "huge": pipeline.Huge,
}

type options struct {
	dir, stack, topology, sample, url, databaseURL, sourceMode, outDir, logs string
	runs, duplicates                                                         int
	timeScale                                                                float64
	spill                                                                    bool
	// serveMetrics keeps the local CloudWatch serving after the runs (metrics.go).
	serveMetrics bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dir, "dir", ".", "directory of Pulumi.yaml and the go.mod")
	fs.StringVar(&o.stack, "stack", "dev", "stack whose Pulumi.<stack>.yaml to plan")
	fs.StringVar(&o.topology, "topology", "auto", "auto (the planner's choice), destination, s3, or relay (also nat-gateway, nat-instance, ipv6)")
	fs.StringVar(&o.sample, "sample", "", "serve this file as the source (default: "+defaultSample+")")
	fs.StringVar(&o.url, "url", "", "fetch this URL instead of a sample")
	fs.IntVar(&o.runs, "runs", 3, "scheduled runs to perform")
	fs.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL URL (default: $DATABASE_URL)")
	fs.Float64Var(&o.timeScale, "time-scale", 60, "how much faster than real time Lambda's clock runs (60: a 1-minute retry wait takes 1 s)")
	fs.StringVar(&o.sourceMode, "source-mode", "healthy", "how the sample source answers: healthy, 500, hang, garbage or huge")
	fs.IntVar(&o.duplicates, "duplicates", 0, "deliver every writer event this many extra times (at-least-once delivery)")
	fs.BoolVar(&o.spill, "spill", false, "let the fetcher spill oversized records to S3 (destination topology)")
	fs.StringVar(&o.outDir, "out-dir", ".build/local", "where the bootstraps and the emulator are built")
	fs.StringVar(&o.logs, "logs", "", "file for the functions' own log lines (default: <out-dir>/functions.log)")
	fs.BoolVar(&o.serveMetrics, "serve-metrics", false, "after the runs, keep their metrics in a local CloudWatch serving until Ctrl-C, and print the plan --from-metrics line that reads them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := o.check(fs); err != nil {
		return err
	}
	start := time.Now()
	// pgx reads libpq's PG* variables on its own: none inherited from the shell may redirect
	// the run (the database is --database-url or DATABASE_URL).
	if removed, err := envvar.UnsetLibpq(); err != nil {
		return err
	} else if len(removed) > 0 {
		fmt.Fprintf(stderr, "local: ignoring %s from the environment (the database is --database-url or DATABASE_URL)\n", strings.Join(removed, ", "))
	}

	// 1. Plan.
	cfg, err := config.LoadStack(o.dir, o.stack)
	if err != nil {
		return fmt.Errorf("stack %s: %w", o.stack, err)
	}
	var sample []byte
	if o.url == "" {
		if sample, err = os.ReadFile(o.sample); err != nil {
			return fmt.Errorf("--sample: %w", err)
		}
	}
	if sample != nil { // plan for what will actually be fetched, as `plan --sample` does
		gz, err := envelope.Compress(sample)
		if err != nil {
			return err
		}
		cfg.PayloadBytes, cfg.CompressedBytes = int64(len(sample)), int64(len(gz))
	}
	if o.topology != "auto" {
		// --topology runs that topology locally whatever the stack names; the plan line
		// then shows the planner's own choice for comparison.
		cfg.Topology = string(planner.Auto)
	}
	plan, err := cfg.Plan()
	if err != nil {
		return fmt.Errorf("stack %s: %w", o.stack, err)
	}
	rep := plan.Report
	chosen := rep.Chosen
	if o.topology != "auto" {
		chosen = planner.Topology(o.topology)
		if o.topology == "relay" {
			chosen = planner.NATInstance
		}
	}
	topo, err := pipeline.TopologyOf(chosen)
	if err != nil {
		return fmt.Errorf("--topology: %w", err)
	}
	limit := rep.Payload.LimitBytes
	fmt.Fprintf(stdout, "plan     stack %s: %s, %s, %s raw / %s gzip -> planner chose %s (%s/month in total)\n",
		o.stack, rep.Region, rep.Schedule, size(rep.Payload.RawBytes), size(rep.Payload.CompressedBytes), rep.Chosen, planner.Money(rep.TotalMonthlyUSD))
	fmt.Fprintf(stdout, "plan     destination record ~%s of the %s async payload limit in force on %s; running topology %s locally\n",
		size(rep.Payload.RecordBytes), size(limit), rep.AsOf, topo)

	// 2. Database.
	dbURL := o.databaseURL
	if dbURL == "" {
		dbURL = os.Getenv("DATABASE_URL")
	}
	if dbURL == "" {
		return errors.New("no PostgreSQL: set DATABASE_URL or --database-url (e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); " +
			"to start one: `pg_ctlcluster 15 main start` (Debian), or run scripts/test, which starts a throwaway cluster")
	}
	before, err := countRows(ctx, dbURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database %s: fetches has %d rows\n", redact(dbURL), before)

	// 3. Servers: the dead-letter queue, the source.
	root, err := sqslocal.ModuleRoot(o.dir)
	if err != nil {
		return err
	}
	sq, err := sqslocal.Start(ctx, root)
	if err != nil {
		if errors.Is(err, sqslocal.ErrNotInstalled) {
			return fmt.Errorf("%w — the local dead-letter queue needs Node.js 20+ and `npm ci` in %s", err, root)
		}
		return err
	}
	defer sq.Stop()
	fmt.Fprintf(stdout, "sqs      fauxqs (real SQS API) at %s\n", sq.Endpoint)
	sourceURL := o.url
	var src *pipeline.Source
	if sourceURL == "" {
		src = pipeline.NewSource(sample)
		defer src.Close()
		src.SetMode(sourceModes[o.sourceMode])
		sourceURL = src.URL()
		fmt.Fprintf(stdout, "source   %s (%s) served at %s, answering %s\n", o.sample, size(int64(len(sample))), sourceURL, o.sourceMode)
	} else {
		fmt.Fprintf(stdout, "source   %s\n", sourceURL)
	}

	// 4. Build the bootstraps and start them under the emulator.
	logPath := o.logs
	if logPath == "" {
		logPath = filepath.Join(o.outDir, "functions.log")
	}
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("--logs: %w", err)
	}
	defer logFile.Close()
	emu := &pipeline.Emulator{ModuleRoot: root, OutDir: o.outDir, Output: logFile}
	pkgs := []string{pipeline.FetchPackage, pipeline.WritePackage}
	if topo == pipeline.Relay {
		pkgs = []string{pipeline.RelayPackage}
	}
	if err := emu.Prepare(ctx, pkgs...); err != nil {
		return err
	}
	for _, b := range emu.Built {
		st, err := os.Stat(b.Path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, b.Path)
		fmt.Fprintf(stdout, "build    %s -> %s (linux/amd64 for the emulator, %s) in %s\n", b.Package, rel, size(st.Size()), b.Duration.Round(100*time.Millisecond))
	}

	po := pipeline.DefaultOptions()
	po.Topology, po.Runtime, po.DatabaseURL, po.SQSEndpoint = topo, emu, dbURL, sq.Endpoint
	po.Clock = lambdaasync.NewScaledClock(time.Now(), o.timeScale)
	rec, err := newLocalMetrics(o.stack, rep.Schedule, po.Clock) // metrics.go
	if err != nil {
		return err
	}
	emu.Output, po.Runtime = io.MultiWriter(logFile, rec), rec.runtime(emu)
	po.MaxRetries, po.MaxEventAge = cfg.MaxRetries, time.Duration(cfg.MaxEventAgeSeconds)*time.Second
	po.AsyncLimitBytes, po.Spill = limit, o.spill || cfg.Spill
	po.Source.Config.URL, po.Source.Config.Timeout, po.Source.Config.ExpectJSON = sourceURL, 10*time.Second, true
	if o.duplicates > 0 {
		po.Duplicates = func(fn, _ string) int {
			if fn == "writer" {
				return o.duplicates
			}
			return 0
		}
	}
	po.Log = stdout
	p, err := pipeline.New(ctx, po)
	if err != nil {
		return err
	}
	defer p.Close()
	fmt.Fprintf(stdout, "lambda   functions running under aws-lambda-rie (logs: %s); async: %d retries (waits 1 min, 2 min), max event age %s, onFailure -> %s\n",
		logPath, po.MaxRetries, po.MaxEventAge, p.DLQURL)
	fmt.Fprintf(stdout, "clock    Lambda time runs %gx real time (\"at +m:ss\" is Lambda time since the run's event; function run times are scaled too)\n", o.timeScale)

	// 5. Runs.
	sched, err := planner.ParseSchedule(rep.Schedule)
	if err != nil {
		return err
	}
	at := time.Now().UTC().Truncate(time.Minute)
	for i := 0; i < o.runs; i++ {
		rec.startRun(at)
		if _, err := p.Run(ctx, at); err != nil {
			return err
		}
		next, ok := sched.Next(at)
		if !ok {
			break
		}
		at = next
	}

	// 6. Redrive what the writer could not store, then report.
	ss, ws := p.Stats()
	if ws.RetriesExhausted+ws.EventAgeExceeded > 0 {
		c, err := p.Redrive(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "redrive  %d redriven, %d left\n", c.Redriven, c.Left())
	}
	after, err := countRows(ctx, dbURL)
	if err != nil {
		return err
	}
	depth, err := p.DLQDepth(ctx)
	if err != nil {
		return err
	}
	audit := "n/a"
	if rows, err := pipeline.Rows(ctx, dbURL); err == nil {
		a := pipeline.Compare(p.Ledger().Expected(), rows)
		if len(a.Lost) == 0 {
			audit = "every fetch handed to the writer (or relayed) is stored"
		} else {
			audit = fmt.Sprintf("%d fetches handed to the writer are NOT stored", len(a.Lost))
		}
	}
	flow := fmt.Sprintf("%d fetched, %d failed to fetch; writer %d deliveries, %d failed", ss.Successes, ss.RetriesExhausted+ss.EventAgeExceeded,
		ws.Deliveries, ws.RetriesExhausted+ws.EventAgeExceeded)
	if topo == pipeline.Relay {
		flow = fmt.Sprintf("relay fetched and stored %d, %d failed", ss.Successes, ss.RetriesExhausted+ss.EventAgeExceeded)
	}
	fmt.Fprintf(stdout, "summary  %d runs: %s; rows written %d (fetches now has %d rows); %s; dead-letter queue holds %d; took %s\n",
		o.runs, flow, after-before, after, audit, depth, time.Since(start).Round(100*time.Millisecond))
	return rec.finish(ctx, stdout, o.stack, chosen, o.topology != "auto", o.serveMetrics)
}

func (o *options) check(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (all options are flags; see -h)", fs.Arg(0))
	}
	switch o.topology {
	case "auto", "destination", "s3", "relay", "nat-gateway", "nat-instance", "ipv6":
	default:
		return fmt.Errorf("--topology %q: want auto, destination, s3 or relay (or nat-gateway, nat-instance, ipv6)", o.topology)
	}
	if o.sample != "" && o.url != "" {
		return errors.New("--sample and --url are exclusive: serve a file, or fetch a URL")
	}
	if o.url != "" {
		if u, err := url.Parse(o.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--url %q: want an absolute http or https URL", o.url)
		}
		if o.sourceMode != "healthy" {
			return errors.New("--source-mode applies to the local sample source, not to --url")
		}
	}
	if o.sample == "" && o.url == "" {
		o.sample = filepath.Join(o.dir, defaultSample)
	}
	if _, ok := sourceModes[o.sourceMode]; !ok {
		return fmt.Errorf("--source-mode %q: want healthy, 500, hang, garbage or huge", o.sourceMode)
	}
	if o.runs < 1 {
		return fmt.Errorf("--runs %d: want 1 or more", o.runs)
	}
	if o.duplicates < 0 {
		return fmt.Errorf("--duplicates %d: want 0 or more", o.duplicates)
	}
	if o.timeScale < 1 || o.timeScale > 1e6 {
		return fmt.Errorf("--time-scale %g: want 1 (real time) to 1000000", o.timeScale)
	}
	return nil
}

// countRows counts the fetches table (0 when the writer has not created it yet).
func countRows(ctx context.Context, dbURL string) (int, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, dbURL)
	if err != nil {
		return 0, fmt.Errorf("cannot reach PostgreSQL at %s: %w (start one, or fix DATABASE_URL / --database-url)", redact(dbURL), err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('fetches') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	if !exists {
		return 0, nil
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM fetches`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return n, nil
}

func redact(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Redacted()
}

// size renders a byte count the way the planner's report does.
func size(n int64) string { return planner.FormatSize(n) }
