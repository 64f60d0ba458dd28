package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/metrics"
	"github.com/lambdabridge/lambdabridge/internal/cwlocal"
	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/naming"
	"github.com/lambdabridge/lambdabridge/planner"
)

// The tests of --from-metrics run the command against a local CloudWatch (internal/cwlocal)
// that the SDK's own client reaches through AWS_ENDPOINT_URL_CLOUDWATCH. The clock is
// main_test.go's today, 2027-03-10 15:04:05 UTC, so --since 14d reads
// [2027-02-24 15:04, 2027-03-10 15:04) in 1-minute periods.

var (
	windowTo   = time.Date(2027, 3, 10, 15, 4, 0, 0, time.UTC)
	windowFrom = windowTo.Add(-14 * 24 * time.Hour)
	// firstRun is the stack's first run in the window: AWS started the rate 3 minutes off
	// the planner's :00/:10 grid. Runs every 10 minutes up to 14:57 on 03-10: 2,016 runs
	// (20,157 minutes of window after 15:07 / 10 -> i = 0..2,015).
	firstRun = windowFrom.Add(3 * time.Minute)
)

const runsIn14Days = 2016

// metricsEnv starts a local CloudWatch with the server clock at today and points the SDK at
// it with dummy credentials, and nothing else of the machine's AWS configuration.
func metricsEnv(t *testing.T) *cwlocal.Server {
	t.Helper()
	srv := cwlocal.New()
	srv.Now = func() time.Time { return today }
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	awsEnv(t, map[string]string{"AWS_ENDPOINT_URL_CLOUDWATCH": hs.URL, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})
	return srv
}

// awsEnv sets the AWS variables to set and clears every other one the SDK reads.
func awsEnv(t *testing.T, set map[string]string) {
	t.Helper()
	dir := t.TempDir()
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CLOUDWATCH", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	for k, v := range set {
		t.Setenv(k, v)
	}
}

// metricsDir is a project with the repository's Pulumi.yaml and the --from-metrics fixture
// stacks.
func metricsDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyFile(t, "../../Pulumi.yaml", filepath.Join(dir, "Pulumi.yaml"))
	for _, s := range []string{"dev", "relay"} {
		copyFile(t, "testdata/metrics/Pulumi."+s+".yaml", filepath.Join(dir, "Pulumi."+s+".yaml"))
	}
	return dir
}

// stackRuns seeds the metrics of n scheduled runs of one stack, as the deployed functions
// publish them: AWS/Lambda Invocations, Errors, Throttles and Duration for each function of
// roles, and the fetcher's (or relay's) own EMF line, written by handlers/metrics and read
// back by the server's EMF parser.
type stackRuns struct {
	stack string
	roles []planner.Role
	first time.Time
	every time.Duration
	n     int
	// skip leaves run i out (a gap).
	skip func(i int) bool
	// ms is each role's duration.
	ms map[planner.Role]float64
	// compressed is run i's compressed size; raw is rawFactor times it.
	compressed func(i int) int64
	rawFactor  int64
}

