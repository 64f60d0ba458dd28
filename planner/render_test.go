package planner

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite planner/testdata/golden files")

// checkGolden compares got with testdata/golden/name (rewritten under -update)
// and fails with a line diff.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./planner -update to create it): %v", err)
	}
	if string(want) != got {
		t.Errorf("%s differs (-want +got; go test ./planner -run %s -update to accept):\n%s", path, t.Name(), lineDiff(string(want), got))
	}
}

// lineDiff is a small unified-style diff (longest common subsequence of lines),
// showing changed lines with one line of context.
func lineDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	n, m := len(x), len(y)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte
		text string
		line int
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && x[i] == y[j]:
			ops = append(ops, op{' ', x[i], i + 1})
			i, j = i+1, j+1
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', x[i], i + 1})
			i++
		default:
			ops = append(ops, op{'+', y[j], j + 1})
			j++
		}
	}
	var out strings.Builder
	for k, o := range ops {
		near := o.kind != ' ' || (k > 0 && ops[k-1].kind != ' ') || (k+1 < len(ops) && ops[k+1].kind != ' ')
		if near {
			fmt.Fprintf(&out, "%c%4d %s\n", o.kind, o.line, o.text)
		}
	}
	return out.String()
}

func TestLineDiff(t *testing.T) {
	got := lineDiff("a\nb\nc\nd", "a\nB\nc\nd")
	want := "    1 a\n-   2 b\n+   2 B\n    3 c\n"
	if got != want {
		t.Errorf("lineDiff = %q; want %q", got, want)
	}
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
