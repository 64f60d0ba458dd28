package planner

import (
	"fmt"
	"strings"
)

// This file is the one description of what each topology is made of. The planner prices
// it, infra provisions it (infra.NewStack reads the Shape), the local pipeline wires it
// (internal/pipeline) and the report prints it. Adding a topology means adding a row to
// shapes and, if it needs a part nobody has built yet (a new egress, a new handoff), the
// code of that part: nothing switches on a topology's name.

// Role names one Lambda function of a topology.
type Role string

// The function roles. Their string values are the suffixes of the functions' physical
// names ("<project>-<stack>-fetcher"), of their Pulumi resource names and of their build
// directories.
const (
	// Fetcher GETs the source outside the VPC and hands the envelope over.
	Fetcher Role = "fetcher"
	// Writer stores a handed-over envelope from inside the VPC.
	Writer Role = "writer"
	// Relay fetches and stores in one invocation from inside the VPC; it needs egress.
	Relay Role = "relay"
)

// Function is what a role is, whichever topology it serves in.
type Function struct {
	// Role names the function.
	Role Role
	// InVPC says the function is attached to the VPC (it reaches the database).
	InVPC bool
	// Fetches says the function GETs the source (it needs the internet).
	Fetches bool
	// Stores says the function writes to PostgreSQL.
	Stores bool
	// TimeoutSeconds is the function's Lambda timeout, deployed by infra and applied by
	// the local pipeline.
	TimeoutSeconds int
}

// functions holds every role's facts, once.
var functions = map[Role]Function{
	Fetcher: {Role: Fetcher, Fetches: true, TimeoutSeconds: 60},
	Writer:  {Role: Writer, InVPC: true, Stores: true, TimeoutSeconds: 30},
	Relay:   {Role: Relay, InVPC: true, Fetches: true, Stores: true, TimeoutSeconds: 60},
}

// FunctionOf returns role's facts.
func FunctionOf(role Role) (Function, error) {
	f, ok := functions[role]
	if !ok {
		return Function{}, fmt.Errorf("function role %q: want fetcher, writer or relay", role)
	}
	return f, nil
}

// Handoff is how a fetch reaches the function that stores it.
type Handoff string

// The handoffs.
const (
	// HandoffNone: one function fetches and stores (no handoff).
	HandoffNone Handoff = "none"
	// HandoffRecord: the fetcher's onSuccess Lambda destination invokes the writer with
	// the invocation record, which carries the envelope (or, spilled, an S3 pointer).
	HandoffRecord Handoff = "record"
	// HandoffObject: the fetcher PUTs the envelope to S3; the bucket's ObjectCreated
	// notification invokes the writer, which GETs it through the S3 gateway endpoint.
	HandoffObject Handoff = "object"
)

// Egress is how a function inside the VPC reaches the internet.
type Egress string

// The egress kinds.
const (
	// EgressNone: nothing in the VPC reaches the internet.
	EgressNone Egress = "none"
	// EgressNATGateway: a managed NAT gateway with its public IPv4 address.
	EgressNATGateway Egress = "nat-gateway"
	// EgressNATInstance: a t4g.nano EC2 instance doing NAT, with its public IPv4 address.
	EgressNATInstance Egress = "nat-instance"
	// EgressIPv6: dual-stack subnets routing ::/0 to an egress-only internet gateway.
	EgressIPv6 Egress = "egress-only-igw"
)

// SecretAccess is how a function that fetches reaches the secret store, AWS Systems Manager
// Parameter Store, to read the source's request headers (lambdabridge:sourceHeaders) at cold
// start. It follows from where the function runs: outside the VPC, or inside it behind the
// topology's egress.
type SecretAccess string

// The ways to the secret store. None needs a VPC endpoint: Parameter Store has a public
// IPv4 endpoint (ssm.<region>.amazonaws.com) and a dual-stack one (ssm.<region>.api.aws) in
// every commercial region, the book's included (AWS General Reference, "AWS Systems Manager
// endpoints and quotas", https://docs.aws.amazon.com/general/latest/gr/ssm.html, read
// 2026-11-25). The SSM parameter's KMS Decrypt is made by Parameter Store itself, so the
// function never calls KMS.
const (
	// SecretOverInternet: a function outside the VPC calls the public endpoint.
	SecretOverInternet SecretAccess = "internet"
	// SecretThroughNAT: a VPC function calls the public endpoint over IPv4 through its NAT
	// (HTTPS on port 443 must be open to 0.0.0.0/0).
	SecretThroughNAT SecretAccess = "nat"
	// SecretOverIPv6: a dual-stack VPC function with no IPv4 egress calls the dual-stack
	// endpoint over IPv6 through the egress-only internet gateway (HTTPS on port 443 open to
	// ::/0, the SDK told to use the dual-stack endpoint).
	SecretOverIPv6 SecretAccess = "dual-stack"
)

