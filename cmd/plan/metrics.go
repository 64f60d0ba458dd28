package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/handlers/metrics"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/naming"
	"github.com/lambdabridge/lambdabridge/planner"
)

// This file is `plan --from-metrics`: re-plan a deployed stack from what its CloudWatch
// metrics measured, say whether the deployed topology is still the right one, forecast
// when the record outgrows its limits, and name (or, with --write-stack, write) the stack
// keys to change. It also holds --write-stack for --sample and --measure.

// Defaults of the --from-metrics flags.
const (
	defaultSince   = "14d"
	defaultHorizon = "30d"
	// defaultInitMillis is the init (cold start) time counted per invocation: AWS/Lambda
	// Duration excludes the init phase, which provided.al2023 bills. A Go bootstrap inits in
	// tens of milliseconds, the writer and relay connect to the database there; 100 ms is an
	// estimate, not a measurement: the REPORT lines' "Init Duration" in CloudWatch Logs has
	// the real figure (--init-ms).
	defaultInitMillis = 100
)

// metricsOptions are the flags of --from-metrics and --write-stack.
type metricsOptions struct {
	fromMetrics, writeStack bool
	since, horizon          string
	initMillis              int
	// sinceD and horizonD are since and horizon parsed.
	sinceD, horizonD time.Duration
}

// register adds the flags to fs.
func (m *metricsOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&m.fromMetrics, "from-metrics", false, "plan from the deployed stack's CloudWatch metrics (AWS credentials the SDK's way; region from the stack)")
	fs.StringVar(&m.since, "since", defaultSince, "with --from-metrics: how far back to read the metrics, e.g. 14d or 36h (at most 455d)")
	fs.StringVar(&m.horizon, "horizon", defaultHorizon, "with --from-metrics: how far ahead the drift gate looks (exit 3 when the deployed topology will not be the cheapest valid one with headroom by then)")
	fs.IntVar(&m.initMillis, "init-ms", defaultInitMillis, "with --from-metrics: init (cold start) milliseconds counted per invocation, which AWS/Lambda Duration leaves out")
	fs.BoolVar(&m.writeStack, "write-stack", false, "write the measured keys (--from-metrics, --sample or --measure) into Pulumi.<stack>.yaml in place and print the diff")
}

// check validates the flags once parsed; set holds the flags given.
func (m *metricsOptions) check(set map[string]bool, measuring bool) error {
	for _, f := range []string{"since", "horizon", "init-ms"} {
		if set[f] && !m.fromMetrics {
			return usagef("--%s applies to --from-metrics", f)
		}
	}
	if m.writeStack && !m.fromMetrics && !measuring {
		return usagef("--write-stack writes measured keys: give --from-metrics, --measure-stack, --sample or --measure")
	}
	if !m.fromMetrics {
		return nil
	}
	if measuring {
		return usagef("--from-metrics measures the sizes that --sample, --measure and --measure-stack give: give one")
	}
	var err error
	if m.sinceD, err = parseDays(m.since); err != nil {
		return usagef("--since %q: %v", m.since, err)
	}
	if m.sinceD > maxRetention {
		return usagef("--since %q: CloudWatch keeps metrics for 455 days at most", m.since)
	}
	if m.sinceD < time.Hour {
		return usagef("--since %q: want at least 1h", m.since)
	}
	if m.horizonD, err = parseDays(m.horizon); err != nil {
		return usagef("--horizon %q: %v", m.horizon, err)
	}
	if m.initMillis < 0 || m.initMillis > planner.MaxBilledMillis {
		return usagef("--init-ms %d: want 0-%d", m.initMillis, planner.MaxBilledMillis)
	}
	return nil
}

// parseDays parses a positive duration written as days ("14d", "1.5d") or as a Go
// duration ("36h", "90m").
func parseDays(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || math.IsNaN(f) || f > 1e5 {
			return 0, errors.New("want a duration like 14d, 36h or 90m")
		}
		d = time.Duration(f * 24 * float64(time.Hour))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("want a duration like 14d, 36h or 90m")
		}
	}
	if d <= 0 {
		return 0, errors.New("want a positive duration like 14d")
	}
	return d, nil
}

