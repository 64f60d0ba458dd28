package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/exitcode"
	"github.com/lambdabridge/lambdabridge/internal/pricelist/pricelisttest"
	"github.com/lambdabridge/lambdabridge/planner"
)

// stockholm are hand-set eu-north-1 figures (a region the embedded book lacks).
var stockholm = pricelisttest.Figures{
	planner.ItemLambdaRequest:     "0.0000002000",
	planner.ItemLambdaGBSecondArm: "0.0000133334",
	planner.ItemLambdaGBSecondX86: "0.0000166667",
	planner.ItemS3Put:             "0.0000054000",
	planner.ItemS3Get:             "0.0000004300",
	planner.ItemS3Storage:         "0.0245000000",
	planner.ItemNATGatewayHour:    "0.0520000000",
	planner.ItemNATGatewayGB:      "0.0520000000",
	planner.ItemEC2NanoHour:       "0.0048000000",
	planner.ItemEBSGp3:            "0.0952000000",
	planner.ItemPublicIPv4Hour:    "0.0050000000",
	planner.ItemLogsIngest:        "0.6300000000",
	planner.ItemRDSMicroHour:      "0.0190000000",
	planner.ItemRDSGp3:            "0.1370000000",
	planner.ItemSchedulerInvoke:   "0.0000011500",
	planner.ItemSQSRequest:        "0.0000004000",
	planner.ItemCloudWatchAlarm:   "0.1000000000",
	planner.ItemCloudWatchMetric:  "0.3000000000",
	planner.ItemSNSEmail:          "0.0000200000",
}

