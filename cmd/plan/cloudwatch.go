package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/logging"

	"github.com/lambdabridge/lambdabridge/handlers/metrics"
	"github.com/lambdabridge/lambdabridge/planner"
)

// This file reads a deployed stack's metrics with the AWS SDK's CloudWatch client:
// AWS/Lambda's per-function metrics and the fetcher's (or relay's) EMF size metrics.

// metricsAPI is what the reader needs of the CloudWatch client (*cloudwatch.Client).
type metricsAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// AWS/Lambda's metrics (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
const (
	lambdaNamespace   = "AWS/Lambda"
	lambdaInvocations = "Invocations"
	lambdaErrors      = "Errors"
	lambdaThrottles   = "Throttles"
	lambdaDuration    = "Duration"
	lambdaDimension   = "FunctionName"
)

// sizeStat is the statistic the sizes are planned with: a high percentile, which CloudWatch
// has for metrics published as values (EMF is); Maximum stands in where it has none.
const sizeStat = "p99"

// Retention of CloudWatch's aggregated data: the period a window needs
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html).
const (
	minuteRetention     = 15 * 24 * time.Hour
	fiveMinuteRetention = 63 * 24 * time.Hour
	maxRetention        = 455 * 24 * time.Hour
)

// periodFor is the finest period CloudWatch still holds for a window reaching since back:
// 1 minute up to 15 days, 5 minutes up to 63 days, an hour beyond.
func periodFor(since time.Duration) time.Duration {
	switch {
	case since <= minuteRetention:
		return time.Minute
	case since <= fiveMinuteRetention:
		return 5 * time.Minute
	}
	return time.Hour
}

// window is the span the metrics are read over: [From, To), in periods of Period, To a
// whole period.
type window struct {
	From, To time.Time
	Period   time.Duration
}

// newWindow ends at now rounded down to the period and reaches since back, rounded up to
// whole periods.
func newWindow(now time.Time, since time.Duration) window {
	p := periodFor(since)
	to := now.UTC().Truncate(p)
	n := (since + p - 1) / p
	return window{From: to.Add(-n * p), To: to, Period: p}
}

// Length is the window's duration.
func (w window) Length() time.Duration { return w.To.Sub(w.From) }

// series is one query's datapoints in time order.
type series struct {
	At     []time.Time
	Values []float64
}

// sum adds the values.
func (s series) sum() float64 {
	t := 0.0
	for _, v := range s.Values {
		t += v
	}
	return t
}

// one is the value of a one-period (whole-window) query, and false when it has none.
func (s series) one() (float64, bool) {
	if len(s.Values) == 0 {
		return 0, false
	}
	return s.Values[0], true
}

// metricQuery is one query to make: a metric of a function, a statistic, and whether it is
// read per period (a series) or over the whole window (one value).
type metricQuery struct {
	id, namespace, metric, function, stat string
	perPeriod                             bool
}

// queryID names a query: a lower-case letter first, then letters, digits, underscores.
func queryID(parts ...string) string {
	return strings.ToLower(strings.ReplaceAll(strings.Join(parts, "_"), ".", "_"))
}

// functionQueries are the AWS/Lambda queries of one function: invocations per period (the
// runs and their times), errors, throttles and the duration's average, p99 and maximum over
// the window.
func functionQueries(role planner.Role, name string) []metricQuery {
	r := string(role)
	return []metricQuery{
		{queryID("inv", r), lambdaNamespace, lambdaInvocations, name, "Sum", true},
		{queryID("err", r), lambdaNamespace, lambdaErrors, name, "Sum", false},
		{queryID("thr", r), lambdaNamespace, lambdaThrottles, name, "Sum", false},
		{queryID("davg", r), lambdaNamespace, lambdaDuration, name, "Average", false},
		{queryID("dp99", r), lambdaNamespace, lambdaDuration, name, "p99", false},
		{queryID("dmax", r), lambdaNamespace, lambdaDuration, name, "Maximum", false},
	}
}

