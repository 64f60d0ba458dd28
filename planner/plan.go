// Package planner answers "which topology should carry this scheduled fetch into a
// VPC database, and what will it cost?" from a schedule, a measured payload, a
// region and a free-tier standing. It is pure logic over an embedded, dated,
// sourced price book (book.json): no AWS SDK, no Pulumi.
//
// It owns the one description of each topology: ShapeOf gives its parts (the
// function roles, the handoff, the egress; the bucket, S3 endpoint, onSuccess
// destination and alarms derive from them), which infra provisions, the local
// pipeline runs and the report prints. Plan estimates every topology, checks the
// destination record against the async payload limit in force, and chooses the
// cheapest valid one (or the one asked for); Render prints the report as text,
// JSON or Markdown. Bad input is an *InputError naming its Field.
package planner

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
	"sort"
	"strings"
	"time"
)

// Documented defaults and constants of the estimate. Money is float64 USD;
// every USD amount in a Report is rounded to whole micro-dollars (6 decimals),
// and displays round to cents (a non-zero amount under half a cent is "<$0.01", see Money).
const (
	// HoursPerMonth is AWS's billing month (8,760 h / 12).
	HoursPerMonth = 730
	// DefaultMemoryMB is each function's memory when Input.MemoryMB is 0.
	DefaultMemoryMB = 128
	// DefaultArchitecture is the functions' architecture when Input.Architecture is "".
	DefaultArchitecture = ArchARM64
	// ArchARM64 and ArchX86 are the Lambda architectures (Graviton and x86-64).
	ArchARM64 = "arm64"
	ArchX86   = "x86_64"
	// DefaultFetchMillis is the billed duration of one fetch (HTTP GET + gzip).
	DefaultFetchMillis = 800
	// DefaultWriteMillis is the billed duration of one write (decode + upsert).
	DefaultWriteMillis = 300
	// LogBytesPerInvocation estimates CloudWatch Logs ingested per invocation: the
	// platform START/END/REPORT lines (~350 B), one JSON log line (~300 B) and the
	// Embedded Metric Format document (~350 B).
	LogBytesPerInvocation = 1000
	// RecordOverheadBytes bounds the destination record's own fields: version,
	// timestamp, requestContext (requestId, a function ARN with a 64-character name,
	// condition, approximateInvokeCount) and responseContext, with JSON punctuation.
	RecordOverheadBytes = 512
	// SchedulerEventBytes bounds the requestPayload: the scheduler's event (an
	// EventBridge scheduled-event JSON is ~350 B; a Scheduler input is smaller).
	SchedulerEventBytes = 512
	// EnvelopeOverheadBytes bounds the envelope JSON around its base64 body: field
	// names, fetchedAt, status, content type (<= 64 B), codec, two lengths, the
	// 64-hex SHA-256 and a source URL of up to MaxSourceURLBytes.
	EnvelopeOverheadBytes = 1024
	// MaxSourceURLBytes is the longest source URL the envelope bound allows for; the
	// config refuses a longer lambdabridge:sourceUrl.
	MaxSourceURLBytes = 512
	// RecordMarginPercent of the async limit is kept free for Lambda's own
	// serialization of the record (SerializedRequestEntityTooLargeException).
	RecordMarginPercent = 5
	// DefaultRecordAlarmPercent is the record-size share of the limit that the
	// guardrail alarm (and the report's headroom warning) fires at.
	DefaultRecordAlarmPercent = 80
	// NATInstanceType is the NAT instance's EC2 type (priced as ItemEC2NanoHour), and
	// NATInstanceArchitecture the architecture of its image (t4g is Graviton).
	NATInstanceType         = "t4g.nano"
	NATInstanceArchitecture = ArchARM64
	// NATInstanceDiskGB is the NAT instance's gp3 root volume, priced and provisioned.
	NATInstanceDiskGB = 8
	// DatabaseInstanceClass is the common database's RDS class (priced as ItemRDSMicroHour).
	DatabaseInstanceClass = "db.t4g.micro"
	// DatabaseStorageGB is the RDS gp3 storage of the common database, priced and provisioned.
	DatabaseStorageGB = 20
	// S3ResidentDays is how long a handed-off object lives on average: lifecycle
	// expires objects 1 day old, and S3 removes expired objects within about a day.
	S3ResidentDays = 1.5
	// emfMetrics is the number of Embedded Metric Format metrics the fetcher or relay emits.
	emfMetrics = 5
	// SecretReadBytes bounds the traffic of one read of the source's headers from Parameter
	// Store at cold start: a TLS handshake with the endpoint's certificate chain (~5 KB), the
	// signed GetParameter request (~1.5 KB) and its JSON answer (a value of at most 4 KB plus
	// ~0.5 KB), rounded up. Through a NAT it is data processed.
	SecretReadBytes = 12000
)

