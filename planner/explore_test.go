package planner

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func mustExplore(t *testing.T, in Input) *Exploration {
	t.Helper()
	x, err := Explore(in, mustBook(t))
	if err != nil {
		t.Fatalf("Explore: %v", err)
	}
	return x
}

// natCrossing is a single-function workload on a VPC that already pays for its NAT gateway,
// where the gateway's per-GB charge overtakes the NAT instance's fixed cost as the payload
// grows: 1 MB raw, 100 KB compressed (10:1), every 10 minutes, no AAAA record.
func natCrossing() Input {
	in := seed()
	in.SingleFunction, in.ExistingNAT, in.SourceHasIPv6 = true, true, boolp(false)
	in.PayloadBytes, in.CompressedBytes = 1000000, 100000
	return in
}

// bigFunctions spends 2 GB x (5 s + 0.3 s) = 10.6 GB-s a run.
func bigFunctions() Input {
	in := seed()
	in.MemoryMB, in.FetchMillis = 2048, 5000
	return in
}

func TestWhatIfChanges(t *testing.T) {
	type change struct {
		before, after string // compressed bytes (payload) or schedule (schedule axis)
		kinds         []ChangeKind
		totalBefore   float64
		totalAfter    float64
		chosenAfter   Topology
	}
	tests := []struct {
		name     string
		in       Input
		payload  []change
		schedule []change
	}{
		{
			// The seed's record fits up to 745,575 B compressed (TestSeedWorkload). At 745,576 B
			// (x39.24) destination is invalid and s3 carries it: 4,380 PUTs x $0.0000047 =
			// $0.020586, GETs x $0.00000037 = $0.0016206, and the envelope (record 996,152 B less
			// 1,024 B = 995,128 B) resident 1.5 days of 30.416667: 995,128 x 4,380 x 1.5 /
			// 30.416667 / 1e9 = 0.214947 GB-months x $0.025 = $0.0053737; with the common
			// $21.01: $21.037581. The schedule changes nothing: 43,800 runs x 2 requests and
			// x 0.1375 GB-s stay inside Always Free.
			name: "seed",
			in:   seed(),
			payload: []change{{"745575", "745576", []ChangeKind{ChangeChoice, ChangeDestinationInvalid, ChangeFreeTierExceeded},
				21.01, 21.037581, S3}},
		},
		{
			// 10.6 GB-s a run against 400,000 free GB-s, checked on the peak month: rate(2
			// minutes) peaks at 44,640/2 = 22,320 runs = 236,592 GB-s (fits); rate(1 minute) at
			// 44,640 runs = 473,184 GB-s (does not). Cost at rate(1 minute): 43,800 x 10.6 =
			// 464,280 GB-s, 64,280 over x $0.0000133334 = $0.857071 -> $21.867071.
			name: "big functions",
			in:   bigFunctions(),
			payload: []change{{"745575", "745576", []ChangeKind{ChangeChoice, ChangeDestinationInvalid, ChangeFreeTierExceeded},
				21.01, 21.037581, S3}},
			schedule: []change{{"rate(2 minutes)", "rate(1 minute)", []ChangeKind{ChangeFreeTierExceeded}, 21.01, 21.867071, Destination}},
		},
		{
			// Only nat-gateway (no hours: existing NAT) and nat-instance are valid. The
			// instance costs 730 h x $0.0054 + 8 GB x $0.096 + 730 h x $0.005 = $8.36; the
			// gateway 4,380 runs x raw B / 1e9 x $0.062. At 3,078,509 B compressed (raw
			// 30,785,090 B): 134.838694 GB = $8.359999, still the gateway; at 3,078,510 B (raw
			// 30,785,100 B): $8.360002, so the instance wins. Totals add the common $21.01
			// (the relays' requests, compute and logs are free).
			name: "nat instance wins",
			in:   natCrossing(),
			payload: []change{{"3078509", "3078510", []ChangeKind{ChangeChoice},
				21.01 + 8.359999, 21.01 + 8.36, NATInstance}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := mustExplore(t, tt.in)
			for _, ax := range []struct {
				a    Axis
				want []change
			}{{x.WhatIf.Payload, tt.payload}, {x.WhatIf.Schedule, tt.schedule}} {
				if len(ax.a.Changes) != len(ax.want) {
					t.Fatalf("%s: %d changes %+v; want %d", ax.a.Name, len(ax.a.Changes), ax.a.Changes, len(ax.want))
				}
				for i, w := range ax.want {
					c := ax.a.Changes[i]
					at := func(p Point) string {
						if ax.a.Name == "payload" {
							return groupInt(p.CompressedBytes)
						}
						return p.Schedule
					}
					if at(c.Before) != groupInt(parseInt(w.before)) && at(c.Before) != w.before {
						t.Errorf("%s change %d before %s; want %s", ax.a.Name, i, at(c.Before), w.before)
					}
					if at(c.After) != groupInt(parseInt(w.after)) && at(c.After) != w.after {
						t.Errorf("%s change %d after %s; want %s", ax.a.Name, i, at(c.After), w.after)
					}
					if !slices.Equal(c.Kinds, w.kinds) || c.After.Chosen != w.chosenAfter {
						t.Errorf("%s change %d: %v to %s; want %v to %s", ax.a.Name, i, c.Kinds, c.After.Chosen, w.kinds, w.chosenAfter)
					}
					checkUSD(t, ax.a.Name+" total before", c.Before.TotalMonthlyUSD, w.totalBefore)
					checkUSD(t, ax.a.Name+" total after", c.After.TotalMonthlyUSD, w.totalAfter)
				}
			}
		})
	}
}

