package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/lambdabridge/lambdabridge/config"
	"github.com/lambdabridge/lambdabridge/handlers/metrics"
	"github.com/lambdabridge/lambdabridge/internal/cwlocal"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/pipeline"
	"github.com/lambdabridge/lambdabridge/naming"
	"github.com/lambdabridge/lambdabridge/planner"
)

// localFunctionPrefix is how the emulator names the local functions ("lambdabridge-local-fetcher").
const localFunctionPrefix = "lambdabridge-local-"

// localMetrics is what the local runs would have published to CloudWatch: per invocation
// AWS/Lambda Invocations, Errors and Duration (the Runtime wrapper), and the EMF lines the
// fetcher (or relay) prints (the Writer tap on the functions' output). Datapoints carry the
// stack's function names (naming.FunctionName), so `plan --from-metrics --stack NAME` finds
// them, and are stamped on the schedule's Lambda time: run i at the schedule's i-th firing
// plus the Lambda time elapsed in the run (retries 1 and 2 minutes later). publish shifts
// them so the last lands in the minute before now.
type localMetrics struct {
	prefix string
	sched  *planner.Schedule
	clock  lambdaasync.Clock

	mu       sync.Mutex
	runAt    time.Time // the current run's firing
	runClock time.Time // the clock when it started
	data     []cwlocal.Datum
	partial  []byte // the tap's unfinished line
	// emf, invocations and unreadable count what was recorded.
	emf, invocations, unreadable int
}

// newLocalMetrics records for stack's functions on schedule, timing runs with clock.
func newLocalMetrics(stack, schedule string, clock lambdaasync.Clock) (*localMetrics, error) {
	s, err := planner.ParseSchedule(schedule)
	if err != nil {
		return nil, err
	}
	return &localMetrics{prefix: naming.NamePrefix(config.Namespace, stack), sched: s, clock: clock}, nil
}

// startRun marks the start of the next scheduled run, whose event is for at: the first run
// is stamped at the first firing at or after at, each later one at the firing after.
func (m *localMetrics) startRun(at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	after := at.Add(-time.Nanosecond)
	if !m.runAt.IsZero() {
		after = m.runAt
	}
	if next, ok := m.sched.Next(after); ok {
		m.runAt = next
	} else {
		m.runAt = at
	}
	m.runClock = m.clock.Now()
}

// stamp is now on the current run's Lambda time (the caller holds m.mu).
func (m *localMetrics) stamp() time.Time {
	if m.runAt.IsZero() {
		return m.clock.Now()
	}
	return m.runAt.Add(m.clock.Now().Sub(m.runClock))
}

// stackName maps a local function name (or a role) to the stack's physical name.
func (m *localMetrics) stackName(local string) string {
	return naming.FunctionName(m.prefix, planner.Role(strings.TrimPrefix(local, localFunctionPrefix)))
}

// runtime wraps r so that every invocation is recorded as AWS/Lambda records it.
func (m *localMetrics) runtime(r pipeline.Runtime) pipeline.Runtime { return meteredRuntime{r, m} }

type meteredRuntime struct {
	pipeline.Runtime
	m *localMetrics
}

