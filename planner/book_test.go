package planner

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/internal/golden"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func mustBook(t testing.TB) *Book {
	t.Helper()
	b, err := LoadBook("")
	if err != nil {
		t.Fatalf("LoadBook: %v", err)
	}
	return b
}

// TestBookRegions: the book prices at least the five regions issue 2 asks for and the
// eight issue 15 adds, and
// validation (run by LoadBook) guarantees every region prices every regional item
// with a source URL and an effectiveFrom date.
func TestBookRegions(t *testing.T) {
	b := mustBook(t)
	got := strings.Join(b.Regions(), ",")
	for _, want := range []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-southeast-1",
		"eu-central-1", "us-east-2", "eu-west-2", "ap-south-1", "ap-southeast-2", "ca-central-1", "sa-east-1", "ap-northeast-2"} {
		if !b.HasRegion(want) {
			t.Errorf("region %s missing from %s", want, got)
		}
	}
	for _, region := range b.Regions() {
		for _, item := range RegionalItems {
			e, err := b.Lookup(region, item, day("2026-11-25"))
			if err != nil {
				t.Errorf("%s %s: %v", region, item, err)
				continue
			}
			if !strings.HasPrefix(e.Source, "https://") || e.EffectiveFrom == "" || e.Unit == "" {
				t.Errorf("%s %s: incomplete entry %+v", region, item, e)
			}
		}
	}
}

