package planner

import "time"

// Topology names one way of getting data from the internet into the VPC database.
type Topology string

// The topologies the planner estimates. Their string values are the names used in
// stack config (`lambdabridge:topology`), in the JSON report and in the CLI.
const (
	// Destination: a no-VPC fetcher returns the compressed envelope; a Lambda onSuccess
	// destination hands the invocation record to the VPC writer.
	Destination Topology = "destination"
	// S3: the fetcher PUTs the envelope; the writer GETs it through a free S3 gateway endpoint.
	S3 Topology = "s3"
	// NATGateway: one VPC function (relay) with egress through a managed NAT gateway.
	NATGateway Topology = "nat-gateway"
	// NATInstance: one VPC function (relay) with egress through a t4g.nano NAT instance.
	NATInstance Topology = "nat-instance"
	// IPv6: one dual-stack VPC function (relay) with egress through an egress-only internet gateway.
	IPv6 Topology = "ipv6"
	// Auto is not a topology: as Input.Topology (like "") it asks the planner to choose
	// the cheapest valid one.
	Auto Topology = "auto"
)

// FreeTier is the account's free-tier standing.
type FreeTier string

// Free-tier standings accepted by the planner.
const (
	// AlwaysFree: only the Always Free allowances (every account today).
	AlwaysFree FreeTier = "always-free"
	// Legacy12Month: the 12-month offers of accounts created before 2025-07-15, while they last.
	Legacy12Month FreeTier = "legacy-12-month"
	// NoFreeTier: allowances already used elsewhere; everything is billed.
	NoFreeTier FreeTier = "none"
)

// Input is everything the planner needs to know about the workload. Zero values are
// documented per field; use Defaults to fill them.
type Input struct {
	// Schedule is an EventBridge schedule expression: rate(...) or cron(...).
	Schedule string
	// PayloadBytes is the measured raw size of one fetched response.
	PayloadBytes int64
	// CompressedBytes is the measured size of that response after the fetcher's codec.
	CompressedBytes int64
	// Region is an AWS region present in the price book, e.g. "ap-northeast-1".
	Region string
	// FreeTier is the account's free-tier standing; empty means AlwaysFree.
	FreeTier FreeTier
	// CreditsUSD is an optional credit balance; the report says how many months it lasts.
	CreditsUSD float64
	// MemoryMB is the Lambda memory size of each function; zero means 128.
	MemoryMB int
	// Architecture is "arm64" (default) or "x86_64".
	Architecture string
	// FetchMillis is the expected billed duration of one fetch; zero means the default.
	FetchMillis int
	// WriteMillis is the expected billed duration of one write; zero means the default.
	WriteMillis int
	// SingleFunction restricts the choice to topologies with one function that has both
	// internet and database access (nat-gateway, nat-instance, ipv6).
	SingleFunction bool
	// ExistingNAT says the VPC already pays for a NAT gateway, so its hours cost nothing extra.
	ExistingNAT bool
	// SourceHasIPv6 says whether the source host has an AAAA record; nil means unknown
	// (the ipv6 topology is then rejected until measured).
	SourceHasIPv6 *bool
	// Spill says the fetcher may spill oversized records to S3 in destination mode.
	Spill bool
	// SourceHeaders says the source needs secret request headers (lambdabridge:sourceHeaders):
	// they live in a standard SSM Parameter Store SecureString that the fetching function
	// reads at cold start, one KMS Decrypt each (priced in Common; see SecretAccess).
	SourceHeaders bool
	// AsOf is the day the plan is made for; prices and limits in force that day apply.
	// Zero means today.
	AsOf time.Time
	// Guardrails says what the guardrails deploy (alarms, metrics, budget) so the
	// planner can price them; nil means DefaultGuardrails of the chosen topology.
	Guardrails *Guardrails
	// Topology is the topology asked for (stack key lambdabridge:topology): "" or Auto
	// chooses the cheapest valid one; a name makes it the report's Chosen if the planner
	// finds it valid, and Plan fails with a *TopologyError (ErrBadInput) carrying the
	// planner's reasons if not.
	Topology Topology
	// RunsPerMonth, when positive, is the runs in a 730-hour month as measured in production
	// (cmd/plan --from-metrics: the scheduled function's invocations, retries included, since
	// they are billed); the report's peak month is then the schedule's peak scaled by the same
	// ratio, rounded up. Zero means the schedule's own count.
	RunsPerMonth int64
}

