package headless

import (
	"bytes"
	"context"
	"fmt"
	"github.com/lambdabridge/lambdabridge/internal/tbtest"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func pngOf(t *testing.T, w, h int, at func(x, y int) color.Color) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, at(x, y))
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVariance(t *testing.T) {
	white := pngOf(t, 10, 10, func(int, int) color.Color { return color.White })
	// Half black (0), half white (255): mean 127.5, variance 127.5^2 = 16,256.25.
	half := pngOf(t, 10, 10, func(x, _ int) color.Color {
		if x < 5 {
			return color.Black
		}
		return color.White
	})
	for _, tt := range []struct {
		name string
		png  []byte
		want float64
	}{{"blank", white, 0}, {"half", half, 16256.25}} {
		got, err := Variance(tt.png)
		if err != nil || got != tt.want {
			t.Errorf("%s: variance %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if _, err := Variance([]byte("not a png")); err == nil {
		t.Error("garbage: no error")
	}
}

func TestCountColor(t *testing.T) {
	// A 10 x 10 image whose first row is #009E73 and the rest white: 10 pixels of that green.
	img := pngOf(t, 10, 10, func(_, y int) color.Color {
		if y == 0 {
			return color.NRGBA{0x00, 0x9E, 0x73, 0xFF}
		}
		return color.White
	})
	for _, tt := range []struct {
		hex  string
		tol  int
		want int
	}{{"#009E73", 0, 10}, {"#05A070", 8, 10}, {"#05A070", 2, 0}, {"#FFFFFF", 0, 90}} {
		got, err := CountColor(img, tt.hex, tt.tol)
		if err != nil || got != tt.want {
			t.Errorf("%s ±%d: %d, %v; want %d", tt.hex, tt.tol, got, err, tt.want)
		}
	}
	if _, err := CountColor(img, "green", 0); err == nil {
		t.Error("bad color: no error")
	}
}

func TestRequireWithoutChromium(t *testing.T) {
	for _, want := range []string{"", "1"} {
		t.Setenv("LAMBDABRIDGE_REQUIRE_DB", want)
		tb := tbtest.Run(t, func(tb testing.TB) { require(tb, []string{"/nonexistent/chromium"}) })
		switch {
		case want == "1" && !strings.Contains(tb.Fatal, "forbids skipping"):
			t.Errorf("LAMBDABRIDGE_REQUIRE_DB=1: fatal %q, want a failure", tb.Fatal)
		case want == "" && (tb.Skip == "" || tb.Fatal != ""):
			t.Errorf("no LAMBDABRIDGE_REQUIRE_DB: skip %q fatal %q, want a skip", tb.Skip, tb.Fatal)
		}
	}
}

// TestBrowser renders a small SVG served by an httptest server: the screenshot has the
// window's size and the circle's red, and the DOM holds the label.
func TestBrowser(t *testing.T) {
	b := Require(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		fmt.Fprint(w, `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100"><rect width="200" height="100" fill="#fff"/><circle cx="50" cy="50" r="40" fill="#ff0000"/><text x="100" y="55">label here</text></svg>`)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shot, err := b.Screenshot(ctx, srv.URL, 200, 100+Margin)
	if err != nil {
		t.Fatal(err)
	}
	if w, h, err := Size(shot); err != nil || w != 200 || h != 100+Margin {
		t.Errorf("screenshot %dx%d, %v; want 200x%d", w, h, err, 100+Margin)
	}
	// A circle of radius 40 covers about pi x 40^2 = 5,027 pixels.
	if n, err := CountColor(shot, "#ff0000", 10); err != nil || n < 4500 {
		t.Errorf("red pixels %d, %v; want about 5,000", n, err)
	}
	dom, err := b.DOM(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(dom, "label here") {
		t.Errorf("DOM lacks the label:\n%s", dom)
	}
}
