// Command plan is lambdabridge's planner CLI: from the schedule, the measured payload, the
// region and the free-tier standing it prices every topology and names the cheapest valid one
// (or, with --topology or lambdabridge:topology, the one asked for, if it is valid).
//
// With no flags it plans the dev stack, reading the same keys as the Pulumi program from
// Pulumi.yaml (schema defaults) and Pulumi.dev.yaml. Flags override the stack's values.
//
//	go run ./cmd/plan                                    # the dev stack, as a text table
//	go run ./cmd/plan --stack prod --format markdown     # another stack, for a PR comment
//	go run ./cmd/plan --measure https://api.example.com/items --format json
//	go run ./cmd/plan --payload 279KB --compressed 19KB --region ap-northeast-1
//
// Exit status (internal/exitcode): 0 on success, 2 on bad input (the message names the flag or
// config key and the accepted form), 1 on a runtime failure (the network during --measure,
// writing the report), 3 when a gate fails: the total exceeds --max-monthly, or
// --from-metrics finds the deployed topology will not be the cheapest valid one with headroom
// within --horizon (the report is printed first).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"time"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/planner"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := defaultCLI().main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// resolver looks up a host's addresses; *net.Resolver satisfies it.
type resolver interface {
	LookupIP(ctx context.Context, network, host string) ([]net.IP, error)
}

// cli holds run's dependencies so tests can replace the clock, the DNS and the HTTP client.
type cli struct {
	// now gives "today" when no as-of day is configured.
	now func() time.Time
	// resolver answers the AAAA question of --measure.
	resolver resolver
	// client performs the --measure GET; its timeout comes from --timeout.
	client *http.Client
	// cloudWatch makes the --from-metrics client for a region (nil: the SDK's, metrics.go).
	cloudWatch func(ctx context.Context, region string) (metricsAPI, error)
	// env reads the environment (LAMBDABRIDGE_SOURCE_HEADERS); nil means os.Getenv.
	env func(string) string
}

func defaultCLI() *cli {
	return &cli{now: time.Now, resolver: net.DefaultResolver, client: &http.Client{}}
}

// usagef is bad input (exit status 2) with a formatted message.
func usagef(format string, a ...any) error {
	return &exitcode.UsageError{Err: fmt.Errorf(format, a...)}
}

// main runs the command and maps its error to a message on stderr (printed once) and an
// exit status (internal/exitcode).
func (c *cli) main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	err := c.run(ctx, args, stdout, stderr)
	code := exitcode.Of(err)
	if code != exitcode.OK {
		fmt.Fprintf(stderr, "plan: %v\n", err)
	}
	return code
}

// keyFlag is a flag that overrides one config key; its value goes through config.Set, the
// same decoder the stack files go through.
type keyFlag struct {
	name, key, usage string
	isBool           bool
}

var keyFlags = []keyFlag{
	{name: "schedule", key: "lambdabridge:schedule", usage: "EventBridge schedule: rate(10 minutes) or cron(min hour dom month dow year)"},
	{name: "payload", key: "lambdabridge:payloadSize", usage: "measured raw size of one response: 279KB, 19KiB, 1MB, 1MiB or bytes"},
	{name: "compressed", key: "lambdabridge:compressedSize", usage: "measured size after the fetcher's codec (gzip), same forms"},
	{name: "region", key: config.RegionKey, usage: "AWS region in the price book, e.g. ap-northeast-1"},
	{name: "free-tier", key: "lambdabridge:freeTier", usage: "free-tier standing: always-free, legacy-12-month or none"},
	{name: "credits", key: "lambdabridge:creditsUSD", usage: "credit balance in USD; the report says how many months it lasts"},
	{name: "memory", key: "lambdabridge:memoryMB", usage: fmt.Sprintf("Lambda memory in MB (%d-%d)", planner.MinMemoryMB, planner.MaxMemoryMB)},
	{name: "arch", key: "lambdabridge:architecture", usage: "Lambda architecture: arm64 or x86_64"},
	{name: "fetch-ms", key: "lambdabridge:fetchMillis", usage: "expected billed milliseconds per fetch"},
	{name: "write-ms", key: "lambdabridge:writeMillis", usage: "expected billed milliseconds per database write"},
	{name: "single-function", key: "lambdabridge:singleFunction", usage: "one invocation must reach the internet and the database", isBool: true},
	{name: "existing-nat", key: "lambdabridge:existingNat", usage: "the VPC already pays for a NAT gateway", isBool: true},
	{name: "ipv6", key: "lambdabridge:sourceHasIpv6", usage: "the source host has an AAAA record: true, false or unknown"},
	{name: "spill", key: "lambdabridge:spill", usage: "destination mode may spill oversized records to S3", isBool: true},
	{name: "as-of", key: "lambdabridge:asOf", usage: "plan with the prices and limits of this day, YYYY-MM-DD (default today)"},
	{name: "prices", key: "lambdabridge:pricesFile", usage: "price-book file overriding the embedded book"},
	{name: "topology", key: "lambdabridge:topology", usage: "auto (the cheapest valid) or the topology to report as chosen: destination, ipv6, s3, nat-instance or nat-gateway"},
}