// Guardrails counts what the guardrails of issue 6 create, so the planner can
// price them. Which alarms exist is infra's business; infra should pass its own
// counts when they differ from DefaultGuardrails.
type Guardrails struct {
	// Alarms counts standard-resolution CloudWatch alarms (one metric each).
	Alarms int `json:"alarms"`
	// CustomMetrics counts custom metrics (name x dimension values), e.g. the
	// fetcher's five Embedded Metric Format metrics with one FunctionName dimension.
	CustomMetrics int `json:"customMetrics"`
	// Budgets counts AWS Budgets cost budgets (without budget actions).
	Budgets int `json:"budgets"`
	// EmailsPerMonth is the expected SNS email notifications a month (alarms firing).
	EmailsPerMonth int64 `json:"emailsPerMonth"`
	// DLQRequestsPerMonth is the expected SQS requests on the dead-letter queue a month.
	DLQRequestsPerMonth int64 `json:"dlqRequestsPerMonth"`
	// FailureRecordsPerMonth is the expected failure records a month in the failure bucket
	// (topologies that have one): each is a PUT, a GET by redrive and storage.
	FailureRecordsPerMonth int64 `json:"failureRecordsPerMonth"`
}

// Usage is what one topology consumes in a 730-hour month.
type Usage struct {
	// Invocations counts Lambda invocations (every function of the topology).
	Invocations int64 `json:"invocations"`
	// AsyncChunkRequests counts the requests Lambda bills beyond one per invocation for
	// asynchronous events over 256 KiB (one per further 64 KiB chunk): the writer's
	// invocations with a destination record that large.
	AsyncChunkRequests int64 `json:"asyncChunkRequests"`
	// GBSeconds is billed Lambda compute, memory in GB times billed seconds.
	GBSeconds float64 `json:"gbSeconds"`
	// S3Puts counts S3 PUT requests.
	S3Puts int64 `json:"s3Puts"`
	// S3Gets counts S3 GET requests.
	S3Gets int64 `json:"s3Gets"`
	// NATHours counts NAT gateway or NAT instance hours.
	NATHours float64 `json:"natHours"`
	// NATGB is data processed by the NAT, in GB (10^9 bytes).
	NATGB float64 `json:"natGB"`
}

// CostLine is one priced item of an estimate: quantity times unit price, less any
// free allowance. Source and EffectiveFrom come from the price book entry used.
type CostLine struct {
	// Item names the priced thing, e.g. "NAT gateway hours".
	Item string `json:"item"`
	// Quantity is the monthly amount used, in Unit.
	Quantity float64 `json:"quantity"`
	// Unit is what Quantity counts: requests, GB-seconds, hours, GB, GB-months...
	Unit string `json:"unit"`
	// FreeQuantity is the free allowance applied (at most Quantity).
	FreeQuantity float64 `json:"freeQuantity"`
	// UnitUSD is the price of one Unit.
	UnitUSD float64 `json:"unitUSD"`
	// MonthlyUSD is (Quantity - FreeQuantity) x UnitUSD, rounded to micro-dollars.
	MonthlyUSD float64 `json:"monthlyUSD"`
	// Source is the price entry's source URL.
	Source string `json:"source"`
	// EffectiveFrom is the price entry's first day in force.
	EffectiveFrom string `json:"effectiveFrom"`
	// Confidence is the price entry's confidence (confirmed, secondary, derived, unverified).
	Confidence string `json:"confidence"`
}

// Estimate is the planner's verdict on one topology.
type Estimate struct {
	// Name is the topology.
	Name Topology `json:"name"`
	// Valid says whether the topology can carry this workload at all.
	Valid bool `json:"valid"`
	// Reasons: the first is the one-line verdict (chosen, how much costlier, or why
	// invalid); further ones are remarks (spill, headroom).
	Reasons []string `json:"reasons"`
	// MonthlyUSD is the topology's own monthly cost (sum of Lines), common costs excluded.
	MonthlyUSD float64 `json:"monthlyUSD"`
	// TotalMonthlyUSD is what the stack would cost a month with this topology: MonthlyUSD
	// plus the common costs plus the guardrails this topology would deploy. The chosen
	// topology's is Report.TotalMonthlyUSD.
	TotalMonthlyUSD float64 `json:"totalMonthlyUSD"`
	// FitsFreeTier is true when the topology is valid and costs nothing in its peak calendar month.
	FitsFreeTier bool `json:"fitsFreeTier"`
	// Usage is what it consumes in a 730-hour month.
	Usage Usage `json:"usage"`
	// Lines are its priced items.
	Lines []CostLine `json:"lines"`
	// Parts are what the topology is made of (the planner's Shape of it): its functions,
	// handoff and egress, as infra provisions them.
	Parts Shape `json:"parts"`
}

