package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambdabridge/lambdabridge/handlers/metrics"
	"github.com/lambdabridge/lambdabridge/internal/cwlocal"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/pipeline"
)

// fakeRuntime starts functions that print the fetcher's EMF line (in two writes, as a pipe
// may deliver it) to the metrics tap, and fail when fail says so.
type fakeRuntime struct {
	out   *localMetrics
	clock *lambdaasync.VirtualClock
	fail  func(name string, call int) bool
}

func (fakeRuntime) Name() string { return "fake" }

func (f fakeRuntime) Start(_ context.Context, s pipeline.Spec) (lambdaasync.Function, func(), error) {
	calls := 0
	return lambdaasync.FunctionFunc(func(context.Context, string, []byte) (lambdaasync.Response, error) {
		calls++
		if s.Name == "fetcher" {
			line, err := metrics.Line(localFunctionPrefix+s.Name, time.Unix(0, 0), metrics.Sizes{Raw: 279000, Compressed: 19000 + int64(calls), Record: 27384, Limit: 1 << 20}, nil)
			if err != nil {
				return lambdaasync.Response{}, err
			}
			f.out.Write([]byte("START RequestId: x\n" + string(line[:10])))
			f.out.Write(line[10:])
		}
		f.clock.Advance(5 * time.Second) // the invocation takes 5 s of Lambda time
		if f.fail != nil && f.fail(s.Name, calls) {
			return lambdaasync.Response{FunctionError: "Unhandled", Payload: []byte(`{}`)}, nil
		}
		return lambdaasync.Response{Payload: []byte(`{}`)}, nil
	}), func() {}, nil
}