// sizeValue renders a measured size as a stack value: whole kilobytes (1,000 B), rounded
// up, the way the stack files write sizes ("279KB" for a 278,715-byte sample).
func sizeValue(n int64) string { return fmt.Sprintf("%dKB", max(1, (n+999)/1000)) }

// writeMeasured writes values into the stack's file and prints the diff to w.
func writeMeasured(w io.Writer, o options, values map[string]string) error {
	if o.noStack {
		return usagef("--write-stack: no Pulumi.yaml here, so no stack file to write: give --dir and --stack")
	}
	path, err := config.StackPath(o.dir, o.stack)
	if err != nil {
		return &exitcode.UsageError{Err: fmt.Errorf("--write-stack: %w", err)}
	}
	if len(values) == 0 {
		fmt.Fprintf(w, "%s already holds the measured values: nothing written\n", path)
		return nil
	}
	diff, err := config.UpdateStackFile(path, values)
	if err != nil {
		return fmt.Errorf("--write-stack: %w", err)
	}
	if diff == "" {
		fmt.Fprintf(w, "%s already holds the measured values: nothing written\n", path)
		return nil
	}
	fmt.Fprintf(w, "wrote %s:\n%s", path, diff)
	return nil
}

// values are the stack values of a --sample or --measure measurement, for --write-stack.
func (m measurement) values() map[string]string {
	v := map[string]string{
		"lambdabridge:payloadSize":    sizeValue(m.RawBytes),
		"lambdabridge:compressedSize": sizeValue(m.CompressedBytes),
	}
	if m.measuredIPv6 && m.HasIPv6 != nil {
		v["lambdabridge:sourceHasIpv6"] = strconv.FormatBool(*m.HasIPv6)
	}
	return v
}

// noMetricsError says the stack's functions reported nothing in the window: a new stack, or
// the wrong stack or region. It is a failure (exit 1), not a plan of zeros.
type noMetricsError struct {
	stack, region string
	names         []string
	w             window
}

func (e *noMetricsError) Error() string {
	return fmt.Sprintf("--from-metrics: no metrics yet for stack %s in %s: none of %s reported an invocation from %s to %s (a stack that has not run yet, or another --stack or region?); nothing measured to plan from (go run ./cmd/plan plans from the stack file)",
		e.stack, e.region, strings.Join(e.names, ", "), e.w.From.Format(time.RFC3339), e.w.To.Format(time.RFC3339))
}

// roles are every function role, in the order the report lists them.
var roles = []planner.Role{planner.Fetcher, planner.Writer, planner.Relay}

// observed is what the metrics say about one function.
type observed struct {
	Role planner.Role `json:"role"`
	Name string       `json:"name"`
	// Invocations, Errors and Throttles are sums over the window.
	Invocations int64 `json:"invocations"`
	Errors      int64 `json:"errors"`
	Throttles   int64 `json:"throttles"`
	// DurationAvgMs, DurationP99Ms and DurationMaxMs are AWS/Lambda Duration over the window
	// (nil without data). Duration leaves out the init phase.
	DurationAvgMs *float64 `json:"durationAvgMs"`
	DurationP99Ms *float64 `json:"durationP99Ms"`
	DurationMaxMs *float64 `json:"durationMaxMs"`
	// FirstInvocation and LastInvocation are the first and last periods with invocations.
	FirstInvocation *time.Time `json:"firstInvocation,omitempty"`
	LastInvocation  *time.Time `json:"lastInvocation,omitempty"`

	invocations series
}

func valuePtr(s series) *float64 {
	if v, ok := s.one(); ok {
		return &v
	}
	return nil
}