// sizeQueries are the EMF queries of a function that fetches: each size's p99 and maximum
// over the window, the limit it was deployed with, and the compressed size's p99 and
// maximum per period (the trend).
func sizeQueries(role planner.Role, name string) []metricQuery {
	r := string(role)
	var qs []metricQuery
	for _, m := range []string{metrics.RawBytes, metrics.CompressedBytes, metrics.RecordBytes} {
		qs = append(qs,
			metricQuery{queryID(m, sizeStat, r), metrics.Namespace, m, name, sizeStat, false},
			metricQuery{queryID(m, "max", r), metrics.Namespace, m, name, "Maximum", false})
	}
	return append(qs,
		metricQuery{queryID(metrics.LimitBytes, "max", r), metrics.Namespace, metrics.LimitBytes, name, "Maximum", false},
		metricQuery{queryID("trend", sizeStat, r), metrics.Namespace, metrics.CompressedBytes, name, sizeStat, true},
		metricQuery{queryID("trend_max", r), metrics.Namespace, metrics.CompressedBytes, name, "Maximum", true})
}

// readMetrics runs the queries over w in one paginated GetMetricData and returns each
// query's datapoints by id, in time order. Per-period queries use w.Period; the others one
// period spanning the whole window.
func readMetrics(ctx context.Context, api metricsAPI, w window, qs []metricQuery) (map[string]series, error) {
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(w.From), EndTime: aws.Time(w.To), ScanBy: types.ScanByTimestampAscending,
	}
	for _, q := range qs {
		period := w.Length()
		if q.perPeriod {
			period = w.Period
		}
		in.MetricDataQueries = append(in.MetricDataQueries, types.MetricDataQuery{
			Id: aws.String(q.id),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(q.namespace), MetricName: aws.String(q.metric),
					Dimensions: []types.Dimension{{Name: aws.String(lambdaDimension), Value: aws.String(q.function)}}},
				Period: aws.Int32(int32(period / time.Second)),
				Stat:   aws.String(q.stat),
			},
		})
	}
	out := map[string]series{}
	pages := cloudwatch.NewGetMetricDataPaginator(api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("CloudWatch GetMetricData: %w", err)
		}
		for _, r := range page.MetricDataResults {
			if r.Id == nil {
				continue
			}
			if len(r.Timestamps) != len(r.Values) {
				return nil, fmt.Errorf("CloudWatch GetMetricData: query %s: %d timestamps for %d values", *r.Id, len(r.Timestamps), len(r.Values))
			}
			s := out[*r.Id]
			s.At = append(s.At, r.Timestamps...)
			s.Values = append(s.Values, r.Values...)
			out[*r.Id] = s
		}
	}
	return out, nil
}

// errNoCredentials is the one line a missing credential chain becomes.
var errNoCredentials = errors.New("--from-metrics: no AWS credentials found (the SDK's default chain: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws, SSO, or an instance role); configure one (e.g. `aws sso login --profile NAME` and AWS_PROFILE=NAME) and run again")

// newCloudWatch is the SDK's CloudWatch client for region, with credentials and endpoint
// the standard SDK way (AWS_ENDPOINT_URL_CLOUDWATCH reaches a local server). It resolves
// the credentials first, so a machine without any gets one line, not the chain's last
// attempt (an instance-metadata timeout).
func newCloudWatch(ctx context.Context, region string) (metricsAPI, error) {
	// The SDK's own log lines (an instance-metadata fallback warning, say) would bury the one
	// line a failure is reported as: errors come back as errors.
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(region), awsconfig.WithLogger(logging.Nop{}))
	if err != nil {
		return nil, fmt.Errorf("--from-metrics: AWS configuration: %w", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The chain ends with the instance role: reaching it means nothing else was
		// configured. The SDK has no typed error for that, only this wording.
		if msg := err.Error(); strings.Contains(msg, "EC2 IMDS") || strings.Contains(msg, "ec2imds") || errors.Is(err, context.DeadlineExceeded) {
			return nil, errNoCredentials
		}
		return nil, fmt.Errorf("--from-metrics: AWS credentials: %s", strings.Join(strings.Fields(err.Error()), " "))
	}
	return cloudwatch.NewFromConfig(cfg), nil
}
