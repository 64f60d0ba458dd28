package planner

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// seed is the seed blog's workload: every 10 minutes, 279 KB of JSON that gzips
// to 19 KB, in Tokyo, on an account with only the Always Free allowances.
func seed() Input {
	return Input{
		Schedule:        "rate(10 minutes)",
		PayloadBytes:    279000,
		CompressedBytes: 19000,
		Region:          "ap-northeast-1",
		FreeTier:        AlwaysFree,
		AsOf:            day("2026-11-25"),
	}
}

func mustPlan(t *testing.T, in Input) *Report {
	t.Helper()
	r, err := Plan(in, mustBook(t))
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return r
}

// near compares USD amounts: reports round to micro-dollars.
func near(got, want float64) bool { return math.Abs(got-want) < 1.5e-6 }

func checkUSD(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %.6f; want %.6f", what, got, want)
	}
}

func line(t *testing.T, ls []CostLine, prefix string) CostLine {
	t.Helper()
	for _, l := range ls {
		if strings.HasPrefix(l.Item, prefix) {
			return l
		}
	}
	t.Fatalf("no line %q in %+v", prefix, ls)
	return CostLine{}
}

// TestSeedWorkload works the seed workload out by hand with the book's Tokyo
// prices (ap-northeast-1, as of 2026-11-25, always-free).
func TestSeedWorkload(t *testing.T) {
	r := mustPlan(t, seed())

	// rate(10 minutes): 730 h x 6 runs/h = 4,380 runs (cost);
	// a 31-day month: 31 x 24 x 6 = 4,464 runs (free-tier fit).
	if r.RunsPerMonth != 4380 || r.PeakMonthRuns != 4464 {
		t.Fatalf("runs = %d / peak %d; want 4380 / 4464", r.RunsPerMonth, r.PeakMonthRuns)
	}

	// Destination record: 512 (record fields) + 512 (scheduler event) + 1,024
	// (envelope fields) + base64 4 x ceil(19,000 / 3) = 4 x 6,334 = 25,336
	// -> 27,384 B. Limit on 2026-11-25: 1,048,576 B; margin 5% = 52,428 B ->
	// usable 996,148 B. 27,384 / 1,048,576 = 2.61%.
	// Largest compressed: 3 x floor((996,148 - 2,048) / 4) = 3 x 248,525 = 745,575 B;
	// at 279,000 / 19,000 that is floor(745,575 x 279 / 19) = 10,948,180 B raw.
	p := r.Payload
	if p.RecordBytes != 27384 || p.LimitBytes != 1048576 || p.UsableBytes != 996148 || p.MarginBytes != 52428 ||
		p.HeadroomPercent != 2.61 || p.MaxCompressedBytes != 745575 || p.MaxRawBytes != 10948180 || !p.Fits {
		t.Errorf("payload = %+v", p)
	}

	// Lambda: 128 MB = 0.125 GB; fetch 800 ms + write 300 ms = 1.1 s per run.
	// GB-s = 4,380 x 0.125 x 1.1 = 602.25 for every topology (the relay does both
	// halves in one invocation). Invocations: 2 x 4,380 = 8,760 (fetcher + writer)
	// or 4,380 (relay), inside the Always Free 1M requests and 400,000 GB-s.
	// Logs: 1,000 B per invocation: 8,760,000 B = 0.00876 GB, inside the free 5 GB.
	type want struct {
		valid, fits bool
		usd         float64
		usage       Usage
		verdict     string
	}
	wants := map[Topology]want{
		// Everything inside Always Free: $0.
		Destination: {true, true, 0, Usage{Invocations: 8760, GBSeconds: 602.25}, "chosen: the cheapest valid topology"},
		// Not measured: invalid, though it would cost $0 too.
		IPv6: {false, false, 0, Usage{Invocations: 4380, GBSeconds: 602.25}, "unknown whether the source host has an IPv6 (AAAA) address: measure with --measure"},
		// PUT 4,380 x $0.0000047 = $0.020586; GET 4,380 x $0.00000037 = $0.0016206;
		// storage: object 27,384 - 1,024 = 26,360 B, resident 1.5 days of a 30.4167-day
		// month: 26,360 x 4,380 x 1.5 x 24 / 730 / 1e9 = 0.00569376 GB-mo x $0.025
		// = $0.000142344. Total $0.022348944 -> $0.022349.
		S3: {true, false, 0.022349, Usage{Invocations: 8760, GBSeconds: 602.25, S3Puts: 4380, S3Gets: 4380}, "costs $0.02 more than destination"},
		// t4g.nano 730 x $0.0054 = $3.942; gp3 8 GB x $0.096 = $0.768;
		// public IPv4 730 x $0.005 = $3.65. Total $8.36.
		NATInstance: {true, false, 8.36, Usage{Invocations: 4380, GBSeconds: 602.25, NATHours: 730, NATGB: 1.22202}, "costs $8.36 more than destination"},
		// 730 x $0.062 = $45.26; EIP 730 x $0.005 = $3.65; data 279,000 x 4,380 / 1e9
		// = 1.22202 GB x $0.062 = $0.07576524 -> $0.075765. Total $48.985765.
		NATGateway: {true, false, 48.985765, Usage{Invocations: 4380, GBSeconds: 602.25, NATHours: 730, NATGB: 1.22202}, "costs $48.99 more than destination"},
	}
	if len(r.Topologies) != len(AllTopologies) {
		t.Fatalf("%d topologies; want %d", len(r.Topologies), len(AllTopologies))
	}
	for i, e := range r.Topologies {
		if e.Name != AllTopologies[i] {
			t.Errorf("topology %d = %s; want %s (tie-break order)", i, e.Name, AllTopologies[i])
		}
		w := wants[e.Name]
		if e.Valid != w.valid || e.FitsFreeTier != w.fits {
			t.Errorf("%s valid/fits = %v/%v; want %v/%v", e.Name, e.Valid, e.FitsFreeTier, w.valid, w.fits)
		}
		checkUSD(t, string(e.Name)+" monthly", e.MonthlyUSD, w.usd)
		if e.Usage != w.usage {
			t.Errorf("%s usage = %+v; want %+v", e.Name, e.Usage, w.usage)
		}
		if len(e.Reasons) == 0 || e.Reasons[0] != w.verdict {
			t.Errorf("%s reasons = %q; want first %q", e.Name, e.Reasons, w.verdict)
		}
	}
	if r.Chosen != Destination {
		t.Errorf("chosen = %s; want destination", r.Chosen)
	}
	// Common: RDS 730 x $0.025 = $18.25 + 20 GB x $0.138 = $2.76; Scheduler 4,380
	// invocations inside the free 14M. $21.01.
	checkUSD(t, "common", r.CommonMonthlyUSD, 21.01)
	// Guardrails (destination): 9 alarms <= 10 free, 5 metrics <= 10 free, no mail,
	// no DLQ traffic, no failure records, budget $0: $0.
	checkUSD(t, "guardrails", r.GuardrailsMonthlyUSD, 0)
	if r.Guardrail.Alarms != 9 || r.Guardrail.CustomMetrics != 5 || r.Guardrail.Budgets != 1 {
		t.Errorf("guardrail counts = %+v", r.Guardrail)
	}
	checkUSD(t, "total", r.TotalMonthlyUSD, 21.01)
	if len(r.Notes) != 0 {
		t.Errorf("notes = %q; want none", r.Notes)
	}
}

