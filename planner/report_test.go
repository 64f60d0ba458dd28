package planner

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// TestFractionalRuns: runs per month keep their fraction in the cost. A cron firing four
// times a year is a third of a run a month, not 0, and rate(7 minutes) is 6,257.14 runs.
func TestFractionalRuns(t *testing.T) {
	tests := []struct {
		name      string
		schedule  string
		rounded   int64   // today's integer, unchanged
		exact     float64 // the figure cost is priced on, to 6 decimals
		requests  float64 // destination: two functions per run
		gbSeconds float64 // runs x 0.125 GB x 1.1 s
		peak      int64
		text      string
	}{
		// From 2026-11-25 the window is 2026-11 .. 2027-10 (365 days, 8,760 h); the cron fires
		// on 1 January, April, July and October 2027: 4 x 730 / 8,760 = 0.333333 runs; rounded
		// half up that is 0. Requests 2 x 0.333333 = 0.666667; GB-s 0.333333 x 0.1375 = 0.045833.
		{"four a year", "cron(0 0 1 1,4,7,10 ? *)", 0, 0.333333, 0.666667, 0.045833, 1,
			"schedule cron(0 0 1 1,4,7,10 ? *): 0.33 runs in a 730-hour month (cost); peak 1 run in 2027-01 (free-tier fit)"},
		// 43,800 / 7 = 6,257.142857 runs (rounded 6,257); requests 12,514.285714;
		// GB-s 6,257.142857 x 0.1375 = 860.357143. Peak: ceil(44,640 / 7) = 6,378.
		{"every 7 minutes", "rate(7 minutes)", 6257, 6257.142857, 12514.285714, 860.357143, 6378,
			"schedule rate(7 minutes): 6,257.14 runs in a 730-hour month (cost); peak 6,378 runs in 2026-12 (free-tier fit)"},
		// 43,800 / 1,440 = 30.416667 runs (rounded 30).
		{"daily", "rate(1 day)", 30, 30.416667, 60.833333, 4.182292, 31,
			"schedule rate(1 day): 30.42 runs in a 730-hour month (cost); peak 31 runs in 2026-12 (free-tier fit)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := seed()
			in.Schedule = tt.schedule
			r := mustPlan(t, in)
			if r.RunsPerMonth != tt.rounded || r.RunsPerMonthExact != tt.exact || r.PeakMonthRuns != tt.peak {
				t.Errorf("runs %d exact %v peak %d; want %d, %v, %d", r.RunsPerMonth, r.RunsPerMonthExact, r.PeakMonthRuns, tt.rounded, tt.exact, tt.peak)
			}
			if got := line(t, r.Common, "EventBridge Scheduler").Quantity; got != tt.exact {
				t.Errorf("scheduler invocations %v; want %v", got, tt.exact)
			}
			d := r.Find(Destination)
			if got := line(t, d.Lines, "Lambda requests").Quantity; got != tt.requests {
				t.Errorf("destination requests %v; want %v", got, tt.requests)
			}
			if got := line(t, d.Lines, "Lambda compute").Quantity; !near(got, tt.gbSeconds) {
				t.Errorf("destination GB-s %v; want %v", got, tt.gbSeconds)
			}
			var b bytes.Buffer
			if err := Render(&b, r, "text"); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), "\n"+tt.text+"\n") {
				t.Errorf("text lacks %q:\n%s", tt.text, b.String())
			}
		})
	}
}

// TestFractionalRunsCost: with no free tier the fraction is paid for. rate(7 minutes) in
// us-east-1 through a NAT gateway: 6,257.142857 runs x 279,000 B = 1.745743 GB processed
// (6,257 whole runs would be 1.745703 GB).
func TestFractionalRunsCost(t *testing.T) {
	in := seed()
	in.Schedule, in.FreeTier = "rate(7 minutes)", NoFreeTier
	r := mustPlan(t, in)
	nat := line(t, r.Find(NATGateway).Lines, "NAT gateway data processed")
	if !near(nat.Quantity, 1.745743) {
		t.Errorf("NAT GB %v; want 1.745743", nat.Quantity)
	}
	// 1.745743 GB x $0.062 (Tokyo) = $0.108236.
	checkUSD(t, "NAT data", nat.MonthlyUSD, 0.108236)
}

// TestEstimateTotals: each topology's total is its own cost plus the common costs plus the
// guardrails it would deploy; the chosen one's is the report's total.
func TestEstimateTotals(t *testing.T) {
	r := mustPlan(t, seed())
	// Common: RDS 730 h x $0.025 = $18.25 + gp3 20 GB x $0.138 = $2.76 -> $21.01; the
	// guardrails are free (at most 9 alarms of 10, 5 metrics of 10, the budget $0).
	for _, tt := range []struct {
		t    Topology
		want float64
	}{
		{Destination, 21.01},
		{S3, 0.022349 + 21.01},
		{NATInstance, 8.36 + 21.01},
		{NATGateway, 48.985765 + 21.01},
	} {
		checkUSD(t, string(tt.t)+" total", r.Find(tt.t).TotalMonthlyUSD, tt.want)
	}
	checkUSD(t, "report total", r.TotalMonthlyUSD, r.Find(r.Chosen).TotalMonthlyUSD)

	// No free tier, us-east-1: destination deploys 9 alarms, s3 7. Alarms $0.10 and metrics
	// $0.30 each: destination's guardrails 0.90 + 1.50 = $2.40, s3's 0.70 + 1.50 = $2.20.
	in := seed()
	in.FreeTier, in.Region = NoFreeTier, "us-east-1"
	r = mustPlan(t, in)
	for _, tt := range []struct {
		t          Topology
		guardrails float64
	}{{Destination, 2.40}, {S3, 2.20}} {
		e := r.Find(tt.t)
		checkUSD(t, string(tt.t)+" total", e.TotalMonthlyUSD, e.MonthlyUSD+r.CommonMonthlyUSD+tt.guardrails)
	}
}