// secretAccess is, per egress, how a VPC function behind it reaches the secret store. An
// egress with no entry lets no VPC function fetch (EgressNone: the fetcher is outside).
var secretAccess = map[Egress]SecretAccess{
	EgressNATGateway:  SecretThroughNAT,
	EgressNATInstance: SecretThroughNAT,
	EgressIPv6:        SecretOverIPv6,
}

// SecretAccess says how the function of role r reaches the secret store when the source
// has secret headers: "" for a function that does not fetch (it never reads them).
func (s Shape) SecretAccess(r Role) SecretAccess {
	f, ok := functions[r]
	if !ok || !f.Fetches || !s.Has(r) {
		return ""
	}
	if !f.InVPC {
		return SecretOverInternet
	}
	return secretAccess[s.Egress]
}

// Shape is one topology's parts.
type Shape struct {
	// Topology names it.
	Topology Topology `json:"topology"`
	// Functions are its Lambda functions; the first is the one the schedule invokes.
	Functions []Role `json:"functions"`
	// Handoff is how the fetch reaches the function that stores it.
	Handoff Handoff `json:"handoff"`
	// Egress is how its VPC function reaches the internet.
	Egress Egress `json:"egress"`
}

// shapes lists every topology in tie-break order: fewer moving parts first.
var shapes = []Shape{
	{Topology: Destination, Functions: []Role{Fetcher, Writer}, Handoff: HandoffRecord, Egress: EgressNone},
	{Topology: IPv6, Functions: []Role{Relay}, Handoff: HandoffNone, Egress: EgressIPv6},
	{Topology: S3, Functions: []Role{Fetcher, Writer}, Handoff: HandoffObject, Egress: EgressNone},
	{Topology: NATInstance, Functions: []Role{Relay}, Handoff: HandoffNone, Egress: EgressNATInstance},
	{Topology: NATGateway, Functions: []Role{Relay}, Handoff: HandoffNone, Egress: EgressNATGateway},
}

// AllTopologies lists every topology in tie-break order: fewer moving parts first.
var AllTopologies = func() []Topology {
	out := make([]Topology, len(shapes))
	for i, s := range shapes {
		out[i] = s.Topology
	}
	return out
}()

// ShapeOf returns topology t's parts.
func ShapeOf(t Topology) (Shape, error) {
	for _, s := range shapes {
		if s.Topology == t {
			return s, nil
		}
	}
	return Shape{}, fmt.Errorf("topology %q: want one of %s", t, topologyNames())
}

// Scheduled is the function the schedule invokes.
func (s Shape) Scheduled() Role { return s.Functions[0] }

// Has says whether the topology has a function of role r.
func (s Shape) Has(r Role) bool {
	for _, f := range s.Functions {
		if f == r {
			return true
		}
	}
	return false
}

// SingleFunction says one function both fetches and stores.
func (s Shape) SingleFunction() bool { return len(s.Functions) == 1 }

// OnSuccess is the function role's onSuccess destination ("" when it has none): with a
// record handoff, the fetcher's successes invoke the writer.
func (s Shape) OnSuccess(r Role) Role {
	if s.Handoff == HandoffRecord && r == Fetcher {
		return Writer
	}
	return ""
}

// NeedsBucket says whether the handoff bucket exists: always with an object handoff, and
// with a record handoff when spill is on (oversized records go to S3 as a pointer).
func (s Shape) NeedsBucket(spill bool) bool {
	return s.Handoff == HandoffObject || (s.Handoff == HandoffRecord && spill)
}

// NeedsS3Endpoint says whether the VPC needs the S3 gateway endpoint: whenever there is a
// bucket, because the writer reads the objects from inside the VPC.
func (s Shape) NeedsS3Endpoint(spill bool) bool { return s.NeedsBucket(spill) }

// Spills says whether the fetcher may spill oversized records to S3: spill is on and the
// handoff is a record.
func (s Shape) Spills(spill bool) bool { return spill && s.Handoff == HandoffRecord }

// RecordLimited says whether the fetch travels inside an async invocation record, so the
// async payload limit applies to it (and the record-size alarm watches it).
func (s Shape) RecordLimited() bool { return s.Handoff == HandoffRecord }

// FailureSink is where a function's onFailure destination keeps the record of an event that
// failed every attempt (or expired): the record carries the whole event as its
// requestPayload, so it is larger than the event.
type FailureSink string