// TestRequestedTopology: Input.Topology names the chosen topology; the others'
// verdicts, the guardrails and the total follow it. Seed workload, Tokyo prices.
func TestRequestedTopology(t *testing.T) {
	tests := []struct {
		name     string
		mod      func(*Input)
		chosen   Topology
		verdicts map[Topology]string // first reason of each topology named
		alarms   int                 // guardrail alarms priced
		guardUSD float64
		total    float64
	}{
		{
			name: "empty is auto", mod: func(in *Input) {}, chosen: Destination,
			verdicts: map[Topology]string{Destination: "chosen: the cheapest valid topology", S3: "costs $0.02 more than destination"},
			// destination $0 + common $21.01 + guardrails $0 (TestSeedWorkload).
			alarms: 9, total: 21.01,
		},
		{
			name: "auto", mod: func(in *Input) { in.Topology = Auto }, chosen: Destination,
			verdicts: map[Topology]string{Destination: "chosen: the cheapest valid topology", S3: "costs $0.02 more than destination"},
			alarms:   9, total: 21.01,
		},
		{
			name: "s3 requested", mod: func(in *Input) { in.Topology = S3 }, chosen: S3,
			verdicts: map[Topology]string{
				// destination's total: $0 + common $21.01 + guardrails $0 = $21.01.
				S3: "chosen: requested by topology (the cheapest valid is destination at $21.01)",
				// destination $0 is $0.022349 -> $0.02 cheaper than s3.
				Destination: "costs $0.02 less than s3, which was requested",
				IPv6:        "unknown whether the source host has an IPv6 (AAAA) address: measure with --measure",
				// 8.36 - 0.022349 = 8.337651 -> $8.34; 48.985765 - 0.022349 = 48.963416 -> $48.96.
				NATInstance: "costs $8.34 more than s3",
				NATGateway:  "costs $48.96 more than s3",
			},
			// s3's guardrails: 2 Errors + 2 AsyncEventsDropped + 2 DestinationDeliveryFailures
			// + 1 DLQ = 7 alarms <= 10 free,
			// 5 EMF metrics <= 10 free, budget $0: $0.
			// Total: s3 PUT 4,380 x $0.0000047 = $0.020586 + GET 4,380 x $0.00000037 =
			// $0.0016206 + storage 0.00569376 GB-mo x $0.025 = $0.000142344 -> $0.022349,
			// + common RDS 730 x $0.025 = $18.25 + 20 GB x $0.138 = $2.76 = $21.01,
			// + guardrails $0 = $21.032349.
			alarms: 7, total: 0.022349 + 18.25 + 2.76 + 0,
		},
		{
			name: "the cheapest requested", mod: func(in *Input) { in.Topology = Destination }, chosen: Destination,
			verdicts: map[Topology]string{Destination: "chosen: requested by topology, and the cheapest valid topology", S3: "costs $0.02 more than destination"},
			alarms:   9, total: 21.01,
		},
		{
			// ipv6 measured: $0 like destination, which wins the tie under auto.
			name: "a tie requested", mod: func(in *Input) { in.Topology, in.SourceHasIPv6 = IPv6, boolp(true) }, chosen: IPv6,
			verdicts: map[Topology]string{
				IPv6:        "chosen: requested by topology (the cheapest valid is destination at $21.01)",
				Destination: "costs the same as ipv6, which was requested",
				S3:          "costs $0.02 more than ipv6",
			},
			// one relay: 1 Errors + 1 AsyncEventsDropped + 1 DestinationDeliveryFailures + 1 DLQ
			// = 4 alarms, free.
			alarms: 4, total: 21.01,
		},
		{
			name: "nat-gateway requested, nothing free", mod: func(in *Input) { in.Topology, in.FreeTier = NATGateway, NoFreeTier }, chosen: NATGateway,
			verdicts: map[Topology]string{
				// Totals, nothing free (TestGuardrailsCost): destination $0.01644 + common
				// $21.015475 + 9 alarms and 5 metrics $2.40 = $23.431915; s3 $0.001752 requests
				// + $0.00803 compute + $0.006658 logs + $0.022349 S3 = $0.038789 + $21.015475 +
				// 7 alarms and 5 metrics $2.20 = $23.254264 -> $23.25, the cheapest; nat-gateway
				// (below) $48.998 + $21.015475 + $1.90 = $71.913475, so destination costs
				// 71.913475 - 23.431915 = 48.48156 -> $48.48 less.
				NATGateway:  "chosen: requested by topology (the cheapest valid is s3 at $23.25)",
				Destination: "costs $48.48 less than nat-gateway, which was requested",
			},
			// The relay's 4 alarms x $0.10 = $0.40 + 5 metrics x $0.30 = $1.50 -> $1.90
			// (not destination's 9 alarms: $2.40).
			alarms: 4, guardUSD: 1.90,
			// nat-gateway, nothing free: 730 h x $0.062 = $45.26 + public IPv4 730 x $0.005
			// = $3.65 + data 1.22202 GB x $0.062 = $0.075765 + requests 4,380 x $0.0000002
			// = $0.000876 + compute 602.25 GB-s x $0.0000133334 = $0.00803 + logs 0.00438 GB
			// x $0.76 = $0.003329 -> $48.998; common $21.01 + scheduler 4,380 x
			// $0.00000125 = $0.005475 -> $21.015475; guardrails $1.90.
			total: 45.26 + 3.65 + 0.075765 + 0.000876 + 0.00803 + 0.003329 + 21.015475 + 1.90,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := seed()
			tt.mod(&in)
			r := planChosen(t, in, tt.chosen)
			for top, want := range tt.verdicts {
				if e := r.Find(top); len(e.Reasons) == 0 || e.Reasons[0] != want {
					t.Errorf("%s reasons = %q; want first %q", top, e.Reasons, want)
				}
			}
			for _, e := range r.Topologies {
				if n := strings.Count(strings.Join(e.Reasons, "\n"), "chosen:"); n != btoi(e.Name == tt.chosen) {
					t.Errorf("%s reasons %q: %d chosen verdicts", e.Name, e.Reasons, n)
				}
			}
			if r.Guardrail != DefaultGuardrails(tt.chosen) || r.Guardrail.Alarms != tt.alarms {
				t.Errorf("guardrails %+v; want %s's %d alarms", r.Guardrail, tt.chosen, tt.alarms)
			}
			checkUSD(t, "guardrails", r.GuardrailsMonthlyUSD, tt.guardUSD)
			checkUSD(t, "total", r.TotalMonthlyUSD, tt.total)
			checkUSD(t, "total = chosen + common + guardrails", r.TotalMonthlyUSD,
				r.Find(tt.chosen).MonthlyUSD+r.CommonMonthlyUSD+r.GuardrailsMonthlyUSD)
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRequestedTopologyInvalid: a requested topology the planner rejects is an error
// carrying the planner's reasons, never a report choosing something else.
func TestRequestedTopologyInvalid(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*Input)
		topo   Topology
		reason string
	}{
		{"ipv6 with AAAA unknown", func(in *Input) { in.Topology = IPv6 }, IPv6,
			"unknown whether the source host has an IPv6 (AAAA) address: measure with --measure"},
		{"ipv6 without AAAA", func(in *Input) { in.Topology, in.SourceHasIPv6 = IPv6, boolp(false) }, IPv6,
			"the source host has no IPv6 (AAAA) address, and an egress-only internet gateway carries IPv6 only"},
		// 745,576 B compressed: record 996,152 B > usable 996,148 B (TestPayloadBoundary).
		{"destination over the limit", func(in *Input) { in.Topology, in.CompressedBytes, in.PayloadBytes = Destination, 745576, 8*745576 }, Destination,
			"record 996,152 B exceeds usable 996,148 B of the 1,048,576 B (1 MiB) async payload limit in force on 2026-11-25"},
		{"s3 with a single function", func(in *Input) { in.Topology, in.SingleFunction = S3, true }, S3,
			"single function required: the job needs internet and the database in one invocation, and s3 splits it into a fetcher and a writer"},
	}
	book := mustBook(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := seed()
			tt.mod(&in)
			r, err := Plan(in, book)
			var te *TopologyError
			if !errors.As(err, &te) || !errors.Is(err, ErrBadInput) {
				t.Fatalf("Plan = %v, %v; want a *TopologyError wrapping ErrBadInput", r, err)
			}
			if te.Topology != tt.topo || len(te.Reasons) != 1 || te.Reasons[0] != tt.reason {
				t.Errorf("error %s %q; want %s %q", te.Topology, te.Reasons, tt.topo, tt.reason)
			}
			// It is the Topology field's verdict: an *InputError on FieldTopology too.
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != FieldTopology || ie.Value != string(tt.topo) {
				t.Errorf("error %v is not an *InputError on FieldTopology with value %s", err, tt.topo)
			}
			want := "topology: " + string(tt.topo) + " is not valid for this workload: " + tt.reason
			if err.Error() != want {
				t.Errorf("error %q; want %q", err, want)
			}
		})
	}
}