// Defaults fills the zero fields of in with the documented defaults: FreeTier
// always-free, MemoryMB 128, Architecture arm64, FetchMillis 800, WriteMillis 300,
// AsOf today (UTC). It does not validate.
func Defaults(in Input) Input {
	if in.FreeTier == "" {
		in.FreeTier = AlwaysFree
	}
	if in.MemoryMB == 0 {
		in.MemoryMB = DefaultMemoryMB
	}
	if in.Architecture == "" {
		in.Architecture = DefaultArchitecture
	}
	if in.FetchMillis == 0 {
		in.FetchMillis = DefaultFetchMillis
	}
	if in.WriteMillis == 0 {
		in.WriteMillis = DefaultWriteMillis
	}
	if in.AsOf.IsZero() {
		in.AsOf = time.Now()
	}
	in.AsOf = dateOf(in.AsOf)
	return in
}

func badInput(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadInput, fmt.Sprintf(format, a...))
}

// validate checks a defaulted Input and parses its schedule. A bad field is an
// *InputError whose problem states the accepted form; the first one found is returned.
func validate(in Input, book *Book) (*Schedule, error) {
	sched, err := ParseSchedule(in.Schedule)
	if err != nil {
		return nil, err
	}
	for _, s := range []struct {
		f       Field
		n       int64
		example string
	}{{FieldPayloadBytes, in.PayloadBytes, "279KB"}, {FieldCompressedBytes, in.CompressedBytes, "19KB"}} {
		switch {
		case s.n == 0:
			return nil, inputErrorf(s.f, s.n, "not measured (0 B): want the measured size of one response, a positive size like %s; measure both sizes with plan --sample FILE or --measure URL", s.example)
		case s.n < 0:
			return nil, inputErrorf(s.f, s.n, "%s B is negative: want a positive size like %s", groupInt(s.n), s.example)
		}
	}
	if max := MaxGzipBytes(in.PayloadBytes); in.CompressedBytes > max {
		e := inputErrorf(FieldCompressedBytes, in.CompressedBytes, "%s B is larger than the payload size %s B plus gzip's worst-case overhead (%s B at most): measure both with the fetcher's codec (plan --sample or --measure)",
			groupInt(in.CompressedBytes), groupInt(in.PayloadBytes), groupInt(max))
		e.Related = FieldPayloadBytes
		return nil, e
	}
	if !book.HasRegion(in.Region) {
		return nil, book.unknownRegion(in.Region)
	}
	switch in.FreeTier {
	case AlwaysFree, Legacy12Month, NoFreeTier:
	default:
		return nil, inputErrorf(FieldFreeTier, in.FreeTier, "%q is not one of %s, %s, %s", in.FreeTier, AlwaysFree, Legacy12Month, NoFreeTier)
	}
	switch in.Architecture {
	case ArchARM64, ArchX86:
	default:
		return nil, inputErrorf(FieldArchitecture, in.Architecture, "%q is not one of arm64, x86_64", in.Architecture)
	}
	if in.MemoryMB < MinMemoryMB || in.MemoryMB > MaxMemoryMB {
		return nil, inputErrorf(FieldMemoryMB, in.MemoryMB, "%d MB is out of range (%d-%d MB)", in.MemoryMB, MinMemoryMB, MaxMemoryMB)
	}
	for _, d := range []struct {
		f  Field
		ms int
	}{{FieldFetchMillis, in.FetchMillis}, {FieldWriteMillis, in.WriteMillis}} {
		if d.ms < 1 || d.ms > MaxBilledMillis {
			return nil, inputErrorf(d.f, d.ms, "%d ms is out of range (1-%d ms, Lambda's 15-minute maximum)", d.ms, MaxBilledMillis)
		}
	}
	if in.CreditsUSD < 0 || math.IsNaN(in.CreditsUSD) || math.IsInf(in.CreditsUSD, 0) {
		return nil, inputErrorf(FieldCreditsUSD, in.CreditsUSD, "%v USD is out of range (0 or more US dollars)", in.CreditsUSD)
	}
	if in.Topology != "" && in.Topology != Auto && !slices.Contains(AllTopologies, in.Topology) {
		return nil, inputErrorf(FieldTopology, in.Topology, "%q is not one of %s, %s", in.Topology, Auto, topologyNames())
	}
	if in.RunsPerMonth < 0 {
		return nil, inputErrorf(FieldRunsPerMonth, in.RunsPerMonth, "%s is negative: want 0 (the schedule's count) or the measured runs in a %d-hour month", groupInt(in.RunsPerMonth), HoursPerMonth)
	}
	if g := in.Guardrails; g != nil && (g.Alarms < 0 || g.CustomMetrics < 0 || g.Budgets < 0 || g.EmailsPerMonth < 0 || g.DLQRequestsPerMonth < 0 || g.FailureRecordsPerMonth < 0) {
		return nil, inputErrorf(FieldGuardrails, fmt.Sprintf("%+v", *g), "%+v has a negative count: want zero or more of each", *g)
	}
	return sched, nil
}

// DefaultGuardrails is what the planner assumes the guardrails create for t when
// Input.Guardrails is nil: the alarms its Shape lists (Shape.Alarms), the fetcher's (or
// relay's) five EMF metrics with one FunctionName dimension, one cost budget, no email or
// dead-letter traffic in a normal month.
func DefaultGuardrails(t Topology) Guardrails {
	s, err := ShapeOf(t)
	if err != nil {
		return Guardrails{CustomMetrics: emfMetrics, Budgets: 1}
	}
	return Guardrails{Alarms: len(s.Alarms()), CustomMetrics: emfMetrics, Budgets: 1}
}