// observe gathers one function's metrics from the query results.
func observe(data map[string]series, role planner.Role, name string) observed {
	r := string(role)
	o := observed{Role: role, Name: name, invocations: data[queryID("inv", r)]}
	o.Invocations = int64(math.Round(o.invocations.sum()))
	o.Errors = int64(math.Round(data[queryID("err", r)].sum()))
	o.Throttles = int64(math.Round(data[queryID("thr", r)].sum()))
	o.DurationAvgMs = valuePtr(data[queryID("davg", r)])
	o.DurationP99Ms = valuePtr(data[queryID("dp99", r)])
	o.DurationMaxMs = valuePtr(data[queryID("dmax", r)])
	var first, last *time.Time
	for i, at := range o.invocations.At {
		if o.invocations.Values[i] <= 0 {
			continue
		}
		at := at.UTC()
		if first == nil {
			first = &at
		}
		last = &at
	}
	o.FirstInvocation, o.LastInvocation = first, last
	return o
}

// sizeMeasure is one size over the window: the statistic planned with and the maximum.
type sizeMeasure struct {
	// Stat is "p99", or "Maximum" where CloudWatch has no percentile; "" when not measured.
	Stat     string `json:"stat"`
	Bytes    int64  `json:"bytes"`
	MaxBytes int64  `json:"maxBytes"`
}

func measureSize(data map[string]series, metric string, role planner.Role) sizeMeasure {
	var m sizeMeasure
	mx, hasMax := data[queryID(metric, "max", string(role))].one()
	if hasMax {
		m.MaxBytes = int64(math.Ceil(mx))
	}
	if v, ok := data[queryID(metric, sizeStat, string(role))].one(); ok {
		m.Stat, m.Bytes = sizeStat, int64(math.Ceil(v))
	} else if hasMax {
		m.Stat, m.Bytes = "Maximum", m.MaxBytes
	}
	return m
}

// fromMetrics re-plans the stack cfg (its flags applied) from its metrics and writes the
// drift report; the error is a *exitcode.GateError when the deployed topology will not be
// the cheapest valid one with headroom within the horizon.
func (c *cli) fromMetrics(ctx context.Context, o options, cfg config.Config, stdout, info io.Writer) error {
	if o.noStack {
		return usagef("--from-metrics reads a deployed stack: run it where Pulumi.yaml is, or give --dir and --stack")
	}
	now := c.now().UTC()
	if cfg.AsOf == "" {
		cfg.AsOf = now.Format(time.DateOnly)
	}
	configured, err := cfg.Plan()
	if err != nil {
		return o.explain(err)
	}
	sched, err := planner.ParseSchedule(cfg.Schedule)
	if err != nil {
		return o.explain(err)
	}
	prefix := naming.NamePrefix(config.Namespace, o.stack)
	names := map[planner.Role]string{}
	var qs []metricQuery
	for _, r := range roles {
		names[r] = naming.FunctionName(prefix, r)
		qs = append(qs, functionQueries(r, names[r])...)
		if f, _ := planner.FunctionOf(r); f.Fetches {
			qs = append(qs, sizeQueries(r, names[r])...)
		}
	}
	w := newWindow(now, o.metrics.sinceD)
	newClient := c.cloudWatch
	if newClient == nil {
		newClient = newCloudWatch
	}
	api, err := newClient(ctx, cfg.Region)
	if err != nil {
		return err
	}
	data, err := readMetrics(ctx, api, w, qs)
	if err != nil {
		return fmt.Errorf("--from-metrics: stack %s in %s: %w", o.stack, cfg.Region, err)
	}
	obs := map[planner.Role]observed{}
	for _, r := range roles {
		obs[r] = observe(data, r, names[r])
	}
	a := &analysis{o: o, cfg: cfg, configured: configured, sched: sched, w: w, obs: obs, data: data,
		horizonEnd: w.To.Add(o.metrics.horizonD), initMillis: o.metrics.initMillis, stackTopology: cfg.Topology}
	if o.set["topology"] { // --topology names the deployed topology; the stack file may say auto
		stackCfg, err := config.LoadStack(o.dir, o.stack)
		if err != nil {
			return &exitcode.UsageError{Err: err}
		}
		a.stackTopology = stackCfg.Topology
	}
	if err := a.deployed(); err != nil {
		return err
	}
	for _, r := range a.shape.Functions {
		if f := obs[r]; f.Errors > 0 || f.Throttles > 0 {
			a.notes = append(a.notes, fmt.Sprintf("%s: %s errors and %s throttles in %s invocations: failed invocations are billed and retried (their durations are in the average); its log says why",
				f.Name, group(f.Errors), group(f.Throttles), group(f.Invocations)))
		}
	}
	if err := a.measure(); err != nil {
		return err
	}
	rep := a.report(now)
	if err := renderDrift(stdout, rep, o.format); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if o.metrics.writeStack {
		values := map[string]string{}
		for _, k := range rep.Keys {
			if k.Changed {
				values[k.Key] = k.Value
			}
		}
		if err := writeMeasured(info, o, values); err != nil {
			return err
		}
	}
	if !rep.Verdict.OK {
		return &exitcode.GateError{Err: fmt.Errorf("drift: %s", rep.Verdict.Summary)}
	}
	return nil
}