// TestPayloadBoundary: the record exactly at the usable limit is valid; one more
// compressed byte is not (or spills when spill is on).
func TestPayloadBoundary(t *testing.T) {
	// 1 MiB limit (2026-11-25): usable 996,148 B. Record = 2,048 + 4 x ceil(c/3), so
	// c = 745,575 gives 2,048 + 4 x 248,525 = 996,148 B, exactly usable.
	// c = 745,576 gives ceil = 248,526 -> 996,152 B, over.
	// 256 KiB limit (2025-06-01): 262,144 - 13,107 = 249,037 usable; 249,037 - 2,048 =
	// 246,989 is not a multiple of 4, so the largest record is 2,048 + 4 x 61,747 =
	// 249,036 at c = 3 x 61,747 = 185,241; c = 185,242 -> 249,040 B, over.
	tests := []struct {
		name       string
		asOf       string
		compressed int64
		spill      bool
		record     int64
		valid      bool
		reason     string
	}{
		{"1MiB exactly usable", "2026-11-25", 745575, false, 996148, true, "chosen: the cheapest valid topology"},
		{"1MiB one byte over", "2026-11-25", 745576, false, 996152, false,
			"record 996,152 B exceeds usable 996,148 B of the 1,048,576 B (1 MiB) async payload limit in force on 2026-11-25"},
		{"256KiB largest fit", "2025-06-01", 185241, false, 249036, true, "chosen: the cheapest valid topology"},
		{"256KiB one byte over", "2025-06-01", 185242, false, 249040, false,
			"record 249,040 B exceeds usable 249,037 B of the 262,144 B (256 KiB) async payload limit in force on 2025-06-01"},
		{"1MiB over with spill", "2026-11-25", 745576, true, 996152, true, "chosen: the cheapest valid topology"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := seed()
			in.AsOf, in.CompressedBytes, in.PayloadBytes, in.Spill = day(tt.asOf), tt.compressed, 8*tt.compressed, tt.spill
			r := mustPlan(t, in)
			d := r.Find(Destination)
			if r.Payload.RecordBytes != tt.record || d.Valid != tt.valid || d.Reasons[0] != tt.reason {
				t.Errorf("record %d valid %v reasons %q; want %d %v %q", r.Payload.RecordBytes, d.Valid, d.Reasons, tt.record, tt.valid, tt.reason)
			}
			if r.Payload.Fits != (tt.valid && !tt.spill) {
				t.Errorf("payload fits = %v", r.Payload.Fits)
			}
			if tt.spill {
				// Spilled runs pay S3: 4,380 PUT x $0.0000047 + 4,380 GET x $0.00000037 +
				// storage (996,152 - 1,024) B x 216 resident-object-months / 1e9 x $0.025
				// = 0.020586 + 0.0016206 + 0.214947648 x 0.025 = $0.027580... the same as s3.
				if d.Usage.S3Puts != 4380 || !strings.Contains(d.Reasons[1], "spill is on") {
					t.Errorf("spill: usage %+v reasons %q", d.Usage, d.Reasons)
				}
				checkUSD(t, "spill destination", d.MonthlyUSD, 0.020586+0.0016206+0.214947648*0.025)
				checkUSD(t, "s3", r.Find(S3).MonthlyUSD, d.MonthlyUSD)
			}
			if !tt.valid {
				if r.Chosen != S3 {
					t.Errorf("chosen = %s; want s3 once destination is out", r.Chosen)
				}
			}
			// A fitting record this close to the limit (996,148 / 1,048,576 = 95.00%;
			// 249,036 / 262,144 = 94.9997% -> 95.00%) is over the 80% alarm threshold.
			if tt.valid && !tt.spill && (len(d.Reasons) < 2 || d.Reasons[1] != "record uses 95.00% of the limit, above the 80% alarm threshold") {
				t.Errorf("reasons %q; want the 95.00%% headroom warning second", d.Reasons)
			}
		})
	}
}

