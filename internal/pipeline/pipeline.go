// Package pipeline runs lambdabridge end to end on one machine, with AWS's asynchronous
// semantics: the schedule (lambdaasync.Scheduler, with the deployed retry policy and
// dead-letter queue) puts each run's event into the scheduled function's async queue
// (internal/lambdaasync); in the destination topology the fetcher's onSuccess record goes
// into the writer's queue; in the s3 topology the fetcher PUTs to a local S3 server whose
// ObjectCreated notification goes into the writer's queue; in the relay topology one function
// fetches and stores. Each function's onFailure destination is where the planner routes it
// (planner.Shape.FailureSink): the dead-letter queue on a real SQS-API server (fauxqs, with
// the deployed queue's 262,144-byte maximum) or the failure bucket on the local S3 server.
// Every size cap AWS enforces is enforced (the async payload limit, the queue's message
// size). internal/redrive drains both back into the writer and starts missed runs again.
//
// The functions are the real handler packages: bootstraps under the Runtime Interface
// Emulator (Emulator), or the same packages called in process (InProcess). Faults
// (crashes, throttles) and duplicate deliveries are injected around them; a Ledger records
// every fetch handed to the writer so a run can prove nothing was lost or stored twice.
//
// cmd/local is the interactive front end. The drills and a 100-run soak per topology run in
// `go test ./internal/pipeline` (DATABASE_URL and `npm ci` needed); the full soak is
//
//	go test -run TestSoak -v ./internal/pipeline -soak.runs=1000 [-soak.seed=N] [-soak.topology=destination|s3|relay|all]
package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/lambdabridge/lambdabridge/handlers/blob"
	"github.com/lambdabridge/lambdabridge/handlers/envelope"
	"github.com/lambdabridge/lambdabridge/handlers/event"
	"github.com/lambdabridge/lambdabridge/handlers/fetcher"
	"github.com/lambdabridge/lambdabridge/handlers/relay"
	"github.com/lambdabridge/lambdabridge/handlers/store"
	"github.com/lambdabridge/lambdabridge/handlers/writer"
	"github.com/lambdabridge/lambdabridge/internal/lambdaasync"
	"github.com/lambdabridge/lambdabridge/internal/redrive"
	"github.com/lambdabridge/lambdabridge/internal/sqslocal"
	"github.com/lambdabridge/lambdabridge/internal/ssmlocal"
	"github.com/lambdabridge/lambdabridge/lambdas"
	"github.com/lambdabridge/lambdabridge/planner"
)

// Topology is the local pipeline's shape. Egress does not exist on one machine, so a planner
// topology runs locally as its handoff (planner.Shape.Handoff): the three relay topologies
// (nat-gateway, nat-instance, ipv6) all run as Relay.
type Topology string

// Local topologies, one per handoff of the planner's table.
const (
	Destination Topology = "destination"
	S3Handoff   Topology = "s3"
	Relay       Topology = "relay"
)

// handoffs is the one mapping from local topologies to the planner's parts.
var handoffs = map[Topology]planner.Handoff{
	Destination: planner.HandoffRecord,
	S3Handoff:   planner.HandoffObject,
	Relay:       planner.HandoffNone,
}

// TopologyOf maps a planner topology to the local one that runs its handoff.
func TopologyOf(t planner.Topology) (Topology, error) {
	s, err := planner.ShapeOf(t)
	if err != nil {
		return "", err
	}
	for local, h := range handoffs {
		if h == s.Handoff {
			return local, nil
		}
	}
	return "", fmt.Errorf("topology %s: its handoff %q has no local pipeline", t, s.Handoff)
}

// Shape is the parts the local topology runs: those of the first planner topology (in
// tie-break order) with its handoff.
func (t Topology) Shape() (planner.Shape, error) {
	h, ok := handoffs[t]
	if ok {
		for _, top := range planner.AllTopologies {
			if s, _ := planner.ShapeOf(top); s.Handoff == h {
				return s, nil
			}
		}
	}
	return planner.Shape{}, fmt.Errorf("local topology %q: want destination, s3 or relay", t)
}