// The failure sinks.
const (
	// FailureQueue: the stack's SQS dead-letter queue, which takes a message of at most
	// DLQMaxMessageBytes. The schedule's own dead letters (runs it could not start) go there too.
	FailureQueue FailureSink = "dead-letter queue"
	// FailureBucket: the stack's failure bucket (S3, on-failure only), which keeps a record of
	// any size Lambda sends, as an object under FailureKeyPrefix.
	FailureBucket FailureSink = "failure bucket"
)

// DLQMaxMessageBytes is the largest message the dead-letter queue takes: 262,144 B, the most
// pulumi-aws v6 (terraform-provider-aws v5.x, sqs/queue.go max_message_size IntBetween(1024,
// 262_144)) lets the program set, although SQS itself takes 1 MiB since 2025-08-04 (the
// provider follows from v6.8.0 of terraform-provider-aws, i.e. pulumi-aws v7). Infra creates
// the queue with it, and the local pipeline's queue enforces it.
const DLQMaxMessageBytes = 262_144

// FailureRetentionDays is how long a failure record is kept: the dead-letter queue's message
// retention (SQS allows at most 14 days) and the failure bucket's object expiry.
const FailureRetentionDays = 14

// FailureKeyPrefix is where Lambda writes on-failure records in an S3 destination:
// aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<uuid> (Lambda's fixed
// naming, https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
const FailureKeyPrefix = "aws/lambda/async/"

// FailureRecordOverheadBytes bounds what an onFailure record adds to the event it carries:
// the record's own fields (RecordOverheadBytes) and the failed attempt's error object as
// responsePayload (errorType and an errorMessage the handlers keep under 3 KB: they never
// quote a body).
const FailureRecordOverheadBytes = 4096

// FailureRecordBytes bounds the onFailure record of an invocation whose event was
// eventBytes (a writer's: the whole destination record).
func FailureRecordBytes(eventBytes int64) int64 { return eventBytes + FailureRecordOverheadBytes }

// S3EventBytes bounds an S3 ObjectCreated notification for one handoff object (the writer's
// event in an object handoff): the record's fixed fields and a key of blob's form (the local
// pipeline's notification is held under it by a test).
const S3EventBytes = 2048

// ReceivesRecord says whether function r is invoked with another function's onSuccess
// record (the writer behind a record handoff): its event is bounded only by the async
// payload limit.
func (s Shape) ReceivesRecord(r Role) bool {
	for _, f := range s.Functions {
		if s.OnSuccess(f) == r {
			return true
		}
	}
	return false
}

// MaxEventBytes bounds the event function r is invoked with, under the async payload limit
// asyncLimit: the whole destination record (up to UsableRecordBytes, which the fetcher keeps
// to) for a function that receives one, an S3 notification for the writer of an object
// handoff, the schedule's event for the scheduled function.
func (s Shape) MaxEventBytes(r Role, asyncLimit int64) int64 {
	switch {
	case s.ReceivesRecord(r):
		return UsableRecordBytes(asyncLimit)
	case r == s.Scheduled():
		return SchedulerEventBytes
	}
	return S3EventBytes
}

// FailureSink is where function r's failure records go: the failure bucket for a function
// that receives a destination record (its failure record carries that record, up to the
// async payload limit of 1 MiB, more than the queue's DLQMaxMessageBytes), the dead-letter
// queue for every other (its events are a few hundred bytes).
func (s Shape) FailureSink(r Role) FailureSink {
	if s.ReceivesRecord(r) {
		return FailureBucket
	}
	return FailureQueue
}

// NeedsFailureBucket says whether some function of the shape sends its failures to the
// failure bucket.
func (s Shape) NeedsFailureBucket() bool {
	for _, f := range s.Functions {
		if s.FailureSink(f) == FailureBucket {
			return true
		}
	}
	return false
}

// FailureRoute is where one function's failure records go and how large they can be.
type FailureRoute struct {
	// Function is the function whose failures these are.
	Function Role `json:"function"`
	// Sink is where they go.
	Sink FailureSink `json:"sink"`
	// MaxRecordBytes bounds one failure record: the function's largest event
	// (Shape.MaxEventBytes) plus FailureRecordOverheadBytes.
	MaxRecordBytes int64 `json:"maxRecordBytes"`
	// LimitBytes is the largest record the sink takes: DLQMaxMessageBytes for the queue, 0
	// (no limit that matters: an S3 object) for the bucket.
	LimitBytes int64 `json:"limitBytes"`
}

