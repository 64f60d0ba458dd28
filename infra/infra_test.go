package infra

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIPv6Subnet(t *testing.T) {
	cases := []struct {
		block string
		index int
		want  string
		err   string
	}{
		// A /56 leaves byte 7 (bits 56-63) for 256 /64s: index 1 sets it to 0x01.
		{"2600:1f18:abcd:ef00::/56", 1, "2600:1f18:abcd:ef01::/64", ""},
		{"2600:1f18:abcd:ef00::/56", 2, "2600:1f18:abcd:ef02::/64", ""},
		// 255 = 0xff, the last /64 of the block.
		{"2600:1f18:abcd:ef00::/56", 255, "2600:1f18:abcd:efff::/64", ""},
		// Host bits in the input are masked off first.
		{"2600:1f18:abcd:ef12::1/56", 0, "2600:1f18:abcd:ef00::/64", ""},
		{"2600:1f18:abcd:ef00::/56", 256, "", "0-255"},
		{"2600:1f18:abcd:ef00::/60", 1, "", "/56 or shorter"},
		{"10.0.0.0/16", 1, "", "IPv6"},
		{"", 1, "", "vpc ipv6 block"},
	}
	for _, tc := range cases {
		got, err := ipv6Subnet(tc.block, tc.index)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("ipv6Subnet(%q, %d) = %q, %v; want %q, error with %q", tc.block, tc.index, got, err, tc.want, tc.err)
		}
	}
}

func TestBudgetAmount(t *testing.T) {
	cases := []struct{ in, want float64 }{
		{0, 1},               // all free: the $1 floor
		{0.999, 1},           // still under the floor
		{36.5 * 1.5, 54.75},  // 54.75 exactly: no rounding
		{7.361 * 1.5, 11.05}, // 11.0415 rounds up to the next cent
		{10.0000001, 10},     // float noise below a millionth is not a cent
		{12.345, 12.35},      // 12.345 -> 1234.5 cents -> 1235
	}
	for _, tc := range cases {
		if got := BudgetAmount(tc.in); got != tc.want {
			t.Errorf("BudgetAmount(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestGoArch(t *testing.T) {
	for in, want := range map[string]string{"arm64": "arm64", "": "arm64", "x86_64": "amd64"} {
		if got, err := goArch(in); got != want || err != nil {
			t.Errorf("goArch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := goArch("amd64"); err == nil || !strings.Contains(err.Error(), "x86_64") {
		t.Errorf("goArch(amd64) error %v, want one naming the Lambda names", err)
	}
}

// TestZipBootstrap checks the archive is executable and byte-for-byte reproducible,
// which is what keeps `pulumi preview` free of code diffs when nothing changed.
func TestZipBootstrap(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	body := bytes.Repeat([]byte("\x7fELF fake handler "), 1000)
	if err := os.WriteFile(bin, body, 0o644); err != nil {
		t.Fatal(err)
	}
	a, b := filepath.Join(dir, "a.zip"), filepath.Join(dir, "b.zip")
	if err := zipBootstrap(bin, a); err != nil {
		t.Fatal(err)
	}
	// A later build of the same bytes at another time and mode gives the same zip.
	if err := os.Chtimes(bin, time2000, time2000); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(bin, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := zipBootstrap(bin, b); err != nil {
		t.Fatal(err)
	}
	za, _ := os.ReadFile(a)
	zb, _ := os.ReadFile(b)
	if !bytes.Equal(za, zb) {
		t.Errorf("two zips of the same binary differ")
	}
	zr, err := zip.OpenReader(a)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "bootstrap" {
		t.Fatalf("zip holds %v, want just bootstrap", zr.File)
	}
	if m := zr.File[0].Mode(); m.Perm() != 0o755 {
		t.Errorf("bootstrap mode %v, want 0755 (executable)", m)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	_, _ = got.ReadFrom(rc)
	rc.Close()
	if !bytes.Equal(got.Bytes(), body) {
		t.Errorf("zip content differs from the binary")
	}
	if err := zipBootstrap(filepath.Join(dir, "missing"), filepath.Join(dir, "c.zip")); err == nil {
		t.Errorf("zipping a missing binary succeeded")
	}
}

func TestPolicyDocumentShape(t *testing.T) {
	// assumeRolePolicy is plain JSON naming one service.
	got := assumeRolePolicy("lambda.amazonaws.com")
	want := `{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"}}],"Version":"2012-10-17"}`
	if got != want {
		t.Errorf("assume-role policy\n got %s\nwant %s", got, want)
	}
}

var time2000 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
