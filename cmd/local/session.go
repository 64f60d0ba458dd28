package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/source"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/pipeline"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/lambdas"
	"github.com/lambdabridge/lambdabridge/planner"
)

// session is one `local` run, step by step: plan, database, servers, functions, runs,
// summary. Each step prints its lines and leaves what the next needs; close releases what
// the steps started, last first.
type session struct {
	o     options
	out   io.Writer
	hb    *heartbeat
	start time.Time
	// getenv reads the environment (LAMBDABRIDGE_SOURCE_HEADERS).
	getenv func(string) string

	cfg    config.Config
	rep    *planner.Report
	topo   pipeline.Topology
	shape  planner.Shape
	sample []byte // the served sample (nil with --url)
	// headers are the source's secret request headers (--url, --stack-url), and notes say
	// where they came from, without a value.
	headers     map[string]string
	headerNotes []string

	dbURL      string
	rowsBefore int

	root      string // the module root
	sqs       *sqslocal.Server
	sourceURL string

	emu     *pipeline.Emulator
	logPath string
	p       *pipeline.Pipeline
	metrics *localMetrics // what the runs would publish to CloudWatch (metrics.go)
	chosen  planner.Topology

	closers []func()

	// notStored counts the runs whose fetch did not reach the database (the verdict).
	notStored int
}

func (s *session) onClose(f func()) { s.closers = append(s.closers, f) }

func (s *session) close() {
	for i := len(s.closers) - 1; i >= 0; i-- {
		s.closers[i]()
	}
}

// plan reads the stack, plans it for what will be fetched (the sample's sizes, as
// `plan --sample` does) and picks the local topology: --topology, or the planner's choice.
func (s *session) plan(context.Context) error {
	cfg, err := config.LoadStack(s.o.dir, s.o.stack)
	if err != nil {
		return &exitcode.UsageError{Err: fmt.Errorf("stack %s: %w", s.o.stack, err)}
	}
	if s.o.stackURL {
		if cfg.SourceURL == "" {
			return &exitcode.UsageError{Err: fmt.Errorf("--stack-url: stack %s sets no %s:sourceUrl", s.o.stack, config.Namespace)}
		}
		s.o.url = cfg.SourceURL
	}
	if s.o.url != "" {
		if s.headers, s.headerNotes, err = cfg.LocalHeaders(s.getenv); err != nil {
			return &exitcode.UsageError{Err: err}
		}
	}
	if s.o.url == "" {
		if s.sample, err = os.ReadFile(s.o.sample); err != nil {
			return fmt.Errorf("--sample: %w", err)
		}
		gz, err := envelope.Compress(s.sample)
		if err != nil {
			return err
		}
		cfg.PayloadBytes, cfg.CompressedBytes = int64(len(s.sample)), int64(len(gz))
	}
	if s.o.topology != "auto" {
		// --topology runs that topology locally whatever the stack names; the plan line
		// then shows the planner's own choice for comparison.
		cfg.Topology = string(planner.Auto)
	}
	plan, err := cfg.Plan()
	if err != nil {
		err = fmt.Errorf("stack %s: %w", s.o.stack, err)
		if errors.Is(err, planner.ErrBadInput) || errors.As(err, new(*config.KeyError)) {
			return &exitcode.UsageError{Err: err}
		}
		return err
	}
	s.cfg, s.rep = cfg, plan.Report
	chosen := s.rep.Chosen
	if s.o.topology != "auto" {
		chosen = planner.Topology(s.o.topology)
	}
	s.chosen = chosen
	if s.o.topology == string(pipeline.Relay) {
		s.topo = pipeline.Relay
	} else if s.topo, err = pipeline.TopologyOf(chosen); err != nil {
		return fmt.Errorf("--topology: %w", err)
	}
	if s.shape, err = s.topo.Shape(); err != nil {
		return err
	}
	if s.o.topology == string(pipeline.Relay) {
		s.chosen = s.shape.Topology // "relay" names the handoff: any of its topologies runs alike
	}
	rep := s.rep
	fmt.Fprintf(s.out, "plan     stack %s: %s, %s, %s raw / %s gzip -> planner chose %s (%s/month in total)\n",
		s.o.stack, rep.Region, rep.Schedule, size(rep.Payload.RawBytes), size(rep.Payload.CompressedBytes), rep.Chosen, planner.Money(rep.TotalMonthlyUSD))
	fmt.Fprintf(s.out, "plan     destination record ~%s of the %s async payload limit in force on %s; running topology %s locally\n",
		size(rep.Payload.RecordBytes), size(rep.Payload.LimitBytes), rep.AsOf, s.topo)
	return nil
}