// Bucket is the local handoff bucket, FailureBucket the local failure bucket.
const (
	Bucket        = "lambdabridge-local"
	FailureBucket = "lambdabridge-local-failures"
)

// ScheduleARN names the local schedule in its events.
const ScheduleARN = "arn:aws:scheduler:us-east-1:000000000000:schedule/default/lambdabridge-local"

// Options configures a pipeline. Start from DefaultOptions.
type Options struct {
	Topology Topology
	Runtime  Runtime
	// Source is what the fetcher (or relay) fetches, and how; its Config.URL is required.
	Source fetcher.SourceSettings
	// DatabaseURL is the writer's (or relay's) DATABASE_URL.
	DatabaseURL string
	// SQSEndpoint is the SQS-API server holding the dead-letter queue.
	SQSEndpoint string
	// Clock runs the async queues (retry waits, event age).
	Clock lambdaasync.Clock
	// MaxRetries and MaxEventAge are every function's event invoke config.
	MaxRetries  int
	MaxEventAge time.Duration
	// AsyncLimitBytes is the async payload limit in force (planner.Book.AsyncPayloadLimit):
	// the fetcher's ASYNC_LIMIT_BYTES and the largest record Lambda delivers to a destination.
	AsyncLimitBytes int64
	// Spill lets the fetcher spill an oversized record to S3 (destination topology).
	Spill bool
	// Faults injects a fault into an invocation (nil: none).
	Faults FaultFunc
	// Duplicates returns how many extra times an event is delivered (nil: never).
	Duplicates func(fn, requestID string) int
	// Refusals makes Lambda refuse the schedule's Invoke call attempt (1 = the first) for the
	// run scheduled at a time (nil: never): the fault of a missed scheduled invocation. A run
	// refused past the schedule's retries goes to the dead-letter queue.
	Refusals func(scheduled time.Time, attempt int) bool
	// ScheduleDuplicates returns how many extra times the schedule delivers a run's event
	// (nil: never): a duplicated scheduled event.
	ScheduleDuplicates func(scheduled time.Time) int
	// FailuresToQueue routes every function's failures to the dead-letter queue, the design
	// before the failure bucket, to show what it loses (drills only; infra never does).
	FailuresToQueue bool
	// Log receives one line per step (nil discards).
	Log io.Writer
	// SourceHeaders are secret request headers for the source: the pipeline keeps them in a
	// local Parameter Store, and the fetcher (or relay) reads them from there at cold start,
	// as deployed (headers.go); nil for none.
	SourceHeaders map[string]string
}

// DefaultOptions are the defaults of the stack config: 2 retries, 1 hour event age
// (maxEventAgeSeconds default 3600), the real clock, the async limit the price book has in
// force today, and the fetcher's default source settings (set Source.Config.URL).
func DefaultOptions() Options {
	return Options{Topology: Destination, Source: fetcher.NewSourceSettings(""), Clock: lambdaasync.RealClock{},
		MaxRetries: 2, MaxEventAge: time.Hour, AsyncLimitBytes: asyncLimitToday()}
}

// asyncLimitToday is the embedded price book's async payload limit in force today.
func asyncLimitToday() int64 {
	book, err := planner.LoadBook("")
	if err == nil {
		var limit int64
		if limit, err = book.AsyncPayloadLimit(time.Now()); err == nil {
			return limit
		}
	}
	panic(fmt.Sprintf("pipeline: the embedded price book has no async payload limit for today: %v", err))
}

// Pipeline is a running local deployment.
type Pipeline struct {
	o      Options
	log    io.Writer
	s3     *S3
	s3c    *s3.Client
	sqs    *sqs.Client
	DLQURL string
	// FailureBucket is the local failure bucket's name, "" when the shape has none.
	FailureBucket string
	scheduler     *lambdaasync.Scheduler
	sched         *lambdaasync.Invoker // the scheduled function's queue (fetcher or relay)
	writerQ       *lambdaasync.Invoker // nil for relay
	writerFn      lambdaasync.Function // the writer as redrive invokes it (faults included)
	relayFn       lambdaasync.Function // the relay, for redrive to run failed events again
	stops         []func()
	ledger        *Ledger
	shape         planner.Shape // the parts o.Topology runs

	// ssm is the local Parameter Store of o.SourceHeaders (nil without).
	ssm *ssmlocal.Server

	mu       sync.Mutex
	runs     int
	fired    []time.Time          // the scheduled time of every run fired
	runStart time.Time            // Lambda-clock time the current run's event was queued
	writes   []lambdaasync.Result // writer deliveries of the current run
}