// TestAsOf: the 2025 changes. Before them the limit is 256 KiB and legacy 12-month
// allowances apply; after 2026-07-15 no account holds them and the report says so.
func TestAsOf(t *testing.T) {
	t.Run("2025-06-01 legacy-12-month", func(t *testing.T) {
		in := seed()
		in.AsOf, in.FreeTier = day("2025-06-01"), Legacy12Month
		r := mustPlan(t, in)
		// record 27,384 / 262,144 = 10.446% -> 10.45.
		if r.Payload.LimitBytes != 262144 || r.Payload.HeadroomPercent != 10.45 || len(r.Notes) != 0 {
			t.Errorf("limit %d percent %v notes %q", r.Payload.LimitBytes, r.Payload.HeadroomPercent, r.Notes)
		}
		// S3: (4,380 - 2,000 free) PUT x $0.0000047 = $0.011186; GETs and storage free.
		checkUSD(t, "s3", r.Find(S3).MonthlyUSD, 0.011186)
		// NAT instance: t4g.nano is not free: 730 x $0.0054 = $3.942; the 8 GB root and
		// the 730 h of public IPv4 fit the legacy 30 GB and 750 h.
		checkUSD(t, "nat-instance", r.Find(NATInstance).MonthlyUSD, 3.942)
		// RDS 730 h <= 750 h free, 20 GB <= 20 GB free: common $0.
		checkUSD(t, "common", r.CommonMonthlyUSD, 0)
		checkUSD(t, "total", r.TotalMonthlyUSD, 0)
	})
	t.Run("2026-11-25 legacy-12-month has ended", func(t *testing.T) {
		in := seed()
		in.FreeTier = Legacy12Month
		r := mustPlan(t, in)
		if r.Payload.LimitBytes != 1048576 || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "legacy-12-month does not apply on 2026-11-25") {
			t.Errorf("limit %d notes %q", r.Payload.LimitBytes, r.Notes)
		}
		// Planned as always-free: the seed's figures.
		checkUSD(t, "s3", r.Find(S3).MonthlyUSD, 0.022349)
		checkUSD(t, "common", r.CommonMonthlyUSD, 21.01)
	})
	t.Run("2026-03-01 legacy-12-month for old accounts only", func(t *testing.T) {
		in := seed()
		in.AsOf, in.FreeTier = day("2026-03-01"), Legacy12Month
		r := mustPlan(t, in)
		if len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "created before 2025-07-15") {
			t.Errorf("notes %q", r.Notes)
		}
		checkUSD(t, "common", r.CommonMonthlyUSD, 0)
	})
	t.Run("2024-01-15 public IPv4 still free", func(t *testing.T) {
		in := seed()
		in.AsOf = day("2024-01-15")
		r := mustPlan(t, in)
		// 730 x $0.062 = $45.26 + $0 EIP + $0.075765 data.
		checkUSD(t, "nat-gateway", r.Find(NATGateway).MonthlyUSD, 45.335765)
		// 730 x $0.0054 + 8 x $0.096 = $4.71.
		checkUSD(t, "nat-instance", r.Find(NATInstance).MonthlyUSD, 4.71)
	})
}