// servers starts the dead-letter queue's SQS-API server and the sample source.
func (s *session) servers(ctx context.Context) error {
	var err error
	if s.root, err = sqslocal.ModuleRoot(s.o.dir); err != nil {
		return err
	}
	if s.sqs, err = sqslocal.Start(ctx, s.root); err != nil {
		if errors.Is(err, sqslocal.ErrNotInstalled) {
			return fmt.Errorf("%w — the local dead-letter queue needs Node.js 20+ and `npm ci` in %s", err, s.root)
		}
		return err
	}
	s.onClose(func() { s.sqs.Stop() })
	fmt.Fprintf(s.out, "sqs      fauxqs (real SQS API) at %s\n", s.sqs.Endpoint)
	if s.o.url != "" {
		s.sourceURL = s.o.url
		fmt.Fprintf(s.out, "source   %s with %s\n", source.SafeURL(s.sourceURL), describeHeaders(s.headers))
		for _, n := range s.headerNotes {
			fmt.Fprintf(s.out, "source   %s\n", n)
		}
		return nil
	}
	src := pipeline.NewSource(s.sample)
	s.onClose(src.Close)
	src.SetMode(sourceModes[s.o.sourceMode])
	s.sourceURL = src.URL()
	fmt.Fprintf(s.out, "source   %s (%s) served at %s, answering %s\n", s.o.sample, size(int64(len(s.sample))), s.sourceURL, s.o.sourceMode)
	return nil
}

// functions builds the bootstraps of the topology's functions and starts the pipeline with
// them under the emulator.
func (s *session) functions(ctx context.Context) error {
	s.logPath = s.o.logs
	if s.logPath == "" {
		s.logPath = filepath.Join(s.o.outDir, "functions.log")
	}
	if err := os.MkdirAll(filepath.Dir(s.logPath), 0o755); err != nil {
		return err
	}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		return fmt.Errorf("--logs: %w", err)
	}
	s.onClose(func() { logFile.Close() })
	s.emu = &pipeline.Emulator{ModuleRoot: s.root, OutDir: s.o.outDir, Output: logFile}
	var pkgs []string
	for _, r := range s.shape.Functions {
		pkg, err := lambdas.Package(r)
		if err != nil {
			return err
		}
		pkgs = append(pkgs, pkg)
	}
	building := s.hb.waiting("building the emulator and the bootstraps (go build; the first build takes longest)")
	err = s.emu.Prepare(ctx, pkgs...)
	building()
	if err != nil {
		return err
	}
	for _, b := range s.emu.Built {
		st, err := os.Stat(b.Path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(s.root, b.Path)
		fmt.Fprintf(s.out, "build    %s -> %s (%s/%s for the emulator, %s) in %s\n", b.Package, rel, runtime.GOOS, runtime.GOARCH,
			size(st.Size()), b.Duration.Round(100*time.Millisecond))
	}

	po := pipeline.DefaultOptions()
	po.Topology, po.DatabaseURL, po.SQSEndpoint = s.topo, s.dbURL, s.sqs.Endpoint
	po.Clock = watchedClock{lambdaasync.NewScaledClock(time.Now(), s.o.timeScale), s.hb, s.o.timeScale}
	if s.metrics, err = newLocalMetrics(s.o.stack, s.rep.Schedule, po.Clock); err != nil {
		return err
	}
	s.emu.Output, po.Runtime = io.MultiWriter(logFile, s.metrics), s.metrics.runtime(watchedRuntime{s.emu, s.hb})
	po.MaxRetries, po.MaxEventAge = s.cfg.MaxRetries, time.Duration(s.cfg.MaxEventAgeSeconds)*time.Second
	po.AsyncLimitBytes, po.Spill = s.rep.Payload.LimitBytes, s.o.spill || s.cfg.Spill
	// The source settings infra deploys (timeouts, retries); the sample source alone is also
	// checked for JSON, which its garbage mode shows failing.
	po.Source = fetcher.NewSourceSettings(s.sourceURL)
	po.Source.Config.ExpectJSON = s.sample != nil
	po.SourceHeaders = s.headers
	if s.o.duplicates > 0 {
		po.Duplicates = func(fn, _ string) int {
			if fn == string(planner.Writer) {
				return s.o.duplicates
			}
			return 0
		}
	}
	po.Log = s.out
	if s.p, err = pipeline.New(ctx, po); err != nil {
		return err
	}
	s.onClose(s.p.Close)
	fmt.Fprintf(s.out, "lambda   functions running under aws-lambda-rie (logs: %s); async: %d retries (waits 1 min, 2 min), max event age %s, onFailure -> %s\n",
		s.logPath, po.MaxRetries, po.MaxEventAge, s.p.DLQURL)
	fmt.Fprintf(s.out, "clock    Lambda time runs %gx real time (\"at +m:ss\" is Lambda time since the run's event; function run times are scaled too)\n", s.o.timeScale)
	return nil
}