// GuardrailAlarms is DefaultGuardrails(t).Alarms.
func GuardrailAlarms(t Topology) int { return DefaultGuardrails(t).Alarms }

// MaxGzipBytes bounds what the fetcher's gzip can make of raw bytes: an
// incompressible payload (random or already compressed) grows, because deflate
// falls back to stored blocks (5 bytes per block, Go's compressor flushing one
// about every 16 KiB) inside gzip's 18-byte header and trailer. Measured with
// envelope.Compress on random data: 1 B -> +24, 64 KiB -> +43, 1 MiB -> +343,
// 5 MiB -> +1,623. The bound raw + 64 + raw/1024 covers that with room, so a
// measured incompressible payload is planned while swapped sizes are refused.
func MaxGzipBytes(raw int64) int64 { return raw + 64 + raw/1024 }

// UsableRecordBytes is the part of an async payload limit a destination record may
// use: the limit less RecordMarginPercent (rounded down to whole bytes).
func UsableRecordBytes(limit int64) int64 { return limit - limit*RecordMarginPercent/100 }

// RecordBytes estimates the destination invocation record for a compressed payload
// of c bytes: the record's own fields, the scheduler event as requestPayload, and
// the envelope with its body in base64 (4 x ceil(c/3)).
func RecordBytes(c int64) int64 {
	return RecordOverheadBytes + SchedulerEventBytes + EnvelopeOverheadBytes + 4*((c+2)/3)
}

// AsyncRequests is how many requests Lambda bills for one asynchronous event of eventBytes:
// one for the first included bytes (256 KiB), then one more for each further chunk (64 KiB)
// or part of one. Events up to included bytes are one request.
func AsyncRequests(eventBytes, included, chunk int64) int64 {
	if eventBytes <= included || chunk <= 0 {
		return 1
	}
	return 1 + (eventBytes-included+chunk-1)/chunk
}

// maxCompressedFor is the largest compressed size whose record fits usable bytes.
func maxCompressedFor(usable int64) int64 {
	room := usable - (RecordOverheadBytes + SchedulerEventBytes + EnvelopeOverheadBytes)
	if room < 4 {
		return 0
	}
	return 3 * (room / 4)
}

// planner carries one Plan call's state.
type planner struct {
	in       Input
	book     *Book
	tier     FreeTier // free tier actually applied (legacy falls back to always-free)
	legacy   bool     // legacy 12-month allowances apply
	payload  Payload
	runs     float64 // exact runs in a 730-hour month: cost is priced on it
	peakRuns int64   // runs in the busiest calendar month: the free-tier fit
	// billing is the book's async request billing in force (chunk entry only when the
	// record is larger than the included bytes).
	billing []Entry
}