func boolp(b bool) *bool { return &b }

func TestValidityRules(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*Input)
		chosen Topology
		check  map[Topology]string // topology -> substring of its first reason
		usd    map[Topology]float64
	}{
		{
			name:   "ipv6 measured: ties with destination go to fewer moving parts",
			mod:    func(in *Input) { in.SourceHasIPv6 = boolp(true) },
			chosen: Destination,
			check:  map[Topology]string{IPv6: "costs the same as destination, which has fewer moving parts"},
		},
		{
			name:   "source without AAAA",
			mod:    func(in *Input) { in.SourceHasIPv6 = boolp(false) },
			chosen: Destination,
			check:  map[Topology]string{IPv6: "has no IPv6 (AAAA) address"},
		},
		{
			name:   "single function with IPv6",
			mod:    func(in *Input) { in.SingleFunction, in.SourceHasIPv6 = true, boolp(true) },
			chosen: IPv6,
			check: map[Topology]string{
				Destination: "single function required", S3: "single function required",
				NATInstance: "costs $8.36 more than ipv6",
			},
		},
		{
			// Existing NAT: no NAT hours or EIP, only 1.22202 GB x $0.062 = $0.075765,
			// cheaper than the NAT instance's $8.36.
			name:   "single function with an existing NAT gateway",
			mod:    func(in *Input) { in.SingleFunction, in.ExistingNAT = true, true },
			chosen: NATGateway,
			check:  map[Topology]string{IPv6: "unknown whether", NATInstance: "costs $8.28 more than nat-gateway"},
			usd:    map[Topology]float64{NATGateway: 0.075765},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := seed()
			tt.mod(&in)
			r := planChosen(t, in, tt.chosen)
			for top, want := range tt.check {
				if e := r.Find(top); !strings.Contains(e.Reasons[0], want) {
					t.Errorf("%s reasons %q; want %q", top, e.Reasons, want)
				}
			}
			for top, want := range tt.usd {
				checkUSD(t, string(top), r.Find(top).MonthlyUSD, want)
			}
			if in.ExistingNAT && r.Find(NATGateway).Usage.NATHours != 0 {
				t.Errorf("existing NAT: NAT hours %v; want 0", r.Find(NATGateway).Usage.NATHours)
			}
		})
	}
}

// TestPeakMonthDecidesFit: inside the free tier on average, out of it in a 31-day month.
func TestPeakMonthDecidesFit(t *testing.T) {
	in := seed()
	// rate(1 minute): 43,800 runs (730 h) and 44,640 in a 31-day month.
	// 10,240 MB = 10 GB x (600 + 310) ms = 9.1 GB-s per run:
	// 43,800 x 9.1 = 398,580 GB-s <= 400,000 free, but 44,640 x 9.1 = 406,224 > 400,000.
	in.Schedule, in.MemoryMB, in.FetchMillis, in.WriteMillis = "rate(1 minute)", 10240, 600, 310
	r := mustPlan(t, in)
	d := r.Find(Destination)
	if d.Usage.GBSeconds != 398580 || d.MonthlyUSD != 0 || d.FitsFreeTier {
		t.Errorf("destination GB-s %v usd %v fits %v; want 398580, 0, false", d.Usage.GBSeconds, d.MonthlyUSD, d.FitsFreeTier)
	}
}

func TestArchitectureAndMemory(t *testing.T) {
	in := seed()
	in.FreeTier, in.Architecture, in.MemoryMB = NoFreeTier, "x86_64", 1024
	r := mustPlan(t, in)
	l := line(t, r.Find(Destination).Lines, "Lambda compute (x86_64)")
	// 4,380 x 1 GB x 1.1 s = 4,818 GB-s x $0.0000166667 = $0.0803001606 -> $0.0803.
	if l.Quantity != 4818 || l.UnitUSD != 0.0000166667 || !near(l.MonthlyUSD, 0.0803) {
		t.Errorf("compute line %+v", l)
	}
}