func parseInt(s string) int64 {
	var n int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// TestWhatIfAxes: the ends of the axes are the ones promised, and the first point of each
// is the report's own plan where the input is the stack's.
func TestWhatIfAxes(t *testing.T) {
	x := mustExplore(t, seed())
	p, s := x.WhatIf.Payload, x.WhatIf.Schedule
	// x1 = the measured 279,000 / 19,000 B; x100 = 27,900,000 / 1,900,000 B.
	if p.Start.Multiplier != 1 || p.Start.RawBytes != 279000 || p.Start.CompressedBytes != 19000 ||
		p.End.Multiplier != 100 || p.End.RawBytes != 27900000 || p.End.CompressedBytes != 1900000 {
		t.Errorf("payload axis %+v .. %+v", p.Start, p.End)
	}
	if p.Start.TotalMonthlyUSD != x.Report.TotalMonthlyUSD || p.Start.Chosen != x.Report.Chosen {
		t.Errorf("x1 is %s %v; the report says %s %v", p.Start.Chosen, p.Start.TotalMonthlyUSD, x.Report.Chosen, x.Report.TotalMonthlyUSD)
	}
	// rate(1 day) = 43,800 / 1,440 = 30.416667 runs; rate(1 minute) = 43,800.
	if s.Start.Schedule != "rate(1 day)" || s.Start.RunsPerMonth != 30.416667 || s.End.Schedule != "rate(1 minute)" || s.End.RunsPerMonth != 43800 {
		t.Errorf("schedule axis %s %v .. %s %v", s.Start.Schedule, s.Start.RunsPerMonth, s.End.Schedule, s.End.RunsPerMonth)
	}
	// The destination boundary is the report's own closed form: the largest compressed
	// payload that fits is the last one destination carries.
	if c := p.Changes[0]; c.Before.CompressedBytes != x.Report.Payload.MaxCompressedBytes || c.After.CompressedBytes != x.Report.Payload.MaxCompressedBytes+1 {
		t.Errorf("boundary %d..%d; the report's largest fitting compressed payload is %d", c.Before.CompressedBytes, c.After.CompressedBytes, x.Report.Payload.MaxCompressedBytes)
	}
	// A requested topology is named; the what-if still follows the cheapest valid one.
	in := seed()
	in.Topology = S3
	x = mustExplore(t, in)
	if x.Report.Chosen != S3 || x.WhatIf.Requested != S3 || x.WhatIf.Payload.Start.Chosen != Destination {
		t.Errorf("requested s3: report %s, what-if requested %q, starts with %s", x.Report.Chosen, x.WhatIf.Requested, x.WhatIf.Payload.Start.Chosen)
	}
}

// visibleChanges plans every point of an axis and lists the points where the choice, its
// free-tier fit or destination's validity differ from the point before: the reference the
// bisection must match, point for point.
func visibleChanges(t *testing.T, a *axis) []int64 {
	t.Helper()
	var out []int64
	var prev [3]string
	for i := int64(0); i < a.n; i++ {
		r, err := Plan(a.input(i), a.book)
		if err != nil {
			t.Fatal(err)
		}
		v := visible(pointOf(r, 1))
		if i > 0 && v != prev {
			out = append(out, i)
		}
		prev = v
	}
	return out
}

// TestWhatIfMatchesExhaustive plans every schedule from rate(1 day) to rate(1 minute), and
// every byte of a small payload axis, and checks the search found exactly the changes.
func TestWhatIfMatchesExhaustive(t *testing.T) {
	legacy := seed()
	legacy.AsOf, legacy.FreeTier = day("2025-06-01"), Legacy12Month
	// A 1,000:1 payload of 100 B compressed: 9,901 points. At rate(1 minute) (43,800 runs)
	// the NAT gateway's data overtakes the NAT instance's $8.36 near 3.08 MB raw.
	tiny := natCrossing()
	tiny.Schedule, tiny.PayloadBytes, tiny.CompressedBytes = "rate(1 minute)", 100000, 100
	nat := natCrossing()
	nat.PayloadBytes, nat.CompressedBytes = 5000000, 500000 // crosses on the schedule axis
	tests := []struct {
		name    string
		in      Input
		payload bool   // also check the payload axis exhaustively
		changes string // the axis meant to change somewhere, or ""
	}{
		{"seed", seed(), false, ""},
		{"big functions", bigFunctions(), false, "schedule"},
		{"legacy", legacy, false, ""},
		{"nat on the schedule", nat, false, "schedule"},
		{"tiny payload", tiny, true, "payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Defaults(tt.in)
			in.Topology = Auto
			x := mustExplore(t, tt.in)
			axes := []struct {
				a   *axis
				got Axis
			}{{newScheduleAxis(in, mustBook(t)), x.WhatIf.Schedule}}
			if tt.payload {
				axes = append(axes, struct {
					a   *axis
					got Axis
				}{newPayloadAxis(in, mustBook(t)), x.WhatIf.Payload})
			}
			for _, ax := range axes {
				want := visibleChanges(t, ax.a)
				var got []int64
				for _, c := range ax.got.Changes {
					i := int64(WhatIfLongestPeriod) - periodOf(t, c.After.Schedule)
					if ax.a.name == "payload" {
						i = c.After.CompressedBytes - in.CompressedBytes
					}
					got = append(got, i)
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s: changes at %v; planning every point finds %v", ax.a.name, got, want)
				}
				if tt.changes == ax.a.name && len(want) == 0 {
					t.Errorf("%s: the case was meant to change somewhere", ax.a.name)
				}
			}
		})
	}
}