// Plan estimates every topology for in (after Defaults) with book's prices in force
// on in.AsOf, and chooses in.Topology when it names one, or else the cheapest valid
// one (ties: AllTopologies order). A bad Input field is an *InputError naming its Field
// (ErrBadInput); a named topology the planner finds invalid is a *TopologyError, which is
// also an *InputError on FieldTopology.
func Plan(in Input, book *Book) (*Report, error) {
	if book == nil {
		return nil, errors.New("plan: nil price book")
	}
	in = Defaults(in)
	sched, err := validate(in, book)
	if err != nil {
		return nil, err
	}
	runs, err := sched.Runs(in.AsOf)
	if err != nil {
		return nil, err
	}
	var measuredNote string
	if in.RunsPerMonth > 0 {
		// Measured runs replace the schedule's count; the peak month scales alike (or is
		// the measured count when the schedule fires less than once a month).
		scaled := in.RunsPerMonth
		if runs.Rounded > 0 {
			scaled = ceilMulDiv(runs.Peak, in.RunsPerMonth, runs.Rounded)
		}
		measuredNote = fmt.Sprintf("runs per month measured: %s in a %d-hour month (the schedule %s gives %s); peak month %s scaled alike to %s",
			groupInt(in.RunsPerMonth), HoursPerMonth, in.Schedule, qty(runs.Exact), runs.PeakMonth.Format("2006-01"), groupInt(scaled))
		runs.Exact, runs.Rounded, runs.Peak = float64(in.RunsPerMonth), in.RunsPerMonth, scaled
	}
	p := &planner{in: in, book: book, runs: runs.Exact, peakRuns: runs.Peak, tier: in.FreeTier}
	r := &Report{
		Region: in.Region, AsOf: in.AsOf.Format(time.DateOnly), FreeTier: in.FreeTier,
		Schedule: in.Schedule, RunsPerMonth: runs.Rounded, RunsPerMonthExact: math.Round(runs.Exact*1e6) / 1e6,
		PeakMonthRuns: runs.Peak, PeakMonth: runs.PeakMonth.Format("2006-01"),
		Assumptions: Assumptions{
			MemoryMB: in.MemoryMB, Architecture: in.Architecture, FetchMillis: in.FetchMillis, WriteMillis: in.WriteMillis,
			LogBytesPerInvocation: LogBytesPerInvocation, NATInstanceDiskGB: NATInstanceDiskGB,
			DatabaseStorageGB: DatabaseStorageGB, HoursPerMonth: HoursPerMonth,
		},
		Notes: []string{},
	}
	if measuredNote != "" {
		r.Notes = append(r.Notes, measuredNote)
	}
	if err := p.freeTier(r); err != nil {
		return nil, err
	}
	if err := p.checkPayload(); err != nil {
		return nil, err
	}
	r.Payload = p.payload

	for _, t := range AllTopologies {
		e, err := p.estimate(t)
		if err != nil {
			return nil, fmt.Errorf("plan %s: %w", t, err)
		}
		r.Topologies = append(r.Topologies, e)
	}
	if r.Common, err = p.commonLines(); err != nil {
		return nil, fmt.Errorf("plan common costs: %w", err)
	}
	r.CommonMonthlyUSD = sumLines(r.Common)
	if in.SourceHeaders {
		r.Notes = append(r.Notes, secretNote())
	}
	// Each topology's total is what the stack costs with it: its own lines, the common
	// ones and its own guardrails (which differ: destination has more alarms than a relay).
	// The choice compares totals, so the cheapest is the cheapest bill.
	guardrails := func(t Topology) Guardrails {
		if in.Guardrails != nil {
			return *in.Guardrails
		}
		return DefaultGuardrails(t)
	}
	routes := func(t Topology) []FailureRoute {
		s, _ := ShapeOf(t)
		return s.FailureRoutes(p.payload.LimitBytes)
	}
	for i := range r.Topologies {
		e := &r.Topologies[i]
		lines, err := p.guardrailLines(guardrails(e.Name), routes(e.Name))
		if err != nil {
			return nil, fmt.Errorf("plan guardrails of %s: %w", e.Name, err)
		}
		e.TotalMonthlyUSD = micro(e.MonthlyUSD + r.CommonMonthlyUSD + sumLines(lines))
	}
	if err := choose(r, in.Topology); err != nil {
		return nil, err
	}
	r.Guardrail = guardrails(r.Chosen)
	r.Failures = routes(r.Chosen)
	if r.Guardrails, err = p.guardrailLines(r.Guardrail, r.Failures); err != nil {
		return nil, fmt.Errorf("plan guardrails: %w", err)
	}
	r.GuardrailsMonthlyUSD = sumLines(r.Guardrails)
	r.TotalMonthlyUSD = r.Find(r.Chosen).TotalMonthlyUSD
	if in.CreditsUSD > 0 {
		r.CreditsUSD = in.CreditsUSD
		if r.TotalMonthlyUSD > 0 {
			r.CreditMonths = math.Round(in.CreditsUSD/r.TotalMonthlyUSD*10) / 10
			r.Notes = append(r.Notes, fmt.Sprintf("credits of %s last %.1f months at %s/month", Money(in.CreditsUSD), r.CreditMonths, Money(r.TotalMonthlyUSD)))
		} else {
			r.Notes = append(r.Notes, fmt.Sprintf("credits of %s are not drawn down: the total is %s/month", Money(in.CreditsUSD), Money(0)))
		}
	}
	return r, nil
}

// freeTier decides which allowances apply on AsOf and notes why. The cut-off after which
// new accounts no longer got the 12-month offers is a book entry
// (ItemLegacyNewAccounts), not a date written here.
func (p *planner) freeTier(r *Report) error {
	if p.in.FreeTier != Legacy12Month {
		return nil
	}
	e, err := p.book.Lookup("", ItemLegacyOffers, p.in.AsOf)
	if err != nil {
		return err
	}
	cutoff, err := p.book.Lookup("", ItemLegacyNewAccounts, endOfTime)
	if err != nil {
		return err
	}
	if e.Value == 0 {
		p.tier = AlwaysFree
		r.Notes = append(r.Notes, fmt.Sprintf("legacy-12-month does not apply on %s: the 12-month offers went only to accounts created before %s, for 12 months, so none can still hold them from %s; planned with the Always Free allowances only",
			r.AsOf, cutoff.EffectiveFrom, e.EffectiveFrom))
		return nil
	}
	p.legacy = true
	if now, err := p.book.Lookup("", ItemLegacyNewAccounts, p.in.AsOf); err != nil {
		return err
	} else if now.Value == 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("legacy-12-month applies only to accounts created before %s, and only for their first 12 months", now.EffectiveFrom))
	}
	return nil
}