// TestGuardrailsCost: zero inside the free allowances, priced outside them.
func TestGuardrailsCost(t *testing.T) {
	t.Run("none", func(t *testing.T) {
		in := seed()
		in.FreeTier, in.CreditsUSD = NoFreeTier, 100
		r := mustPlan(t, in)
		// Destination, nothing free: 8,760 x $0.0000002 = $0.001752;
		// 602.25 x $0.0000133334 = $0.00803004 -> $0.00803; logs 0.00876 GB x $0.76 =
		// $0.0066576 -> $0.006658. Own cost $0.01644.
		checkUSD(t, "destination", r.Find(Destination).MonthlyUSD, 0.01644)
		// Common: $21.01 + 4,380 x $0.00000125 = $0.005475 -> $21.015475.
		checkUSD(t, "common", r.CommonMonthlyUSD, 21.015475)
		// Destination's guardrails: 9 alarms x $0.10 = $0.90 + 5 metrics x $0.30 = $1.50 -> $2.40;
		// its total 0.01644 + 21.015475 + 2.40 = $23.431915.
		checkUSD(t, "destination total", r.Find(Destination).TotalMonthlyUSD, 23.431915)
		// s3 has two alarms fewer (no record-size alarm, no failure-bucket alarm): 7 x $0.10 +
		// $1.50 = $2.20, so its total is its own cost + 21.015475 + 2.20. Its own cost is
		// higher (S3 requests, about $0.02) but by less than the $0.20 of alarms, so s3 is the
		// cheaper bill and the choice: the planner compares totals, not own costs.
		s3 := r.Find(S3)
		checkUSD(t, "s3 total", s3.TotalMonthlyUSD, s3.MonthlyUSD+21.015475+2.20)
		if !(s3.MonthlyUSD > 0.01644 && s3.TotalMonthlyUSD < 23.431915) || r.Chosen != S3 {
			t.Fatalf("s3 own %v total %v, chosen %s: want s3 dearer alone, cheaper in total, and chosen", s3.MonthlyUSD, s3.TotalMonthlyUSD, r.Chosen)
		}
		checkUSD(t, "guardrails", r.GuardrailsMonthlyUSD, 2.20)
		checkUSD(t, "total", r.TotalMonthlyUSD, s3.TotalMonthlyUSD)
		// $100 lasts 100 / total months, to one decimal.
		if want := math.Round(100/s3.TotalMonthlyUSD*10) / 10; r.CreditMonths != want || want != 4.3 {
			t.Errorf("credit months %v, want %v (4.3)", r.CreditMonths, want)
		}
		if r.CreditMonths != 4.3 || len(r.Notes) != 1 || !strings.Contains(r.Notes[0], "last 4.3 months") {
			t.Errorf("credit months %v notes %q", r.CreditMonths, r.Notes)
		}
	})
	t.Run("more alarms than the free ten", func(t *testing.T) {
		in := seed()
		in.Guardrails = &Guardrails{Alarms: 12, CustomMetrics: 5, Budgets: 1}
		r := mustPlan(t, in)
		// (12 - 10) x $0.10 = $0.20.
		checkUSD(t, "guardrails", r.GuardrailsMonthlyUSD, 0.20)
		if l := line(t, r.Guardrails, "CloudWatch alarms"); l.FreeQuantity != 10 {
			t.Errorf("alarm line %+v", l)
		}
	})
	t.Run("credits at zero spend", func(t *testing.T) {
		in := seed()
		in.Region, in.CreditsUSD = "us-east-1", 50
		in.AsOf, in.FreeTier = day("2025-06-01"), Legacy12Month
		r := mustPlan(t, in)
		if r.TotalMonthlyUSD != 0 || r.CreditMonths != 0 || !strings.Contains(strings.Join(r.Notes, " "), "not drawn down") {
			t.Errorf("total %v months %v notes %q", r.TotalMonthlyUSD, r.CreditMonths, r.Notes)
		}
	})
}

func TestDefaultGuardrails(t *testing.T) {
	// TestShapeAlarms counts them: destination 9, s3 7, each relay topology 4.
	for top, want := range map[Topology]int{Destination: 9, S3: 7, NATGateway: 4, NATInstance: 4, IPv6: 4} {
		if got := GuardrailAlarms(top); got != want {
			t.Errorf("GuardrailAlarms(%s) = %d; want %d", top, got, want)
		}
	}
}

func TestDefaults(t *testing.T) {
	got := Defaults(Input{})
	if got.FreeTier != AlwaysFree || got.MemoryMB != 128 || got.Architecture != "arm64" || got.FetchMillis != 800 ||
		got.WriteMillis != 300 || got.AsOf.IsZero() || got.AsOf.Hour() != 0 {
		t.Errorf("Defaults = %+v", got)
	}
	set := Input{FreeTier: NoFreeTier, MemoryMB: 512, Architecture: "x86_64", FetchMillis: 5, WriteMillis: 6, AsOf: day("2025-01-02")}
	if got := Defaults(set); got.FreeTier != set.FreeTier || got.MemoryMB != 512 || got.Architecture != "x86_64" ||
		got.FetchMillis != 5 || got.WriteMillis != 6 || !got.AsOf.Equal(set.AsOf) {
		t.Errorf("Defaults changed set fields: %+v", got)
	}
}

