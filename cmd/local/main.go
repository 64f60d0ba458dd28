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
	"github.com/lambdabridge/lambdabridge/handlers/envvar"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/internal/pipeline"
	"github.com/lambdabridge/lambdabridge/planner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "local:", err)
	}
	os.Exit(exitcode.Of(err))
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
	// stackURL fetches the stack's sourceUrl; allowPostgresDB lets the run write into a
	// server's default database "postgres"; keep keeps the servers up after the summary.
	stackURL, allowPostgresDB, keep bool
	// heartbeat is the longest silence before a line says what the run is waiting for.
	heartbeat time.Duration
}

// usage is the first line of -h.
const usage = `Usage: local [flags]

Runs the stack's topology on this machine: the real bootstraps under the Lambda Runtime
Interface Emulator, a local SQS-API server (fauxqs) as the dead-letter queue, your PostgreSQL.
Exit status: 0 every run reached the database, 1 a run did not (or the run could not start),
2 bad flags or stack.

Flags:`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	fs.StringVar(&o.dir, "dir", ".", "directory of Pulumi.yaml and the go.mod")
	fs.StringVar(&o.stack, "stack", "dev", "stack whose Pulumi.<stack>.yaml to plan")
	fs.StringVar(&o.topology, "topology", "auto", "auto (the planner's choice), destination, s3, or relay (also nat-gateway, nat-instance, ipv6)")
	fs.StringVar(&o.sample, "sample", "", "serve this file as the source (default: "+defaultSample+")")
	fs.StringVar(&o.url, "url", "", "fetch this URL instead of a sample, with the headers in $"+config.HeadersEnv)
	fs.BoolVar(&o.stackURL, "stack-url", false, "fetch the stack's own sourceUrl instead of a sample, with the headers in $"+config.HeadersEnv)
	fs.IntVar(&o.runs, "runs", 3, "scheduled runs to perform")
	fs.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL URL (default: $DATABASE_URL); a missing database is created")
	fs.BoolVar(&o.allowPostgresDB, "allow-postgres-db", false, "let the run create its tables in the server's default database \"postgres\"")
	fs.Float64Var(&o.timeScale, "time-scale", 60, "how much faster than real time Lambda's clock runs (60: a 1-minute retry wait takes 1 s)")
	fs.StringVar(&o.sourceMode, "source-mode", "healthy", "how the sample source answers: healthy, 500, hang, garbage or huge")
	fs.IntVar(&o.duplicates, "duplicates", 0, "deliver every writer event this many extra times (at-least-once delivery)")
	fs.BoolVar(&o.spill, "spill", false, "let the fetcher spill oversized records to S3 (destination topology)")
	fs.StringVar(&o.outDir, "out-dir", ".build/local", "where the bootstraps and the emulator are built")
	fs.StringVar(&o.logs, "logs", "", "file for the functions' own log lines (default: <out-dir>/functions.log)")
	fs.BoolVar(&o.serveMetrics, "serve-metrics", false, "after the runs, keep their metrics in a local CloudWatch serving until Ctrl-C, and print the plan --from-metrics line that reads them")
	fs.DurationVar(&o.heartbeat, "heartbeat", 10*time.Second, "after this long without output, say what the run is waiting for (0: never)")
	fs.BoolVar(&o.keep, "keep", false, "after the summary, keep the local servers running (until Ctrl-C) without redriving, and print the cmd/redrive command for the dead-letter queue")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return err
		}
		return &exitcode.UsageError{Err: fmt.Errorf("%w (run local -h for the flags)", err)}
	}
	if err := o.check(fs); err != nil {
		return &exitcode.UsageError{Err: err}
	}
	// pgx reads libpq's PG* variables on its own: none inherited from the shell may redirect
	// the run (the database is --database-url or DATABASE_URL).
	if removed, err := envvar.UnsetLibpq(); err != nil {
		return err
	} else if len(removed) > 0 {
		fmt.Fprintf(stderr, "local: ignoring %s from the environment (the database is --database-url or DATABASE_URL)\n", strings.Join(removed, ", "))
	}
	hb := newHeartbeat(stdout, o.heartbeat)
	defer hb.stop()
	s := &session{o: o, out: hb, hb: hb, start: time.Now(), getenv: os.Getenv}
	defer s.close()
	for _, step := range []func(context.Context) error{s.plan, s.database, s.servers, s.functions, s.runAll, s.summary, s.keepServers} {
		if err := step(ctx); err != nil {
			return err
		}
	}
	return s.verdict()
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
	if o.stackURL && (o.sample != "" || o.url != "") {
		return errors.New("--stack-url fetches the stack's sourceUrl: --sample and --url give another source")
	}
	if o.url != "" {
		if u, err := url.Parse(o.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--url %q: want an absolute http or https URL", o.url)
		}
	}
	if (o.url != "" || o.stackURL) && o.sourceMode != "healthy" {
		return errors.New("--source-mode applies to the local sample source, not to --url or --stack-url")
	}
	if o.sample == "" && o.url == "" && !o.stackURL {
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
	if o.heartbeat < 0 {
		return fmt.Errorf("--heartbeat %s: want 0 (never) or a positive duration like 10s", o.heartbeat)
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
