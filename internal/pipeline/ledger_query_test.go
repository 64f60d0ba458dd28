package pipeline

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/lambdabridge/lambdabridge/handlers/writer"
)

// TestLedgerRelayedWithAQuery: a relay's answer names the source without its query string
// (the writer never echoes one), while the row holds the URL as configured: the audit still
// finds the row, so a source with a query is not reported lost.
func TestLedgerRelayedWithAQuery(t *testing.T) {
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	l := newLedger()
	resp, _ := json.Marshal(writer.Stored{Source: "https://api.example.com/orders", FetchedAt: at, SHA256: "abc"})
	l.relayed(resp)
	rows := []Identity{identity("https://api.example.com/orders?page=1&key=k", at, "abc")}
	if a := Compare(l.Expected(), rows); len(a.Lost) != 0 {
		t.Errorf("lost %v: the query string made the row a stranger", a.Lost)
	}
}