// priceList starts the local Price List with eu-north-1 (stockholm) and us-east-1 (the
// book's figures on 2026-11-25, except the NAT gateway hour at 0.048) plus extra
// products, and points the SDK's standard configuration at it.
func priceList(t *testing.T, extra ...pricelisttest.Product) *pricelisttest.Server {
	t.Helper()
	b, err := planner.LoadBook("")
	if err != nil {
		t.Fatal(err)
	}
	use1, err := pricelisttest.BookFigures(b, "us-east-1", time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	use1[planner.ItemNATGatewayHour] = "0.0480000000"
	products := append(pricelisttest.Catalogue(pricelisttest.EUNorth1, stockholm), pricelisttest.Catalogue(pricelisttest.USEast1, use1)...)
	srv := pricelisttest.New(t, append(products, extra...)...)
	srv.PageSize = 1
	srv.Env(t)
	return srv
}

func line(t *testing.T, rep planner.Report, topo planner.Topology, label string) planner.CostLine {
	t.Helper()
	e := rep.Find(topo)
	if e == nil {
		t.Fatalf("no %s estimate", topo)
	}
	for _, l := range e.Lines {
		if l.Item == label {
			return l
		}
	}
	t.Fatalf("%s has no %q line: %+v", topo, label, e.Lines)
	return planner.CostLine{}
}

// TestPricesNewRegion: plan prices fetches a region the book lacks into a prices file,
// and plan --region --prices plans it with the Price List's figures and sources.
func TestPricesNewRegion(t *testing.T) {
	priceList(t)
	dir := t.TempDir()
	t.Chdir(dir)

	r := run(t, testCLI(nil), "prices", "--region", "eu-north-1")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"eu-north-1: AWS Price List against the embedded book (in force 2027-03-10)",
		"wrote prices-eu-north-1.json (eu-north-1)",
		"plan with: go run ./cmd/plan --region eu-north-1 --prices prices-eu-north-1.json",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// Every item is a row: item, "-" (no book value), the Price List's, "new region".
	if n := strings.Count(r.stdout, "  new region  "); n != len(planner.RegionalItems) {
		t.Errorf("%d new-region rows, want %d:\n%s", n, len(planner.RegionalItems), r.stdout)
	}
	if !regexp.MustCompile(`natGateway\.hour +- +0\.052 +new region +USD/hour +[A-Z2-7]{16}`).MatchString(r.stdout) {
		t.Errorf("NAT gateway hour row missing:\n%s", r.stdout)
	}

	rep := report(t, run(t, testCLI(nil), "--region", "eu-north-1", "--prices", "prices-eu-north-1.json",
		"--payload", "279KB", "--compressed", "19KB", "--format", "json"))
	if rep.Region != "eu-north-1" {
		t.Fatalf("region %q", rep.Region)
	}
	// A NAT gateway runs the whole cost month: 730 h x 0.052 USD/h = 37.96 USD.
	l := line(t, rep, planner.NATGateway, "NAT gateway hours")
	if l.UnitUSD != 0.052 || l.Quantity != 730 || math.Abs(l.MonthlyUSD-37.96) > 1e-9 ||
		l.Source != "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/eu-north-1/index.json" ||
		l.EffectiveFrom != "2026-11-01" || l.Confidence != "confirmed" {
		t.Errorf("NAT gateway hour line %+v", l)
	}
}

// TestPricesKeepHistory: for a region the book has, the diff shows the change, the file
// keeps the book's older entry, and --as-of picks either side of the effective date.
func TestPricesKeepHistory(t *testing.T) {
	priceList(t)
	dir := t.TempDir()
	t.Chdir(dir)
	out := filepath.Join(dir, "use1.json")
	r := run(t, testCLI(nil), "prices", "--region", "us-east-1", "--out", out)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	// Book 0.045, Price List 0.048: (0.048 - 0.045) / 0.045 = +6.666...% -> "+6.7%".
	if !regexp.MustCompile(`natGateway\.hour +0\.045 +0\.048 +\+6\.7% +USD/hour`).MatchString(r.stdout) {
		t.Errorf("NAT gateway hour row missing:\n%s", r.stdout)
	}
	// The other 18 items are the book's own figures: 0.0%.
	if n := strings.Count(r.stdout, "  0.0%  "); n != len(planner.RegionalItems)-1 {
		t.Errorf("%d unchanged rows, want %d:\n%s", n, len(planner.RegionalItems)-1, r.stdout)
	}

	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Regions map[string]map[string][]planner.Entry `json:"regions"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	h := f.Regions["us-east-1"][planner.ItemNATGatewayHour]
	if len(h) != 2 || h[0].Value != 0.045 || h[0].EffectiveFrom != "2023-01-01" || h[1].Value != 0.048 || h[1].EffectiveFrom != "2026-11-01" ||
		h[1].PriceList == nil || h[1].PriceList.PublicationDate != pricelisttest.PublicationDate {
		t.Errorf("NAT gateway hour history %+v: want the book's 0.045 from 2023-01-01, then 0.048 from 2026-11-01", h)
	}

	// 730 h x 0.045 = 32.85 USD the day before the Price List's effective date;
	// 730 h x 0.048 = 35.04 USD on it.
	for _, tt := range []struct {
		asOf string
		usd  float64
	}{{"2026-10-31", 32.85}, {"2026-11-01", 35.04}} {
		rep := report(t, run(t, testCLI(nil), "--region", "us-east-1", "--prices", out, "--as-of", tt.asOf,
			"--payload", "279KB", "--compressed", "19KB", "--format", "json"))
		if l := line(t, rep, planner.NATGateway, "NAT gateway hours"); math.Abs(l.MonthlyUSD-tt.usd) > 1e-9 {
			t.Errorf("as of %s: NAT gateway hours cost %v, want %v", tt.asOf, l.MonthlyUSD, tt.usd)
		}
	}
}

// TestPricesUpdateBook is the maintainer's command: the book file gains the new region
// and keeps old values as history.
func TestPricesUpdateBook(t *testing.T) {
	priceList(t)
	dir := t.TempDir()
	bookFile := filepath.Join(dir, "book.json")
	copyFile(t, "../../planner/book.json", bookFile)
	r := run(t, testCLI(nil), "prices", "--region", "eu-north-1,us-east-1", "--book", bookFile)
	if r.code != 0 || !strings.Contains(r.stdout, "updated "+bookFile+": eu-north-1, us-east-1") {
		t.Fatalf("exit %d stdout %s stderr %s", r.code, r.stdout, r.stderr)
	}
	b, err := planner.LoadBook(bookFile)
	if err != nil {
		t.Fatalf("updated book does not load: %v", err)
	}
	for _, tt := range []struct {
		region, day string
		want        float64
	}{
		{"eu-north-1", "2026-11-01", 0.052},
		{"us-east-1", "2026-10-31", 0.045},
		{"us-east-1", "2026-11-01", 0.048},
	} {
		d, _ := time.Parse(time.DateOnly, tt.day)
		if e, err := b.Lookup(tt.region, planner.ItemNATGatewayHour, d); err != nil || e.Value != tt.want {
			t.Errorf("%s NAT hour on %s = %v, %v; want %v", tt.region, tt.day, e.Value, err, tt.want)
		}
	}
}

func TestPricesRefusals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no region", []string{"prices"}, exitcode.Usage, "plan: prices: --region is required"},
		{"china", []string{"prices", "--region", "cn-north-1"}, exitcode.Usage, "region cn-north-1 is in the aws-cn partition: only the aws partition's prices can be fetched"},
		{"govcloud in a list", []string{"prices", "--region", "eu-north-1,us-gov-west-1"}, exitcode.Usage, "aws-us-gov partition"},
		{"not a region", []string{"prices", "--region", "frankfurt"}, exitcode.Usage, `"frankfurt" is not an AWS region name`},
		{"out and book", []string{"prices", "--region", "eu-north-1", "--out", "x.json", "--book", "b.json"}, exitcode.Usage, "give one"},
		{"two regions, no file", []string{"prices", "--region", "eu-north-1,eu-west-2"}, exitcode.Usage, "give --out FILE"},
		{"stray argument", []string{"prices", "--region", "eu-north-1", "now"}, exitcode.Usage, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pricelisttest.NoCredentials(t)
			r := run(t, testCLI(nil), tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d stderr %q, want %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}
}

// TestPricesWithoutCredentials: one line, exit 1, nothing written.
func TestPricesWithoutCredentials(t *testing.T) {
	pricelisttest.NoCredentials(t)
	t.Chdir(t.TempDir())
	r := run(t, testCLI(nil), "prices", "--region", "eu-north-1")
	if r.code != exitcode.Failure || strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "plan: prices: no AWS credentials: ") {
		t.Errorf("exit %d stderr %q: want exit 1 and one line", r.code, r.stderr)
	}
	if _, err := os.Stat("prices-eu-north-1.json"); !os.IsNotExist(err) {
		t.Errorf("a prices file was written: %v", err)
	}
}

// TestPricesAmbiguous: an item with two candidate rates fails naming both; no file.
func TestPricesAmbiguous(t *testing.T) {
	var twin pricelisttest.Product
	for _, p := range pricelisttest.Catalogue(pricelisttest.EUNorth1, stockholm) {
		if p.Attributes["usagetype"] == "EUN1-PublicIPv4:InUseAddress" {
			twin = p
		}
	}
	first := twin.SKU
	twin.SKU = "TWINIPV4SKU00001"
	priceList(t, twin)
	t.Chdir(t.TempDir())
	r := run(t, testCLI(nil), "prices", "--region", "eu-north-1")
	if r.code != exitcode.Failure {
		t.Fatalf("exit %d, want 1", r.code)
	}
	for _, want := range []string{"plan: prices: nothing written: eu-north-1 publicIPv4.hour: 2 Price List rates match AmazonVPC regionCode=eu-north-1 usagetype=[PREFIX-]PublicIPv4:InUseAddress",
		"SKU " + first, "SKU TWINIPV4SKU00001"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if _, err := os.Stat("prices-eu-north-1.json"); !os.IsNotExist(err) {
		t.Errorf("a prices file was written: %v", err)
	}
}

// TestUnknownRegionSaysHowToFetch: planning a region the book lacks names the command.
func TestUnknownRegionSaysHowToFetch(t *testing.T) {
	t.Chdir(t.TempDir())
	r := run(t, testCLI(nil), "--region", "eu-north-1", "--payload", "279KB", "--compressed", "19KB")
	want := "fetch its prices with `go run ./cmd/plan prices --region eu-north-1 --out prices-eu-north-1.json`, then plan with --region eu-north-1 --prices prices-eu-north-1.json"
	if r.code != exitcode.Usage || !strings.Contains(r.stderr, want) {
		t.Errorf("exit %d stderr %q, want 2 and %q", r.code, r.stderr, want)
	}
}