// New starts the functions and the local servers of o.Topology.
func New(ctx context.Context, o Options) (p *Pipeline, err error) {
	if o.Runtime == nil || o.Source.Config.URL == "" || o.DatabaseURL == "" || o.SQSEndpoint == "" {
		return nil, errors.New("pipeline: Runtime, Source.Config.URL, DatabaseURL and SQSEndpoint are required")
	}
	if o.Clock == nil {
		o.Clock = lambdaasync.RealClock{}
	}
	p = &Pipeline{o: o, log: o.Log, ledger: newLedger()}
	if p.log == nil {
		p.log = io.Discard
	}
	started := p // a failed New returns a nil p: stop what it started through this copy
	defer func() {
		if err != nil {
			started.Close()
		}
	}()
	shape, err := o.Topology.Shape()
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p.shape = shape
	needS3 := shape.NeedsBucket(o.Spill)
	// The AWS SDK's own variables (credentials, region, the local S3 endpoint): the handlers'
	// settings are rendered below.
	sdk := map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
	p.secretHeaders(&o, sdk)
	bucket := ""
	if needS3 {
		bucket = Bucket
	}
	dlq, err := p.startStores(ctx, needS3, sdk)
	if err != nil {
		return nil, err
	}
	onFailure := func(r planner.Role) lambdaasync.Destination {
		if shape.FailureSink(r) == planner.FailureBucket && !o.FailuresToQueue {
			return lambdaasync.S3Destination{Client: p.s3c, Bucket: FailureBucket}
		}
		return dlq
	}

	fetch := fetcher.NewSettings(o.Source.Config.URL, o.AsyncLimitBytes)
	fetch.Source, fetch.Bucket, fetch.KeyPrefix, fetch.ForcePathStyle = o.Source, bucket, blob.DefaultPrefix, needS3
	fetch.Spill = shape.Spills(o.Spill)
	if shape.Handoff == planner.HandoffObject {
		fetch.Mode = fetcher.ModeS3
	}
	db := store.Config{URL: o.DatabaseURL}
	write := writer.Settings{Store: db, Bucket: bucket, ForcePathStyle: needS3}

	asyncCfg := func(r planner.Role) lambdaasync.Config {
		return lambdaasync.Config{FunctionARN: ARN(string(r)), MaximumRetryAttempts: o.MaxRetries, MaximumEventAge: o.MaxEventAge,
			OnFailure: onFailure(r), MaxPayloadBytes: o.AsyncLimitBytes}
	}
	schedule := func(target lambdaasync.Target) error { return p.startSchedule(target, dlq) }
	queueOpts := func(name string) []lambdaasync.Option {
		opts := []lambdaasync.Option{lambdaasync.WithClock(o.Clock)}
		if o.Duplicates != nil {
			opts = append(opts, lambdaasync.WithDuplicates(func(id string) int { return o.Duplicates(name, id) }))
		}
		return opts
	}

	if shape.SingleFunction() {
		rs := relay.Settings{Source: o.Source, AsyncLimitBytes: o.AsyncLimitBytes, Store: db}
		if p.relayFn, err = p.start(ctx, specOf(planner.Relay, merge(sdk, rs.Env()))); err != nil {
			return nil, err
		}
		if p.sched, err = lambdaasync.New(p.relayFn, asyncCfg(planner.Relay), queueOpts("relay")...); err != nil {
			return nil, err
		}
		return p, schedule(p.sched)
	}

	if p.writerFn, err = p.start(ctx, specOf(planner.Writer, merge(sdk, write.Env()))); err != nil {
		return nil, err
	}
	if p.writerQ, err = lambdaasync.New(p.writerFn, asyncCfg(planner.Writer), queueOpts("writer")...); err != nil {
		return nil, err
	}
	fn, err := p.start(ctx, specOf(planner.Fetcher, merge(sdk, fetch.Env())))
	if err != nil {
		return nil, err
	}
	cfg := asyncCfg(planner.Fetcher)
	if shape.OnSuccess(planner.Fetcher) == planner.Writer {
		// The writer's queue refuses a record over the async payload limit, as Lambda does.
		cfg.OnSuccess = writerDestination{p}
	} else {
		fn = p.notifyAfter(fn)
	}
	if p.sched, err = lambdaasync.New(fn, cfg, queueOpts("fetcher")...); err != nil {
		return nil, err
	}
	return p, schedule(p.sched)
}

