package source

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTime records the waits the fetcher asks for instead of sleeping, and serves a fixed clock
// that advances by each wait.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (ft *fakeTime) Now() time.Time { ft.mu.Lock(); defer ft.mu.Unlock(); return ft.now }
func (ft *fakeTime) Sleep(_ context.Context, d time.Duration) error {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.waits = append(ft.waits, d)
	ft.now = ft.now.Add(d)
	return nil
}

var t0 = time.Date(2026, 11, 25, 9, 30, 0, 0, time.UTC)

// newTestFetcher builds a Fetcher with a fake clock, a rand that returns half of its bound
// (so jitter is predictable), and a JSON logger writing to logs.
func newTestFetcher(t *testing.T, cfg Config, logs *bytes.Buffer) (*Fetcher, *fakeTime) {
	t.Helper()
	f, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ft := &fakeTime{now: t0}
	f.Now, f.Sleep = ft.Now, ft.Sleep
	f.Rand = func(n int64) int64 { return n / 2 }
	if logs == nil {
		logs = &bytes.Buffer{}
	}
	f.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return f, ft
}

// scripted serves the given responses in order (status, Retry-After, body), repeating the last.
func scripted(t *testing.T, steps ...[3]string) (*httptest.Server, *int) {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		step := steps[min(n, len(steps)-1)]
		n++
		mu.Unlock()
		if step[1] != "" {
			w.Header().Set("Retry-After", step[1])
		}
		w.Header().Set("Content-Type", "application/json")
		var code int
		fmt.Sscan(step[0], &code)
		w.WriteHeader(code)
		w.Write([]byte(step[2]))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestFetchRetriesThenSucceeds(t *testing.T) {
	srv, hits := scripted(t,
		[3]string{"500", "", "oops"},
		[3]string{"429", "3", "slow down"},
		[3]string{"200", "", `{"ok":true}`},
	)
	f, ft := newTestFetcher(t, Config{URL: srv.URL, Retries: 3, BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, ExpectJSON: true}, nil)
	res, err := f.Fetch(context.Background())
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if string(res.Body) != `{"ok":true}` || res.Status != 200 || res.Attempts != 3 || *hits != 3 {
		t.Fatalf("got body %q status %d attempts %d hits %d", res.Body, res.Status, res.Attempts, *hits)
	}
	if res.ContentType != "application/json" {
		t.Fatalf("content type %q", res.ContentType)
	}
	// Wait 1 (after the 500): ceiling min(1s, 100ms·2⁰) = 100ms, rand gives half = 50ms.
	// Wait 2 (after the 429): ceiling min(1s, 100ms·2¹) = 200ms → jitter 100ms, but
	// Retry-After: 3 raises it to 3s (under the 30s default cap).
	want := []time.Duration{50 * time.Millisecond, 3 * time.Second}
	if fmt.Sprint(ft.waits) != fmt.Sprint(want) {
		t.Fatalf("waits %v, want %v", ft.waits, want)
	}
	// FetchedAt is the clock after both waits: t0 + 50ms + 3s.
	if !res.FetchedAt.Equal(t0.Add(3050 * time.Millisecond)) {
		t.Fatalf("FetchedAt %v", res.FetchedAt)
	}
}

func TestRetryAfterForms(t *testing.T) {
	now := t0
	for _, tc := range []struct {
		name, header string
		want         time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"http-date 90s ahead", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"http-date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"garbage", "soon", 0},
		{"absent", "", 0},
		{"absurd seconds capped at a day", "999999999", 24 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := parseRetryAfter(tc.header, now); got != tc.want {
				t.Fatalf("parseRetryAfter(%q) = %v, want %v", tc.header, got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	f, _ := newTestFetcher(t, Config{URL: "http://x", BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second, MaxRetryAfter: 10 * time.Second}, nil)
	f.Rand = func(n int64) int64 { return n - 1 } // the top of the jitter range
	for _, tc := range []struct {
		attempt    int
		retryAfter time.Duration
		want       time.Duration
	}{
		{1, 0, 100*time.Millisecond - 1},            // ceiling 100ms·2⁰
		{3, 0, 400*time.Millisecond - 1},            // ceiling 100ms·2²
		{5, 0, time.Second - 1},                     // 100ms·2⁴ = 1.6s, capped at MaxDelay 1s
		{40, 0, time.Second - 1},                    // huge shift does not overflow
		{1, 2 * time.Second, 2 * time.Second},       // Retry-After above the jitter wins
		{1, time.Hour, 10 * time.Second},            // Retry-After capped at MaxRetryAfter
		{5, 10 * time.Millisecond, time.Second - 1}, // jitter above Retry-After wins
	} {
		if got := f.backoff(tc.attempt, tc.retryAfter); got != tc.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tc.attempt, tc.retryAfter, got, tc.want)
		}
	}
}

func TestFetchErrors(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
	for _, tc := range []struct {
		name      string
		handler   http.HandlerFunc
		cfg       Config
		wantHits  int
		wantErr   []string
		wantIsErr error
	}{
		{
			name:     "always 500",
			handler:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) },
			cfg:      Config{Retries: 2},
			wantHits: 3, // first attempt + 2 retries
			wantErr:  []string{"failed after 3 attempts", "status 500"},
		},
		{
			name:     "404 is not retried",
			handler:  func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) },
			cfg:      Config{Retries: 2},
			wantHits: 1,
			wantErr:  []string{"status 404 (not retried)"},
		},
		{
			name:     "timeout",
			handler:  hang,
			cfg:      Config{Retries: 1, Timeout: 150 * time.Millisecond},
			wantHits: 2,
			wantErr:  []string{"failed after 2 attempts", "Timeout exceeded"},
		},
		{
			name: "not JSON",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html")
				w.Write([]byte("<html>maintenance</html>"))
			},
			cfg:       Config{Retries: 2, ExpectJSON: true},
			wantHits:  1,
			wantErr:   []string{"body is not valid JSON", `24 bytes with content type "text/html" starting "<html>maintenance</html>"`},
			wantIsErr: ErrNotJSON,
		},
		{
			name:      "declared body over cap",
			handler:   func(w http.ResponseWriter, r *http.Request) { w.Write(bytes.Repeat([]byte("a"), 101)) },
			cfg:       Config{MaxBodyBytes: 100},
			wantHits:  1,
			wantErr:   []string{"Content-Length 101 > cap 100 bytes"},
			wantIsErr: ErrBodyTooLarge,
		},
		{
			name: "streamed body over cap",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for range 3 { // chunked: no Content-Length; 3 × 40 = 120 bytes > 100
					w.Write(bytes.Repeat([]byte("b"), 40))
					w.(http.Flusher).Flush()
				}
			},
			cfg:       Config{MaxBodyBytes: 100},
			wantHits:  1,
			wantErr:   []string{"read more than the cap of 100 bytes"},
			wantIsErr: ErrBodyTooLarge,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			hits := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				hits++
				mu.Unlock()
				tc.handler(w, r)
			}))
			defer srv.Close()
			cfg := tc.cfg
			cfg.URL = srv.URL + "/data?api_key=SECRETQUERY"
			f, _ := newTestFetcher(t, cfg, nil)
			res, err := f.Fetch(context.Background())
			if err == nil {
				t.Fatalf("Fetch succeeded with %d bytes", len(res.Body))
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "SECRETQUERY") {
				t.Errorf("error leaks the query string: %q", err)
			}
			if tc.wantIsErr != nil && !errors.Is(err, tc.wantIsErr) {
				t.Errorf("error %q is not %v", err, tc.wantIsErr)
			}
			mu.Lock()
			defer mu.Unlock()
			if hits != tc.wantHits {
				t.Errorf("server saw %d requests, want %d", hits, tc.wantHits)
			}
		})
	}
}