// FailureRoutes lists, per function, where its failure records go under the async payload
// limit asyncLimit.
func (s Shape) FailureRoutes(asyncLimit int64) []FailureRoute {
	out := make([]FailureRoute, 0, len(s.Functions))
	for _, f := range s.Functions {
		r := FailureRoute{Function: f, Sink: s.FailureSink(f), MaxRecordBytes: s.MaxEventBytes(f, asyncLimit) + FailureRecordOverheadBytes}
		if r.Sink == FailureQueue {
			r.LimitBytes = DLQMaxMessageBytes
		}
		out = append(out, r)
	}
	return out
}

// Schedule retries: EventBridge Scheduler retries an Invoke that Lambda refused (it could not
// queue the event: throttled, or a service error) and then sends the event to the dead-letter
// queue. A retry cannot duplicate a run that Lambda queued, and the writer keys on the
// scheduled time anyway. Infra deploys these; the local scheduler (internal/lambdaasync)
// applies them.
const (
	// SchedulerRetryAttempts is the schedule's MaximumRetryAttempts: 185, Scheduler's maximum.
	SchedulerRetryAttempts = 185
	// SchedulerMaxEventAgeSeconds is the schedule's MaximumEventAgeInSeconds: 86,400 (24 h),
	// Scheduler's maximum. A run retried late is still stored under its scheduled time.
	SchedulerMaxEventAgeSeconds = 86_400
)

// AlarmKind names one kind of guardrail alarm.
type AlarmKind string

// The alarm kinds infra creates; Alarms lists which apply to a topology.
const (
	// AlarmErrors: AWS/Lambda Errors of a function.
	AlarmErrors AlarmKind = "errors"
	// AlarmAsyncDropped: AWS/Lambda AsyncEventsDropped of a function.
	AlarmAsyncDropped AlarmKind = "async-dropped"
	// AlarmDestinationFailures: AWS/Lambda DestinationDeliveryFailures of a function with
	// a destination (every function: each has an onFailure destination).
	AlarmDestinationFailures AlarmKind = "destination-failures"
	// AlarmRecordSize: the fetcher's RecordPercentOfLimit (EMF) at the alarm threshold.
	AlarmRecordSize AlarmKind = "record-size"
	// AlarmDLQVisible: messages visible in the dead-letter queue.
	AlarmDLQVisible AlarmKind = "dlq-visible"
	// AlarmFailureObjects: failure records in the failure bucket (AWS/S3 NumberOfObjects,
	// S3's free daily storage metric).
	AlarmFailureObjects AlarmKind = "failure-objects"
)

// Alarm is one guardrail alarm: its kind and the function it watches ("" for the queue).
type Alarm struct {
	Kind     AlarmKind `json:"kind"`
	Function Role      `json:"function,omitempty"`
}

// Alarms lists the guardrail alarms of the topology: per function an Errors and an
// AsyncEventsDropped alarm; per function with a destination (every one has its onFailure
// destination, some an onSuccess one too) its DestinationDeliveryFailures, the only trace of
// a record Lambda could not deliver; for a record handoff the record-size alarm on the
// fetcher; one on the dead-letter queue; and, when there is a failure bucket, one on the
// objects in it.
func (s Shape) Alarms() []Alarm {
	var out []Alarm
	for _, f := range s.Functions {
		out = append(out, Alarm{AlarmErrors, f}, Alarm{AlarmAsyncDropped, f})
	}
	for _, f := range s.Functions {
		out = append(out, Alarm{AlarmDestinationFailures, f})
	}
	if s.RecordLimited() {
		out = append(out, Alarm{AlarmRecordSize, Fetcher})
	}
	out = append(out, Alarm{Kind: AlarmDLQVisible})
	if s.NeedsFailureBucket() {
		out = append(out, Alarm{Kind: AlarmFailureObjects})
	}
	return out
}

// Describe is the shape in one line for the report, e.g.
// "fetcher (no VPC) -> onSuccess record -> writer (VPC); egress none".
func (s Shape) Describe() string {
	where := func(r Role) string {
		if functions[r].InVPC {
			return string(r) + " (VPC)"
		}
		return string(r) + " (no VPC)"
	}
	var b strings.Builder
	switch s.Handoff {
	case HandoffRecord:
		fmt.Fprintf(&b, "%s -> onSuccess record -> %s", where(s.Functions[0]), where(s.Functions[1]))
	case HandoffObject:
		fmt.Fprintf(&b, "%s -> S3 object -> %s", where(s.Functions[0]), where(s.Functions[1]))
	default:
		b.WriteString(where(s.Functions[0]) + " fetches and stores")
	}
	fmt.Fprintf(&b, "; egress %s", s.Egress)
	return b.String()
}
