package planner

import (
	"bytes"
	"encoding/json"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/internal/golden"
)

var update = flag.Bool("update", false, "rewrite planner/testdata/golden files")

// checkGolden compares got with testdata/golden/name (rewritten under -update)
// and fails with a line diff.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	golden.Check(t, filepath.Join("testdata", "golden", name), []byte(got), *update, "go test ./planner -run "+t.Name()+" -update")
}

func TestRenderGolden(t *testing.T) {
	legacy := seed()
	legacy.AsOf, legacy.FreeTier = day("2025-06-01"), Legacy12Month
	over := seed()
	over.CompressedBytes, over.PayloadBytes, over.SourceHasIPv6 = 745576, 8*745576, boolp(false)
	none := seed()
	none.FreeTier, none.CreditsUSD, none.Region = NoFreeTier, 100, "us-east-1"
	tests := []struct {
		name   string
		in     Input
		format string
	}{
		{"seed.txt", seed(), "text"},
		{"seed.json", seed(), "json"},
		{"seed.md", seed(), "markdown"},
		{"seed-legacy-2025-06-01.txt", legacy, "text"},
		{"oversize.md", over, "markdown"},
		{"none-us-east-1.txt", none, "text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, mustPlan(t, tt.in), tt.format); err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkGolden(t, tt.name, buf.String())
		})
	}
}

// TestJSONContract: the fields issue 2 promises exist under their names.
func TestJSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, mustPlan(t, seed()), "json"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Chosen        *string `json:"chosen"`
		RunsPerMonth  *int64  `json:"runsPerMonth"`
		PeakMonthRuns *int64  `json:"peakMonthRuns"`
		Topologies    []map[string]json.RawMessage
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Chosen == nil || *doc.Chosen != "destination" || doc.RunsPerMonth == nil || *doc.RunsPerMonth != 4380 ||
		doc.PeakMonthRuns == nil || *doc.PeakMonthRuns != 4464 || len(doc.Topologies) != 5 {
		t.Fatalf("contract fields missing: %s", buf.String()[:200])
	}
	// Added by issue 13: the exact runs beside the whole ones, each topology's total.
	var added struct {
		RunsPerMonthExact *float64 `json:"runsPerMonthExact"`
		Topologies        []struct {
			TotalMonthlyUSD *float64 `json:"totalMonthlyUSD"`
		} `json:"topologies"`
	}
	if err := json.Unmarshal(buf.Bytes(), &added); err != nil {
		t.Fatal(err)
	}
	if added.RunsPerMonthExact == nil || *added.RunsPerMonthExact != 4380 {
		t.Errorf("runsPerMonthExact %v; want 4380", added.RunsPerMonthExact)
	}
	for i, top := range added.Topologies {
		if top.TotalMonthlyUSD == nil || *top.TotalMonthlyUSD < 21.01 {
			t.Errorf("topology %d: totalMonthlyUSD %v; want at least the common $21.01", i, top.TotalMonthlyUSD)
		}
	}
	for _, top := range doc.Topologies {
		for _, k := range []string{"name", "valid", "reasons", "monthlyUSD", "fitsFreeTier", "usage"} {
			if _, ok := top[k]; !ok {
				t.Errorf("topology lacks %q", k)
			}
		}
		var u map[string]json.RawMessage
		if err := json.Unmarshal(top["usage"], &u); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"invocations", "gbSeconds", "s3Puts", "s3Gets", "natHours", "natGB"} {
			if _, ok := u[k]; !ok {
				t.Errorf("usage lacks %q", k)
			}
		}
	}
}

// TestRenderPartialReport: a report built by hand (no chosen topology, no payload)
// renders without panicking in every format.
func TestRenderPartialReport(t *testing.T) {
	r := &Report{Region: "us-east-1", Topologies: []Estimate{{Name: S3}}}
	for _, f := range []string{"text", "json", "markdown"} {
		if err := Render(&bytes.Buffer{}, r, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	for _, f := range []string{"text", "markdown"} {
		if err := RenderShort(&bytes.Buffer{}, r, f); err != nil {
			t.Errorf("short %s: %v", f, err)
		}
	}
	if err := RenderShort(&bytes.Buffer{}, nil, "text"); err == nil {
		t.Error("short nil report: no error")
	}
	if err := Render(&bytes.Buffer{}, nil, "text"); err == nil {
		t.Error("nil report: no error")
	}
}

func TestRenderBadFormat(t *testing.T) {
	err := Render(&bytes.Buffer{}, mustPlan(t, seed()), "yaml")
	if err == nil || !strings.Contains(err.Error(), "want text, json or markdown") {
		t.Errorf("error = %v", err)
	}
}