func TestFetchGivesUpBeforeDeadline(t *testing.T) {
	srv, hits := scripted(t, [3]string{"503", "60", ""})
	f, ft := newTestFetcher(t, Config{URL: srv.URL, Retries: 5, MaxRetryAfter: time.Minute}, nil)
	ft.now = time.Now() // the deadline below is real, so the fake clock starts at real time
	// A deadline 10s away cannot fit the server's 60s Retry-After wait.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := f.Fetch(ctx)
	if err == nil || !strings.Contains(err.Error(), "giving up after 1 attempts: waiting 1m0s would pass the deadline") || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("error = %v", err)
	}
	if *hits != 1 || len(ft.waits) != 0 {
		t.Fatalf("hits %d waits %v, want 1 and none", *hits, ft.waits)
	}
}

// TestFetchCountsTheAttemptsItMade: when the Lambda deadline ends the retries after the first
// 503, the error counts the 1 attempt made, not the 1 + 5 allowed.
func TestFetchCountsTheAttemptsItMade(t *testing.T) {
	srv, hits := scripted(t, [3]string{"503", "", ""})
	f, ft := newTestFetcher(t, Config{URL: srv.URL, Retries: 5}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	f.Now = func() time.Time {
		// Calls: 1 start, 2 attempt start, 3 Retry-After parse (the response is read by then).
		if calls++; calls == 3 {
			cancel()
		}
		return ft.Now()
	}
	_, err := f.Fetch(ctx)
	if err == nil || !strings.Contains(err.Error(), "failed after 1 attempts") || !strings.Contains(err.Error(), "status 503") {
		t.Fatalf("error = %v, want it to count 1 attempt", err)
	}
	if *hits != 1 {
		t.Fatalf("server saw %d requests, want 1", *hits)
	}
}

func TestHeadersSentAndNeverLogged(t *testing.T) {
	const secret = "s3cr3t-t0ken-value"
	got := make(chan http.Header, 2)
	srv, _ := scripted(t, [3]string{"502", "", ""}, [3]string{"200", "", `[1]`})
	srv.Config.Handler = func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone(); next.ServeHTTP(w, r) })
	}(srv.Config.Handler)
	env := map[string]string{"API_TOKEN": "Bearer " + secret, "TENANT": "acme"}
	headers, err := HeadersFromEnv(`{"Authorization":"API_TOKEN","X-Tenant":"TENANT"}`, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	f, _ := newTestFetcher(t, Config{URL: srv.URL, Retries: 1, Headers: headers}, &logs)
	if _, err := f.Fetch(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		h := <-got
		if h.Get("Authorization") != "Bearer "+secret || h.Get("X-Tenant") != "acme" {
			t.Fatalf("request %d headers %v", i+1, h)
		}
	}
	// Two attempts, two log records, neither holding a header value.
	if n := strings.Count(logs.String(), "\n"); n != 2 {
		t.Fatalf("%d log lines, want 2:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "acme") {
		t.Fatalf("logs leak a header value:\n%s", logs.String())
	}
}

func TestHeadersFromEnvErrors(t *testing.T) {
	env := map[string]string{"SET": "v"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct{ spec, want string }{
		{`["Authorization"]`, "must be a JSON object"},
		{`{"Bad Header":"SET"}`, `"Bad Header" is not a valid HTTP header name`},
		{`{"X-Key":""}`, `header "X-Key" names no environment variable`},
		{`{"X-Key":"MISSING"}`, "environment variable MISSING is unset or empty"},
	} {
		_, err := HeadersFromEnv(tc.spec, getenv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("HeadersFromEnv(%s) error = %v, want %q", tc.spec, err, tc.want)
		}
	}
	if h, err := HeadersFromEnv("  ", getenv); err != nil || h != nil {
		t.Errorf("empty spec: %v %v", h, err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{URL: "ftp://x/y"}, "must be an absolute http or https URL"},
		{Config{URL: "/relative"}, "must be an absolute http or https URL"},
		{Config{URL: "https://u:pw@x/y?k=SECRET", Retries: -1}, "retries must be ≥ 0"},
		{Config{URL: "https://x", Headers: map[string]string{"a b": "v"}}, "not a valid HTTP header name"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("New(%+v) error = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestSafeURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example.com/v1/items?key=s3cret#frag", "https://api.example.com/v1/items"},
		{"https://user:pw@api.example.com/x", "https://api.example.com/x"},
		{"https://user:pw@api.example.com/v1/x?key=abc#frag", "https://api.example.com/v1/x"},
		{"https://api.example.com/plain", "https://api.example.com/plain"},
		{"://bad", "<unparseable URL>"},
	}
	for _, tc := range tests {
		if got := SafeURL(tc.in); got != tc.want {
			t.Errorf("SafeURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