// Start starts the function and wraps it.
func (mr meteredRuntime) Start(ctx context.Context, s pipeline.Spec) (lambdaasync.Function, func(), error) {
	fn, stop, err := mr.Runtime.Start(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	name := mr.m.stackName(s.Name)
	return lambdaasync.FunctionFunc(func(ctx context.Context, id string, payload []byte) (lambdaasync.Response, error) {
		mr.m.mu.Lock()
		at := mr.m.stamp()
		mr.m.mu.Unlock()
		start := time.Now()
		resp, err := fn.Invoke(ctx, id, payload)
		ms := float64(time.Since(start).Microseconds()) / 1000
		failed := 0.0
		if err != nil || resp.FunctionError != "" {
			failed = 1
		}
		dims := map[string]string{metrics.DimensionFunctionName: name}
		mr.m.mu.Lock()
		mr.m.invocations++
		mr.m.data = append(mr.m.data,
			cwlocal.Datum{Namespace: "AWS/Lambda", Metric: "Invocations", Dimensions: dims, At: at, Value: 1},
			cwlocal.Datum{Namespace: "AWS/Lambda", Metric: "Errors", Dimensions: dims, At: at, Value: failed},
			cwlocal.Datum{Namespace: "AWS/Lambda", Metric: "Duration", Dimensions: dims, At: at, Value: ms})
		mr.m.mu.Unlock()
		return resp, err
	}), stop, nil
}

// Write taps the functions' output: each complete line that is an EMF document is
// recorded with the stack's function name, at the current run's Lambda time.
func (m *localMetrics) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.partial = append(m.partial, p...)
	for {
		i := bytes.IndexByte(m.partial, '\n')
		if i < 0 {
			break
		}
		line := bytes.TrimSpace(m.partial[:i])
		m.partial = m.partial[i+1:]
		if len(line) == 0 || line[0] != '{' {
			continue
		}
		ds, err := cwlocal.ParseEMF(line)
		switch {
		case errors.Is(err, cwlocal.ErrNotEMF):
			continue
		case err != nil:
			m.unreadable++
			continue
		}
		at := m.stamp()
		for _, d := range ds {
			d.At = at
			if fn, ok := d.Dimensions[metrics.DimensionFunctionName]; ok {
				d.Dimensions = map[string]string{metrics.DimensionFunctionName: m.stackName(fn)}
			}
			m.data = append(m.data, d)
		}
		m.emf++
	}
	if len(m.partial) > 1<<20 { // no line is this long: drop it rather than grow
		m.partial = m.partial[:0]
		m.unreadable++
	}
	return len(p), nil
}

// publish puts the recorded datapoints into srv, shifted by whole minutes so the last one
// lands in the minute before now, and returns how many there were and the span they cover.
func (m *localMetrics) publish(srv *cwlocal.Server, now time.Time) (n int, span time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.data) == 0 {
		return 0, 0
	}
	first, last := m.data[0].At, m.data[0].At
	for _, d := range m.data {
		if d.At.Before(first) {
			first = d.At
		}
		if d.At.After(last) {
			last = d.At
		}
	}
	shift := now.Truncate(time.Minute).Add(-time.Minute).Sub(last.Truncate(time.Minute))
	out := make([]cwlocal.Datum, len(m.data))
	for i, d := range m.data {
		d.At = d.At.Add(shift)
		out[i] = d
	}
	srv.Put(out...)
	return len(out), last.Sub(first)
}

// finish publishes the runs' metrics into a local CloudWatch and, with --serve-metrics,
// keeps it serving until ctx ends, with the command line that plans from it.
func (m *localMetrics) finish(ctx context.Context, w io.Writer, stack string, topology planner.Topology, askedTopology, serve bool) error {
	srv := cwlocal.New()
	url, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer srv.Close()
	n, span := m.publish(srv, time.Now())
	m.mu.Lock()
	emf, inv, bad := m.emf, m.invocations, m.unreadable
	m.mu.Unlock()
	fmt.Fprintf(w, "metrics  %d datapoints for stack %s's functions (%d invocations, %d EMF lines", n, stack, inv, emf)
	if bad > 0 {
		fmt.Fprintf(w, ", %d unreadable", bad)
	}
	fmt.Fprintf(w, ") in a local CloudWatch at %s\n", url)
	if !serve {
		fmt.Fprintln(w, "metrics  run with --serve-metrics to keep it serving and plan from them with plan --from-metrics")
		return nil
	}
	since := max(1, int((span+2*time.Minute+time.Hour-1)/time.Hour))
	line := fmt.Sprintf("AWS_ENDPOINT_URL_CLOUDWATCH=%s AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local go run ./cmd/plan --from-metrics --stack %s --since %dh", url, stack, since)
	if askedTopology {
		line += " --topology " + string(topology)
	}
	fmt.Fprintf(w, "metrics  serving until interrupted (Ctrl-C); in another shell, plan from what these runs measured:\n  %s\n", line)
	<-ctx.Done()
	fmt.Fprintln(w, "metrics  stopped")
	return nil
}