// TestLocalMetrics: three runs of rate(10 minutes), the writer's second call failing and
// retried a minute later, become the datapoints a deployed stack would publish, under the
// stack's function names, 10 minutes apart, the last in the minute before now.
func TestLocalMetrics(t *testing.T) {
	start := time.Date(2027, 3, 10, 15, 4, 30, 0, time.UTC)
	clock := lambdaasync.NewVirtualClock(start)
	m, err := newLocalMetrics("dev", "rate(10 minutes)", clock)
	if err != nil {
		t.Fatal(err)
	}
	rt := m.runtime(fakeRuntime{out: m, clock: clock, fail: func(name string, call int) bool { return name == "writer" && call == 2 }})
	ctx := context.Background()
	fetcher, _, _ := rt.Start(ctx, pipeline.Spec{Name: "fetcher"})
	writer, _, _ := rt.Start(ctx, pipeline.Spec{Name: "writer"})
	at := start.Truncate(time.Minute) // 15:04, as cmd/local starts its runs
	for run := 0; run < 3; run++ {
		m.startRun(at)
		fetcher.Invoke(ctx, "id", nil)
		if r, _ := writer.Invoke(ctx, "id", nil); r.FunctionError != "" {
			clock.Advance(time.Minute) // Lambda's first retry
			writer.Invoke(ctx, "id", nil)
		}
		at = at.Add(10 * time.Minute)
		clock.Advance(10 * time.Second)
	}
	m.Write([]byte(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"lambdabridge","Dimensions":[["FunctionName"]],"Metrics":[{"Name":"RawBytes"}]}]}}` + "\n"))

	srv := cwlocal.New()
	now := time.Date(2027, 3, 10, 18, 0, 20, 0, time.UTC)
	srv.Now = func() time.Time { return now }
	n, span := m.publish(srv, now)
	// 3 fetcher + 4 writer invocations x 3 AWS/Lambda metrics + 3 EMF lines x 5 metrics.
	if n != 7*3+3*5 || m.emf != 3 || m.invocations != 7 || m.unreadable != 1 {
		t.Errorf("%d datapoints, %d EMF lines, %d invocations, %d unreadable; want 36, 3, 7, 1", n, m.emf, m.invocations, m.unreadable)
	}
	// Runs at the firings 15:10, 15:20, 15:30; the last datapoint is the third writer call,
	// 5 s (fetcher) later: the span is 20 min 5 s.
	if span != 20*time.Minute+5*time.Second {
		t.Errorf("span %v, want 20m5s", span)
	}

	c := client(t, srv)
	get := func(ns, metric, fn, stat string) ([]time.Time, []float64) {
		out, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), ScanBy: types.ScanByTimestampAscending,
			MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("q"), MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(ns), MetricName: aws.String(metric),
					Dimensions: []types.Dimension{{Name: aws.String("FunctionName"), Value: aws.String(fn)}}},
				Period: aws.Int32(60), Stat: aws.String(stat)}}}})
		if err != nil {
			t.Fatal(err)
		}
		return out.MetricDataResults[0].Timestamps, out.MetricDataResults[0].Values
	}
	// Shifted by whole minutes so 15:30 lands at 17:59, the minute before now: 17:39, 17:49, 17:59.
	want := []time.Time{time.Date(2027, 3, 10, 17, 39, 0, 0, time.UTC), time.Date(2027, 3, 10, 17, 49, 0, 0, time.UTC), time.Date(2027, 3, 10, 17, 59, 0, 0, time.UTC)}
	ts, vs := get("AWS/Lambda", "Invocations", "lambdabridge-dev-fetcher", "Sum")
	if !slices.EqualFunc(ts, want, time.Time.Equal) || !slices.Equal(vs, []float64{1, 1, 1}) {
		t.Errorf("fetcher invocations %v %v, want one at each of %v", ts, vs, want)
	}
	// The writer's second run: the failed call and its retry a minute later.
	ts, vs = get("AWS/Lambda", "Errors", "lambdabridge-dev-writer", "Sum")
	if len(vs) != 4 || slices.Index(vs, 1) != 1 || !ts[2].Equal(want[1].Add(time.Minute)) {
		t.Errorf("writer errors %v %v", ts, vs)
	}
	ts, vs = get("lambdabridge", "CompressedBytes", "lambdabridge-dev-fetcher", "Maximum")
	if !slices.EqualFunc(ts, want, time.Time.Equal) || !slices.Equal(vs, []float64{19001, 19002, 19003}) {
		t.Errorf("fetcher CompressedBytes %v %v", ts, vs)
	}
	if ts, _ := get("lambdabridge", "RawBytes", "lambdabridge-local-fetcher", "Maximum"); len(ts) != 0 {
		t.Errorf("datapoints under the emulator's name: %v", ts)
	}
}

// TestLocalMetricsFinish: without --serve-metrics, finish says how to keep the metrics; with
// it, it prints the line to paste and serves until the context ends.
func TestLocalMetricsFinish(t *testing.T) {
	clock := lambdaasync.NewVirtualClock(time.Now())
	m, err := newLocalMetrics("dev", "rate(10 minutes)", clock)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := m.finish(context.Background(), &out, "dev", "nat-instance", true, false); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "run with --serve-metrics to keep it serving") {
		t.Errorf("output:\n%s", out.String())
	}
	ctx, cancel := context.WithCancel(context.Background())
	out.Reset()
	done := make(chan error)
	go func() { done <- m.finish(ctx, &out, "dev", "nat-instance", true, true) }()
	time.Sleep(100 * time.Millisecond)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AWS_ENDPOINT_URL_CLOUDWATCH=http://127.0.0.1:", " AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local go run ./cmd/plan --from-metrics --stack dev --since 1h --topology nat-instance\n", "metrics  stopped"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func client(t *testing.T, srv *cwlocal.Server) *cloudwatch.Client {
	t.Helper()
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_PROFILE", "")
	os.Unsetenv("AWS_PROFILE")
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("ap-northeast-1"),
		awsconfig.WithBaseEndpoint(url), awsconfig.WithCredentialsProvider(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local"}, nil
		})))
	if err != nil {
		t.Fatal(err)
	}
	return cloudwatch.NewFromConfig(cfg)
}