// startStores starts the local S3 server when a bucket is needed (the handoff bucket when
// needS3, the failure bucket when the shape sends failures there; sdk gains its endpoint) and
// creates the dead-letter queue with the deployed maximum message size (a larger failure
// record is refused, as SQS refuses it).
func (p *Pipeline) startStores(ctx context.Context, needS3 bool, sdk map[string]string) (lambdaasync.SQSDestination, error) {
	var none lambdaasync.SQSDestination
	if needS3 || p.shape.NeedsFailureBucket() {
		var others []string
		if p.shape.NeedsFailureBucket() {
			others, p.FailureBucket = []string{FailureBucket}, FailureBucket
		}
		var err error
		if p.s3, err = NewS3(Bucket, blob.DefaultPrefix, others...); err != nil {
			return none, err
		}
		p.stops = append(p.stops, p.s3.Close)
		p.s3c = p.s3.Client()
	}
	if needS3 {
		sdk["AWS_ENDPOINT_URL_S3"] = p.s3.URL()
	}
	p.sqs = sqslocal.NewClient(p.o.SQSEndpoint)
	qname := "lambdabridge-local-dlq-" + randomHex(4)
	out, err := p.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(qname),
		Attributes: map[string]string{string(types.QueueAttributeNameMaximumMessageSize): strconv.Itoa(planner.DLQMaxMessageBytes)}})
	if err != nil {
		return none, fmt.Errorf("pipeline: create dead-letter queue on %s: %w", p.o.SQSEndpoint, err)
	}
	p.DLQURL = aws.ToString(out.QueueUrl)
	return lambdaasync.SQSDestination{Client: p.sqs, QueueURL: p.DLQURL, MaxMessageBytes: planner.DLQMaxMessageBytes}, nil
}

// startSchedule is the schedule as infra deploys it, invoking target: retries of a refused
// Invoke, then the dead-letter queue dlq; refusals and duplicates as the options inject them.
func (p *Pipeline) startSchedule(target lambdaasync.Target, dlq lambdaasync.Destination) error {
	o := p.o
	opts := []lambdaasync.SchedulerOption{lambdaasync.WithSchedulerClock(o.Clock)}
	if o.Refusals != nil {
		opts = append(opts, lambdaasync.WithRefusals(func(at time.Time, attempt int) error {
			if o.Refusals(at, attempt) {
				return errors.New("injected fault: Lambda refused the schedule's Invoke (TooManyRequestsException)")
			}
			return nil
		}))
	}
	if o.ScheduleDuplicates != nil {
		opts = append(opts, lambdaasync.WithSchedulerDuplicates(o.ScheduleDuplicates))
	}
	var err error
	p.scheduler, err = lambdaasync.NewScheduler(target, lambdaasync.SchedulerConfig{ScheduleARN: ScheduleARN,
		MaximumRetryAttempts: planner.SchedulerRetryAttempts, MaximumEventAge: planner.SchedulerMaxEventAgeSeconds * time.Second,
		DeadLetter: dlq}, opts...)
	return err
}