// measuredKeys are the keys --sample and --measure set.
var measuredKeys = []string{"lambdabridge:payloadSize", "lambdabridge:compressedSize"}

// options are the flags that are not config keys.
type options struct {
	stack, dir, sample, measure, format string
	timeout                             time.Duration
	set                                 map[string]bool // flags given on the command line
	// noStack is true when there was no Pulumi.yaml to read: keys then have only their
	// defaults, and a flag is the way to set them.
	noStack bool
	// decide holds the decision flags (decide.go): the stacks, baseline, budget, what-if, short.
	decide decideOptions
	// measured is what --sample or --measure found, measured once for every stack.
	measured *measurement
	// metrics are the --from-metrics and --write-stack flags (metrics.go).
	metrics metricsOptions
	// measureStack is --measure-stack (measurestack.go).
	measureStack bool
}

func (c *cli) parseFlags(args []string, stdout io.Writer) (options, *flag.FlagSet, error) {
	var o options
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by main
	fs.StringVar(&o.stack, "stack", "dev", "stack whose Pulumi.<stack>.yaml to plan; several, comma-separated (dev,prod), are compared side by side")
	fs.StringVar(&o.dir, "dir", ".", "project directory holding Pulumi.yaml")
	fs.StringVar(&o.sample, "sample", "", "measure the payload from this sample `file` with the fetcher's codec")
	fs.StringVar(&o.measure, "measure", "", "GET this `URL` once: raw and compressed size, content type, AAAA record")
	fs.StringVar(&o.format, "format", "text", "report format: text, json, markdown, svg (the chart) or html (a page with the chart and the tables)")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "time limit of the --measure request")
	o.decide.define(fs)    // decide.go
	o.metrics.register(fs) // metrics.go
	fs.BoolVar(&o.measureStack, "measure-stack", false, "GET the stack's own sourceUrl once, with the headers in $"+HeadersEnv+": sizes, content type, AAAA record")
	for _, k := range keyFlags {
		if k.isBool {
			fs.Bool(k.name, false, k.usage+" (config "+k.key+")")
		} else {
			fs.String(k.name, "", k.usage+" (config "+k.key+")")
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "Usage: plan [flags]\n\nPlans the stack's topology and cost. Flags override the stack's config.\n\nFlags:")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return o, nil, err
		}
		return o, nil, usagef("%v (run plan -h for the flags)", err)
	}
	if fs.NArg() > 0 {
		return o, nil, usagef("unexpected argument %q: every input is a flag (run plan -h)", fs.Arg(0))
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	switch o.format {
	case "text", "json", "markdown", "svg", "html":
	default:
		return o, nil, usagef("--format %q: want text, json, markdown, svg or html", o.format)
	}
	if err := o.decide.check(o.stack, o.format, o.set); err != nil {
		return o, nil, err
	}
	if o.timeout <= 0 {
		return o, nil, usagef("--timeout %v: want a positive duration like 30s", o.timeout)
	}
	if o.sample != "" && o.measure != "" {
		return o, nil, usagef("--sample and --measure both measure the payload: give one")
	}
	for _, src := range []string{"sample", "measure"} {
		if !o.set[src] {
			continue
		}
		for _, f := range []string{"payload", "compressed"} {
			if o.set[f] {
				return o, nil, usagef("--%s measures the sizes that --%s gives: give one", src, f)
			}
		}
	}
	if o.set["measure"] && o.set["ipv6"] {
		return o, nil, usagef("--measure looks up the AAAA record that --ipv6 gives: give one")
	}
	if err := o.checkMeasureStack(); err != nil {
		return o, nil, err
	}
	if err := o.metrics.check(o.set, o.sample != "" || o.measure != "" || o.measureStack); err != nil {
		return o, nil, err
	}
	if (o.metrics.fromMetrics || o.metrics.writeStack) && len(o.decide.stacks) > 1 {
		return o, nil, usagef("--from-metrics and --write-stack work on one stack: give --stack NAME")
	}
	return o, fs, nil
}

