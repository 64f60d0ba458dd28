package cwlocal

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/lambdabridge/lambdabridge/handlers/metrics"
)

// now is the server's clock in these tests.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// client is the SDK's own CloudWatch client, reaching srv through AWS_ENDPOINT_URL_CLOUDWATCH
// as any program would.
func client(t *testing.T, srv *Server) *cloudwatch.Client {
	t.Helper()
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_CLOUDWATCH": hs.URL, "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
		"AWS_REGION": "ap-northeast-1", "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "AWS_PROFILE": "",
	} {
		t.Setenv(k, v)
	}
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cloudwatch.NewFromConfig(cfg)
}

func metricStat(id, ns, name, stat string, period int32, dims map[string]string) types.MetricDataQuery {
	var ds []types.Dimension
	for k, v := range dims {
		ds = append(ds, types.Dimension{Name: aws.String(k), Value: aws.String(v)})
	}
	return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{
		Metric: &types.Metric{Namespace: aws.String(ns), MetricName: aws.String(name), Dimensions: ds},
		Period: aws.Int32(period), Stat: aws.String(stat)}}
}

// fetch runs GetMetricData through the SDK's paginator and merges the pages by query id.
func fetch(t *testing.T, c *cloudwatch.Client, in *cloudwatch.GetMetricDataInput) (map[string][]time.Time, map[string][]float64, int) {
	t.Helper()
	ts, vs := map[string][]time.Time{}, map[string][]float64{}
	pages := 0
	p := cloudwatch.NewGetMetricDataPaginator(c, in)
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, r := range out.MetricDataResults {
			ts[*r.Id] = append(ts[*r.Id], r.Timestamps...)
			vs[*r.Id] = append(vs[*r.Id], r.Values...)
		}
	}
	return ts, vs, pages
}

func TestStatistics(t *testing.T) {
	srv := New()
	srv.Now = func() time.Time { return now }
	fn := map[string]string{"FunctionName": "lambdabridge-dev-fetcher"}
	t0 := now.Add(-time.Hour)
	// Minute 0 holds 1..10, minute 1 holds 100, minute 2 nothing, minute 3 holds 7 and 3.
	for v := 1; v <= 10; v++ {
		srv.Put(Datum{"AWS/Lambda", "Duration", fn, t0.Add(time.Duration(v) * time.Second), float64(v)})
	}
	srv.Put(Datum{"AWS/Lambda", "Duration", fn, t0.Add(90 * time.Second), 100})
	srv.Put(Datum{"AWS/Lambda", "Duration", fn, t0.Add(3*time.Minute + 5*time.Second), 7},
		Datum{"AWS/Lambda", "Duration", fn, t0.Add(3*time.Minute + time.Second), 3})
	// The same metric of another stack's function, and with an extra dimension: not matched.
	srv.Put(Datum{"AWS/Lambda", "Duration", map[string]string{"FunctionName": "lambdabridge-prod-fetcher"}, t0, 1e6},
		Datum{"AWS/Lambda", "Duration", map[string]string{"FunctionName": "lambdabridge-dev-fetcher", "Resource": "x"}, t0, 1e6})
	c := client(t, srv)

	stats := []string{"SampleCount", "Sum", "Average", "Minimum", "Maximum", "p50", "p99", "p10.5"}
	var qs []types.MetricDataQuery
	for i, s := range stats {
		qs = append(qs, metricStat("q"+string(rune('a'+i)), "AWS/Lambda", "Duration", s, 60, fn))
	}
	ts, vs, _ := fetch(t, c, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(now),
		MetricDataQueries: qs, ScanBy: types.ScanByTimestampAscending})
	wantTS := []time.Time{t0, t0.Add(time.Minute), t0.Add(3 * time.Minute)} // no datapoint for the empty minute
	want := map[string][]float64{
		"SampleCount": {10, 1, 2},
		"Sum":         {55, 100, 10}, // 1+...+10 = 55
		"Average":     {5.5, 100, 5}, // 55/10; (7+3)/2
		"Minimum":     {1, 100, 3},   //
		"Maximum":     {10, 100, 7},  //
		"p50":         {5, 100, 3},   // rank ceil(0.5 x 10) = 5 -> 5; ceil(0.5 x 2) = 1 -> 3
		"p99":         {10, 100, 7},  // rank ceil(0.99 x 10) = 10 -> 10; ceil(1.98) = 2 -> 7
		"p10.5":       {2, 100, 3},   // rank ceil(0.105 x 10) = 2 -> 2
	}
	for i, s := range stats {
		id := "q" + string(rune('a'+i))
		if !slices.EqualFunc(ts[id], wantTS, time.Time.Equal) || !slices.Equal(vs[id], want[s]) {
			t.Errorf("%s: %v %v, want %v %v", s, ts[id], vs[id], wantTS, want[s])
		}
	}

	// The default scan is newest first.
	ts, vs, _ = fetch(t, c, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(now),
		MetricDataQueries: []types.MetricDataQuery{metricStat("m", "AWS/Lambda", "Duration", "Maximum", 60, fn)}})
	if !ts["m"][0].Equal(t0.Add(3*time.Minute)) || !slices.Equal(vs["m"], []float64{7, 100, 10}) {
		t.Errorf("descending: %v %v", ts["m"], vs["m"])
	}
}