// analysis carries one --from-metrics run from the metrics to the report.
type analysis struct {
	o          options
	cfg        config.Config
	configured config.Plan
	sched      *planner.Schedule
	w          window
	obs        map[planner.Role]observed
	data       map[string]series
	horizonEnd time.Time
	initMillis int
	// stackTopology is lambdabridge:topology as the stack file has it (cfg's may be --topology).
	stackTopology string

	topology       planner.Topology
	topologySource string
	shape          planner.Shape
	notes          []string

	mcfg       config.Config
	runs       int64 // measured runs per month, 0 when not measurable
	runsDetail string
	sizes      measuredSizes
	measured   config.Plan // the cheapest valid topology with the measured values
	// deployedPlan is the deployed topology planned with the measured values; nil when the
	// planner finds it invalid (deployedInvalid says why).
	deployedPlan    *config.Plan
	deployedInvalid []string
}

// measuredSizes are the scheduled function's sizes.
type measuredSizes struct {
	Raw        sizeMeasure `json:"raw"`
	Compressed sizeMeasure `json:"compressed"`
	// Record is the record size the function measured (the destination record; a pointer
	// record when the fetch went through S3).
	Record sizeMeasure `json:"record"`
	// DeployedLimitBytes is the async payload limit the function was deployed with (its
	// LimitBytes metric), 0 when not reported.
	DeployedLimitBytes int64 `json:"deployedLimitBytes"`
}