// TestIncompressiblePayload: gzip makes random or already-compressed data a little
// larger; such a measured payload is planned, not refused as swapped sizes.
func TestIncompressiblePayload(t *testing.T) {
	// Record = 2,048 B of fields + 4 x ceil(compressed / 3); usable 996,148 B (as of 2026-11-25).
	tests := []struct {
		raw, compressed int64
		fits            bool
	}{
		// measured: 1 B of random data gzips to 25 B; bound 1 + 64 + 0 = 65.
		// Record 2,048 + 4 x 9 = 2,084 B: fits.
		{1, 25, true},
		// exactly at the bound: 279,000 + 64 + floor(279,000 / 1,024) = 279,336.
		// Record 2,048 + 4 x 93,112 = 374,496 B: fits.
		{279000, 279336, true},
		// measured: 1 MiB random -> +343; bound 1,048,576 + 64 + 1,024 = 1,049,664.
		// Record 2,048 + 4 x 349,640 = 1,400,608 B > 996,148: destination invalid.
		{1048576, 1048919, false},
	}
	for _, tc := range tests {
		in := seed()
		in.PayloadBytes, in.CompressedBytes = tc.raw, tc.compressed
		r := mustPlan(t, in)
		if r.Payload.Fits != tc.fits || r.Find(Destination).Valid != tc.fits {
			t.Errorf("raw %d, compressed %d: fits %v, destination valid %v; want %v",
				tc.raw, tc.compressed, r.Payload.Fits, r.Find(Destination).Valid, tc.fits)
		}
	}
}

// TestBadInput: every bad field is an *InputError naming that Field (wrapping
// ErrBadInput) whose problem quotes the value and the accepted form.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name  string
		mod   func(*Input)
		field Field
		want  string // in the error, after the field's name
	}{
		{"unknown region", func(in *Input) { in.Region = "mars-east-1" }, FieldRegion,
			`region: "mars-east-1" is not in the price book; known regions: ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-west-1, eu-west-2, sa-east-1, us-east-1, us-east-2, us-west-2`},
		{"empty region", func(in *Input) { in.Region = "" }, FieldRegion, "known regions"},
		{"compressed larger than raw", func(in *Input) { in.CompressedBytes = 280000 }, FieldCompressedBytes,
			"compressed size: 280,000 B is larger than the payload size 279,000 B"},
		// one byte over gzip's bound: 279,000 + 64 + floor(279,000 / 1,024) = 279,000 + 64 + 272 = 279,336
		{"compressed over the gzip bound", func(in *Input) { in.CompressedBytes = 279337 }, FieldCompressedBytes, "(279,336 B at most)"},
		{"negative payload", func(in *Input) { in.PayloadBytes = -1 }, FieldPayloadBytes, "payload size: -1 B is negative: want a positive size like 279KB"},
		{"zero payload", func(in *Input) { in.PayloadBytes = 0 }, FieldPayloadBytes, "payload size: not measured (0 B): want the measured size of one response, a positive size like 279KB; measure both sizes with plan --sample FILE or --measure URL"},
		{"zero compressed", func(in *Input) { in.CompressedBytes = 0 }, FieldCompressedBytes, "compressed size: not measured (0 B): want the measured size of one response, a positive size like 19KB"},
		{"unknown free tier", func(in *Input) { in.FreeTier = "free-plan" }, FieldFreeTier, `free tier: "free-plan" is not one of always-free, legacy-12-month, none`},
		{"bad architecture", func(in *Input) { in.Architecture = "amd64" }, FieldArchitecture, `architecture: "amd64" is not one of arm64, x86_64`},
		{"memory too small", func(in *Input) { in.MemoryMB = 64 }, FieldMemoryMB, "memory: 64 MB is out of range (128-10240 MB)"},
		{"memory too large", func(in *Input) { in.MemoryMB = 10241 }, FieldMemoryMB, "memory: 10241 MB is out of range (128-10240 MB)"},
		{"negative fetch", func(in *Input) { in.FetchMillis = -5 }, FieldFetchMillis, "fetch duration: -5 ms is out of range (1-900000 ms, Lambda's 15-minute maximum)"},
		{"write too long", func(in *Input) { in.WriteMillis = 900001 }, FieldWriteMillis, "write duration: 900001 ms is out of range (1-900000 ms"},
		{"negative credits", func(in *Input) { in.CreditsUSD = -1 }, FieldCreditsUSD, "credits: -1 USD is out of range (0 or more US dollars)"},
		{"NaN credits", func(in *Input) { in.CreditsUSD = math.NaN() }, FieldCreditsUSD, "credits: NaN USD is out of range"},
		{"empty schedule", func(in *Input) { in.Schedule = " " }, FieldSchedule, "schedule: empty expression; accepted: rate(value unit) or cron("},
		{"bad schedule", func(in *Input) { in.Schedule = "every 10 minutes" }, FieldSchedule, `schedule: "every 10 minutes" is neither rate(...) nor cron(...)`},
		{"bad rate unit", func(in *Input) { in.Schedule = "rate(5 weeks)" }, FieldSchedule, `schedule: "rate(5 weeks)": rate unit: "weeks" unknown; accepted: minute|minutes|hour|hours|day|days`},
		// seed() plans from 2026-11-25: a 2020-only cron has no firing in 2026-11 .. 2027-10.
		{"schedule never fires", func(in *Input) { in.Schedule = "cron(0 0 1 1 ? 2020)" }, FieldSchedule,
			"schedule: cron(0 0 1 1 ? 2020) does not fire in the 12 months 2026-11 to 2027-10: its year field ends before 2026"},
		{"negative guardrails", func(in *Input) { in.Guardrails = &Guardrails{Alarms: -1} }, FieldGuardrails, "guardrails: {Alarms:-1 CustomMetrics:0 Budgets:0 EmailsPerMonth:0 DLQRequestsPerMonth:0 FailureRecordsPerMonth:0} has a negative count: want zero or more of each"},
		{"as-of before the book", func(in *Input) { in.AsOf = day("2022-06-01") }, FieldAsOf, "as-of: the price book has no"},
		{"unknown topology", func(in *Input) { in.Topology = "relay" }, FieldTopology, `topology: "relay" is not one of auto, destination, ipv6, s3, nat-instance, nat-gateway`},
		{"invalid topology", func(in *Input) { in.Topology, in.SourceHasIPv6 = IPv6, boolp(false) }, FieldTopology, "topology: ipv6 is not valid for this workload: the source host has no IPv6 (AAAA) address"},
	}
	book := mustBook(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := seed()
			tt.mod(&in)
			_, err := Plan(in, book)
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrBadInput) {
				t.Fatalf("Plan error = %v; want an *InputError wrapping ErrBadInput", err)
			}
			if ie.Field != tt.field {
				t.Errorf("field %q; want %q (error %v)", ie.Field, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(ie.Error(), string(tt.field)+": ") {
				t.Errorf("error %q\nlacks %q", err, tt.want)
			}
		})
	}
	if _, err := Plan(seed(), nil); err == nil {
		t.Error("Plan with a nil book: no error")
	}
}

