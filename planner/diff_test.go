package planner

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// singleFunction is the seed workload needing one function with internet and database, on
// a source without AAAA: only the NAT topologies are valid, and the instance is cheaper.
func singleFunction() Input {
	in := seed()
	in.SingleFunction, in.SourceHasIPv6 = true, boolp(false)
	return in
}

func TestCompare(t *testing.T) {
	base := mustPlan(t, seed())
	faster := seed()
	faster.Schedule = "rate(5 minutes)"
	tests := []struct {
		name       string
		cur        *Report
		headline   string
		topologies []Topology
		inputs     []string
	}{
		// destination $21.01 in total -> nat-instance 730 h x $0.0054 + 8 GB x $0.096 +
		// 730 h x $0.005 = $8.36, plus the common $21.01 = $29.37: +$8.36. destination and s3
		// become invalid (one function); ipv6 stays invalid at $0.00.
		{"single function", mustPlan(t, singleFunction()), "+$8.36/month ($21.01 -> $29.37), topology destination -> nat-instance",
			[]Topology{Destination, S3}, nil},
		{"same", mustPlan(t, seed()), "no change: $21.01/month, topology destination", nil, nil},
		// rate(5 minutes): 8,760 runs, still free for destination; s3 pays 8,760 PUTs x
		// $0.0000047 = $0.041172 and GETs x $0.00000037 = $0.003241, and stores the 26,360 B
		// envelope (27,384 - 1,024) x 8,760 x 1.5 / 30.416667 / 1e9 = 0.011388 GB-months x
		// $0.025 = $0.000285: $0.044698. The NAT gateway's data doubles: 279,000 B x 8,760 =
		// 2.44404 GB x $0.062 = $0.151530, was $0.075765.
		{"schedule", mustPlan(t, faster), "no change: $21.01/month, topology destination",
			[]Topology{S3, NATGateway}, []string{"schedule", "runs a month"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Compare(base, tt.cur)
			if got := d.Headline(); got != tt.headline {
				t.Errorf("headline %q; want %q", got, tt.headline)
			}
			var tops []Topology
			for _, x := range d.Topologies {
				tops = append(tops, x.Name)
			}
			if !slices.Equal(tops, tt.topologies) {
				t.Errorf("changed topologies %v; want %v", tops, tt.topologies)
			}
			var ins []string
			for _, x := range d.Inputs {
				ins = append(ins, x.Input)
			}
			if !slices.Equal(ins, tt.inputs) {
				t.Errorf("changed inputs %v; want %v", ins, tt.inputs)
			}
		})
	}
	d := Compare(base, mustPlan(t, faster))
	checkUSD(t, "s3 own after", d.Topologies[0].MonthlyUSD, 0.044698)
	checkUSD(t, "s3 delta", d.Topologies[0].DeltaMonthlyUSD, 0.044698-0.022349)
	checkUSD(t, "nat-gateway delta", d.Topologies[1].DeltaMonthlyUSD, 0.075765)
}

// TestCompareOldBaseline: a baseline written before runsPerMonthExact existed still
// compares (its runs are the whole runsPerMonth).
func TestCompareOldBaseline(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, mustPlan(t, seed()), "json"); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "runsPerMonthExact")
	old, _ := json.Marshal(doc)
	var base Report
	if err := json.Unmarshal(old, &base); err != nil {
		t.Fatal(err)
	}
	d := Compare(&base, mustPlan(t, seed()))
	if len(d.Inputs) != 0 || d.Headline() != "no change: $21.01/month, topology destination" {
		t.Errorf("inputs %+v headline %q", d.Inputs, d.Headline())
	}
}

func TestRenderDiffGolden(t *testing.T) {
	over := seed()
	over.CompressedBytes, over.PayloadBytes = 745576, 8*745576 // the record no longer fits
	d := Compare(mustPlan(t, seed()), mustPlan(t, over))
	for _, f := range []struct{ name, format string }{{"diff-oversize.txt", "text"}, {"diff-oversize.md", "markdown"}} {
		var b bytes.Buffer
		if err := RenderDiff(&b, d, "plan-main.json", f.format); err != nil {
			t.Fatal(err)
		}
		checkGolden(t, f.name, b.String())
	}
	if err := RenderDiff(&bytes.Buffer{}, d, "x", "svg"); err == nil {
		t.Error("svg diff: no error")
	}
}

func TestRenderStacks(t *testing.T) {
	hourly := seed()
	hourly.Schedule, hourly.Region = "rate(1 hour)", "us-east-1"
	stacks := []StackReport{{"dev", mustPlan(t, seed())}, {"prod", mustPlan(t, hourly)}, {"nat", mustPlan(t, singleFunction())}}
	var b bytes.Buffer
	if err := RenderStacks(&b, stacks, "text"); err != nil {
		t.Fatal(err)
	}
	// us-east-1's common cost: RDS 730 h x $0.016 + 20 GB x $0.115 = $11.68 + $2.30 = $13.98.
	want := `STACK  REGION          SCHEDULE          RUNS A MONTH  PAYLOAD RAW / COMPRESSED  CHOSEN        TOTAL         RECORD HEADROOM
dev    ap-northeast-1  rate(10 minutes)  4,380         279 KB / 19 KB            destination   $21.01/month  2.61% of the limit, fits up to 10.95 MB raw
prod   us-east-1       rate(1 hour)      730           279 KB / 19 KB            destination   $13.98/month  2.61% of the limit, fits up to 10.95 MB raw
nat    ap-northeast-1  rate(10 minutes)  4,380         279 KB / 19 KB            nat-instance  $29.37/month  2.61% of the limit, fits up to 10.95 MB raw
`
	if b.String() != want {
		t.Errorf("stacks:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := RenderStacks(&b, stacks, "markdown"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| prod | us-east-1 | rate(1 hour) | 730 | 279 KB / 19 KB | destination | $13.98/month |") {
		t.Errorf("stacks markdown:\n%s", b.String())
	}
}

func TestCheckGate(t *testing.T) {
	r := mustPlan(t, seed()) // $21.01 in total
	for _, tt := range []struct {
		max    float64
		passed bool
		text   string
	}{
		{25, true, "budget passed: $21.01/month is within $25.00/month"},
		{21.01, true, "budget passed: $21.01/month is within $21.01/month"}, // equal passes
		// 21.01 - 20 = 1.01 over.
		{20, false, "budget FAILED: $21.01/month exceeds $20.00/month by $1.01"},
		{21.009999, false, "budget FAILED: $21.01/month exceeds $21.01/month by <$0.01"},
	} {
		g := CheckGate(r, tt.max)
		if g.Passed != tt.passed || g.String() != tt.text || g.TotalMonthlyUSD != 21.01 {
			t.Errorf("max %v: %+v %q; want passed %v, %q", tt.max, g, g.String(), tt.passed, tt.text)
		}
	}
}
