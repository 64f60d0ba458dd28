package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/planner"
)

// The fixture dev stack is the seed workload: destination, $21.01 a month in total (RDS 730 h
// x $0.025 + 20 GB x $0.138 = $18.25 + $2.76; the rest inside Always Free). With one function
// and no AAAA record only the NAT topologies are valid: nat-instance, 730 h x $0.0054 + 8 GB x
// $0.096 + 730 h x $0.005 = $8.36, $29.37 in total.
var natFlags = []string{"--single-function", "--ipv6", "false"}

// TestGateExits3InEveryFormat: a total over --max-monthly writes the whole output, then exits
// 3 with one message; at or under it exits 0.
func TestGateExits3InEveryFormat(t *testing.T) {
	dir := fixtureDir(t)
	const msg = "plan: total $21.01/month exceeds --max-monthly $20.00\n"
	for _, format := range []string{"text", "json", "markdown", "svg", "html"} {
		t.Run(format, func(t *testing.T) {
			r := run(t, testCLI(nil), "--dir", dir, "--format", format, "--max-monthly", "20")
			if r.code != exitcode.Gate || r.stderr != msg {
				t.Errorf("exit %d stderr %q; want 3 and %q", r.code, r.stderr, msg)
			}
			if !complete(t, format, r.stdout) {
				t.Errorf("the output is not written whole before the gate fails:\n%s", r.stdout)
			}
			// $21.01 is within $21.01 and $25: exit 0, nothing on stderr.
			for _, budget := range []string{"21.01", "$25"} {
				r = run(t, testCLI(nil), "--dir", dir, "--format", format, "--max-monthly", budget)
				if r.code != 0 || r.stderr != "" || !complete(t, format, r.stdout) {
					t.Errorf("--max-monthly %s: exit %d stderr %q", budget, r.code, r.stderr)
				}
			}
		})
	}
}