// deployed decides the deployed topology: --topology when given, else the stack's plan,
// checked against which functions report invocations.
func (a *analysis) deployed() error {
	split := a.obs[planner.Fetcher].Invocations > 0 || a.obs[planner.Writer].Invocations > 0
	relay := a.obs[planner.Relay].Invocations > 0
	if !split && !relay {
		var ns []string
		for _, r := range roles {
			ns = append(ns, a.obs[r].Name)
		}
		return &noMetricsError{stack: a.o.stack, region: a.cfg.Region, names: ns, w: a.w}
	}
	if split && relay {
		last := func(rs ...planner.Role) time.Time {
			var t time.Time
			for _, r := range rs {
				if l := a.obs[r].LastInvocation; l != nil && l.After(t) {
					t = *l
				}
			}
			return t
		}
		ls, lr := last(planner.Fetcher, planner.Writer), last(planner.Relay)
		if ls.After(lr) {
			relay = false
		} else {
			split = false
		}
		a.notes = append(a.notes, fmt.Sprintf("both the relay and the fetcher/writer pair ran in the window: the stack changed topology; the last invocations (%s) say it is now the %s", ls.Format(time.RFC3339)+" vs "+lr.Format(time.RFC3339), map[bool]string{true: "relay", false: "fetcher and writer"}[relay]))
	}
	reporting := func() string {
		var ns []string
		for _, r := range roles {
			if a.obs[r].Invocations > 0 {
				ns = append(ns, string(r))
			}
		}
		return strings.Join(ns, " and ")
	}
	family := func(t planner.Topology) bool {
		s, err := planner.ShapeOf(t)
		return err == nil && s.Has(planner.Relay) == relay
	}
	var candidates []string
	for _, t := range planner.AllTopologies {
		if family(t) {
			candidates = append(candidates, string(t))
		}
	}
	asked := planner.Topology(a.cfg.Topology)
	switch {
	case a.o.set["topology"] && asked != planner.Auto:
		if !family(asked) {
			return usagef("--topology %s: but the stack's %s report invocations, so the deployed topology is one of %s", asked, reporting(), strings.Join(candidates, ", "))
		}
		a.topology, a.topologySource = asked, fmt.Sprintf("--topology; the %s report invocations", reporting())
	case family(a.configured.Report.Chosen):
		a.topology = a.configured.Report.Chosen
		a.topologySource = fmt.Sprintf("the stack file plans %s, and its %s report invocations", a.topology, reporting())
	default:
		return usagef("the stack file plans %s, but the stack's %s report invocations: it was deployed with other values; say which of %s is deployed with --topology",
			a.configured.Report.Chosen, reporting(), strings.Join(candidates, ", "))
	}
	a.shape, _ = planner.ShapeOf(a.topology)
	return nil
}

// measure turns the metrics into the measured stack values and plans them.
func (a *analysis) measure() error {
	sched := a.shape.Scheduled()
	a.sizes = measuredSizes{
		Raw:        measureSize(a.data, metrics.RawBytes, sched),
		Compressed: measureSize(a.data, metrics.CompressedBytes, sched),
		Record:     measureSize(a.data, metrics.RecordBytes, sched),
	}
	if v, ok := a.data[queryID(metrics.LimitBytes, "max", string(sched))].one(); ok {
		a.sizes.DeployedLimitBytes = int64(v)
	}
	a.mcfg = a.cfg
	a.mcfg.Topology = string(planner.Auto)
	if a.sizes.Raw.Stat != "" && a.sizes.Compressed.Stat != "" {
		// The stack value rounds up to whole kilobytes, and the plan is made with it, so the
		// report is what the stack will plan once the keys are written.
		a.mcfg.PayloadBytes, _ = planner.ParseSize(sizeValue(a.sizes.Raw.Bytes))
		a.mcfg.CompressedBytes, _ = planner.ParseSize(sizeValue(a.sizes.Compressed.Bytes))
	} else {
		a.notes = append(a.notes, fmt.Sprintf("no size metrics (%s namespace, %s and %s) from %s: the sizes stay as the stack has them",
			metrics.Namespace, metrics.RawBytes, metrics.CompressedBytes, a.obs[sched].Name))
	}
	a.measureDurations()
	a.measureRuns()

	adjust := func(in *planner.Input) { in.RunsPerMonth = a.runs }
	var err error
	if a.measured, err = a.mcfg.PlanWith(adjust); err != nil {
		return fmt.Errorf("--from-metrics: the measured values do not plan: %w", err)
	}
	dcfg := a.mcfg
	dcfg.Topology = string(a.topology)
	dp, err := dcfg.PlanWith(adjust)
	var te *planner.TopologyError
	switch {
	case errors.As(err, &te):
		a.deployedInvalid = te.Reasons
	case err != nil:
		return fmt.Errorf("--from-metrics: plan %s with the measured values: %w", a.topology, err)
	default:
		a.deployedPlan = &dp
	}
	return nil
}

// plannedMillis is what a function's measured duration plans as: its average, plus the
// init time counted per invocation, rounded up to the millisecond Lambda bills.
func (a *analysis) plannedMillis(o observed) (int, bool) {
	if o.DurationAvgMs == nil || o.Invocations == 0 {
		return 0, false
	}
	ms := int(math.Ceil(*o.DurationAvgMs)) + a.initMillis
	return min(max(ms, 1), planner.MaxBilledMillis), true
}

