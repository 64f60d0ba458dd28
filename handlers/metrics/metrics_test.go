package metrics

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestWriteEMFLine(t *testing.T) {
	var out bytes.Buffer
	at := time.Date(2026, 11, 25, 9, 30, 0, 123_000_000, time.UTC)
	// A 279,000-byte body compressing to 46,875 bytes, in a 63,000-byte record, under a
	// 1,048,576-byte limit: 63,000 / 1,048,576 = 6.0081…% → 6.01.
	s := Sizes{Raw: 279_000, Compressed: 46_875, Record: 63_000, Limit: 1_048_576}
	if err := Write(&out, "lb-fetcher", at, s, map[string]any{"Outcome": "destination"}); err != nil {
		t.Fatal(err)
	}
	if strings.Count(out.String(), "\n") != 1 || !strings.HasSuffix(out.String(), "\n") {
		t.Fatalf("want exactly one line, got %q", out.String())
	}
	var doc struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		FunctionName         string
		RawBytes             int64
		CompressedBytes      int64
		RecordBytes          int64
		LimitBytes           int64
		RecordPercentOfLimit float64
		Outcome              string
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	// 2026-11-25T09:30:00.123Z in epoch milliseconds.
	if doc.AWS.Timestamp != at.UnixMilli() || doc.AWS.Timestamp != 1795599000123 {
		t.Errorf("Timestamp %d", doc.AWS.Timestamp)
	}
	if len(doc.AWS.CloudWatchMetrics) != 1 {
		t.Fatalf("%d directives", len(doc.AWS.CloudWatchMetrics))
	}
	d := doc.AWS.CloudWatchMetrics[0]
	if d.Namespace != "lambdabridge" || len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 1 || d.Dimensions[0][0] != "FunctionName" {
		t.Errorf("namespace/dimensions %q %v", d.Namespace, d.Dimensions)
	}
	units := map[string]string{}
	for _, m := range d.Metrics {
		units[m.Name] = m.Unit
	}
	wantUnits := map[string]string{"RawBytes": "Bytes", "CompressedBytes": "Bytes", "RecordBytes": "Bytes", "LimitBytes": "Bytes", "RecordPercentOfLimit": "Percent"}
	if len(units) != len(wantUnits) {
		t.Errorf("metrics %v", units)
	}
	for n, u := range wantUnits {
		if units[n] != u {
			t.Errorf("metric %s unit %q, want %q", n, units[n], u)
		}
	}
	if doc.FunctionName != "lb-fetcher" || doc.RawBytes != 279_000 || doc.CompressedBytes != 46_875 || doc.RecordBytes != 63_000 ||
		doc.LimitBytes != 1_048_576 || doc.RecordPercentOfLimit != 6.01 || doc.Outcome != "destination" {
		t.Errorf("values %+v", doc)
	}
}

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		s    Sizes
		want float64
	}{
		{Sizes{Record: 209_716, Limit: 262_144}, 80},        // 209,716 / 262,144 = 0.800003… → 80.00
		{Sizes{Record: 1_100_000, Limit: 1_048_576}, 104.9}, // 1.04904… → 104.90
		{Sizes{Record: 500, Limit: 0}, 0},                   // unknown limit
	} {
		if got := tc.s.Percent(); got != tc.want {
			t.Errorf("%+v.Percent() = %v, want %v", tc.s, got, tc.want)
		}
	}
}

func TestReservedProperty(t *testing.T) {
	for _, name := range []string{"RawBytes", "FunctionName", "_aws", "LimitBytes", "RecordPercentOfLimit"} {
		// Sizes{} has no limit, so LimitBytes and the percent are not in the document; they
		// stay reserved all the same.
		if _, err := Line("f", time.Unix(0, 0), Sizes{}, map[string]any{name: 1}); err == nil || !strings.Contains(err.Error(), `"`+name+`" collides`) {
			t.Errorf("property %s: err = %v", name, err)
		}
	}
}

// TestUnknownLimit: with no limit (s3 mode without ASYNC_LIMIT_BYTES) the line defines and
// carries only the three size metrics; a 0 LimitBytes or 0% datapoint would be false.
func TestUnknownLimit(t *testing.T) {
	line, err := Line("f", time.Unix(0, 0), Sizes{Raw: 10, Compressed: 5, Record: 300}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(line, &doc); err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"LimitBytes", "RecordPercentOfLimit"} {
		if _, ok := doc[absent]; ok || strings.Contains(string(line), `"Name":"`+absent+`"`) {
			t.Errorf("%s present without a limit: %s", absent, line)
		}
	}
	if doc["RecordBytes"] != 300.0 || !strings.Contains(string(line), `"Name":"RecordBytes"`) {
		t.Errorf("RecordBytes missing: %s", line)
	}
}
