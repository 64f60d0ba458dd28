package page

import (
	"bytes"
	"context"
	"flag"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/golden"
	"github.com/lambdabridge/lambdabridge/internal/headless"
	"github.com/lambdabridge/lambdabridge/planner"
)

var update = flag.Bool("update", false, "rewrite planner/page/testdata files")

func seed() planner.Input {
	return planner.Input{Schedule: "rate(10 minutes)", PayloadBytes: 279000, CompressedBytes: 19000,
		Region: "ap-northeast-1", FreeTier: planner.AlwaysFree, AsOf: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)}
}

// page renders the seed's page with a diff against the seed on a single-function stack
// (nat-instance, $29.37: planner's TestCompare) and a $25 budget, which the seed passes.
func page(t *testing.T) []byte {
	t.Helper()
	book, err := planner.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	x, err := planner.Explore(seed(), book)
	if err != nil {
		t.Fatal(err)
	}
	no := false
	nat := seed()
	nat.SingleFunction, nat.SourceHasIPv6 = true, &no
	base, err := planner.Plan(nat, book)
	if err != nil {
		t.Fatal(err)
	}
	d := planner.Compare(base, x.Report)
	g := planner.CheckGate(x.Report, 25)
	var b bytes.Buffer
	if err := Write(&b, x, Options{Baseline: "main.json", Diff: &d, Gate: &g}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPageGolden(t *testing.T) {
	got := page(t)
	golden.Check(t, filepath.Join("testdata", "seed.html"), got, *update, "go test ./planner/page -run TestPageGolden -update")
}

// TestPageSelfContained: nothing on the page loads anything or runs anything.
func TestPageSelfContained(t *testing.T) {
	p := strings.ToLower(string(page(t)))
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", " src=", " href=", "@import", "url(", " on"} {
		if bad == " on" {
			for _, ev := range []string{" onload=", " onclick=", " onerror="} {
				if strings.Contains(p, ev) {
					t.Errorf("the page has an event handler %q", ev)
				}
			}
			continue
		}
		if strings.Contains(p, bad) {
			t.Errorf("the page has %q", bad)
		}
	}
	if !strings.HasPrefix(p, "<!doctype html>") || strings.Count(p, "<svg ") != 1 {
		t.Errorf("want one HTML document with one inline svg")
	}
}

// keys are what the page must say: the headline, the budget, the diff (baseline nat-instance
// $29.37 -> destination $21.01: -$8.36), the chart's labels, the tables and the what-if.
var keys = []string{
	"lambdabridge plan: destination, $21.01/month in total",
	"budget passed: $21.01/month is within $25.00/month",
	"Diff: -$8.36/month ($29.37 -&gt; $21.01), topology nat-instance -&gt; destination",
	"this stack: rate(10 minutes), $21.01/month",
	"async limit 1,048,576 B",
	"Topologies", "Chosen: destination, $0.00/month", "Common (every topology): $21.01/month",
	"Total: $21.01/month (destination + common $21.01 + guardrails $0.00)",
	"What if",
	"destination stops fitting (record 996,152 B); s3 is chosen instead of destination; s3 does not fit the free tier",
	"never the cheapest valid in this range: s3, nat-instance, nat-gateway",
}

func TestPageSays(t *testing.T) {
	p := string(page(t))
	for _, k := range keys {
		if !strings.Contains(p, k) {
			t.Errorf("the page lacks %q", k)
		}
	}
	// The topology rows are by cost, invalid last.
	order := []string{">destination<", ">s3<", ">nat-instance<", ">nat-gateway<", ">ipv6<"}
	table := p[strings.Index(p, "<h2>Topologies</h2>"):]
	last := -1
	for _, o := range order {
		i := strings.Index(table, o)
		if i < last {
			t.Errorf("%s out of order in the topology table", o)
		}
		last = i
	}
}

// TestPageInBrowser renders the page in chromium from an httptest server: the top of the page
// (headline, budget, diff, chart) is a picture with the chart's colors, and the DOM the browser
// built holds the key texts.
func TestPageInBrowser(t *testing.T) {
	b := headless.Require(t)
	p := page(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(p)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shot, err := b.Screenshot(ctx, srv.URL, 1000, 1400+headless.Margin)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := headless.Variance(shot); err != nil || v < 200 {
		t.Errorf("screenshot variance %.1f, %v: blank", v, err)
	}
	// The chart's destination line (#009E73) and record line (#0072B2), and the passed
	// budget's green band (#e6f4ea).
	for what, hex := range map[string]string{"destination": "#009E73", "record": "#0072B2", "budget": "#e6f4ea"} {
		if n, err := headless.CountColor(shot, hex, 16); err != nil || n < 400 {
			t.Errorf("%d pixels of %s (%s), %v: not drawn", n, what, hex, err)
		}
	}
	dom, err := b.DOM(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.Contains(dom, k) && !strings.Contains(dom, html.UnescapeString(k)) {
			t.Errorf("the browser's DOM lacks %q", k)
		}
	}
}