// measureDurations sets fetchMillis and writeMillis from the functions' durations. A relay's
// one duration covers the fetch and the write: it is split in the stack's fetch:write
// proportion, so their sum, all the planner bills, is what was measured.
func (a *analysis) measureDurations() {
	if a.shape.Has(planner.Relay) {
		ms, ok := a.plannedMillis(a.obs[planner.Relay])
		if !ok {
			a.notes = append(a.notes, "no Duration metrics from the relay: fetchMillis and writeMillis stay as the stack has them")
			return
		}
		f, w := defaulted(a.cfg.FetchMillis, planner.DefaultFetchMillis), defaulted(a.cfg.WriteMillis, planner.DefaultWriteMillis)
		fetch := int(math.Round(float64(ms) * float64(f) / float64(f+w)))
		fetch = min(max(fetch, 1), max(ms-1, 1))
		a.mcfg.FetchMillis, a.mcfg.WriteMillis = fetch, max(ms-fetch, 1)
		return
	}
	for _, x := range []struct {
		role planner.Role
		key  string
		dst  *int
	}{{planner.Fetcher, "fetchMillis", &a.mcfg.FetchMillis}, {planner.Writer, "writeMillis", &a.mcfg.WriteMillis}} {
		if ms, ok := a.plannedMillis(a.obs[x.role]); ok {
			*x.dst = ms
		} else {
			a.notes = append(a.notes, fmt.Sprintf("no Duration metrics from the %s: lambdabridge:%s stays as the stack has it", x.role, x.key))
		}
	}
}