// bookTable renders every entry of the book, one per line, for the golden file:
// a price change shows up as a reviewed diff.
func bookTable(b *Book) string {
	var lines []string
	row := func(scope, item string, es []Entry) {
		for _, e := range es {
			extra := ""
			if e.Derived != "" {
				extra = " derived: " + e.Derived
			}
			v := strconv.FormatFloat(e.Value, 'f', -1, 64)
			lines = append(lines, fmt.Sprintf("%s\t%s\t%s %s\tfrom %s\t%s\t%s%s", scope, item, v, e.Unit, e.EffectiveFrom, e.Confidence, e.Source, extra))
		}
	}
	for _, item := range GlobalItems {
		row("global", item, b.f.Global[item])
	}
	for _, region := range b.Regions() {
		for _, item := range RegionalItems {
			row(region, item, b.f.Regions[region][item])
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestBookGolden(t *testing.T) {
	checkGolden(t, "book.txt", bookTable(mustBook(t)))
}

func TestAsyncPayloadLimit(t *testing.T) {
	b := mustBook(t)
	tests := []struct {
		asOf string
		want int64
	}{
		{"2024-06-01", 262144},
		{"2025-06-01", 262144},
		{"2025-10-23", 262144}, // the day before the What's New item
		{"2025-10-24", 1048576},
		{"2026-11-25", 1048576},
	}
	for _, tt := range tests {
		got, err := b.AsyncPayloadLimit(day(tt.asOf))
		if err != nil || got != tt.want {
			t.Errorf("AsyncPayloadLimit(%s) = %d, %v; want %d", tt.asOf, got, err, tt.want)
		}
	}
	var ie *InputError
	if _, err := b.AsyncPayloadLimit(day("2010-01-01")); !errors.As(err, &ie) || ie.Field != FieldAsOf || !errors.Is(err, ErrBadInput) ||
		!strings.Contains(err.Error(), "as-of: the price book has no lambda.asyncPayloadLimit entry in force on 2010-01-01 (earliest 2018-11-01)") {
		t.Errorf("AsyncPayloadLimit(2010-01-01) error = %v; want ErrBadInput naming the as-of day", err)
	}
}

func TestDatedEntries(t *testing.T) {
	b := mustBook(t)
	tests := []struct {
		region, item, asOf string
		want               float64
	}{
		{"us-east-1", ItemPublicIPv4Hour, "2024-01-31", 0},
		{"us-east-1", ItemPublicIPv4Hour, "2024-02-01", 0.005},
		{"ap-northeast-1", ItemPublicIPv4Hour, "2026-11-25", 0.005},
		{"", ItemLegacyOffers, "2026-07-14", 1},
		{"", ItemLegacyOffers, "2026-07-15", 0},
		{"ap-northeast-1", ItemNATGatewayHour, "2026-11-25", 0.062},
		{"eu-west-1", ItemNATGatewayHour, "2026-11-25", 0.048},
	}
	for _, tt := range tests {
		e, err := b.Lookup(tt.region, tt.item, day(tt.asOf))
		if err != nil || e.Value != tt.want {
			t.Errorf("Lookup(%s, %s, %s) = %v, %v; want %v", tt.region, tt.item, tt.asOf, e.Value, err, tt.want)
		}
	}
}

func TestLookupUnknownRegion(t *testing.T) {
	_, err := mustBook(t).Lookup("mars-east-1", ItemS3Put, day("2026-11-25"))
	want := "known regions: ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ca-central-1, eu-central-1, eu-west-1, eu-west-2, sa-east-1, us-east-1, us-east-2, us-west-2"
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != FieldRegion || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrBadInput) {
		t.Fatalf("error = %v; want an *InputError on FieldRegion listing %q", err, want)
	}
	hint := "fetch its prices with `go run ./cmd/plan prices --region mars-east-1 --out prices-mars-east-1.json`, then plan with --region mars-east-1 --prices prices-mars-east-1.json"
	if !strings.Contains(err.Error(), hint) {
		t.Errorf("error = %v; want it to name the command that fetches the region's prices", err)
	}
}

const entryJSON = `{"value": %s, "unit": "USD/hour", "source": "%s", "effectiveFrom": "2026-01-01", "confidence": "secondary"}`

func TestLoadBookOverride(t *testing.T) {
	entry := func(v, src string) string { return fmt.Sprintf(entryJSON, v, src) }
	tests := []struct {
		name    string
		file    string
		wantErr string
		check   func(t *testing.T, b *Book)
	}{
		{
			name: "partial override of one regional item keeps the book's earlier entries",
			file: `{"schema": 1, "regions": {"ap-northeast-1": {"natGateway.hour": [` + entry("0.07", "https://example.com/nat") + `]}}}`,
			check: func(t *testing.T, b *Book) {
				e, err := b.Lookup("ap-northeast-1", ItemNATGatewayHour, day("2026-11-25"))
				if err != nil || e.Value != 0.07 || e.Source != "https://example.com/nat" {
					t.Errorf("Tokyo NAT hour = %+v, %v; want 0.07 from the override", e, err)
				}
				// Before the override's first day (entryJSON: 2026-01-01) the book's entry of
				// 2023-01-01 is in force.
				if e, err := b.Lookup("ap-northeast-1", ItemNATGatewayHour, day("2025-12-31")); err != nil || e.Value != 0.062 || e.EffectiveFrom != "2023-01-01" {
					t.Errorf("Tokyo NAT hour on 2025-12-31 = %+v, %v; want the book's 0.062 from 2023-01-01", e, err)
				}
				e, _ = b.Lookup("us-east-1", ItemNATGatewayHour, day("2026-11-25"))
				if e.Value != 0.045 {
					t.Errorf("us-east-1 NAT hour = %v; want the book's 0.045 untouched", e.Value)
				}
			},
		},
		{
			name: "global override",
			file: `{"schema": 1, "global": {"lambda.asyncPayloadLimit": [{"value": 2097152, "unit": "bytes", "source": "https://example.com/l", "effectiveFrom": "2020-01-01", "confidence": "unverified"}]}}`,
			check: func(t *testing.T, b *Book) {
				if got, _ := b.AsyncPayloadLimit(day("2026-11-25")); got != 2097152 {
					t.Errorf("limit = %d; want 2097152", got)
				}
			},
		},
		{name: "unknown item", file: `{"schema": 1, "regions": {"us-east-1": {"nat.hour": [` + entry("1", "https://x") + `]}}}`, wantErr: `item "nat.hour" is not a regional item`},
		{name: "missing source", file: `{"schema": 1, "regions": {"us-east-1": {"natGateway.hour": [` + entry("1", "") + `]}}}`, wantErr: "want an https:// URL"},
		{name: "new region incomplete", file: `{"schema": 1, "regions": {"eu-north-1": {"natGateway.hour": [` + entry("1", "https://x") + `]}}}`, wantErr: "eu-north-1: item lambda.request is missing"},
		{name: "negative price", file: `{"schema": 1, "regions": {"us-east-1": {"natGateway.hour": [` + entry("-1", "https://x") + `]}}}`, wantErr: "is negative"},
		{name: "unknown field", file: `{"schema": 1, "prices": {}}`, wantErr: `unknown field "prices"`},
		{name: "bad schema", file: `{"schema": 2}`, wantErr: "schema 2: want 1"},
		{name: "not JSON", file: `prices:`, wantErr: "decode JSON"},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("prices%d.json", i))
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := LoadBook(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("LoadBook error = %v; want one naming %s and containing %q", err, path, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadBook: %v", err)
			}
			tt.check(t, b)
		})
	}
	if _, err := LoadBook(filepath.Join(dir, "absent.json")); err == nil || !strings.Contains(err.Error(), "prices file") {
		t.Errorf("missing file error = %v; want prices file error", err)
	}
}

