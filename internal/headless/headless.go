// Package headless renders a page in a real browser for tests: Debian's chromium, headless,
// with a new empty profile per run and no network of its own (no QUIC, no background
// networking, no component updates, no sync). It takes a screenshot and dumps the DOM after
// load, and measures whether a screenshot holds a picture at all.
//
// scripts/test installs chromium when it is missing. A test that needs it calls Require:
// without chromium the test is skipped, unless LAMBDABRIDGE_REQUIRE_DB=1 (scripts/test, CI),
// where it fails.
package headless

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Flags are passed to every run, besides a new --user-data-dir.
var Flags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// Margin is the height to add to a window so that content of the window's nominal height is
// drawn whole (see Screenshot).
const Margin = 200

// candidates are where chromium is looked for, in order: PATH names, then Debian's path.
var candidates = []string{"chromium", "chromium-browser", "/usr/bin/chromium"}

// Browser is a chromium binary.
type Browser struct {
	// Path is the binary.
	Path string
}

// Find returns the first chromium of candidates that exists.
func Find() (*Browser, error) {
	return find(candidates)
}

func find(names []string) (*Browser, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return &Browser{Path: p}, nil
		}
	}
	return nil, fmt.Errorf("no chromium found (looked for %s): apt-get install -y chromium, or run scripts/test, which installs it", strings.Join(names, ", "))
}

// Require returns the browser for a test. Without one the test is skipped, or, when
// LAMBDABRIDGE_REQUIRE_DB=1, fails.
func Require(tb testing.TB) *Browser {
	tb.Helper()
	return require(tb, candidates)
}

func require(tb testing.TB, names []string) *Browser {
	tb.Helper()
	b, err := find(names)
	if err != nil {
		if os.Getenv("LAMBDABRIDGE_REQUIRE_DB") == "1" {
			tb.Fatalf("headless: %v (LAMBDABRIDGE_REQUIRE_DB=1 forbids skipping)", err)
		}
		tb.Skipf("headless: %v", err)
	}
	return b
}

// run runs chromium on url with args and a fresh profile directory, removed afterwards,
// and returns its standard output.
func (b *Browser) run(ctx context.Context, url string, args ...string) ([]byte, error) {
	profile, err := os.MkdirTemp("", "headless-profile-")
	if err != nil {
		return nil, fmt.Errorf("headless: profile dir: %w", err)
	}
	defer os.RemoveAll(profile)
	all := append(append(append([]string{}, Flags...), "--user-data-dir="+profile), args...)
	cmd := exec.CommandContext(ctx, b.Path, append(all, url)...)
	cmd.Dir = profile
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("headless: %s %s: %w\n%s", filepath.Base(b.Path), url, err, tail(stderr.String(), 2000))
	}
	return out.Bytes(), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Screenshot loads url in a width x height window and returns the PNG chromium wrote, of
// the window's size. Chromium's headless mode keeps part of the window's height (about 90 px
// in Chromium 156) for its invisible browser UI, so the page is drawn in a viewport that
// much shorter: give a window taller than the content (Margin more).
func (b *Browser) Screenshot(ctx context.Context, url string, width, height int) ([]byte, error) {
	dir, err := os.MkdirTemp("", "headless-shot-")
	if err != nil {
		return nil, fmt.Errorf("headless: screenshot dir: %w", err)
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "screenshot.png")
	if _, err := b.run(ctx, url, "--screenshot="+file, fmt.Sprintf("--window-size=%d,%d", width, height), "--hide-scrollbars"); err != nil {
		return nil, err
	}
	shot, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("headless: no screenshot of %s: %w", url, err)
	}
	return shot, nil
}

// DOM loads url and returns the document chromium serialises after load (--dump-dom).
func (b *Browser) DOM(ctx context.Context, url string) (string, error) {
	out, err := b.run(ctx, url, "--dump-dom")
	if err != nil {
		return "", err
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return "", errors.New("headless: empty DOM of " + url)
	}
	return string(out), nil
}

// Variance is the variance of the PNG's luminance (0-255 scale): 0 for a blank
// (uniform) image, hundreds or more for a drawing on a white page.
func Variance(pngData []byte) (float64, error) {
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return 0, fmt.Errorf("headless: decode png: %w", err)
	}
	bounds := img.Bounds()
	var n, sum, sumSq float64
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			l := float64(color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y)
			n++
			sum += l
			sumSq += l * l
		}
	}
	if n == 0 {
		return 0, errors.New("headless: empty png")
	}
	mean := sum / n
	return sumSq/n - mean*mean, nil
}

// CountColor counts the PNG's pixels within distance tolerance (per channel, 0-255) of the
// color #rrggbb: enough of them show a line of that color was drawn.
func CountColor(pngData []byte, hex string, tolerance int) (int, error) {
	var want [3]int
	if _, err := fmt.Sscanf(strings.TrimPrefix(hex, "#"), "%02x%02x%02x", &want[0], &want[1], &want[2]); err != nil {
		return 0, fmt.Errorf("headless: color %q: want #rrggbb", hex)
	}
	img, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return 0, fmt.Errorf("headless: decode png: %w", err)
	}
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			if abs(int(c.R)-want[0]) <= tolerance && abs(int(c.G)-want[1]) <= tolerance && abs(int(c.B)-want[2]) <= tolerance {
				n++
			}
		}
	}
	return n, nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Size returns the PNG's width and height.
func Size(pngData []byte) (int, int, error) {
	cfg, err := png.DecodeConfig(bytes.NewReader(pngData))
	if err != nil {
		return 0, 0, fmt.Errorf("headless: decode png: %w", err)
	}
	return cfg.Width, cfg.Height, nil
}
