package planner

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"279KB", 279000},        // KB = 1000
		{"19KiB", 19456},         // 19 x 1024
		{"1MB", 1000000},         // 1000^2
		{"1MiB", 1048576},        // 1024^2
		{"1GiB", 1073741824},     // 1024^3
		{"2GB", 2000000000},      // 2 x 1000^3
		{"1234", 1234},           // plain bytes
		{"1234B", 1234},          // explicit bytes
		{"279 kb", 279000},       // case and space
		{"1.5MB", 1500000},       // 1.5 x 10^6
		{"0.5KiB", 512},          // 0.5 x 1024
		{" 19KB ", 19000},        // surrounding space
		{"0", 0},                 // zero is a size (Plan rejects it for payloads)
		{"256KiB", 262144},       // the old async limit
		{"8GiB", 8 * 1073741824}, // large
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSizeBad(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "size is empty"},
		{"KB", "no number"},
		{"-5KB", "is negative"},
		{"12XB", `unknown unit "XB"`},
		{"1.2.3MB", "bad number"},
		{"1.", "bad number"},
		{"0.3B", "not a whole number of bytes"},
		{"1.0001KB", "not a whole number of bytes"},
		{"99999999999GiB", "too large"},
		{"12 KB extra", "unknown unit"},
	}
	for _, tt := range tests {
		_, err := ParseSize(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !errors.Is(err, ErrBadInput) {
			t.Errorf("ParseSize(%q) error = %v; want ErrBadInput containing %q", tt.in, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), "KiB") && !strings.Contains(err.Error(), "whole number") && !strings.Contains(err.Error(), "too large") {
			t.Errorf("ParseSize(%q) error %q does not show the accepted form", tt.in, err)
		}
	}
}

func TestFormatSize(t *testing.T) {
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{999, "999 B"},
		{1000, "1 KB"},
		{1024, "1 KiB"},
		{19000, "19 KB"},
		{19456, "19 KiB"},
		{279000, "279 KB"},
		{27384, "27.38 KB"},
		{262144, "256 KiB"},
		{1048576, "1 MiB"},
		{1000000, "1 MB"},
		{10948180, "10.95 MB"},
		{1073741824, "1 GiB"},
		{-2048, "-2 KiB"},
		{1001, "1.00 KB"},    // not exact: two decimals
		{999999, "1.00 MB"},  // not 1000.00 KB
		{1500000, "1.50 MB"}, // not a whole MB

	}
	for _, tt := range tests {
		if got := FormatSize(tt.n); got != tt.want {
			t.Errorf("FormatSize(%d) = %q; want %q", tt.n, got, tt.want)
		}
	}
}

// FuzzParseSize: ParseSize never panics, never returns a negative size, and an
// exact FormatSize of its result parses back to the same value.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"279KB", "19KiB", "1.5MB", "0", "1MiB", "12XB", "1.0001KB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d < 0", s, n)
		}
		out := FormatSize(n)
		if strings.Contains(out, ".") {
			return // rounded for display, not exact
		}
		back, err := ParseSize(strings.ReplaceAll(out, " ", ""))
		if err != nil || back != n {
			t.Fatalf("FormatSize(%d) = %q parses to %d, %v", n, out, back, err)
		}
	})
}