// specOf is the function of role r: its bootstrap package, its environment, and the timeout
// infra deploys for the role (planner.Function.TimeoutSeconds).
func specOf(r planner.Role, env map[string]string) Spec {
	s := Spec{Name: string(r), Env: env}
	s.Package, _ = lambdas.Package(r)
	if f, err := planner.FunctionOf(r); err == nil {
		s.Timeout = time.Duration(f.TimeoutSeconds) * time.Second
	}
	return s
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// start starts a function and wraps it: observe (log + ledger) inside, faults outside.
func (p *Pipeline) start(ctx context.Context, s Spec) (lambdaasync.Function, error) {
	fn, stop, err := p.o.Runtime.Start(ctx, s)
	if err != nil {
		return nil, fmt.Errorf("pipeline: %w", err)
	}
	p.stops = append(p.stops, stop)
	return withFaults(s.Name, p.observe(s.Name, fn), p.o.Faults, p.log), nil
}

// writerDestination is the fetcher's onSuccess Lambda destination: the record becomes the
// writer's asynchronous event.
type writerDestination struct{ p *Pipeline }

func (d writerDestination) Send(ctx context.Context, record []byte) error {
	fmt.Fprintf(d.p.log, "  fetcher  onSuccess: destination record %d bytes (limit %d) -> writer queue\n", len(record), d.p.o.AsyncLimitBytes)
	return d.p.handoff(ctx, record)
}

// handoff puts payload in the writer's async queue and processes it, noting in the ledger the
// fetch it carries.
func (p *Pipeline) handoff(ctx context.Context, payload []byte) error {
	if err := p.ledger.handoff(ctx, payload, p.s3c); err != nil {
		fmt.Fprintf(p.log, "  ledger: %v\n", err)
	}
	res, err := p.writerQ.Invoke(ctx, payload)
	p.mu.Lock()
	p.writes = append(p.writes, res...)
	p.mu.Unlock()
	for _, r := range res {
		p.logResult("writer", r)
	}
	return err
}

// notifyAfter delivers, after each fetcher invocation, the S3 ObjectCreated notifications
// of the objects it PUT (S3 invokes the writer asynchronously for each).
func (p *Pipeline) notifyAfter(fn lambdaasync.Function) lambdaasync.Function {
	return lambdaasync.FunctionFunc(func(ctx context.Context, id string, payload []byte) (lambdaasync.Response, error) {
		resp, err := fn.Invoke(ctx, id, payload)
		notes, nerr := p.s3.Notifications()
		if nerr != nil {
			return resp, nerr
		}
		for _, n := range notes {
			fmt.Fprintf(p.log, "  s3       ObjectCreated notification (%d bytes) -> writer queue\n", len(n))
			if herr := p.handoff(ctx, n); herr != nil {
				return resp, herr
			}
		}
		return resp, err
	})
}

// Run is one scheduled run's outcome.
type Run struct {
	N     int
	At    time.Time
	Event []byte
	// Firing is how the schedule started the run (refusals, retries, dead letter).
	Firing lambdaasync.Firing
	// Scheduled are the deliveries of the schedule event to the fetcher (or relay):
	// duplicates included, none when the run could not be started.
	Scheduled []lambdaasync.Result
	// Writes are the writer deliveries this run caused (destination records, S3 notifications).
	Writes []lambdaasync.Result
}

// Run fires the schedule for time at: the schedule invokes the scheduled function
// asynchronously with its event (event.SchedulerInput, as deployed), retrying an Invoke
// Lambda refuses and dead-lettering the run past its retries, and everything that follows is
// processed, on the pipeline's clock.
func (p *Pipeline) Run(ctx context.Context, at time.Time) (Run, error) {
	p.mu.Lock()
	p.runs++
	n := p.runs
	p.fired = append(p.fired, at)
	p.writes = nil
	p.runStart = p.o.Clock.Now()
	p.mu.Unlock()
	fmt.Fprintf(p.log, "run %d at %s: EventBridge Scheduler -> %s queue\n", n, at.UTC().Format(time.RFC3339), p.scheduledName())
	f, err := p.scheduler.Fire(ctx, at)
	if f.Refused > 0 {
		fmt.Fprintf(p.log, "  schedule Lambda refused %d of %d Invoke calls\n", f.Refused, f.Attempts)
	}
	switch {
	case f.DeadLettered:
		fmt.Fprintf(p.log, "  schedule run not started: event (%d bytes) -> dead-letter queue\n", len(f.Event))
	case f.Dropped:
		fmt.Fprintf(p.log, "  schedule run not started and LOST: %v\n", f.DeadLetterErr)
	}
	for _, r := range f.Results {
		p.logResult(p.scheduledName(), r)
	}
	p.mu.Lock()
	run := Run{N: n, At: at, Event: f.Event, Firing: f, Scheduled: f.Results, Writes: p.writes}
	p.writes = nil
	p.mu.Unlock()
	return run, err
}

// Fired returns the scheduled time of every run fired so far, in order.
func (p *Pipeline) Fired() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.fired...)
}