func TestRanked(t *testing.T) {
	names := func(es []Estimate) []Topology {
		var out []Topology
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out
	}
	// Seed: destination $0 < s3 $0.02 < nat-instance $8.36 < nat-gateway $48.99; ipv6 is
	// invalid (AAAA unknown) although it costs $0: last.
	want := []Topology{Destination, S3, NATInstance, NATGateway, IPv6}
	if got := names(mustPlan(t, seed()).Ranked()); !slices.Equal(got, want) {
		t.Errorf("ranked %v; want %v", got, want)
	}
	// A requested topology does not move: the rows are by cost.
	in := seed()
	in.Topology = NATInstance
	if got := names(mustPlan(t, in).Ranked()); !slices.Equal(got, want) {
		t.Errorf("ranked with nat-instance requested %v; want %v", got, want)
	}
	// ipv6 valid and free ties destination: AllTopologies order keeps destination first.
	in = seed()
	in.SourceHasIPv6 = boolp(true)
	if got := names(mustPlan(t, in).Ranked()); !slices.Equal(got, []Topology{Destination, IPv6, S3, NATInstance, NATGateway}) {
		t.Errorf("ranked with ipv6 valid %v", got)
	}
}

func TestFormatRuns(t *testing.T) {
	for _, tt := range []struct {
		x    float64
		want string
	}{
		{0, "0 runs"}, {1, "1 run"}, {2, "2 runs"}, {4380, "4,380 runs"}, {30.416667, "30.42 runs"},
		{0.333333, "0.33 runs"}, {6257.142857, "6,257.14 runs"}, {0.999, "1.00 runs"},
	} {
		if got := FormatRuns(tt.x); got != tt.want {
			t.Errorf("FormatRuns(%v) = %q; want %q", tt.x, got, tt.want)
		}
	}
}

func TestSignedMoney(t *testing.T) {
	for _, tt := range []struct {
		x    float64
		want string
	}{{8.36, "+$8.36"}, {-0.02, "-$0.02"}, {0.001, "+<$0.01"}, {0, "$0.00"}, {-1234.5, "-$1,234.50"}} {
		if got := SignedMoney(tt.x); got != tt.want {
			t.Errorf("SignedMoney(%v) = %q; want %q", tt.x, got, tt.want)
		}
	}
}

// TestRecordLines: the destination-record lines appear only while destination is valid.
func TestRecordLines(t *testing.T) {
	over := seed()
	over.CompressedBytes, over.PayloadBytes = 745576, 8*745576 // record 996,152 B > usable 996,148 B
	spill := over
	spill.Spill = true
	single := seed()
	single.SingleFunction = true
	tests := []struct {
		name string
		in   Input
		want string // "" = no record line
	}{
		{"fits", seed(), "destination record 27,384 B = 2.61% of the 1,048,576 B async limit"},
		{"too big", over, ""},
		{"too big, spilled", spill, "usable 996,148 B after a 5% margin: does NOT fit"},
		{"single function", single, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustPlan(t, tt.in)
			for _, format := range []string{"text", "markdown"} {
				var b bytes.Buffer
				if err := Render(&b, r, format); err != nil {
					t.Fatal(err)
				}
				has := strings.Contains(b.String(), "destination record ")
				if tt.want == "" && has {
					t.Errorf("%s: a destination-record line while destination is invalid:\n%s", format, b.String())
				}
				if tt.want != "" && !strings.Contains(b.String(), tt.want) {
					t.Errorf("%s lacks %q", format, tt.want)
				}
			}
		})
	}
}

func TestRenderShort(t *testing.T) {
	var b bytes.Buffer
	if err := RenderShort(&b, mustPlan(t, seed()), "text"); err != nil {
		t.Fatal(err)
	}
	// The others' totals and differences: s3 $21.03 (0.022349 + 21.01 = 21.032349, +$0.02),
	// nat-instance $29.37 (+$8.36), nat-gateway $70.00 (69.995765, +$48.99).
	want := `lambdabridge plan: destination, $21.01/month in total (ap-northeast-1, as of 2026-11-25, free tier always-free)
rate(10 minutes): 4,380 runs a month; payload 279 KB raw, 19 KB compressed; record 2.61% of the 1 MiB limit, fits up to 10.95 MB raw
others: s3 $21.03 (+$0.02), nat-instance $29.37 (+$8.36), nat-gateway $70.00 (+$48.99); invalid: ipv6
`
	if b.String() != want {
		t.Errorf("short text:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := RenderShort(&b, mustPlan(t, seed()), "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "**lambdabridge plan: destination, $21.01/month in total** (ap-northeast-1, ") || strings.Count(b.String(), "\n- ") != 2 {
		t.Errorf("short markdown:\n%s", b.String())
	}
	if err := RenderShort(&b, mustPlan(t, seed()), "json"); err == nil {
		t.Error("short json: no error")
	}
}