func (s stackRuns) put(t testing.TB, srv *cwlocal.Server) {
	t.Helper()
	prefix := naming.NamePrefix("lambdabridge", s.stack)
	for i := 0; i < s.n; i++ {
		if s.skip != nil && s.skip(i) {
			continue
		}
		at := s.first.Add(time.Duration(i) * s.every)
		for _, r := range s.roles {
			name := naming.FunctionName(prefix, r)
			dims := map[string]string{"FunctionName": name}
			srv.Put(cwlocal.Datum{Namespace: "AWS/Lambda", Metric: "Invocations", Dimensions: dims, At: at, Value: 1},
				cwlocal.Datum{Namespace: "AWS/Lambda", Metric: "Errors", Dimensions: dims, At: at, Value: 0},
				cwlocal.Datum{Namespace: "AWS/Lambda", Metric: "Throttles", Dimensions: dims, At: at, Value: 0},
				cwlocal.Datum{Namespace: "AWS/Lambda", Metric: "Duration", Dimensions: dims, At: at, Value: s.ms[r]})
			if r == planner.Writer {
				continue
			}
			c := s.compressed(i)
			line, err := metrics.Line(name, at, metrics.Sizes{Raw: c * s.rawFactor, Compressed: c, Record: planner.RecordBytes(c), Limit: 1 << 20}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := srv.PutEMF(line); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// devRuns are the dev stack's runs as configured: 279,000 B raw, 19,000 B compressed, a
// 700 ms fetch and a 200 ms write (800 and 300 ms with the 100 ms init counted).
func devRuns() stackRuns {
	return stackRuns{stack: "dev", roles: []planner.Role{planner.Fetcher, planner.Writer}, first: firstRun, every: 10 * time.Minute,
		n: runsIn14Days, ms: map[planner.Role]float64{planner.Fetcher: 700, planner.Writer: 200},
		compressed: func(int) int64 { return 19000 }, rawFactor: 279000 / 19000}
}

// otherStack is another stack of the same project with sizes and durations that would
// change every figure if they were read: its functions must be ignored.
func otherStack() stackRuns {
	return stackRuns{stack: "prod", roles: []planner.Role{planner.Fetcher, planner.Writer, planner.Relay}, first: windowFrom, every: time.Minute,
		n: 14 * 24 * 60, ms: map[planner.Role]float64{planner.Fetcher: 9000, planner.Writer: 9000, planner.Relay: 9000},
		compressed: func(int) int64 { return 900000 }, rawFactor: 5}
}

func driftJSON(t *testing.T, r result) driftReport {
	t.Helper()
	var rep driftReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: stdout is not one JSON report: %v\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	return rep
}

func keyOf(rep driftReport, key string) (stackKey, bool) {
	for _, k := range rep.Keys {
		if k.Key == key {
			return k, true
		}
	}
	return stackKey{}, false
}

// TestFromMetricsAsConfigured: flat series that match the stack, with a two-day gap and
// another stack's functions beside them: destination is still right, nothing to change,
// exit 0; the gap lowers the measured runs.
func TestFromMetricsAsConfigured(t *testing.T) {
	srv := metricsEnv(t)
	dev := devRuns()
	dev.skip = func(i int) bool { return i >= 300 && i < 300+288 } // two days (2 x 144 runs) without a run
	dev.put(t, srv)
	// Three of the writer's invocations failed (and were retried: the retries are among the
	// invocations counted).
	for i := 0; i < 3; i++ {
		srv.Put(cwlocal.Datum{Namespace: "AWS/Lambda", Metric: "Errors", Dimensions: map[string]string{"FunctionName": "lambdabridge-dev-writer"},
			At: firstRun.Add(time.Duration(i) * time.Hour), Value: 1})
	}
	otherStack().put(t, srv)
	dir := metricsDir(t)

	r := run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--format", "json")
	rep := driftJSON(t, r)
	if r.code != exitcode.OK {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	if rep.Deploy.Topology != planner.Destination || !strings.Contains(rep.Deploy.Source, "the stack file plans destination, and its fetcher and writer report invocations") {
		t.Errorf("deployed %+v", rep.Deploy)
	}
	if !rep.Window.From.Equal(windowFrom) || !rep.Window.To.Equal(windowTo) || rep.Window.PeriodSeconds != 60 {
		t.Errorf("window %+v, want %v to %v in 60 s periods", rep.Window, windowFrom, windowTo)
	}
	// 2,016 runs less the 288 of the gap = 1,728 invocations of each function.
	if len(rep.Functions) != 2 || rep.Functions[0].Invocations != 1728 || rep.Functions[1].Invocations != 1728 {
		t.Fatalf("functions %+v", rep.Functions)
	}
	if f := rep.Functions[0]; f.Name != "lambdabridge-dev-fetcher" || *f.DurationAvgMs != 700 || *f.DurationMaxMs != 700 || f.Errors != 0 {
		t.Errorf("fetcher %+v", f)
	}
	// N' = 1,728 - 1 (the last period's) = 1,727 invocations over a span where the schedule
	// fires 2,015 times (20,150 minutes / 10): 4,380 x 1,727 / 2,015 = 3,753.98 -> 3,754.
	if rep.Runs.MeasuredPerMonth != 3754 || rep.MeasuredPlan.RunsPerMonth != 3754 || rep.Runs.SchedulePerMonth != 4380 {
		t.Errorf("runs %+v (plan %d), want 3,754 measured", rep.Runs, rep.MeasuredPlan.RunsPerMonth)
	}
	if rep.Sizes.Raw != (sizeMeasure{"p99", 266000, 266000}) || rep.Sizes.Compressed != (sizeMeasure{"p99", 19000, 19000}) {
		// raw = 19,000 x 14 (279,000 / 19,000 rounds down to 14) = 266,000.
		t.Errorf("sizes %+v", rep.Sizes)
	}
	if rep.Trend == nil || rep.Trend.Growing || rep.Trend.Points != 1728 || rep.Trend.PerDay != 0 {
		t.Errorf("trend %+v, want 1,728 flat points, no growth", rep.Trend)
	}
	for _, l := range rep.Limits {
		for _, th := range l.Thresholds {
			if th.Status != "no growth" {
				t.Errorf("%s %d%%: %+v, want no growth", l.Name, th.Percent, th)
			}
		}
	}
	if !rep.Verdict.OK || !rep.Verdict.StillCheapest || !rep.Verdict.Headroom ||
		rep.Verdict.Summary != "destination is still the cheapest valid topology, with headroom through 2027-04-09 (--horizon 30d)" {
		t.Errorf("verdict %+v", rep.Verdict)
	}
	// The raw size measured 266 KB, less than the stack's 279 KB: the one key to change.
	for _, k := range rep.Keys {
		if k.Changed != (k.Key == "lambdabridge:payloadSize") {
			t.Errorf("key %+v", k)
		}
	}
	if k, _ := keyOf(rep, "lambdabridge:payloadSize"); k.Value != "266KB" {
		t.Errorf("payloadSize %+v, want 266KB", k)
	}
	if len(rep.ByHand) != 0 {
		t.Errorf("by hand %+v, want none", rep.ByHand)
	}
	wantNote := "lambdabridge-dev-writer: 3 errors and 0 throttles in 1,728 invocations: failed invocations are billed and retried (their durations are in the average); its log says why"
	if rep.Functions[1].Errors != 3 || len(rep.Notes) != 1 || rep.Notes[0] != wantNote {
		t.Errorf("writer errors %d, notes %q", rep.Functions[1].Errors, rep.Notes)
	}

	// The text report says the same.
	r = run(t, testCLI(nil), "--dir", dir, "--from-metrics")
	for _, want := range []string{
		"lambdabridge plan --from-metrics: stack dev in ap-northeast-1, metrics 2027-02-24 15:04 to 2027-03-10 15:04 UTC (14d, 1-minute periods)",
		"deployed: destination: fetcher (no VPC) -> onSuccess record -> writer (VPC); egress none",
		"lambdabridge-dev-fetcher  1,728",
		"runs per month      4,380",
		"record trend: no growth",
		"verdict: OK: destination is still the cheapest valid topology",
		"lambdabridge:payloadSize: 266KB   # was 279 KB; p99 of RawBytes, rounded up to whole KB",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 0 {
		t.Errorf("text: exit %d", r.code)
	}
}

// growingRuns are the dev stack's runs with a compressed size growing by 210 B a run (30,240 B
// a day) from 19,002 B, a multiple of 3, so the planner's record, 2,048 + 4 x c/3 B, grows
// exactly 280 B a run (40,320 B a day) from 2,048 + 4 x 6,334 = 27,384 B.
func growingRuns() stackRuns {
	g := devRuns()
	g.compressed = func(i int) int64 { return 19002 + 210*int64(i) }
	g.rawFactor = 15
	return g
}

// TestFromMetricsGrowing: a record that reaches the alarm threshold within the horizon fails
// the gate (exit 3) after printing the report, with the dates worked out below.
func TestFromMetricsGrowing(t *testing.T) {
	srv := metricsEnv(t)
	growingRuns().put(t, srv)
	otherStack().put(t, srv)
	dir := metricsDir(t)

	r := run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--format", "json")
	rep := driftJSON(t, r)
	if r.code != exitcode.Gate {
		t.Fatalf("exit %d, want 3 (gate); stderr %s", r.code, r.stderr)
	}
	// p99 of 2,016 values is the 1,996th smallest (ceil(0.99 x 2,016) = ceil(1,995.84)):
	// run 1,995, compressed 19,002 + 210 x 1,995 = 437,952 B, raw 15 x that = 6,569,280 B.
	if rep.Sizes.Compressed != (sizeMeasure{"p99", 437952, 442152}) || rep.Sizes.Raw.Bytes != 6569280 {
		t.Errorf("sizes %+v; want compressed p99 437,952 (max 19,002 + 210 x 2,015 = 442,152)", rep.Sizes)
	}
	// Rounded up to whole KB: 438KB; the planner's record for 438,000 B is
	// 2,048 + 4 x 146,000 = 586,048 B = 55.89% of 1,048,576.
	if rep.MeasuredPlan.Payload.RecordBytes != 586048 || rep.Limits[0].NowPercent != 55.89 {
		t.Errorf("record %d (%.2f%%), want 586,048 B = 55.89%%", rep.MeasuredPlan.Payload.RecordBytes, rep.Limits[0].NowPercent)
	}
	if rep.Trend == nil || !rep.Trend.Growing || rep.Trend.R2 != 1 || rep.Trend.Points != runsIn14Days {
		t.Fatalf("trend %+v, want exact growth over 2,016 points", rep.Trend)
	}
	if d := rep.Trend.PerDay - 40320; d > 1e-6 || d < -1e-6 {
		t.Errorf("trend %v B/day, want 40,320", rep.Trend.PerDay)
	}
	// 80% of 1,048,576 = 838,860.8 -> 838,861 B: (838,861 - 27,384) / 280 = 2,898.13 runs
	// of 10 minutes after 02-24 15:07 = 20.13 days -> 2027-03-16 (about 18:08).
	// 100%: (1,048,576 - 27,384) / 280 = 3,647.11 runs = 25.33 days -> 2027-03-21 (about 22:58;
	// February 2027 has 28 days).
	async := rep.Limits[0]
	if async.Name != "async payload limit" || !async.Applies || async.Thresholds[0] != (crossing{80, 838861, "forecast", "2027-03-16"}) ||
		async.Thresholds[1] != (crossing{100, 1048576, "forecast", "2027-03-21"}) {
		t.Errorf("async limit %+v", async)
	}
	// The dead-letter queue holds 262,144 B: a writer failure record, 586,048 + 4,096 B =
	// 590,144 B, is past it, but it does not apply: the writer's failures go to the failure
	// bucket (planner.FailureRoutes), so the row is shown and does not gate.
	dlq := rep.Limits[1]
	if dlq.LimitBytes != 262144 || dlq.NowBytes != 590144 || dlq.Applies || dlq.Thresholds[0].Status != "reached" || dlq.Thresholds[1].Status != "reached" {
		t.Errorf("dead-letter queue limit %+v", dlq)
	}
	if rep.Verdict.OK || !rep.Verdict.StillCheapest || rep.Verdict.Headroom {
		t.Errorf("verdict %+v, want still cheapest but no headroom", rep.Verdict)
	}
	wantGate := "plan: drift: the destination record reaches 80% of the 1 MiB async payload limit on 2027-03-16, within the 30d horizon (to 2027-04-09)"
	if strings.TrimSpace(r.stderr) != wantGate {
		t.Errorf("stderr %q\nwant %q", r.stderr, wantGate)
	}
	if len(rep.ByHand) != 1 || rep.ByHand[0].Key != "lambdabridge:spill" || rep.ByHand[0].Value != "true" {
		t.Errorf("by hand %+v, want spill true", rep.ByHand)
	}
	// 6,569,280 B -> 6570KB; 437,952 B -> 438KB.
	for key, want := range map[string]string{"lambdabridge:payloadSize": "6570KB", "lambdabridge:compressedSize": "438KB"} {
		if k, ok := keyOf(rep, key); !ok || k.Value != want || !k.Changed {
			t.Errorf("%s: %+v, want %s", key, k, want)
		}
	}

	// A horizon that ends before the crossing passes the gate: 5 days end on 03-15.
	r = run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--horizon", "5d", "--format", "json")
	if rep := driftJSON(t, r); r.code != 0 || !rep.Verdict.OK {
		t.Errorf("--horizon 5d: exit %d verdict %+v", r.code, rep.Verdict)
	}

	// The markdown comment.
	r = run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--format", "markdown")
	for _, want := range []string{"### lambdabridge drift: stack dev in ap-northeast-1", "**⚠️ DRIFT**: the destination record reaches 80%",
		"| payload | 279 KB | 6.57 MB |", "| async payload limit 1 MiB | yes | 55.89% | 80%: 2027-03-16, 100%: 2027-03-21 |",
		"lambdabridge:compressedSize: 438KB  # was 19 KB", "lambdabridge:spill: true"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("markdown lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestFromMetricsWriteStack writes the measured keys in place: comments, quoting and order
// stay; the diff is printed.
func TestFromMetricsWriteStack(t *testing.T) {
	srv := metricsEnv(t)
	growingRuns().put(t, srv)
	dir := metricsDir(t)
	r := run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--write-stack")
	if r.code != exitcode.Gate {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	wantDiff := "-  lambdabridge:payloadSize: 279KB\n+  lambdabridge:payloadSize: 6570KB\n-  lambdabridge:compressedSize: '19KB'\n+  lambdabridge:compressedSize: '438KB'\n"
	if !strings.Contains(r.stdout, "wrote "+filepath.Join(dir, "Pulumi.dev.yaml")+":\n"+wantDiff) {
		t.Errorf("stdout lacks the diff:\n%s", r.stdout)
	}
	b, err := os.ReadFile(filepath.Join(dir, "Pulumi.dev.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.NewReplacer("payloadSize: 279KB", "payloadSize: 6570KB", "compressedSize: '19KB'", "compressedSize: '438KB'").Replace(readFile(t, "testdata/metrics/Pulumi.dev.yaml"))
	if string(b) != want {
		t.Errorf("stack file:\n%s\nwant:\n%s", b, want)
	}
	// Written once, the second run finds nothing to write; the plan now uses the measured
	// sizes, so only the gate remains.
	r = run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--write-stack")
	if !strings.Contains(r.stdout, "already holds the measured values: nothing written") || !strings.Contains(r.stdout, "keys: the stack's values match what was measured") {
		t.Errorf("second run:\n%s", r.stdout)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestFromMetricsRelay: a relay stack's one duration is split in the stack's fetch:write
// proportion; the measured plan finds destination cheaper, so the gate fails and the forced
// topology is the key to change by hand.
func TestFromMetricsRelay(t *testing.T) {
	srv := metricsEnv(t)
	relay := devRuns()
	relay.stack, relay.roles = "relay", []planner.Role{planner.Relay}
	relay.ms = map[planner.Role]float64{planner.Relay: 899.2}
	relay.put(t, srv)
	otherStack().put(t, srv)
	dir := metricsDir(t)
	r := run(t, testCLI(nil), "--dir", dir, "--stack", "relay", "--from-metrics", "--format", "json")
	rep := driftJSON(t, r)
	if r.code != exitcode.Gate || rep.Deploy.Topology != planner.NATInstance {
		t.Fatalf("exit %d deployed %+v; stderr %s", r.code, rep.Deploy, r.stderr)
	}
	// ceil(899.2) + 100 = 1,000 ms, split 800:300 (the defaults): fetch round(1,000 x 800 /
	// 1,100) = round(727.27) = 727 ms, write 1,000 - 727 = 273 ms.
	if a := rep.MeasuredPlan.Assumptions; a.FetchMillis != 727 || a.WriteMillis != 273 {
		t.Errorf("fetch %d write %d, want 727 and 273", a.FetchMillis, a.WriteMillis)
	}
	if rep.Verdict.StillCheapest || rep.MeasuredPlan.Chosen != planner.Destination ||
		!strings.HasPrefix(rep.Verdict.Summary, "nat-instance is no longer the cheapest valid topology: destination costs") {
		t.Errorf("verdict %+v, measured choice %s", rep.Verdict, rep.MeasuredPlan.Chosen)
	}
	if len(rep.ByHand) != 1 || rep.ByHand[0].Key != "lambdabridge:topology" || rep.ByHand[0].Value != "auto" {
		t.Errorf("by hand %+v, want topology auto", rep.ByHand)
	}
}

// TestFromMetricsChangedTopology: the stack ran the fetcher and writer for a week, then the
// relay: the latest invocations say what is deployed now, and the report says so.
func TestFromMetricsChangedTopology(t *testing.T) {
	srv := metricsEnv(t)
	split := devRuns()
	split.n = 7 * 144 // to 03-03 14:57
	split.put(t, srv)
	relay := devRuns()
	relay.roles, relay.ms = []planner.Role{planner.Relay}, map[planner.Role]float64{planner.Relay: 900}
	relay.first, relay.n = firstRun.Add(7*24*time.Hour), 7*144 // 03-03 15:07 to 03-10 14:57
	relay.put(t, srv)
	dir := metricsDir(t)
	r := run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--topology", "nat-instance", "--format", "json")
	rep := driftJSON(t, r)
	if rep.Deploy.Topology != planner.NATInstance || len(rep.Functions) != 1 || rep.Functions[0].Invocations != 1008 {
		t.Fatalf("exit %d deployed %+v functions %+v; stderr %s", r.code, rep.Deploy, rep.Functions, r.stderr)
	}
	want := "both the relay and the fetcher/writer pair ran in the window: the stack changed topology; the last invocations (2027-03-03T14:57:00Z vs 2027-03-10T14:57:00Z) say it is now the relay"
	if len(rep.Notes) == 0 || rep.Notes[0] != want {
		t.Errorf("notes %q\nwant first %q", rep.Notes, want)
	}
	// destination is cheaper than the deployed nat-instance; the stack file says auto, so
	// there is no topology to change by hand: pulumi up with the measured keys deploys it.
	if rep.Verdict.StillCheapest || len(rep.ByHand) != 0 || rep.Notes[len(rep.Notes)-1] != "with the measured keys in the stack, pulumi up deploys destination (topology auto)" {
		t.Errorf("verdict %+v by hand %+v notes %q", rep.Verdict, rep.ByHand, rep.Notes)
	}
}

// TestFromMetricsTopologyFlag: when the functions that run do not match the stack's plan,
// --topology says which topology is deployed.
func TestFromMetricsTopologyFlag(t *testing.T) {
	srv := metricsEnv(t)
	relay := devRuns()
	relay.roles, relay.ms = []planner.Role{planner.Relay}, map[planner.Role]float64{planner.Relay: 900}
	relay.put(t, srv)
	dir := metricsDir(t)
	r := run(t, testCLI(nil), "--dir", dir, "--from-metrics")
	want := "plan: the stack file plans destination, but the stack's relay report invocations: it was deployed with other values; say which of ipv6, nat-instance, nat-gateway is deployed with --topology"
	if r.code != exitcode.Usage || strings.TrimSpace(r.stderr) != want {
		t.Errorf("exit %d stderr %q\nwant 2 and %q", r.code, r.stderr, want)
	}
	r = run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--topology", "s3")
	want = "plan: --topology s3: but the stack's relay report invocations, so the deployed topology is one of ipv6, nat-instance, nat-gateway"
	if r.code != exitcode.Usage || strings.TrimSpace(r.stderr) != want {
		t.Errorf("exit %d stderr %q\nwant 2 and %q", r.code, r.stderr, want)
	}
	r = run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--topology", "nat-gateway", "--format", "json")
	if rep := driftJSON(t, r); rep.Deploy.Topology != planner.NATGateway || rep.Deploy.Source != "--topology; the relay report invocations" {
		t.Errorf("deployed %+v", rep.Deploy)
	}
}

// TestFromMetricsPeriods: the period follows CloudWatch's retention; 30 days of runs come
// back whole at 5 minutes (a 1-minute query would lose the 15 days beyond 1-minute data).
func TestFromMetricsPeriods(t *testing.T) {
	srv := metricsEnv(t)
	dev := devRuns()
	dev.first = windowTo.Add(-30*24*time.Hour + 3*time.Minute) // 02-08 15:07
	dev.n = 30 * 144                                           // every 10 minutes for 30 days, to 03-10 14:57
	dev.put(t, srv)
	dir := metricsDir(t)
	for _, tc := range []struct {
		since  string
		period int
		inv    int64
		runs   int64
	}{
		// 14d: 1-minute periods, the last 2,016 runs.
		{"14d", 60, runsIn14Days, 4380},
		// 30d: 5-minute periods; window 02-08 15:00 to 03-10 15:00 (rounded to 5 minutes), all
		// 4,320 runs; the runs' periods start at :05, :15 ..., 10 minutes apart, so
		// N' = 4,319 over 4,319 firings: 4,380.
		{"30d", 300, 4320, 4380},
		// 90d: hourly periods, the same 4,320 runs, 6 a period: N' = 4,320 - 6 = 4,314
		// over the 719 hours from 02-08 15:00 to 03-10 14:00, 4,314 firings: 4,380.
		{"90d", 3600, 4320, 4380},
	} {
		r := run(t, testCLI(nil), "--dir", dir, "--from-metrics", "--since", tc.since, "--format", "json")
		rep := driftJSON(t, r)
		if rep.Window.PeriodSeconds != tc.period || rep.Functions[0].Invocations != tc.inv || rep.Runs.MeasuredPerMonth != tc.runs {
			t.Errorf("--since %s: period %d, %d invocations, %d runs; want %d, %d, %d", tc.since, rep.Window.PeriodSeconds,
				rep.Functions[0].Invocations, rep.Runs.MeasuredPerMonth, tc.period, tc.inv, tc.runs)
		}
	}
}

// TestFromMetricsNothing: no metrics yet (a new stack) is a clear failure, not a plan of zeros.
func TestFromMetricsNothing(t *testing.T) {
	srv := metricsEnv(t)
	otherStack().put(t, srv) // another stack's metrics do not count
	r := run(t, testCLI(nil), "--dir", metricsDir(t), "--from-metrics")
	want := "plan: --from-metrics: no metrics yet for stack dev in ap-northeast-1: none of lambdabridge-dev-fetcher, lambdabridge-dev-writer, lambdabridge-dev-relay reported an invocation from 2027-02-24T15:04:00Z to 2027-03-10T15:04:00Z"
	if r.code != exitcode.Failure || !strings.HasPrefix(r.stderr, want) || r.stdout != "" {
		t.Errorf("exit %d stdout %q stderr %q\nwant 1 and %q", r.code, r.stdout, r.stderr, want)
	}
}

// TestFromMetricsNoCredentials: without credentials the SDK's chain ends at the instance
// metadata service; the user gets one line, exit 1, and nothing of the SDK's own logging
// (which would warn about falling back to IMDSv1 on the process's stderr).
func TestFromMetricsNoCredentials(t *testing.T) {
	// An instance metadata service that refuses a token (the SDK then falls back to IMDSv1
	// and logs a warning) and has no role.
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.WriteHeader(http.StatusNotFound)
	}))
	defer imds.Close()
	awsEnv(t, map[string]string{"AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL})
	// The process's own stderr, where the SDK's default logger writes.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = pw
	r := run(t, testCLI(nil), "--dir", metricsDir(t), "--from-metrics")
	os.Stderr = saved
	pw.Close()
	logged, _ := io.ReadAll(pr)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != exitcode.Failure || len(lines) != 1 || !strings.HasPrefix(lines[0], "plan: --from-metrics: no AWS credentials found") ||
		strings.Contains(r.stderr, "IMDS") || strings.Contains(r.stderr, "127.0.0.1") || len(logged) != 0 {
		t.Errorf("exit %d stderr %q; the SDK logged %q", r.code, r.stderr, logged)
	}
}

func TestMetricsFlagErrors(t *testing.T) {
	dir := metricsDir(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--from-metrics", "--since", "2w"}, `plan: --since "2w": want a duration like 14d, 36h or 90m`},
		{[]string{"--from-metrics", "--since", "500d"}, `plan: --since "500d": CloudWatch keeps metrics for 455 days at most`},
		{[]string{"--from-metrics", "--since", "10m"}, `plan: --since "10m": want at least 1h`},
		{[]string{"--from-metrics", "--horizon", "-3d"}, `plan: --horizon "-3d": want a positive duration like 14d`},
		{[]string{"--from-metrics", "--init-ms", "-1"}, "plan: --init-ms -1: want 0-900000"},
		{[]string{"--since", "14d"}, "plan: --since applies to --from-metrics"},
		{[]string{"--write-stack"}, "plan: --write-stack writes measured keys: give --from-metrics, --measure-stack, --sample or --measure"},
		{[]string{"--from-metrics", "--sample", samplePath}, "plan: --from-metrics measures the sizes that --sample, --measure and --measure-stack give: give one"},
	} {
		r := run(t, testCLI(nil), append([]string{"--dir", dir}, tc.args...)...)
		if r.code != exitcode.Usage || strings.TrimSpace(r.stderr) != tc.want {
			t.Errorf("%v: exit %d stderr %q, want 2 and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestSampleWriteStack: --sample --write-stack records the measured sizes in the stack file.
func TestSampleWriteStack(t *testing.T) {
	dir := metricsDir(t)
	r := run(t, testCLI(nil), "--dir", dir, "--sample", samplePath, "--write-stack")
	if r.code != 0 {
		t.Fatalf("exit %d stderr %s", r.code, r.stderr)
	}
	// 278,715 B rounds up to 279KB, which the stack already has: only the compressed size
	// (the sample's gzip size, a few KB, not the stack's 19KB) changes.
	got := readFile(t, filepath.Join(dir, "Pulumi.dev.yaml"))
	if !strings.Contains(got, "  lambdabridge:payloadSize: 279KB\n") || strings.Contains(got, "'19KB'") ||
		!strings.Contains(r.stdout, "-  lambdabridge:compressedSize: '19KB'\n+  lambdabridge:compressedSize: '") {
		t.Errorf("stack file:\n%s\nstdout:\n%s", got, r.stdout)
	}
}

// BenchmarkReadMetrics reads 14 days of 1-minute data, a run every minute of a fetcher and a
// writer (20,160 periods, every query of --from-metrics: 1-minute series and whole-window
// statistics), from the local server through the SDK's client and paginator.
func BenchmarkReadMetrics(b *testing.B) {
	srv := cwlocal.New()
	srv.Now = func() time.Time { return today }
	hs := httptest.NewServer(srv)
	defer hs.Close()
	b.Setenv("AWS_ENDPOINT_URL_CLOUDWATCH", hs.URL)
	b.Setenv("AWS_ACCESS_KEY_ID", "local")
	b.Setenv("AWS_SECRET_ACCESS_KEY", "local")
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	runs := devRuns()
	runs.first, runs.every, runs.n = windowFrom, time.Minute, 14*24*60
	runs.compressed = func(i int) int64 { return 19000 + int64(i%1000) }
	runs.put(b, srv)
	api, err := newCloudWatch(context.Background(), "ap-northeast-1")
	if err != nil {
		b.Fatal(err)
	}
	var qs []metricQuery
	for _, r := range roles {
		name := naming.FunctionName("lambdabridge-dev", r)
		qs = append(qs, functionQueries(r, name)...)
		if r != planner.Writer {
			qs = append(qs, sizeQueries(r, name)...)
		}
	}
	w := newWindow(today, 14*24*time.Hour)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data, err := readMetrics(context.Background(), api, w, qs)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(data[queryID("inv", "fetcher")].Values); n != 14*24*60 {
			b.Fatalf("%d invocation periods, want 20,160", n)
		}
	}
}

// TestWindowAndPeriods: the period is the finest CloudWatch still holds for the window's
// start, and the window ends on a whole period.
func TestWindowAndPeriods(t *testing.T) {
	day := 24 * time.Hour
	for _, tc := range []struct {
		since      time.Duration
		period     time.Duration
		from, to   string
		wantLength time.Duration
	}{
		{14 * day, time.Minute, "2027-02-24T15:04:00Z", "2027-03-10T15:04:00Z", 14 * day},
		{15 * day, time.Minute, "2027-02-23T15:04:00Z", "2027-03-10T15:04:00Z", 15 * day},
		// One minute past 15 days: 5-minute periods, the end rounded down to 15:00.
		{15*day + time.Minute, 5 * time.Minute, "2027-02-23T14:55:00Z", "2027-03-10T15:00:00Z", 15*day + 5*time.Minute},
		{63 * day, 5 * time.Minute, "2027-01-06T15:00:00Z", "2027-03-10T15:00:00Z", 63 * day},
		{64 * day, time.Hour, "2027-01-05T15:00:00Z", "2027-03-10T15:00:00Z", 64 * day},
		// 90 minutes in 1-minute periods.
		{90 * time.Minute, time.Minute, "2027-03-10T13:34:00Z", "2027-03-10T15:04:00Z", 90 * time.Minute},
	} {
		w := newWindow(today, tc.since)
		if w.Period != tc.period || w.From.Format(time.RFC3339) != tc.from || w.To.Format(time.RFC3339) != tc.to || w.Length() != tc.wantLength {
			t.Errorf("since %v: %v to %v by %v, want %s to %s by %v", tc.since, w.From, w.To, w.Period, tc.from, tc.to, tc.period)
		}
	}
}

func TestParseDays(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"14d", 14 * 24 * time.Hour, true},
		{"1.5d", 36 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0d", 0, false},
		{"-1h", 0, false},
		{"2w", 0, false},
		{"d", 0, false},
		{"", 0, false},
	} {
		got, err := parseDays(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseDays(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestMeasureSize: the p99 where CloudWatch has one, the Maximum where it has none, nothing
// without data; fractional values round up to whole bytes.
func TestMeasureSize(t *testing.T) {
	one := func(v float64) series { return series{At: []time.Time{windowFrom}, Values: []float64{v}} }
	for _, tc := range []struct {
		name string
		data map[string]series
		want sizeMeasure
	}{
		{"p99", map[string]series{"rawbytes_p99_fetcher": one(1000.2), "rawbytes_max_fetcher": one(1200)}, sizeMeasure{"p99", 1001, 1200}},
		{"no percentile", map[string]series{"rawbytes_max_fetcher": one(1200)}, sizeMeasure{"Maximum", 1200, 1200}},
		{"no data", map[string]series{}, sizeMeasure{}},
	} {
		if got := measureSize(tc.data, metrics.RawBytes, planner.Fetcher); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestSizeValue(t *testing.T) {
	for n, want := range map[int64]string{1: "1KB", 999: "1KB", 1000: "1KB", 1001: "2KB", 278715: "279KB", 6569280: "6570KB"} {
		if got := sizeValue(n); got != want {
			t.Errorf("sizeValue(%d) = %q, want %q", n, got, want)
		}
	}
}