// TestPagination: 500 one-minute datapoints in two queries, read 120 at a time, arrive whole
// and in order through the SDK's paginator.
func TestPagination(t *testing.T) {
	srv := New()
	srv.Now = func() time.Time { return now }
	a, b := map[string]string{"FunctionName": "a"}, map[string]string{"FunctionName": "b"}
	t0 := now.Add(-250 * time.Minute)
	for i := 0; i < 250; i++ {
		srv.Put(Datum{"lambdabridge", "RawBytes", a, t0.Add(time.Duration(i) * time.Minute), float64(i)},
			Datum{"lambdabridge", "RawBytes", b, t0.Add(time.Duration(i) * time.Minute), float64(1000 + i)})
	}
	c := client(t, srv)
	ts, vs, pages := fetch(t, c, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(t0), EndTime: aws.Time(now),
		MaxDatapoints: aws.Int32(120), ScanBy: types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{
			metricStat("a", "lambdabridge", "RawBytes", "Maximum", 60, a),
			metricStat("b", "lambdabridge", "RawBytes", "Maximum", 60, b)}})
	// 500 datapoints / 120 per page = 4.17 -> 5 pages.
	if pages != 5 || srv.Requests() != 5 {
		t.Errorf("%d pages, %d requests, want 5", pages, srv.Requests())
	}
	for id, off := range map[string]float64{"a": 0, "b": 1000} {
		if len(vs[id]) != 250 || len(ts[id]) != 250 {
			t.Fatalf("%s: %d values, %d timestamps, want 250", id, len(vs[id]), len(ts[id]))
		}
		for i := range vs[id] {
			if vs[id][i] != off+float64(i) || !ts[id][i].Equal(t0.Add(time.Duration(i)*time.Minute)) {
				t.Fatalf("%s[%d] = %v at %v", id, i, vs[id][i], ts[id][i])
			}
		}
	}
}

// TestRetention: data 20 days old comes back only at a 5-minute period, data 70 days old only
// hourly; StartTime is rounded down as CloudWatch rounds it.
func TestRetention(t *testing.T) {
	srv := New()
	srv.Now = func() time.Time { return now }
	fn := map[string]string{"FunctionName": "f"}
	old20, old70 := now.Add(-20*24*time.Hour), now.Add(-70*24*time.Hour)
	srv.Put(Datum{"AWS/Lambda", "Invocations", fn, old20, 1}, Datum{"AWS/Lambda", "Invocations", fn, old70, 1},
		Datum{"AWS/Lambda", "Invocations", fn, now.Add(-time.Hour), 1})
	c := client(t, srv)
	start := now.Add(-80*24*time.Hour + 17*time.Minute) // 80 days ago: rounded down to the hour
	for _, tc := range []struct {
		period int32
		want   int
	}{{60, 1}, {120, 1}, {300, 2}, {900, 2}, {3600, 3}} {
		_, vs, _ := fetch(t, c, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(now),
			MetricDataQueries: []types.MetricDataQuery{metricStat("q", "AWS/Lambda", "Invocations", "Sum", tc.period, fn)}})
		if len(vs["q"]) != tc.want {
			t.Errorf("period %d: %d datapoints, want %d", tc.period, len(vs["q"]), tc.want)
		}
	}
	ts, _, _ := fetch(t, c, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(now),
		MetricDataQueries: []types.MetricDataQuery{metricStat("q", "AWS/Lambda", "Invocations", "Sum", 3600, fn)}})
	for _, at := range ts["q"] {
		if at.Minute() != 0 || at.Second() != 0 {
			t.Errorf("hourly datapoint at %v, want whole hours from the rounded StartTime", at)
		}
	}
}

