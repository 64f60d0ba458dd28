package planner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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

// TestBookRegions: the book prices at least the five regions issue 2 asks for, and
// validation (run by LoadBook) guarantees every region prices every regional item
// with a source URL and an effectiveFrom date.
func TestBookRegions(t *testing.T) {
	b := mustBook(t)
	got := strings.Join(b.Regions(), ",")
	for _, want := range []string{"us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-southeast-1"} {
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
	want := "known regions: ap-northeast-1, ap-southeast-1, eu-west-1, us-east-1, us-west-2"
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != FieldRegion || !strings.Contains(err.Error(), want) || !errors.Is(err, ErrBadInput) {
		t.Fatalf("error = %v; want an *InputError on FieldRegion listing %q", err, want)
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
			name: "partial override replaces one regional item",
			file: `{"schema": 1, "regions": {"ap-northeast-1": {"natGateway.hour": [` + entry("0.07", "https://example.com/nat") + `]}}}`,
			check: func(t *testing.T, b *Book) {
				e, err := b.Lookup("ap-northeast-1", ItemNATGatewayHour, day("2026-11-25"))
				if err != nil || e.Value != 0.07 || e.Source != "https://example.com/nat" {
					t.Errorf("Tokyo NAT hour = %+v, %v; want 0.07 from the override", e, err)
				}
				if _, err := b.Lookup("ap-northeast-1", ItemNATGatewayHour, day("2025-12-31")); err == nil {
					t.Errorf("override replaces the whole list: nothing in force before 2026-01-01 expected")
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