// checkPayload fills p.payload: the destination record against the limit in force.
func (p *planner) checkPayload() error {
	e, err := p.book.Lookup("", ItemAsyncPayloadLimit, p.in.AsOf)
	if err != nil {
		return err
	}
	limit := int64(e.Value)
	usable := UsableRecordBytes(limit)
	rec := RecordBytes(p.in.CompressedBytes)
	maxC := maxCompressedFor(usable)
	maxRaw := floorMulDiv(maxC, p.in.PayloadBytes, p.in.CompressedBytes)
	p.payload = Payload{
		RawBytes: p.in.PayloadBytes, CompressedBytes: p.in.CompressedBytes,
		RecordBytes: rec, LimitBytes: limit, UsableBytes: usable, MarginBytes: limit - usable,
		HeadroomPercent:    math.Round(float64(rec)/float64(limit)*10000) / 100,
		MaxRawBytes:        maxRaw,
		MaxCompressedBytes: maxC,
		Fits:               rec <= usable,
		LimitSource:        e.Source, LimitEffectiveFrom: e.EffectiveFrom,
		BilledRequests: 1,
	}
	// The writer's invocation carries the whole record: Lambda bills an asynchronous event
	// over the included bytes as more than one request. A record that does not fit never
	// travels (it spills, or the topology is invalid), so only one that fits is counted.
	inc, err := p.book.Lookup("", ItemAsyncRequestIncludedBytes, p.in.AsOf)
	if err != nil {
		return err
	}
	p.billing = []Entry{inc}
	if p.payload.Fits && rec > int64(inc.Value) {
		chunk, err := p.book.Lookup("", ItemAsyncRequestChunkBytes, p.in.AsOf)
		if err != nil {
			return err
		}
		p.billing = append(p.billing, chunk)
		p.payload.BilledRequests = AsyncRequests(rec, int64(inc.Value), int64(chunk.Value))
	}
	return nil
}

// chunkRequests is how many requests beyond one per invocation shape s's record handoff
// bills per run: the record travels inline (it fits; spilled, the writer gets a pointer)
// and is over the included bytes.
func (p *planner) chunkRequests(s Shape) int64 {
	if !s.RecordLimited() || !p.payload.Fits {
		return 0
	}
	return p.payload.BilledRequests - 1
}

// spills reports whether shape s's fetcher spills every run to S3: its handoff is a
// record, spill is on and the record does not fit.
func (p *planner) spills(s Shape) bool { return s.Spills(p.in.Spill) && !p.payload.Fits }

// consumption is what one shape uses in a month, unrounded: cost is priced on it.
type consumption struct {
	invocations, gbSeconds float64
	chunkRequests          float64 // requests beyond one per invocation for records over the included bytes
	s3Requests             float64 // PUTs, and as many GETs
	s3Bytes                float64 // one stored object (the envelope)
	natHours, natGB        float64
}

// usage is c as the report shows it: whole invocations and requests, GB-seconds to the
// thousandth, NAT data to the kilobyte.
func (c consumption) usage() Usage {
	return Usage{
		Invocations:        int64(math.Round(c.invocations)),
		AsyncChunkRequests: int64(math.Round(c.chunkRequests)),
		GBSeconds:          math.Round(c.gbSeconds*1000) / 1000,
		S3Puts:             int64(math.Round(c.s3Requests)), S3Gets: int64(math.Round(c.s3Requests)),
		NATHours: c.natHours,
		NATGB:    math.Round(c.natGB*1e6) / 1e6,
	}
}

// consume computes shape s's consumption for runs runs in a month (a fraction of a run
// counts: a cron firing 4 times a year is a third of a run a month). Every function is
// invoked once per run. NAT data is the raw payload per run: the source's response
// crosses the NAT uncompressed unless the source itself compresses (the fetcher's gzip
// happens after the NAT), and the request bytes are negligible. A fetcher bills
// FetchMillis and a writer WriteMillis; a relay, which does both in one invocation, bills
// their sum, so every shape bills FetchMillis + WriteMillis per run.
func (p *planner) consume(s Shape, runs float64) consumption {
	gb := float64(p.in.MemoryMB) / 1024
	secs := float64(p.in.FetchMillis+p.in.WriteMillis) / 1000
	c := consumption{
		gbSeconds:   runs * gb * secs,
		invocations: float64(len(s.Functions)) * runs,
	}
	c.chunkRequests = float64(p.chunkRequests(s)) * runs
	if s.Handoff == HandoffObject || p.spills(s) {
		c.s3Requests = runs
		c.s3Bytes = float64(p.payload.RecordBytes - RecordOverheadBytes - SchedulerEventBytes) // the envelope object
	}
	raw := float64(p.in.PayloadBytes) * runs / 1e9
	if p.in.SourceHeaders { // the fetching function's cold-start read of the headers
		raw += float64(SecretReadBytes) * runs / 1e9
	}
	switch s.Egress {
	case EgressNATGateway:
		if !p.in.ExistingNAT {
			c.natHours = HoursPerMonth
		}
		c.natGB = raw
	case EgressNATInstance:
		c.natHours = HoursPerMonth
		c.natGB = raw
	}
	return c
}

// verdicts returns whether shape s can carry the workload, with its reasons.
func (p *planner) verdicts(s Shape) (valid bool, reasons []string) {
	valid = true
	if s.RecordLimited() {
		if !p.payload.Fits {
			msg := fmt.Sprintf("record %s B exceeds usable %s B of the %s B (%s) async payload limit in force on %s",
				groupInt(p.payload.RecordBytes), groupInt(p.payload.UsableBytes), groupInt(p.payload.LimitBytes),
				FormatSize(p.payload.LimitBytes), p.in.AsOf.Format(time.DateOnly))
			if s.Spills(p.in.Spill) {
				reasons = append(reasons, msg+"; spill is on, so every run stores its envelope in S3 (1 PUT + 1 GET per run)")
			} else {
				valid = false
				reasons = append(reasons, msg)
			}
		} else if pct := p.payload.HeadroomPercent; pct >= DefaultRecordAlarmPercent {
			reasons = append(reasons, fmt.Sprintf("record uses %.2f%% of the limit, above the %d%% alarm threshold", pct, DefaultRecordAlarmPercent))
		}
	}
	if s.Egress == EgressIPv6 {
		switch {
		case p.in.SourceHasIPv6 == nil:
			valid = false
			reasons = append(reasons, "unknown whether the source host has an IPv6 (AAAA) address: measure with --measure")
		case !*p.in.SourceHasIPv6:
			valid = false
			reasons = append(reasons, "the source host has no IPv6 (AAAA) address, and an egress-only internet gateway carries IPv6 only")
		}
	}
	if p.in.SingleFunction && !s.SingleFunction() {
		valid = false
		reasons = append([]string{fmt.Sprintf("single function required: the job needs internet and the database in one invocation, and %s splits it into a %s and a %s",
			s.Topology, s.Functions[0], s.Functions[1])}, reasons...)
	}
	return valid, reasons
}