func defaulted(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// measureRuns measures the runs per month from the scheduled function's invocations: the
// invocations before the last period with any (N') against the schedule's firings over the
// same span (E) scale the schedule's own runs per month. Missed runs lower the figure,
// retries raise it (they are billed).
func (a *analysis) measureRuns() {
	o := a.obs[a.shape.Scheduled()]
	inv := o.invocations
	var idx []int
	for i, v := range inv.Values {
		if v > 0 {
			idx = append(idx, i)
		}
	}
	schedRuns := a.configured.Report.RunsPerMonth
	if len(idx) < 2 {
		a.runsDetail = fmt.Sprintf("%d invocation(s) of %s: too few to measure a rate; planned with the schedule's %s", o.Invocations, o.Name, group(schedRuns))
		return
	}
	first, last := inv.At[idx[0]], inv.At[idx[len(idx)-1]]
	n := o.invocations.sum() - inv.Values[idx[len(idx)-1]]
	e := a.sched.Count(first, last)
	if e < 1 {
		a.runsDetail = fmt.Sprintf("%d invocations of %s between %s and %s, when the schedule %s does not fire: planned with the schedule's %s",
			o.Invocations, o.Name, first.Format(time.RFC3339), last.Format(time.RFC3339), a.cfg.Schedule, group(schedRuns))
		return
	}
	a.runs = max(1, int64(math.Round(float64(schedRuns)*n/float64(e))))
	a.runsDetail = fmt.Sprintf("%s invocations of %s from %s to %s: the %s before the last period against the schedule's %s firings in that span",
		group(o.Invocations), o.Name, first.Format("2006-01-02 15:04"), last.Format("2006-01-02 15:04"), group(int64(math.Round(n))), group(e))
	if next, ok := a.sched.Next(last); ok && a.sched.Count(last, a.w.To) > 2 {
		a.notes = append(a.notes, fmt.Sprintf("%s last ran in the period of %s; the schedule fired from %s on without it (a disabled schedule, or the stack was removed?)",
			o.Name, last.Format(time.RFC3339), next.Format(time.RFC3339)))
	}
}

// group renders n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// trendPoints are the planner's destination record for each period's compressed size
// (p99, or the maximum where CloudWatch has no percentile).
func (a *analysis) trendPoints() ([]planner.Sample, string) {
	r := string(a.shape.Scheduled())
	s, stat := a.data[queryID("trend", sizeStat, r)], sizeStat
	if len(s.Values) == 0 {
		s, stat = a.data[queryID("trend_max", r)], "Maximum"
	}
	ps := make([]planner.Sample, len(s.Values))
	for i, v := range s.Values {
		ps[i] = planner.Sample{At: s.At[i].UTC(), Value: float64(planner.RecordBytes(int64(math.Ceil(v))))}
	}
	return ps, stat
}

// keys lists the measured stack keys (changed or not) and the keys to change by
// hand.
func (a *analysis) keys(stillCheapest, headroom bool) (measured, byHand []stackKey) {
	add := func(key, configured, value string, changed bool, why string) {
		measured = append(measured, stackKey{Key: key, Configured: configured, Value: value, Changed: changed, Why: why})
	}
	if a.sizes.Raw.Stat != "" && a.sizes.Compressed.Stat != "" {
		add("lambdabridge:payloadSize", planner.FormatSize(a.cfg.PayloadBytes), sizeValue(a.sizes.Raw.Bytes), a.mcfg.PayloadBytes != a.cfg.PayloadBytes,
			fmt.Sprintf("%s of RawBytes, rounded up to whole KB", a.sizes.Raw.Stat))
		add("lambdabridge:compressedSize", planner.FormatSize(a.cfg.CompressedBytes), sizeValue(a.sizes.Compressed.Bytes), a.mcfg.CompressedBytes != a.cfg.CompressedBytes,
			fmt.Sprintf("%s of CompressedBytes, rounded up to whole KB", a.sizes.Compressed.Stat))
	}
	cf, cw := defaulted(a.cfg.FetchMillis, planner.DefaultFetchMillis), defaulted(a.cfg.WriteMillis, planner.DefaultWriteMillis)
	mf, mw := defaulted(a.mcfg.FetchMillis, planner.DefaultFetchMillis), defaulted(a.mcfg.WriteMillis, planner.DefaultWriteMillis)
	fetch := func(why string) {
		add("lambdabridge:fetchMillis", strconv.Itoa(cf), strconv.Itoa(mf), mf != cf, why)
	}
	write := func(why string) {
		add("lambdabridge:writeMillis", strconv.Itoa(cw), strconv.Itoa(mw), mw != cw, why)
	}
	if a.shape.Has(planner.Relay) {
		if _, ok := a.plannedMillis(a.obs[planner.Relay]); ok {
			why := fmt.Sprintf("the relay's average Duration + %d ms init, split %d:%d as the stack splits fetch:write", a.initMillis, cf, cw)
			fetch(why)
			write(why)
		}
	} else {
		why := fmt.Sprintf("average Duration + %d ms init", a.initMillis)
		if _, ok := a.plannedMillis(a.obs[planner.Fetcher]); ok {
			fetch("the fetcher's " + why)
		}
		if _, ok := a.plannedMillis(a.obs[planner.Writer]); ok {
			write("the writer's " + why)
		}
	}
	cheapest := a.measured.Report.Chosen
	if forced := a.stackTopology; !stillCheapest && forced != string(planner.Auto) && forced != string(cheapest) {
		byHand = append(byHand, stackKey{Key: "lambdabridge:topology", Configured: forced, Value: string(planner.Auto), Changed: true,
			Why: fmt.Sprintf("the stack forces %s; with auto, pulumi up deploys the cheapest valid topology, %s", forced, cheapest)})
	}
	if !headroom && a.shape.Spills(true) && !a.cfg.Spill {
		byHand = append(byHand, stackKey{Key: "lambdabridge:spill", Configured: "false", Value: "true", Changed: true,
			Why: "records over the limit then go through S3 instead of being lost (or move to the s3 topology)"})
	}
	return measured, byHand
}
