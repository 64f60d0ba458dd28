package envelope

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var updateSample = flag.Bool("update-sample", false, "rewrite testdata/sample.json from generateSample")

// samplePath is a deterministic, realistic ~279 KB JSON document: one page of an orders API
// (compact JSON, an array of nested records with ids, UUIDs, timestamps, prices, names and free
// text), the size the planner's default payloadSize assumes.
const samplePath = "testdata/sample.json"

// sampleTarget is the document size aimed for: 279 KB (279,000 bytes).
const sampleTarget = 279_000

type sampleOrder struct {
	ID        int64        `json:"id"`
	UUID      string       `json:"uuid"`
	CreatedAt time.Time    `json:"createdAt"`
	Status    string       `json:"status"`
	Customer  sampleCust   `json:"customer"`
	Items     []sampleItem `json:"items"`
	Total     float64      `json:"total"`
	Currency  string       `json:"currency"`
	Tags      []string     `json:"tags"`
	Note      string       `json:"note,omitempty"`
}

type sampleCust struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	Country string `json:"country"`
}

type sampleItem struct {
	SKU       string  `json:"sku"`
	Name      string  `json:"name"`
	Qty       int     `json:"qty"`
	UnitPrice float64 `json:"unitPrice"`
}

// generateSample builds the sample document from a fixed PCG seed (math/rand/v2's PCG is a
// specified algorithm, so the bytes are stable across Go versions).
func generateSample() []byte {
	r := rand.New(rand.NewPCG(279, 1000))
	first := []string{"Aiko", "Ben", "Chloé", "Dmitri", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jun", "Kofi", "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomás"}
	last := []string{"Tanaka", "Smith", "Dubois", "Ivanov", "Müller", "Haddad", "Okafor", "Sato", "García", "Kim", "Mensah", "Novak", "Rossi", "Patel", "Silva", "Nguyen"}
	countries := []string{"JP", "US", "FR", "DE", "BR", "IN", "GB", "KR", "GH", "IT"}
	statuses := []string{"pending", "paid", "shipped", "delivered", "refunded"}
	products := []string{"USB-C cable 2m", "Wireless mouse", "Mechanical keyboard", "27\" monitor", "Laptop stand", "Noise-cancelling headphones", "Webcam 1080p", "Desk lamp", "Ergonomic chair", "Notebook A5", "Fountain pen", "Coffee beans 1kg"}
	tags := []string{"gift", "express", "b2b", "first-order", "promo", "fragile", "backorder", "international"}
	words := []string{"please", "leave", "the", "parcel", "at", "front", "door", "call", "before", "delivery", "gift", "wrap", "no", "invoice", "in", "box", "office", "reception", "weekday", "only"}
	base := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)

	var orders []sampleOrder
	size := 0
	for id := int64(100000); ; id++ {
		o := sampleOrder{
			ID:        id,
			UUID:      fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, 0x8000|r.Uint32()&0x3fff, r.Uint64()&0xffffffffffff),
			CreatedAt: base.Add(time.Duration(r.Int64N(86400)) * time.Second),
			Status:    statuses[r.IntN(len(statuses))],
			Currency:  "USD",
		}
		fn, ln := first[r.IntN(len(first))], last[r.IntN(len(last))]
		o.Customer = sampleCust{ID: 5000 + r.Int64N(20000), Name: fn + " " + ln, Email: fmt.Sprintf("%s.%s%d@example.com", fn, ln, r.IntN(100)), Country: countries[r.IntN(len(countries))]}
		for n := 1 + r.IntN(4); n > 0; n-- {
			p := r.IntN(len(products))
			it := sampleItem{SKU: fmt.Sprintf("SKU-%05d", 10000+p*37), Name: products[p], Qty: 1 + r.IntN(3), UnitPrice: float64(199+r.IntN(30000)) / 100}
			o.Items = append(o.Items, it)
			o.Total += float64(it.Qty) * it.UnitPrice
		}
		o.Total = float64(int64(o.Total*100+0.5)) / 100
		o.Tags = []string{}
		for n := r.IntN(3); n > 0; n-- {
			o.Tags = append(o.Tags, tags[r.IntN(len(tags))])
		}
		if r.IntN(3) == 0 {
			var b bytes.Buffer
			for n := 3 + r.IntN(10); n > 0; n-- {
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(words[r.IntN(len(words))])
			}
			o.Note = b.String()
		}
		one, _ := json.Marshal(o)
		if size+len(one)+1 > sampleTarget-64 {
			break
		}
		size += len(one) + 1
		orders = append(orders, o)
	}
	doc := map[string]any{"page": 1, "perPage": len(orders), "total": 48213, "next": "https://api.example.com/v1/orders?page=2", "data": orders}
	out, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return out
}

// loadSample reads the committed sample document.
func loadSample(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(samplePath)
	if err != nil {
		tb.Fatalf("read sample: %v (regenerate with go test -run TestSample -update-sample)", err)
	}
	return b
}

// TestSample checks the committed sample is exactly what generateSample produces, valid JSON,
// and about 279 KB (within 1% of 279,000 bytes).
func TestSample(t *testing.T) {
	gen := generateSample()
	if *updateSample {
		if err := os.MkdirAll(filepath.Dir(samplePath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(samplePath, gen, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := loadSample(t)
	if !bytes.Equal(got, gen) {
		t.Fatalf("testdata/sample.json (%d bytes) differs from generateSample (%d bytes); run with -update-sample", len(got), len(gen))
	}
	if !json.Valid(got) {
		t.Fatal("sample is not valid JSON")
	}
	// 1% of 279,000 = 2,790 bytes.
	if d := len(got) - sampleTarget; d < -2790 || d > 2790 {
		t.Fatalf("sample is %d bytes, want 279,000 ± 2,790", len(got))
	}
}