func (p *Pipeline) scheduledName() string { return string(p.shape.Scheduled()) }

func (p *Pipeline) logResult(fn string, r lambdaasync.Result) {
	line := fmt.Sprintf("  %-8s %s after %d attempt(s)", fn, r.Condition, r.Attempts)
	if r.SystemErrors > 0 {
		line += fmt.Sprintf(", %d throttle(s)", r.SystemErrors)
	}
	if r.Condition != event.ConditionSuccess {
		line += fmt.Sprintf(" -> onFailure: record %d bytes -> %s", len(r.Record), p.shape.FailureSink(planner.Role(fn)))
	}
	if r.DestinationErr != nil {
		line += fmt.Sprintf("; DELIVERY FAILED: %v", r.DestinationErr)
	}
	fmt.Fprintln(p.log, line)
}

// Redrive drains the dead-letter queue and the failure bucket into the writer
// (internal/redrive), as cmd/redrive --writer does; in the relay topology it runs failed and
// missed schedule events again through the relay (--relay). In the other topologies failed
// fetches and missed runs stay (see Replay). A message that fails again is hidden for one
// second (real time), then visible to the next Redrive.
func (p *Pipeline) Redrive(ctx context.Context) (redrive.Counts, error) { return p.redrive(ctx, false) }

// Replay is Redrive that also starts failed fetches and missed runs again through the
// fetcher, asynchronously, with their own schedule events (cmd/redrive --fetcher): each is
// then stored under its scheduled time.
func (p *Pipeline) Replay(ctx context.Context) (redrive.Counts, error) { return p.redrive(ctx, true) }

func (p *Pipeline) redrive(ctx context.Context, replay bool) (redrive.Counts, error) {
	r := &redrive.Redriver{Queue: p.sqs, QueueURL: p.DLQURL, Writer: p.writerFn, Wait: 0, Visibility: time.Second, Log: prefixWriter{p.log, "  redrive  "}}
	if p.FailureBucket != "" {
		r.Objects, r.Bucket = p.s3c, p.FailureBucket
	}
	switch {
	case p.shape.SingleFunction():
		r.Rerun = p.relayFn
	case replay:
		// An asynchronous invoke of the fetcher: Lambda queues the event (its queue then
		// retries and dead-letters it as any other); refused only when too large.
		r.Replay = lambdaasync.FunctionFunc(func(ctx context.Context, _ string, payload []byte) (lambdaasync.Response, error) {
			_, err := p.sched.Invoke(ctx, payload)
			return lambdaasync.Response{}, err
		})
	}
	return r.Run(ctx, 0)
}

// FailureObjects counts the failure records waiting in the failure bucket (0 without one).
func (p *Pipeline) FailureObjects(ctx context.Context) (int, error) {
	if p.FailureBucket == "" {
		return 0, nil
	}
	out, err := p.s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(p.FailureBucket), Prefix: aws.String(planner.FailureKeyPrefix)})
	if err != nil {
		return 0, fmt.Errorf("failure bucket: %w", err)
	}
	return len(out.Contents), nil
}

// DLQDepth is the number of messages visible plus in flight in the dead-letter queue.
func (p *Pipeline) DLQDepth(ctx context.Context) (int, error) {
	out, err := p.sqs.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(p.DLQURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible}})
	if err != nil {
		return 0, fmt.Errorf("dead-letter queue depth: %w", err)
	}
	a, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	b, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	return a + b, nil
}

// Ledger is what the pipeline saw handed to the writer.
func (p *Pipeline) Ledger() *Ledger { return p.ledger }