// complete says whether out is a whole document of format, with the budget verdict where the
// format carries one.
func complete(t *testing.T, format, out string) bool {
	t.Helper()
	switch format {
	case "text":
		return strings.HasPrefix(out, "lambdabridge plan: destination, $21.01/month in total") &&
			(strings.HasSuffix(out, "exceeds $20.00/month by $1.01 (--max-monthly)\n") || strings.Contains(out, "budget passed: $21.01/month is within"))
	case "markdown":
		return strings.HasPrefix(out, "**budget ") && strings.HasSuffix(out, "</details>\n")
	case "json":
		var doc struct {
			Chosen string        `json:"chosen"`
			Gate   *planner.Gate `json:"gate"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Logf("json: %v", err)
			return false
		}
		return doc.Chosen == "destination" && doc.Gate != nil && doc.Gate.TotalMonthlyUSD == 21.01 && doc.Gate.Passed == (doc.Gate.MaxMonthlyUSD >= 21.01)
	case "svg":
		return wellFormed(t, out) && strings.HasPrefix(out, "<svg ") && strings.HasSuffix(out, "</svg>\n")
	case "html":
		return strings.HasPrefix(out, "<!DOCTYPE html>") && strings.HasSuffix(out, "</html>\n") && strings.Contains(out, "budget ")
	}
	return false
}

func wellFormed(t *testing.T, s string) bool {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			t.Logf("xml: %v", err)
			return false
		}
	}
}

// writeBaseline writes the JSON report of args (on the fixture) to a file and returns its path.
func writeBaseline(t *testing.T, dir string, args ...string) string {
	t.Helper()
	r := run(t, testCLI(nil), append([]string{"--dir", dir, "--format", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("baseline: exit %d %s", r.code, r.stderr)
	}
	path := filepath.Join(t.TempDir(), "base.json")
	if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBaseline(t *testing.T) {
	dir := fixtureDir(t)
	base := writeBaseline(t, dir) // destination, $21.01
	const headline = "+$8.36/month ($21.01 -> $29.37), topology destination -> nat-instance"

	r := run(t, testCLI(nil), append([]string{"--dir", dir, "--baseline", base}, natFlags...)...)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "against "+base+": "+headline+"\n") {
		t.Errorf("text: exit %d, does not open with the diff:\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Markdown is a pull-request comment: the diff first, the short report, the full one folded.
	r = run(t, testCLI(nil), append([]string{"--dir", dir, "--baseline", base, "--format", "markdown"}, natFlags...)...)
	md := r.stdout
	iDiff, iShort, iFull := strings.Index(md, "### Plan diff: "+headline), strings.Index(md, "**lambdabridge plan: nat-instance, $29.37/month in total**"), strings.Index(md, "<details><summary>Full report</summary>")
	if r.code != 0 || iDiff != 0 || iShort < iDiff || iFull < iShort || !strings.Contains(md, "| total | $21.01/month | $29.37/month | +$8.36 |") {
		t.Errorf("markdown: exit %d, diff at %d, short at %d, full at %d:\n%s", r.code, iDiff, iShort, iFull, md)
	}

	// JSON: the report, plus the diff and the baseline's name.
	r = run(t, testCLI(nil), append([]string{"--dir", dir, "--baseline", base, "--format", "json"}, natFlags...)...)
	var doc struct {
		Chosen   string        `json:"chosen"`
		Baseline string        `json:"baseline"`
		Diff     *planner.Diff `json:"diff"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 {
		t.Fatalf("json: exit %d %v", r.code, err)
	}
	if doc.Chosen != "nat-instance" || doc.Baseline != base || doc.Diff == nil || doc.Diff.DeltaMonthlyUSD != 8.36 || doc.Diff.BaseChosen != planner.Destination {
		t.Errorf("json diff %+v", doc)
	}

	// The HTML page shows the diff before the chart.
	r = run(t, testCLI(nil), append([]string{"--dir", dir, "--baseline", base, "--format", "html"}, natFlags...)...)
	page := html.UnescapeString(r.stdout) // html/template writes + as &#43;
	if i, j := strings.Index(page, "Diff: +$8.36/month"), strings.Index(page, "<svg "); r.code != 0 || i < 0 || j < i {
		t.Errorf("html: exit %d, diff at %d, chart at %d", r.code, i, j)
	}

	// A budget fails after the diff is written.
	r = run(t, testCLI(nil), append([]string{"--dir", dir, "--baseline", base, "--max-monthly", "25"}, natFlags...)...)
	if r.code != exitcode.Gate || !strings.Contains(r.stdout, headline) || r.stderr != "plan: total $29.37/month exceeds --max-monthly $25.00\n" {
		t.Errorf("gate with baseline: exit %d stderr %q", r.code, r.stderr)
	}
}

func TestBadDecisionFlags(t *testing.T) {
	dir := fixtureDir(t)
	notJSON := filepath.Join(t.TempDir(), "x.json")
	os.WriteFile(notJSON, []byte("lambdabridge plan: ..."), 0o644)
	stacksJSON := filepath.Join(t.TempDir(), "stacks.json")
	os.WriteFile(stacksJSON, []byte(`{"stacks": [{"stack": "dev"}]}`), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"budget word", []string{"--max-monthly", "lots"}, `plan: --max-monthly "lots": want a monthly budget in US dollars, 0 or more, like 25 or 25.50`},
		{"budget negative", []string{"--max-monthly", "-1"}, `plan: --max-monthly "-1": want a monthly budget`},
		{"baseline missing", []string{"--baseline", "nope.json"}, `plan: --baseline "nope.json": open nope.json`},
		{"baseline not json", []string{"--baseline", notJSON}, `: not a plan report (invalid character`},
		{"baseline of stacks", []string{"--baseline", stacksJSON}, `: not a plan report (no chosen topology): want the output of plan --format json for one stack`},
		{"baseline in svg", []string{"--baseline", stacksJSON, "--format", "svg"}, `plan: --baseline: the svg chart has no room for a diff`},
		{"short json", []string{"--short", "--format", "json"}, `plan: --short is a form of the text and markdown reports, not of --format json`},
		{"empty stack", []string{"--stack", "dev,"}, `plan: --stack "dev,": an empty stack name`},
		{"stack twice", []string{"--stack", "dev,dev"}, `plan: --stack "dev,dev": stack dev twice`},
		{"stacks what-if", []string{"--stack", "dev,hourly", "--what-if"}, `plan: --what-if plans one stack; --stack dev,hourly compares 2 side by side: give one stack`},
		{"stacks svg", []string{"--stack", "dev,hourly", "--format", "svg"}, `plan: --format svg draws one stack`},
		{"unknown stack in a list", []string{"--stack", "dev,staging"}, `Pulumi.staging.yaml`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, testCLI(nil), append([]string{"--dir", dir}, tc.args...)...)
			if r.code != exitcode.Usage || !strings.Contains(r.stderr, tc.want) || r.stdout != "" {
				t.Errorf("exit %d stdout %q stderr %q; want 2 and %q", r.code, r.stdout, r.stderr, tc.want)
			}
		})
	}
}