// Report is the result of Plan. Its JSON form is a documented, stable contract (README).
type Report struct {
	// Chosen is the topology requested by Input.Topology, or else the cheapest valid one.
	// Guardrails and TotalMonthlyUSD are Chosen's.
	Chosen Topology `json:"chosen"`
	// Region is the AWS region priced.
	Region string `json:"region"`
	// AsOf (YYYY-MM-DD) is the day whose prices and limits apply.
	AsOf string `json:"asOf"`
	// FreeTier is the free-tier standing asked for; Notes say when it could not apply.
	FreeTier FreeTier `json:"freeTier"`
	// Schedule is the schedule expression.
	Schedule string `json:"schedule"`
	// RunsPerMonth counts runs in a 730-hour month, rounded half up to a whole run.
	RunsPerMonth int64 `json:"runsPerMonth"`
	// RunsPerMonthExact is the same count with its fraction (to 6 decimals), the figure
	// cost is priced on: a cron firing 4 times a year runs 0.333333 times a month.
	RunsPerMonthExact float64 `json:"runsPerMonthExact"`
	// PeakMonthRuns counts runs in the busiest calendar month of the 12 from AsOf (free-tier fit).
	PeakMonthRuns int64 `json:"peakMonthRuns"`
	// PeakMonth (YYYY-MM) is that month.
	PeakMonth string `json:"peakMonth"`
	// Assumptions are the defaults and constants the estimate rests on.
	Assumptions Assumptions `json:"assumptions"`
	// Payload is the destination record check.
	Payload Payload `json:"payload"`
	// Topologies holds every topology's estimate in tie-break order (AllTopologies).
	Topologies []Estimate `json:"topologies"`
	// Common lists costs every topology pays the same (the database); shown once.
	Common           []CostLine `json:"common"`
	CommonMonthlyUSD float64    `json:"commonMonthlyUSD"`
	// Guardrails lists what the alarms, metrics and budget cost; shown as its own line.
	Guardrails           []CostLine `json:"guardrails"`
	GuardrailsMonthlyUSD float64    `json:"guardrailsMonthlyUSD"`
	// TotalMonthlyUSD is the chosen topology plus common costs plus guardrails.
	TotalMonthlyUSD float64 `json:"totalMonthlyUSD"`
	// CreditsUSD echoes the credit balance given (0 when none).
	CreditsUSD float64 `json:"creditsUSD,omitempty"`
	// CreditMonths is how many months CreditsUSD lasts at TotalMonthlyUSD (0 when no
	// credits were given or nothing is spent; Notes then say so).
	CreditMonths float64 `json:"creditMonths,omitempty"`
	// Guardrail counts what was priced in Guardrails.
	Guardrail Guardrails `json:"guardrailCounts"`
	// Failures says, per function of the chosen topology, where its failure records go and
	// the largest record its route must hold (the limit the planner applies).
	Failures []FailureRoute `json:"failures"`
	// Notes are report-wide remarks (free-tier standing, credits, as-of effects).
	Notes []string `json:"notes"`
}

// Assumptions are the workload figures and documented constants behind the estimate.
type Assumptions struct {
	MemoryMB              int    `json:"memoryMB"`
	Architecture          string `json:"architecture"`
	FetchMillis           int    `json:"fetchMillis"`
	WriteMillis           int    `json:"writeMillis"`
	LogBytesPerInvocation int64  `json:"logBytesPerInvocation"`
	NATInstanceDiskGB     int    `json:"natInstanceDiskGB"`
	DatabaseStorageGB     int    `json:"databaseStorageGB"`
	HoursPerMonth         int    `json:"hoursPerMonth"`
}

// Payload describes the destination record check.
type Payload struct {
	RawBytes        int64 `json:"rawBytes"`
	CompressedBytes int64 `json:"compressedBytes"`
	// RecordBytes is the estimated size of the destination invocation record.
	RecordBytes int64 `json:"recordBytes"`
	// LimitBytes is the asynchronous invocation payload limit in force on AsOf.
	LimitBytes int64 `json:"limitBytes"`
	// UsableBytes is LimitBytes less the documented safety margin.
	UsableBytes int64 `json:"usableBytes"`
	// HeadroomPercent is RecordBytes as a percentage of LimitBytes.
	HeadroomPercent float64 `json:"percentOfLimit"`
	// MaxRawBytes is the largest raw payload that still fits at the measured compression ratio.
	MaxRawBytes int64 `json:"maxRawBytes"`
	// MaxCompressedBytes is the largest compressed payload that still fits.
	MaxCompressedBytes int64 `json:"maxCompressedBytes"`
	// MarginBytes is LimitBytes - UsableBytes (RECORD_MARGIN_BYTES for the fetcher).
	MarginBytes int64 `json:"marginBytes"`
	// Fits says whether RecordBytes <= UsableBytes.
	Fits bool `json:"fits"`
	// LimitSource and LimitEffectiveFrom cite the price-book entry of the limit.
	LimitSource        string `json:"limitSource"`
	LimitEffectiveFrom string `json:"limitEffectiveFrom"`
	// BilledRequests is how many requests Lambda bills for one asynchronous delivery of the
	// record (AsyncRequests): 1 up to 256 KiB, one more per further 64 KiB.
	BilledRequests int64 `json:"billedRequests"`
}

// Find returns the estimate for t, or nil.
func (r *Report) Find(t Topology) *Estimate {
	for i := range r.Topologies {
		if r.Topologies[i].Name == t {
			return &r.Topologies[i]
		}
	}
	return nil
}
