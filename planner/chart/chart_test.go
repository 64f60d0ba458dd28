package chart

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"io"
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

var update = flag.Bool("update", false, "rewrite planner/chart/testdata/golden files")

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// seed is the seed workload (planner's tests): every 10 minutes, 279 KB of JSON that gzips
// to 19 KB, in Tokyo, on Always Free.
func seed() planner.Input {
	return planner.Input{Schedule: "rate(10 minutes)", PayloadBytes: 279000, CompressedBytes: 19000,
		Region: "ap-northeast-1", FreeTier: planner.AlwaysFree, AsOf: day("2026-11-25")}
}

// inputs are the charted cases: the seed; a single-function stack on an existing NAT whose
// gateway loses to a NAT instance as the payload grows (1 MB raw, 10:1); a cron firing four
// times a year with functions big enough to leave the free tier at rate(1 minute).
func inputs() map[string]planner.Input {
	no := false
	nat := seed()
	nat.SingleFunction, nat.ExistingNAT, nat.SourceHasIPv6 = true, true, &no
	nat.PayloadBytes, nat.CompressedBytes = 1000000, 100000
	cron := seed()
	cron.Schedule, cron.MemoryMB, cron.FetchMillis = "cron(0 0 1 1,4,7,10 ? *)", 2048, 5000
	return map[string]planner.Input{"seed": seed(), "nat": nat, "cron": cron}
}

func render(t *testing.T, in planner.Input) []byte {
	t.Helper()
	book, err := planner.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	x, err := planner.Explore(in, book)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := SVG(&b, x); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSVGGolden(t *testing.T) {
	for name, in := range inputs() {
		t.Run(name, func(t *testing.T) {
			got := render(t, in)
			golden.Check(t, filepath.Join("testdata", "golden", name+".svg"), got, *update, "go test ./planner/chart -run TestSVGGolden -update")
			if again := render(t, in); !bytes.Equal(again, got) {
				t.Error("two renderings differ: the SVG is not deterministic")
			}
		})
	}
}

// TestSVGSelfContained: well-formed XML with one svg root, and nothing that reaches outside
// the file: no script, no link, no external font, image or style sheet.
func TestSVGSelfContained(t *testing.T) {
	for name, in := range inputs() {
		t.Run(name, func(t *testing.T) {
			svg := render(t, in)
			d := xml.NewDecoder(bytes.NewReader(svg))
			var root string
			for {
				tok, err := d.Token()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v", err)
				}
				if se, ok := tok.(xml.StartElement); ok {
					if root == "" {
						root = se.Name.Space + " " + se.Name.Local
					}
					switch se.Name.Local {
					case "script", "image", "use", "foreignObject", "a":
						t.Errorf("element <%s> in a self-contained chart", se.Name.Local)
					}
					for _, a := range se.Attr {
						if a.Name.Local == "href" || strings.HasPrefix(a.Name.Local, "on") {
							t.Errorf("<%s %s=%q>", se.Name.Local, a.Name.Local, a.Value)
						}
					}
				}
			}
			if root != "http://www.w3.org/2000/svg svg" {
				t.Errorf("root %q; want an svg element in the SVG namespace", root)
			}
			for _, bad := range []string{"url(", "@import", "@font-face", "http://", "https://"} {
				if s := strings.ReplaceAll(string(svg), `xmlns="http://www.w3.org/2000/svg"`, ""); strings.Contains(s, bad) {
					t.Errorf("the chart mentions %q", bad)
				}
			}
		})
	}
}

// labels are what each chart must say, as the planner figured it (hand-checked in planner's
// tests: TestEstimateTotals, TestWhatIfChanges).
var labels = map[string][]string{
	"seed": {
		"lambdabridge plan: destination, $21.01/month in total",
		"destination $21.01 chosen", "s3 $21.03", "nat-instance $29.37", "nat-gateway $70.00", "ipv6 (invalid)",
		"this stack: rate(10 minutes), $21.01/month",
		"free tier: destination fits it up to rate(1 minute)",
		"faster than rate(1 minute): not schedulable",
		"async limit 1,048,576 B", "usable 996,148 B (5% margin)", "alarm 838,860 B (80%)",
		"fits up to 10.95 MB raw (x39.24)", "record too big: destination invalid",
		"this stack: 279 KB raw, record 27,384 B (2.61% of the limit)",
	},
	"nat": {
		"lambdabridge plan: nat-gateway, $21.28/month in total", "destination (invalid)",
		"destination is invalid for this stack whatever the size: single function required",
		"free tier: nat-gateway does not fit it even at rate(1 day)",
	},
	"cron": {
		"this stack: cron(0 0 1 1,4,7,10 ? *), $21.01/month",
		"free tier ends: destination no longer fits from rate(1 minute) (43,800 runs a month)",
	},
}

func TestSVGLabels(t *testing.T) {
	for name, in := range inputs() {
		svg := string(render(t, in))
		for _, l := range labels[name] {
			if !strings.Contains(svg, escape(l)) {
				t.Errorf("%s: the chart lacks %q", name, l)
			}
		}
	}
}

// escape is how the SVG writes text: XML-escaped.
func escape(s string) string { return esc(s) }

// TestSVGInBrowser renders each chart in chromium from an httptest server: the screenshot is
// not blank and shows the topologies' and the record's colors; the DOM the browser built
// holds the key labels and no XML parse error.
func TestSVGInBrowser(t *testing.T) {
	b := headless.Require(t)
	for name, in := range inputs() {
		t.Run(name, func(t *testing.T) {
			svg := render(t, in)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "image/svg+xml")
				w.Write(svg)
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			shot, err := b.Screenshot(ctx, srv.URL, Width, Height+headless.Margin)
			if err != nil {
				t.Fatal(err)
			}
			checkShot(t, shot, name)
			dom, err := b.DOM(ctx, srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(dom, "parsererror") {
				t.Fatalf("the browser could not parse the SVG:\n%s", dom)
			}
			for _, l := range labels[name] {
				if !strings.Contains(dom, escape(l)) {
					t.Errorf("the browser's DOM lacks %q", l)
				}
			}
		})
	}
}

// checkShot fails unless the screenshot is a picture: luminance varies, and each drawn
// series' color covers at least a line's worth of pixels (a 580-pixel plot, 2.5 px wide).
func checkShot(t *testing.T, shot []byte, name string) {
	t.Helper()
	v, err := headless.Variance(shot)
	if err != nil {
		t.Fatal(err)
	}
	if v < 200 {
		t.Errorf("screenshot luminance variance %.1f: blank", v)
	}
	want := map[string]string{"record": "#0072B2", "nat-gateway": colors[planner.NATGateway]}
	if name != "nat" {
		want["destination"] = colors[planner.Destination]
	}
	for what, hex := range want {
		n, err := headless.CountColor(shot, hex, 24)
		if err != nil {
			t.Fatal(err)
		}
		if n < 400 {
			t.Errorf("%d pixels of %s (%s): the line is not drawn", n, what, hex)
		}
	}
}