func TestErrors(t *testing.T) {
	srv := New()
	c := client(t, srv)
	ctx := context.Background()
	in := func(q types.MetricDataQuery) *cloudwatch.GetMetricDataInput {
		return &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: aws.Time(now), MetricDataQueries: []types.MetricDataQuery{q}}
	}
	var bad *types.InvalidParameterValueException
	if _, err := c.GetMetricData(ctx, in(metricStat("q", "ns", "m", "Median", 60, nil))); !errors.As(err, &bad) {
		t.Errorf("bad stat: %v, want InvalidParameterValueException", err)
	}
	if _, err := c.GetMetricData(ctx, in(metricStat("Q", "ns", "m", "Sum", 60, nil))); !errors.As(err, &bad) {
		t.Errorf("bad id: %v, want InvalidParameterValueException", err)
	}
	if _, err := c.GetMetricData(ctx, in(metricStat("q", "ns", "m", "Sum", 90, nil))); !errors.As(err, &bad) {
		t.Errorf("bad period: %v, want InvalidParameterValueException", err)
	}
	var tok *types.InvalidNextToken
	req := in(metricStat("q", "ns", "m", "Sum", 60, nil))
	req.NextToken = aws.String("nope")
	if _, err := c.GetMetricData(ctx, req); !errors.As(err, &tok) {
		t.Errorf("bad token: %v, want InvalidNextToken", err)
	}
	if _, err := c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{}); err == nil {
		t.Error("ListMetrics answered; want an unknown-operation error")
	}
}

// TestEMF reads the fetcher's own EMF line back as datapoints.
func TestEMF(t *testing.T) {
	at := time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)
	line, err := metrics.Line("lambdabridge-dev-fetcher", at, metrics.Sizes{Raw: 279000, Compressed: 19000, Record: 27384, Limit: 1048576},
		map[string]any{"Outcome": "destination"})
	if err != nil {
		t.Fatal(err)
	}
	srv := New()
	n, err := srv.PutEMF(line)
	if err != nil || n != 5 {
		t.Fatalf("PutEMF = %d, %v; want the 5 metrics", n, err)
	}
	ds, _ := ParseEMF(line)
	got := map[string]float64{}
	for _, d := range ds {
		if d.Namespace != metrics.Namespace || d.Dimensions[metrics.DimensionFunctionName] != "lambdabridge-dev-fetcher" || len(d.Dimensions) != 1 || !d.At.Equal(at) {
			t.Errorf("datum %+v", d)
		}
		got[d.Metric] = d.Value
	}
	// 27,384 / 1,048,576 = 2.6115% -> 2.61.
	want := map[string]float64{"RawBytes": 279000, "CompressedBytes": 19000, "RecordBytes": 27384, "LimitBytes": 1048576, "RecordPercentOfLimit": 2.61}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	for _, l := range []string{`START RequestId: 1 Version: $LATEST`, `{"level":"INFO","msg":"fetched"}`, `{"_aws":{"Timestamp":1}}`} {
		if _, err := ParseEMF([]byte(l)); !errors.Is(err, ErrNotEMF) {
			t.Errorf("ParseEMF(%q) = %v, want ErrNotEMF", l, err)
		}
	}
	if _, err := ParseEMF([]byte(`{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"n","Dimensions":[["F"]],"Metrics":[{"Name":"M"}]}]},"M":1}`)); err == nil {
		t.Error("a directive naming a dimension the line lacks was accepted")
	}
}