func TestAddEntry(t *testing.T) {
	e := func(from string, v float64) Entry {
		return Entry{Value: v, Unit: "USD/hour", Source: "https://example.com/" + from, EffectiveFrom: from, Confidence: "secondary"}
	}
	history := []Entry{e("2023-01-01", 0), e("2024-02-01", 0.005)}
	tests := []struct {
		name string
		add  Entry
		want []string // effectiveFrom of the result, oldest first
	}{
		{"newer than the history: appended", e("2026-11-01", 0.006), []string{"2023-01-01", "2024-02-01", "2026-11-01"}},
		{"same day as the last: replaces it", e("2024-02-01", 0.006), []string{"2023-01-01", "2024-02-01"}},
		{"between: replaces what starts on or after it", e("2023-07-01", 0.006), []string{"2023-01-01", "2023-07-01"}},
		{"older than all: the whole history", e("2021-01-01", 0.006), []string{"2021-01-01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AddEntry(history, tt.add)
			if err != nil {
				t.Fatal(err)
			}
			var days []string
			for _, g := range got {
				days = append(days, g.EffectiveFrom)
			}
			if strings.Join(days, ",") != strings.Join(tt.want, ",") || got[len(got)-1] != tt.add {
				t.Errorf("history %v, want %v ending with the new entry", days, tt.want)
			}
			again, _ := AddEntry(got, tt.add)
			if len(again) != len(got) {
				t.Errorf("adding the same entry twice: %d entries, then %d", len(got), len(again))
			}
			if history[1].Value != 0.005 || len(history) != 2 {
				t.Errorf("AddEntry changed its argument: %+v", history)
			}
		})
	}
	if _, err := AddEntry(history, e("1 Nov 2026", 1)); err == nil || !strings.Contains(err.Error(), `effectiveFrom "1 Nov 2026"`) {
		t.Errorf("bad date: error %v", err)
	}
}

// TestPriceListRef: an entry read from the Price List must name its SKU, rate and dates.
func TestPriceListRef(t *testing.T) {
	ref := `"priceList": {"serviceCode": "AmazonEC2", "sku": "ABC", "rateCode": "%s", "usageType": "EUC1-NatGateway-Hours", "unit": "Hrs", "publicationDate": "%s", "effectiveDate": "2026-11-01T00:00:00Z"}`
	entry := func(rate, pub string) string {
		return `{"schema": 1, "regions": {"us-east-1": {"natGateway.hour": [{"value": 0.048, "unit": "USD/hour", "source": "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/us-east-1/index.json", "effectiveFrom": "2026-11-01", "confidence": "confirmed", ` +
			fmt.Sprintf(ref, rate, pub) + `}]}}}`
	}
	tests := []struct{ name, file, wantErr string }{
		{"complete", entry("ABC.JRTCKXETXF.6YS6EN2CT7", "2026-11-20T09:14:07Z"), ""},
		{"rate of another SKU", entry("XYZ.JRTCKXETXF.6YS6EN2CT7", "2026-11-20T09:14:07Z"), `priceList: rateCode "XYZ.JRTCKXETXF.6YS6EN2CT7" is not a rate of SKU "ABC"`},
		{"no publication date", entry("ABC.JRTCKXETXF.6YS6EN2CT7", ""), "us-east-1: natGateway.hour entry 1: priceList: publicationDate is empty"},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("p%d.json", i))
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			b, err := LoadBook(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e, _ := b.Lookup("us-east-1", ItemNATGatewayHour, day("2026-11-25"))
			if e.PriceList == nil || e.PriceList.SKU != "ABC" || e.Value != 0.048 {
				t.Errorf("entry %+v", e)
			}
		})
	}
}