// estimate prices topology t at the 730-hour month and checks its peak month.
func (p *planner) estimate(t Topology) (Estimate, error) {
	s, err := ShapeOf(t)
	if err != nil {
		return Estimate{}, err
	}
	e := Estimate{Name: t, Parts: s}
	e.Valid, e.Reasons = p.verdicts(s)
	c := p.consume(s, p.runs)
	lines, err := p.topologyLines(s, c)
	if err != nil {
		return e, err
	}
	peakLines, err := p.topologyLines(s, p.consume(s, float64(p.peakRuns)))
	if err != nil {
		return e, err
	}
	e.Usage, e.Lines = c.usage(), lines
	e.MonthlyUSD = sumLines(lines)
	e.FitsFreeTier = e.Valid && sumLines(peakLines) == 0
	return e, nil
}

// line prices qty units of item less a free allowance.
func (p *planner) line(label, item string, qty, free float64, unit string) (CostLine, error) {
	e, err := p.book.Lookup(p.in.Region, item, p.in.AsOf)
	if err != nil {
		return CostLine{}, err
	}
	free = math.Min(free, qty)
	return CostLine{
		Item: label, Quantity: math.Round(qty*1e6) / 1e6, Unit: unit, FreeQuantity: math.Round(free*1e6) / 1e6,
		UnitUSD: e.Value, MonthlyUSD: micro((qty - free) * e.Value),
		Source: e.Source, EffectiveFrom: e.EffectiveFrom, Confidence: e.Confidence,
	}, nil
}

// allowance returns the monthly free quantity of item, or 0 when it does not apply.
func (p *planner) allowance(item string) (float64, error) {
	legacyItem := strings.HasPrefix(item, "legacy.")
	if p.tier == NoFreeTier || (legacyItem && !p.legacy) {
		return 0, nil
	}
	e, err := p.book.Lookup("", item, p.in.AsOf)
	if err != nil {
		return 0, err
	}
	return e.Value, nil
}

// spec is one line to price: label, price item, quantity, allowance item ("" none), unit.
type spec struct {
	label, item string
	qty         float64
	free        string
	unit        string
}