// run plans each stack and writes the report (or the comparison, the chart, the page) to
// stdout. Measurements and notes go to stdout too, except with --format json, svg or html,
// where they go to stderr so stdout stays one document.
func (c *cli) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "prices" {
		return c.prices(ctx, args[1:], stdout) // prices.go
	}
	o, fs, err := c.parseFlags(args, stdout)
	if err != nil {
		return err
	}
	info := stdout
	if o.format != "text" && o.format != "markdown" {
		info = stderr
	}
	if o.metrics.fromMetrics {
		o.stack = o.decide.stacks[0]
		cfg, err := c.stackConfig(&o, fs, info)
		if err != nil {
			return err
		}
		return c.fromMetrics(ctx, o, cfg, stdout, info) // metrics.go
	}
	var plans []stackPlan
	for _, stack := range o.decide.stacks {
		o.stack = stack
		plan, err := c.planStack(ctx, &o, fs, info)
		if err != nil {
			return err
		}
		plans = append(plans, stackPlan{stack: stack, plan: plan})
	}
	err = c.decideAndWrite(o, plans, stdout) // decide.go
	if err != nil && !errors.As(err, new(*exitcode.GateError)) {
		return err
	}
	if o.metrics.writeStack { // the measurement is written even when a gate fails
		if werr := writeMeasured(info, o, o.measured.values()); werr != nil {
			return werr
		}
	}
	return err
}

// stackConfig is o.stack's config with the flags that set keys applied over it.
func (c *cli) stackConfig(o *options, fs *flag.FlagSet, info io.Writer) (config.Config, error) {
	cfg, err := c.loadConfig(o, info)
	if err != nil {
		return config.Config{}, err
	}
	for _, k := range keyFlags {
		if !o.set[k.name] {
			continue
		}
		if err := cfg.Set(k.key, fs.Lookup(k.name).Value.String()); err != nil {
			return config.Config{}, o.explain(err)
		}
	}
	return cfg, nil
}

// planStack plans o.stack: its config, the flags over it, the measurement (made once for
// every stack), today as the as-of day when none is set.
func (c *cli) planStack(ctx context.Context, o *options, fs *flag.FlagSet, info io.Writer) (config.Plan, error) {
	cfg, err := c.stackConfig(o, fs, info)
	if err != nil {
		return config.Plan{}, err
	}

	if o.measureStack { // each stack's own sourceUrl, so measured per stack
		m, err := c.measureStack(ctx, *o, cfg, info) // measurestack.go
		if err != nil {
			return config.Plan{}, err
		}
		m.print(info)
		o.measured = &m
	} else if o.measured == nil {
		switch {
		case o.sample != "":
			m, err := measureFile(o.sample)
			if err != nil {
				return config.Plan{}, err
			}
			m.print(info)
			o.measured = &m
		case o.measure != "":
			m, err := c.measureURL(ctx, o.measure, o.timeout)
			if err != nil {
				return config.Plan{}, err
			}
			m.print(info)
			o.measured = &m
		}
	}
	if m := o.measured; m != nil {
		cfg.PayloadBytes, cfg.CompressedBytes = m.RawBytes, m.CompressedBytes
		if m.measuredIPv6 {
			cfg.SourceHasIPv6 = m.HasIPv6
		}
	}
	if cfg.AsOf == "" {
		cfg.AsOf = c.now().UTC().Format(time.DateOnly)
	}
	plan, err := cfg.Plan()
	if err != nil {
		return config.Plan{}, o.explain(err)
	}
	return plan, nil
}

// explain makes a bad value a usage error that names where the value came from (see
// source); other bad input is a usage error as it is, and anything else a runtime failure.
func (o options) explain(err error) error {
	if ke := (*config.KeyError)(nil); errors.As(err, &ke) {
		return &exitcode.UsageError{Err: errors.New(ke.Describe(o.source))}
	}
	if errors.Is(err, planner.ErrBadInput) {
		return &exitcode.UsageError{Err: err}
	}
	return fmt.Errorf("plan: %w", err)
}