// periodOf is the period in minutes of a rate expression RateExpression wrote.
func periodOf(t *testing.T, expr string) int64 {
	t.Helper()
	s, err := ParseSchedule(expr)
	if err != nil || s.rateMinutes == 0 {
		t.Fatalf("%q: %v", expr, err)
	}
	return s.rateMinutes
}

func TestRateExpression(t *testing.T) {
	for _, tt := range []struct {
		minutes int64
		want    string
	}{{1, "rate(1 minute)"}, {7, "rate(7 minutes)"}, {60, "rate(1 hour)"}, {120, "rate(2 hours)"}, {90, "rate(90 minutes)"}, {1440, "rate(1 day)"}, {2880, "rate(2 days)"}, {43800, "rate(730 hours)"}} {
		got := RateExpression(tt.minutes)
		if got != tt.want {
			t.Errorf("RateExpression(%d) = %q; want %q", tt.minutes, got, tt.want)
		}
		if _, err := ParseSchedule(got); err != nil {
			t.Errorf("%s does not parse: %v", got, err)
		}
	}
}

// TestExploreSeries: the chart's series pass through the report's own point with the
// report's own figures, span rate(1 day) to rate(1 minute), and the record series crosses
// the limit where the what-if says destination stops fitting.
func TestExploreSeries(t *testing.T) {
	x := mustExplore(t, seed())
	for _, s := range x.Costs {
		pts := s.Points
		if pts[0].RunsPerMonth != 30.416667 || pts[len(pts)-1].RunsPerMonth != 43800 {
			t.Errorf("%s: runs %v .. %v; want 30.416667 .. 43,800", s.Topology, pts[0].RunsPerMonth, pts[len(pts)-1].RunsPerMonth)
		}
		if !slices.IsSortedFunc(pts, func(a, b CostPoint) int { return cmpFloat(a.RunsPerMonth, b.RunsPerMonth) }) {
			t.Errorf("%s: points not by runs", s.Topology)
		}
		i := slices.IndexFunc(pts, func(p CostPoint) bool { return p.RunsPerMonth == 4380 })
		if i < 0 || pts[i].TotalMonthlyUSD != x.Report.Find(s.Topology).TotalMonthlyUSD || pts[i].Valid != x.Report.Find(s.Topology).Valid {
			t.Errorf("%s: no point at the stack's 4,380 runs with the report's total", s.Topology)
		}
	}
	// 80% of 1,048,576 B = 838,860 B.
	if x.AlarmRecordBytes != 838860 {
		t.Errorf("alarm at %d B; want 838,860", x.AlarmRecordBytes)
	}
	var fits, not []int64
	for _, r := range x.Records {
		if r.Fits {
			fits = append(fits, r.CompressedBytes)
		} else {
			not = append(not, r.CompressedBytes)
		}
	}
	if len(fits) == 0 || len(not) == 0 || slices.Max(fits) != 745575 || slices.Min(not) != 745576 || x.Records[0].RecordBytes != 27384 {
		t.Errorf("records: fitting %v, not %v, first %+v", fits, not, x.Records[0])
	}

	// A cron firing four times a year (0.333333 runs a month) starts the series at its own
	// runs and passes the decades 1 and 10: rate(730 hours) and rate(73 hours).
	in := seed()
	in.Schedule = "cron(0 0 1 1,4,7,10 ? *)"
	x = mustExplore(t, in)
	var scheds []string
	for _, p := range x.Costs[0].Points[:3] {
		scheds = append(scheds, p.Schedule)
	}
	if want := []string{"cron(0 0 1 1,4,7,10 ? *)", "rate(730 hours)", "rate(73 hours)"}; !slices.Equal(scheds, want) {
		t.Errorf("first points %v; want %v", scheds, want)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestRenderWhatIfGolden(t *testing.T) {
	for _, tt := range []struct {
		name, format string
		in           Input
	}{
		{"whatif-seed.txt", "text", seed()},
		{"whatif-seed.md", "markdown", seed()},
		{"whatif-nat.txt", "text", natCrossing()},
		{"whatif-big.txt", "text", bigFunctions()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderWhatIf(&b, mustExplore(t, tt.in).WhatIf, tt.format); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name, b.String())
		})
	}
	if err := RenderWhatIf(&bytes.Buffer{}, WhatIf{}, "json"); err == nil || !strings.Contains(err.Error(), "want text or markdown") {
		t.Errorf("json: %v", err)
	}
}