// ScheduleStats returns the schedule's counters.
func (p *Pipeline) ScheduleStats() lambdaasync.SchedulerStats { return p.scheduler.Stats() }

// Stats returns the scheduled function's and the writer's queue counters.
func (p *Pipeline) Stats() (scheduled, writer lambdaasync.Stats) {
	scheduled = p.sched.Stats()
	if p.writerQ != nil {
		writer = p.writerQ.Stats()
	}
	return scheduled, writer
}

// S3 returns the local S3 server (nil when the topology has none).
func (p *Pipeline) S3() *S3 { return p.s3 }

// Close stops the functions and servers.
func (p *Pipeline) Close() {
	for i := len(p.stops) - 1; i >= 0; i-- {
		p.stops[i]()
	}
	p.stops = nil
}

// observe logs each invocation with its sizes and notes relay stores in the ledger.
func (p *Pipeline) observe(name string, fn lambdaasync.Function) lambdaasync.Function {
	return lambdaasync.FunctionFunc(func(ctx context.Context, id string, payload []byte) (lambdaasync.Response, error) {
		p.mu.Lock()
		offset := p.o.Clock.Now().Sub(p.runStart).Round(time.Second)
		p.mu.Unlock()
		start := time.Now()
		resp, err := fn.Invoke(ctx, id, payload)
		took := time.Since(start).Round(time.Millisecond)
		head := fmt.Sprintf("  %-8s invoke %s at +%s:", name, short(id), fmtOffset(offset))
		switch {
		case err != nil:
			fmt.Fprintf(p.log, "%s system error: %v (%s)\n", head, err, took)
		case resp.FunctionError != "":
			fmt.Fprintf(p.log, "%s %s error: %s (%s)\n", head, resp.FunctionError, clip(ErrorMessage(resp.Payload), 200), took)
		default:
			fmt.Fprintf(p.log, "%s %s (%s)\n", head, describe(name, payload, resp.Payload), took)
			if name == "relay" {
				p.ledger.relayed(resp.Payload)
			}
		}
		return resp, err
	})
}

// describe summarises a successful response without its body.
func describe(fn string, request, response []byte) string {
	switch fn {
	case "fetcher":
		var m map[string]json.RawMessage
		_ = json.Unmarshal(response, &m)
		if _, ok := m["kind"]; ok {
			var ptr envelope.Pointer
			_ = json.Unmarshal(response, &ptr)
			return fmt.Sprintf("fetched %s raw, %s gzip -> S3 object s3://%s/%s (pointer %d bytes)", size(ptr.RawLength), size(ptr.CompressedLength), ptr.Bucket, ptr.Key, len(response))
		}
		var e envelope.Envelope
		_ = json.Unmarshal(response, &e)
		return fmt.Sprintf("fetched %s raw, %s gzip -> envelope %d bytes", size(e.RawLength), size(e.CompressedLength), len(response))
	case "writer", "relay":
		var out writer.Output
		var one writer.Stored
		if fn == "relay" {
			_ = json.Unmarshal(response, &one)
			out.Fetches = []writer.Stored{one}
		} else {
			_ = json.Unmarshal(response, &out)
		}
		s := fmt.Sprintf("event %d bytes", len(request))
		for _, f := range out.Fetches {
			verb := "stored new row"
			if !f.New {
				verb = "already stored (redelivery), row"
			}
			s += fmt.Sprintf("; %s id=%d (%s, %s)", verb, f.ID, size(f.RawLength), f.BodyType)
		}
		return s
	}
	return fmt.Sprintf("%d bytes", len(response))
}

// size renders a byte count the way the planner's report does.
func size(n int64) string { return planner.FormatSize(n) }

// fmtOffset renders a Lambda-clock offset as m:ss.
func fmtOffset(d time.Duration) string {
	return fmt.Sprintf("%d:%02d", int(d/time.Minute), int(d%time.Minute/time.Second))
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	if id == "" {
		return "(sync)"
	}
	return id
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	if _, err := io.WriteString(p.w, p.prefix); err != nil {
		return 0, err
	}
	return p.w.Write(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