func (p *planner) price(specs []spec) ([]CostLine, error) {
	var out []CostLine
	for _, s := range specs {
		free := 0.0
		if s.free != "" {
			var err error
			if free, err = p.allowance(s.free); err != nil {
				return nil, err
			}
		}
		l, err := p.line(s.label, s.item, s.qty, free, s.unit)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

func (p *planner) topologyLines(s Shape, c consumption) ([]CostLine, error) {
	gbsItem := ItemLambdaGBSecondArm
	if p.in.Architecture == ArchX86 {
		gbsItem = ItemLambdaGBSecondX86
	}
	specs := []spec{
		{"Lambda requests", ItemLambdaRequest, c.invocations, ItemFreeLambdaRequests, "requests"},
	}
	var chunks []CostLine
	if c.chunkRequests > 0 {
		// Billed as requests: what the invocations leave of the free requests covers them.
		free, err := p.allowance(ItemFreeLambdaRequests)
		if err != nil {
			return nil, err
		}
		l, err := p.line(fmt.Sprintf("Lambda requests for %s chunks of records over %s (%d per run)",
			FormatSize(int64(p.billing[1].Value)), FormatSize(int64(p.billing[0].Value)), p.chunkRequests(s)),
			ItemLambdaRequest, c.chunkRequests, math.Max(0, free-c.invocations), "requests")
		if err != nil {
			return nil, err
		}
		chunks = append(chunks, l)
	}
	specs = append(specs, spec{"Lambda compute (" + p.in.Architecture + ")", gbsItem, c.gbSeconds, ItemFreeLambdaGBs, "GB-seconds"})
	if c.s3Requests > 0 {
		days := float64(HoursPerMonth) / 24
		gbMonths := c.s3Bytes * c.s3Requests * S3ResidentDays / days / 1e9
		specs = append(specs,
			spec{"S3 PUT requests", ItemS3Put, c.s3Requests, ItemLegacyS3Puts, "requests"},
			spec{"S3 GET requests", ItemS3Get, c.s3Requests, ItemLegacyS3Gets, "requests"},
			spec{"S3 storage (objects expire after 1 day)", ItemS3Storage, gbMonths, ItemLegacyS3GB, "GB-months"},
		)
	}
	switch s.Egress {
	case EgressNATGateway:
		if !p.in.ExistingNAT {
			specs = append(specs, spec{"NAT gateway hours", ItemNATGatewayHour, c.natHours, "", "hours"},
				spec{"Public IPv4 address of the NAT gateway", ItemPublicIPv4Hour, HoursPerMonth, "", "hours"})
		}
		specs = append(specs, spec{"NAT gateway data processed", ItemNATGatewayGB, c.natGB, "", "GB"})
	case EgressNATInstance:
		specs = append(specs,
			spec{"NAT instance " + NATInstanceType + " hours", ItemEC2NanoHour, c.natHours, "", "hours"},
			spec{fmt.Sprintf("NAT instance gp3 root volume (%d GB)", NATInstanceDiskGB), ItemEBSGp3, NATInstanceDiskGB, ItemLegacyEBSGB, "GB-months"},
			spec{"Public IPv4 address of the NAT instance", ItemPublicIPv4Hour, HoursPerMonth, ItemLegacyIPv4Hours, "hours"})
	}
	specs = append(specs, spec{"CloudWatch Logs ingestion", ItemLogsIngest, c.invocations * LogBytesPerInvocation / 1e9, ItemFreeLogsGB, "GB"})
	lines, err := p.price(specs)
	if err != nil {
		return nil, err
	}
	return slices.Insert(lines, 1, chunks...), nil
}

func (p *planner) commonLines() ([]CostLine, error) {
	specs := []spec{
		{"RDS " + DatabaseInstanceClass + " PostgreSQL (Single-AZ) hours", ItemRDSMicroHour, HoursPerMonth, ItemLegacyRDSHours, "hours"},
		{fmt.Sprintf("RDS gp3 storage (%d GB)", DatabaseStorageGB), ItemRDSGp3, DatabaseStorageGB, ItemLegacyRDSGB, "GB-months"},
		{"EventBridge Scheduler invocations", ItemSchedulerInvoke, p.runs, ItemFreeScheduler, "invocations"},
	}
	return p.price(append(specs, p.secretSpecs()...))
}

// secretSpecs prices the source's secret headers (Input.SourceHeaders): one standard
// SecureString parameter, and per cold start of the fetching function one GetParameter and
// the one KMS Decrypt Parameter Store makes for it. Every topology has exactly one fetching
// function invoked once per run, and the planner counts each of its invocations as a cold
// start (an upper bound: Lambda may reuse a warm environment, never more than once per
// invocation), so the lines are the same for every topology: a common cost.
func (p *planner) secretSpecs() []spec {
	if !p.in.SourceHeaders {
		return nil
	}
	reads := p.runs
	return []spec{
		{"Parameter Store standard SecureString (sourceHeaders)", ItemSSMStandardParameter, 1, "", "parameter-months"},
		{"Parameter Store GetParameter, 1 per cold start (standard throughput)", ItemSSMStandardThroughput, reads, "", "requests"},
		{"KMS Decrypt of sourceHeaders, 1 per cold start", ItemKMSRequest, reads, ItemFreeKMSRequests, "requests"},
	}
}

// secretNote says where the secret headers live and how each topology reaches them.
func secretNote() string {
	return "sourceHeaders: the request headers live in one standard SSM Parameter Store SecureString (KMS key aws/ssm), read by the fetcher (or relay) at each cold start, counted as one per fetching invocation (an upper bound); " +
		"the fetcher reaches SSM over the internet, a relay through its NAT or, in ipv6, over IPv6 through the dual-stack endpoint ssm.<region>.api.aws: no topology needs a VPC endpoint for it"
}

// guardrailLines prices the guardrails g of a topology whose failure records take routes:
// with a failure bucket, also what its records cost (Lambda PUTs each one, redrive GETs it,
// and it is stored up to FailureRetentionDays at the largest size its route allows).
func (p *planner) guardrailLines(g Guardrails, routes []FailureRoute) ([]CostLine, error) {
	specs := []spec{
		{"CloudWatch alarms", ItemCloudWatchAlarm, float64(g.Alarms), ItemFreeAlarms, "alarm-months"},
		{"CloudWatch custom metrics (EMF)", ItemCloudWatchMetric, float64(g.CustomMetrics), ItemFreeMetrics, "metric-months"},
		{"SNS email notifications", ItemSNSEmail, float64(g.EmailsPerMonth), ItemFreeSNSEmail, "notifications"},
		{"SQS dead-letter queue requests", ItemSQSRequest, float64(g.DLQRequestsPerMonth), ItemFreeSQS, "requests"},
	}
	var largest int64
	for _, r := range routes {
		if r.Sink == FailureBucket {
			largest = max(largest, r.MaxRecordBytes)
		}
	}
	if largest > 0 {
		n := float64(g.FailureRecordsPerMonth)
		gbMonths := n * float64(largest) * FailureRetentionDays / (float64(HoursPerMonth) / 24) / 1e9
		specs = append(specs,
			spec{"Failure records: S3 PUTs", ItemS3Put, n, ItemLegacyS3Puts, "requests"},
			spec{"Failure records: S3 GETs (redrive)", ItemS3Get, n, ItemLegacyS3Gets, "requests"},
			spec{fmt.Sprintf("Failure records: S3 storage (%d days)", FailureRetentionDays), ItemS3Storage, gbMonths, ItemLegacyS3GB, "GB-months"})
	}
	specs = append(specs, spec{"AWS Budgets cost budget (no actions)", ItemBudgetDay, float64(g.Budgets) * HoursPerMonth / 24, "", "budget-days"})
	return p.price(specs)
}

// topologyNames lists AllTopologies for error messages.
func topologyNames() string {
	names := make([]string, len(AllTopologies))
	for i, t := range AllTopologies {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// choose marks the chosen topology (want, when it names one; else the cheapest valid
// one) and gives every other valid one its verdict against it.
func choose(r *Report, want Topology) error {
	order := map[Topology]int{}
	for i, t := range AllTopologies {
		order[t] = i
	}
	var valid []*Estimate
	for i := range r.Topologies {
		if r.Topologies[i].Valid {
			valid = append(valid, &r.Topologies[i])
		}
	}
	requested := want != "" && want != Auto
	if requested {
		if e := r.Find(want); e != nil && !e.Valid {
			return &TopologyError{Topology: want, Reasons: slices.Clone(e.Reasons)}
		}
	}
	if len(valid) == 0 {
		return badInput("no topology is valid for this workload: %s", strings.Join(r.Topologies[0].Reasons, "; "))
	}
	sort.SliceStable(valid, func(i, j int) bool {
		if valid[i].TotalMonthlyUSD != valid[j].TotalMonthlyUSD {
			return valid[i].TotalMonthlyUSD < valid[j].TotalMonthlyUSD
		}
		return order[valid[i].Name] < order[valid[j].Name]
	})
	cheapest, chosen := valid[0], valid[0]
	verdict := "chosen: the cheapest valid topology"
	if requested {
		chosen = r.Find(want)
		if chosen == cheapest {
			verdict = "chosen: requested by topology, and the cheapest valid topology"
		} else {
			verdict = fmt.Sprintf("chosen: requested by topology (the cheapest valid is %s at %s)", cheapest.Name, Money(cheapest.TotalMonthlyUSD))
		}
	}
	r.Chosen = chosen.Name
	chosen.Reasons = append([]string{verdict}, chosen.Reasons...)
	for _, e := range valid {
		if e == chosen {
			continue
		}
		var v string
		switch {
		case e.TotalMonthlyUSD > chosen.TotalMonthlyUSD:
			v = fmt.Sprintf("costs %s more than %s", Money(e.TotalMonthlyUSD-chosen.TotalMonthlyUSD), chosen.Name)
		case e.TotalMonthlyUSD < chosen.TotalMonthlyUSD:
			v = fmt.Sprintf("costs %s less than %s, which was requested", Money(chosen.TotalMonthlyUSD-e.TotalMonthlyUSD), chosen.Name)
		case order[e.Name] > order[chosen.Name]:
			v = fmt.Sprintf("costs the same as %s, which has fewer moving parts", chosen.Name)
		default:
			v = fmt.Sprintf("costs the same as %s, which was requested", chosen.Name)
		}
		e.Reasons = append([]string{v}, e.Reasons...)
	}
	return nil
}

func sumLines(ls []CostLine) float64 {
	var s float64
	for _, l := range ls {
		s += l.MonthlyUSD
	}
	return micro(s)
}

// micro rounds USD to whole micro-dollars.
func micro(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// Money renders USD for people, by one rule everywhere an amount of money is shown: whole
// cents with thousands separators ("$1,234.56", "$0.02"); a non-zero amount that would
// round to $0.00 is "<$0.01", so a cost is never shown as nothing; a negative amount has a
// leading "-". (Unit prices are not amounts: the reports print them exact.)
func Money(x float64) string {
	if x < 0 {
		return "-" + Money(-x)
	}
	cents := int64(math.Round(x * 100))
	if cents == 0 && x > 0 {
		return "<$0.01"
	}
	return fmt.Sprintf("$%s.%02d", groupInt(cents/100), cents%100)
}

// SignedMoney is Money with a sign for a difference: "+$8.36", "-$0.02", "+<$0.01", and
// "$0.00" for none.
func SignedMoney(x float64) string {
	if x > 0 {
		return "+" + Money(x)
	}
	return Money(x)
}

// floorMulDiv computes floor(a*b/c) for non-negative a, b and positive c without
// overflow, capped at MaxInt64.
func floorMulDiv(a, b, c int64) int64 {
	q := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	q.Quo(q, big.NewInt(c))
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}

// ceilMulDiv computes ceil(a*b/c) for non-negative a, b and positive c without overflow,
// capped at MaxInt64.
func ceilMulDiv(a, b, c int64) int64 {
	q, r := new(big.Int).QuoRem(new(big.Int).Mul(big.NewInt(a), big.NewInt(b)), big.NewInt(c), new(big.Int))
	if r.Sign() > 0 {
		q.Add(q, big.NewInt(1))
	}
	if !q.IsInt64() {
		return math.MaxInt64
	}
	return q.Int64()
}

// endOfTime is a day after every entry of the book: Lookup on it gives an item's latest entry.
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