func TestStacksSideBySide(t *testing.T) {
	dir := fixtureDir(t)
	r := run(t, testCLI(nil), "--dir", dir, "--stack", "dev,hourly")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "STACK ") ||
		!strings.HasPrefix(lines[1], "dev ") || !strings.HasPrefix(lines[2], "hourly ") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	// dev: the seed (hand-worked above); hourly: rate(1 hour) = 730 runs, 1 MB / 100 KB, in
	// us-west-2. Each row's total is that stack's own report's.
	hourly := report(t, run(t, testCLI(nil), "--dir", dir, "--stack", "hourly", "--format", "json"))
	for _, want := range []string{"ap-northeast-1", "rate(10 minutes)", "4,380", "279 KB / 19 KB", "destination", "$21.01/month", "2.61% of the limit, fits up to 10.95 MB raw"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("dev row lacks %q: %s", want, lines[1])
		}
	}
	for _, want := range []string{"us-west-2", "rate(1 hour)", " 730 ", "1 MB / 100 KB", string(hourly.Chosen), planner.Money(hourly.TotalMonthlyUSD) + "/month"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("hourly row lacks %q: %s", want, lines[2])
		}
	}

	// JSON: one document with each stack's whole report.
	r = run(t, testCLI(nil), "--dir", dir, "--stack", "dev,hourly", "--format", "json")
	var doc struct {
		Stacks []struct {
			Stack  string         `json:"stack"`
			Report planner.Report `json:"report"`
		} `json:"stacks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || len(doc.Stacks) != 2 ||
		doc.Stacks[0].Stack != "dev" || doc.Stacks[0].Report.TotalMonthlyUSD != 21.01 || doc.Stacks[1].Report.Region != "us-west-2" {
		t.Errorf("json: %v %+v", err, doc)
	}

	// A budget between the two totals fails the dearer stack, naming it.
	r = run(t, testCLI(nil), "--dir", dir, "--stack", "dev,hourly", "--max-monthly", "21")
	if r.code != exitcode.Gate || !strings.Contains(r.stderr, "plan: stack dev: total $21.01/month exceeds --max-monthly $21.00") ||
		!strings.Contains(r.stdout, "stack dev: budget FAILED: $21.01/month exceeds $21.00/month by $0.01 (--max-monthly)") {
		t.Errorf("gate: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestWhatIfFlag(t *testing.T) {
	dir := fixtureDir(t)
	r := run(t, testCLI(nil), "--dir", dir, "--what-if")
	// The record stops fitting above 745,575 B compressed (planner's TestSeedWorkload).
	if r.code != 0 || !strings.Contains(r.stdout, "\nwhat-if: ") ||
		!strings.Contains(r.stdout, "from x39.24 (745,576 B compressed, 10.95 MB raw): destination stops fitting (record 996,152 B)") {
		t.Errorf("text: exit %d:\n%s", r.code, r.stdout)
	}
	r = run(t, testCLI(nil), "--dir", dir, "--what-if", "--format", "json")
	var doc struct {
		TotalMonthlyUSD float64        `json:"totalMonthlyUSD"`
		WhatIf          planner.WhatIf `json:"whatIf"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 {
		t.Fatalf("json: exit %d %v", r.code, err)
	}
	ch := doc.WhatIf.Payload.Changes
	if len(ch) != 1 || ch[0].After.CompressedBytes != 745576 || ch[0].After.Chosen != planner.S3 || doc.WhatIf.Payload.Start.TotalMonthlyUSD != doc.TotalMonthlyUSD {
		t.Errorf("json what-if: %+v", doc.WhatIf.Payload)
	}
}

func TestShort(t *testing.T) {
	dir := fixtureDir(t)
	for format, lines := range map[string]int{"text": 3, "markdown": 4} {
		r := run(t, testCLI(nil), "--dir", dir, "--short", "--format", format)
		if got := strings.Count(strings.TrimSpace(r.stdout), "\n") + 1; r.code != 0 || got != lines || !strings.Contains(r.stdout, "destination, $21.01/month in total") {
			t.Errorf("%s: exit %d, %d lines (want %d):\n%s", format, r.code, got, lines, r.stdout)
		}
	}
}

// TestDocumentFormats: svg and html are one document on stdout; what --sample measured goes to
// stderr, as with json.
func TestDocumentFormats(t *testing.T) {
	dir := fixtureDir(t)
	for format, prefix := range map[string]string{"svg": "<svg xmlns=\"http://www.w3.org/2000/svg\"", "html": "<!DOCTYPE html>"} {
		r := run(t, testCLI(nil), "--dir", dir, "--format", format, "--sample", samplePath)
		if r.code != 0 || !strings.HasPrefix(r.stdout, prefix) || !strings.HasPrefix(r.stderr, "measured ") {
			t.Errorf("%s: exit %d stdout %.60q stderr %.60q", format, r.code, r.stdout, r.stderr)
		}
	}
}

// TestJSONWithoutDecisionFlags: without --baseline, --max-monthly or --what-if the JSON is the
// report exactly, as planner.Render writes it.
func TestJSONWithoutDecisionFlags(t *testing.T) {
	r := run(t, testCLI(nil), "--dir", fixtureDir(t), "--format", "json")
	rep := report(t, r)
	var want bytes.Buffer
	if err := planner.Render(&want, &rep, "json"); err != nil {
		t.Fatal(err)
	}
	if r.stdout != want.String() {
		t.Error("the JSON differs from the report's own")
	}
	for _, k := range []string{`"diff"`, `"gate"`, `"whatIf"`, `"baseline"`} {
		if strings.Contains(r.stdout, k) {
			t.Errorf("JSON has %s without the flag that adds it", k)
		}
	}
}