// source names where key's value came from: the flag that set it (--sample or --measure
// for the measured sizes), else the stack key, or the flag that would set it when there
// is no stack file.
func (o options) source(key string) string {
	if slices.Contains(measuredKeys, key) {
		for _, m := range []string{"sample", "measure"} {
			if o.set[m] {
				return "--" + m
			}
		}
	}
	for _, k := range keyFlags {
		if k.key == key && (o.set[k.name] || o.noStack) {
			return "--" + k.name
		}
	}
	return fmt.Sprintf("config %s (stack %s)", key, o.stack)
}

// loadConfig reads the stack. Without a Pulumi.yaml in the default directory (and no
// --stack or --dir asking for one) it plans from the defaults and the flags alone.
func (c *cli) loadConfig(o *options, info io.Writer) (config.Config, error) {
	if !o.set["stack"] && !o.set["dir"] {
		if _, err := os.Stat(filepath.Join(o.dir, "Pulumi.yaml")); errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(info, "plan: no Pulumi.yaml here: planning from the defaults and the flags")
			o.noStack = true
			return config.Defaults(), nil
		}
	}
	cfg, err := config.LoadStack(o.dir, o.stack)
	if err != nil {
		return config.Config{}, &exitcode.UsageError{Err: err}
	}
	// A relative pricesFile in a stack file is relative to the project, as for the program.
	if cfg.PricesFile != "" && !filepath.IsAbs(cfg.PricesFile) {
		cfg.PricesFile = filepath.Join(o.dir, cfg.PricesFile)
	}
	return cfg, nil
}

// measurement is what --sample or --measure found.
type measurement struct {
	// Source is the file or URL measured.
	Source string
	// Status and ContentType come from the HTTP response (--measure only).
	Status      int
	ContentType string
	// RawBytes is the body's size; CompressedBytes its size after envelope.Compress.
	RawBytes, CompressedBytes int64
	// HasIPv6 says whether the host has an AAAA record; nil when the lookup failed.
	HasIPv6 *bool
	// IPv6Note explains an unknown HasIPv6.
	IPv6Note string
	// measuredIPv6 is true for --measure, where the AAAA answer is part of the result.
	measuredIPv6 bool
}

func measureFile(path string) (measurement, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return measurement{}, usagef("--sample %q: %w", path, err)
	}
	return compressed(measurement{Source: path}, data)
}

// compressed fills in the sizes of data with the fetcher's own codec.
func compressed(m measurement, data []byte) (measurement, error) {
	if len(data) == 0 {
		return m, usagef("%s is empty: nothing to measure", m.Source)
	}
	z, err := envelope.Compress(data)
	if err != nil {
		return m, fmt.Errorf("compress %s: %w", m.Source, err)
	}
	m.RawBytes, m.CompressedBytes = int64(len(data)), int64(len(z))
	return m, nil
}

// print writes the measurement and the stack-file lines that would record it.
func (m measurement) print(w io.Writer) {
	fmt.Fprintf(w, "measured %s\n", m.Source)
	if m.Status != 0 {
		fmt.Fprintf(w, "  status %d, content type %q\n", m.Status, m.ContentType)
	}
	fmt.Fprintf(w, "  raw %d bytes (%s), compressed %d bytes (%s) with the fetcher's codec (%s): %.1f%% of raw\n",
		m.RawBytes, planner.FormatSize(m.RawBytes), m.CompressedBytes, planner.FormatSize(m.CompressedBytes),
		envelope.CodecGzip, 100*float64(m.CompressedBytes)/float64(m.RawBytes))
	ipv6 := "unknown"
	if m.measuredIPv6 {
		switch {
		case m.HasIPv6 == nil:
			fmt.Fprintf(w, "  AAAA record: unknown (%s)\n", m.IPv6Note)
		case *m.HasIPv6:
			ipv6 = "true"
			fmt.Fprintln(w, "  AAAA record: yes")
		default:
			ipv6 = "false"
			fmt.Fprintln(w, "  AAAA record: no")
		}
	}
	fmt.Fprintln(w, "  to record it in the stack file:")
	fmt.Fprintf(w, "    lambdabridge:payloadSize: %q\n", fmt.Sprint(m.RawBytes))
	fmt.Fprintf(w, "    lambdabridge:compressedSize: %q\n", fmt.Sprint(m.CompressedBytes))
	if m.measuredIPv6 {
		fmt.Fprintf(w, "    lambdabridge:sourceHasIpv6: %q\n", ipv6)
	}
}
