package pipeline

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// SourceMode is how the local source answers.
type SourceMode int

// Source behaviours.
const (
	// Healthy serves the sample (or a generated JSON document, distinct per request).
	Healthy SourceMode = iota
	// Error500 answers 500 Internal Server Error.
	Error500
	// Hang accepts the request and never answers (until the client gives up).
	Hang
	// Garbage answers 200 with a body that is not JSON.
	Garbage
	// Huge answers 200 with valid JSON that compresses badly: HugeBytes of random base64,
	// too big for a destination record even gzipped (see HugeBytes).
	Huge
	// Large answers 200 with valid JSON of LargeBytes of random base64: a record that fits
	// the 1 MiB limit but is over the dead-letter queue's 262,144 B (see LargeBytes).
	Large
)

// LargeBytes is the raw size of a Large response: 800,000 characters of random base64 gzip
// to about 600,000 bytes (6 bits of entropy per character: 800,000 × 6/8), which the
// envelope's base64 makes about 800,000 bytes again: a destination record of about 802 KB,
// under the usable 996,148 B of the 1 MiB limit, and its failure record far over the
// dead-letter queue's 262,144 B.
const LargeBytes = 800_000

// HugeBytes is the raw size of a Huge response: 1.5 MB of random base64 gzips to about
// 1.125 MB (6 bits of entropy per 8-bit character: 1.5 MB × 6/8), which the envelope's base64
// turns back into about 1.5 MB (× 4/3): far over the 1 MB async payload limit.
const HugeBytes = 1_500_000

// String names the mode.
func (m SourceMode) String() string {
	return [...]string{"healthy", "http-500", "hang", "garbage", "huge", "large"}[m]
}

// Source is the third-party HTTP source, served locally, whose behaviour a test can change.
type Source struct {
	srv    *httptest.Server
	sample []byte

	mu      sync.Mutex
	mode    SourceMode
	hits    map[SourceMode]int
	served  int
	closing chan struct{}
	once    sync.Once
}

// NewSource serves sample (or, when sample is nil, a small JSON document that differs on
// every request) at URL().
func NewSource(sample []byte) *Source {
	s := &Source{sample: sample, hits: map[SourceMode]int{}, closing: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the source's address.
func (s *Source) URL() string { return s.srv.URL + "/feed.json" }

// SetMode changes how the next requests are answered.
func (s *Source) SetMode(m SourceMode) {
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
}

// Mode returns the current behaviour.
func (s *Source) Mode() SourceMode {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mode
}

// Hits returns how many requests were answered in each mode.
func (s *Source) Hits() map[SourceMode]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[SourceMode]int{}
	for k, v := range s.hits {
		out[k] = v
	}
	return out
}

// Close stops the server, releasing hung requests.
func (s *Source) Close() {
	s.once.Do(func() { close(s.closing) })
	s.srv.Close()
}

func (s *Source) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	mode := s.mode
	s.hits[mode]++
	s.served++
	n := s.served
	s.mu.Unlock()
	switch mode {
	case Error500:
		http.Error(w, "upstream exploded", http.StatusInternalServerError)
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.closing:
		case <-time.After(5 * time.Minute):
		}
	case Garbage:
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><body>502 Bad Gateway (cached error page)</body></html>")
	case Huge, Large:
		size := HugeBytes
		if mode == Large {
			size = LargeBytes
		}
		b := make([]byte, size*3/4)
		_, _ = rand.Read(b)
		w.Header().Set("Content-Type", "application/json")
		doc, _ := json.Marshal(map[string]string{"blob": base64.StdEncoding.EncodeToString(b)})
		w.Write(doc)
	default:
		w.Header().Set("Content-Type", "application/json")
		if s.sample != nil {
			w.Write(s.sample)
			return
		}
		fmt.Fprintf(w, `{"type":"FeatureCollection","metadata":{"request":%d},"features":[{"id":"ev%d","mag":%d.%d}]}`, n, n, n%7, n%10)
	}
}