// TestEncodePrices: the file EncodePrices writes is one LoadBook reads, and it keeps
// text as written ("->", not "-\u003e").
func TestEncodePrices(t *testing.T) {
	b := mustBook(t)
	entries := b.History("us-east-1", ItemNATGatewayHour)
	entries, err := AddEntry(entries, Entry{Value: 0.048, Unit: "USD/hour", Source: "https://example.com/nat",
		EffectiveFrom: "2026-11-01", Confidence: "confirmed", Note: "0.045 -> 0.048"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodePrices(&buf, []string{"test"}, map[string]map[string][]Entry{"us-east-1": {ItemNATGatewayHour: entries}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"note": "0.045 -> 0.048"`) {
		t.Errorf("note not kept as written:\n%s", buf.String())
	}
	path := filepath.Join(t.TempDir(), "prices.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadBook(path)
	if err != nil {
		t.Fatalf("LoadBook of EncodePrices' output: %v", err)
	}
	for _, tt := range []struct {
		day  string
		want float64
	}{{"2026-10-31", 0.045}, {"2026-11-01", 0.048}} {
		if e, _ := got.Lookup("us-east-1", ItemNATGatewayHour, day(tt.day)); e.Value != tt.want {
			t.Errorf("%s: %v, want %v", tt.day, e.Value, tt.want)
		}
	}
	bad := map[string]map[string][]Entry{"us-east-1": {ItemNATGatewayHour: {{Value: 1, Unit: "USD/hour", Source: "http://x", EffectiveFrom: "2026-11-01", Confidence: "confirmed"}}}}
	if err := EncodePrices(&buf, nil, bad); err == nil || !strings.Contains(err.Error(), "want an https:// URL") {
		t.Errorf("EncodePrices of a bad entry: %v", err)
	}
}

// TestBookFileIsCanonical: book.json is in the form UpdateBookFile writes (item order,
// number format), so the maintainer's regeneration diffs by value only; and an update
// adds history.
func TestBookFileIsCanonical(t *testing.T) {
	orig, err := os.ReadFile("book.json")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "book.json")
	if err := os.WriteFile(path, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := UpdateBookFile(path, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, orig) {
		t.Errorf("book.json is not in the book writer's form (rewrite it with UpdateBookFile):\n%s", golden.Diff(string(orig), string(got)))
	}
	add := Entry{Value: 0.048, Unit: "USD/hour", Source: "https://example.com/nat", EffectiveFrom: "2026-11-01", Confidence: "confirmed"}
	if err := UpdateBookFile(path, map[string]map[string]Entry{"us-east-1": {ItemNATGatewayHour: add}}); err != nil {
		t.Fatal(err)
	}
	b, err := LoadBook(path)
	if err != nil {
		t.Fatal(err)
	}
	if h := b.History("us-east-1", ItemNATGatewayHour); len(h) != 2 || h[0].Value != 0.045 || h[1].Value != 0.048 {
		t.Errorf("history after the update %+v, want 0.045 then 0.048", h)
	}
	if err := UpdateBookFile(path, map[string]map[string]Entry{"eu-north-1": {ItemNATGatewayHour: add}}); err == nil ||
		!strings.Contains(err.Error(), "eu-north-1: item lambda.request is missing") {
		t.Errorf("a new region with one item: %v, want the incomplete region refused", err)
	}
}