// TestInputErrorWraps: a schedule that never fires is also ErrNeverFires, and the
// compressed-size bound names the payload size as the field it was checked against.
func TestInputErrorWraps(t *testing.T) {
	book := mustBook(t)
	in := seed()
	in.Schedule = "cron(0 0 30 2 ? *)" // 30 February: never
	if _, err := Plan(in, book); !errors.Is(err, ErrNeverFires) {
		t.Errorf("never-firing schedule: %v; want ErrNeverFires", err)
	}
	in = seed()
	in.CompressedBytes = 280000
	var ie *InputError
	if _, err := Plan(in, book); !errors.As(err, &ie) || ie.Related != FieldPayloadBytes || ie.Value != "280000" {
		t.Errorf("compressed over the bound: %+v; want Related %q and Value 280000", ie, FieldPayloadBytes)
	}
}

func TestMoney(t *testing.T) {
	tests := []struct {
		x    float64
		want string
	}{
		// One rule: whole cents; a non-zero amount under half a cent is "<$0.01".
		{0, "$0.00"}, {0.0004, "<$0.01"}, {0.004, "<$0.01"}, {0.005, "$0.01"}, {0.0224, "$0.02"}, {7.36, "$7.36"},
		{48.985765, "$48.99"}, {1234.5, "$1,234.50"}, {-8.36, "-$8.36"}, {0.0016, "<$0.01"}, {1e-7, "<$0.01"},
	}
	for _, tt := range tests {
		if got := Money(tt.x); got != tt.want {
			t.Errorf("Money(%v) = %q; want %q", tt.x, got, tt.want)
		}
	}
}

// planChosen plans in and checks the report chose want.
func planChosen(t *testing.T, in Input, want Topology) *Report {
	t.Helper()
	r := mustPlan(t, in)
	if r.Chosen != want {
		t.Errorf("chosen = %s; want %s", r.Chosen, want)
	}
	return r
}

// TestFailureBucketPriced: with a failure bucket (destination), the planner states each
// function's failure route and prices the records it expects there; s3 and the relay
// topologies have none.
func TestFailureBucketPriced(t *testing.T) {
	in := seed()
	in.FreeTier = NoFreeTier
	g := DefaultGuardrails(Destination)
	g.FailureRecordsPerMonth = 10
	in.Guardrails = &g
	r := mustPlan(t, in)
	if len(r.Failures) != 2 || r.Failures[1].Function != Writer || r.Failures[1].Sink != FailureBucket || r.Failures[1].MaxRecordBytes != 1_000_244 {
		t.Fatalf("failures %+v, want the writer's to the bucket (up to 1,000,244 B)", r.Failures)
	}
	// Tokyo: 10 PUTs x $0.0000047 = $0.000047; 10 GETs x $0.00000037 = $0.0000037;
	// storage 10 x 1,000,244 B x 14 days / (730 / 24 = 30.416667 days) / 1e9 = 0.0046039
	// GB-months x $0.025 = $0.0001151.
	checkUSD(t, "PUTs", line(t, r.Guardrails, "Failure records: S3 PUTs").MonthlyUSD, 0.000047)
	checkUSD(t, "GETs", line(t, r.Guardrails, "Failure records: S3 GETs").MonthlyUSD, 0.0000037)
	st := line(t, r.Guardrails, "Failure records: S3 storage (14 days)")
	if !near(st.Quantity, 0.004604) || !near(st.MonthlyUSD, 0.000115) {
		t.Errorf("storage line %+v, want 0.004604 GB-months, $0.000115", st)
	}
	for _, top := range []Topology{S3, NATGateway} {
		in := seed()
		in.Topology, in.SourceHasIPv6 = top, boolp(true)
		r := mustPlan(t, in)
		for _, l := range r.Guardrails {
			if strings.HasPrefix(l.Item, "Failure records") {
				t.Errorf("%s has no failure bucket but prices %q", top, l.Item)
			}
		}
		for _, f := range r.Failures {
			if f.Sink != FailureQueue {
				t.Errorf("%s: %+v, want the dead-letter queue", top, f)
			}
		}
	}
}