// runAll performs --runs scheduled runs at the schedule's own times.
func (s *session) runAll(ctx context.Context) error {
	sched, err := planner.ParseSchedule(s.rep.Schedule)
	if err != nil {
		return err
	}
	at := time.Now().UTC().Truncate(time.Minute)
	for i := 0; i < s.o.runs; i++ {
		s.metrics.startRun(at)
		if _, err := s.p.Run(ctx, at); err != nil {
			return err
		}
		next, ok := sched.Next(at)
		if !ok {
			break
		}
		at = next
	}
	return nil
}

// summary redrives what the writer could not store, then audits the rows against the
// ledger and prints one line.
func (s *session) summary(ctx context.Context) error {
	ss, ws := s.p.Stats()
	if ws.RetriesExhausted+ws.EventAgeExceeded > 0 && !s.o.keep {
		c, err := s.p.Redrive(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(s.out, "redrive  %d redriven, %d left\n", c.Redriven, c.Left())
	}
	after, err := countRows(ctx, s.dbURL)
	if err != nil {
		return err
	}
	depth, err := s.p.DLQDepth(ctx)
	if err != nil {
		return err
	}
	rows, err := pipeline.Rows(ctx, s.dbURL)
	if err != nil {
		return fmt.Errorf("audit the stored rows: %w", err)
	}
	a := pipeline.Compare(s.p.Ledger().Expected(), rows)
	audit := "every fetch handed to the writer (or relayed) is stored"
	if len(a.Lost) > 0 {
		audit = fmt.Sprintf("%d fetches handed to the writer are NOT stored", len(a.Lost))
	}
	s.notStored = ss.RetriesExhausted + ss.EventAgeExceeded + len(a.Lost)
	if n := s.p.HeaderReads(); n > 0 {
		fmt.Fprintf(s.out, "headers  read %d time(s) from the local Parameter Store at cold start (deployed: %d GetParameter, %d KMS Decrypt)\n", n, n, n)
	}
	flow := fmt.Sprintf("%d fetched, %d failed to fetch; writer %d deliveries, %d failed", ss.Successes, ss.RetriesExhausted+ss.EventAgeExceeded,
		ws.Deliveries, ws.RetriesExhausted+ws.EventAgeExceeded)
	if s.shape.SingleFunction() {
		flow = fmt.Sprintf("relay fetched and stored %d, %d failed", ss.Successes, ss.RetriesExhausted+ss.EventAgeExceeded)
	}
	fmt.Fprintf(s.out, "summary  %d runs: %s; rows written %d (fetches now has %d rows); %s; dead-letter queue holds %d; took %s\n",
		s.o.runs, flow, after-s.rowsBefore, after, audit, depth, time.Since(s.start).Round(100*time.Millisecond))
	return s.metrics.finish(ctx, s.out, s.o.stack, s.chosen, s.o.topology != "auto", s.o.serveMetrics)
}

// keepServers, with --keep, leaves the servers running until the context ends (Ctrl-C) and
// prints the cmd/redrive command that drains the dead-letter queue through the local writer
// (or relay), as an operator would in AWS.
func (s *session) keepServers(ctx context.Context) error {
	if !s.o.keep {
		return nil
	}
	fn, flag := string(planner.Writer), "--writer-endpoint"
	if s.shape.SingleFunction() {
		fn, flag = string(planner.Relay), "--relay-endpoint"
	}
	fmt.Fprintf(s.out, "keep     the servers keep running until Ctrl-C; drain the dead-letter queue with:\n")
	fmt.Fprintf(s.out, "keep     go run ./cmd/redrive --queue-url %s --endpoint %s %s %s\n", s.p.DLQURL, s.sqs.Endpoint, flag, s.emu.Endpoint(fn))
	<-ctx.Done()
	return nil
}

// verdict is the run's exit status: an error (status 1) when a run's fetch did not reach the
// database: the source failed, or the writer could not store what it was handed.
func (s *session) verdict() error {
	if s.notStored > 0 {
		return fmt.Errorf("%d of %d runs did not reach the database (see the summary and %s)", s.notStored, s.o.runs, s.logPath)
	}
	return nil
}

// describeHeaders names the request headers sent, never their values.
func describeHeaders(h map[string]string) string {
	if len(h) == 0 {
		return "no request headers"
	}
	return "headers " + strings.Join(source.HeaderNames(h), ", ") + " (values not shown; the functions read them from a local Parameter Store)"
}
